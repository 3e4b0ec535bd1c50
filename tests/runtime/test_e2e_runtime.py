"""End to end: real sentry-sdk clients, real FastAPI / SQLAlchemy / logging, a compiled ruleset."""

from __future__ import annotations

import logging
import math
import os
import random

import pytest
import sentry_sdk
import sqlalchemy as sa
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
from starlette.exceptions import HTTPException as StarletteHTTPException

from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.integration import RulesEngineIntegration
from rules_engine.runtime.reloading import load_ruleset
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.testing.capture import capture_events

RULESET = """
format: 1
name: shop-backend
revision: 7
filters:
  - id: client-errors
    when: {error.type: starlette.exceptions.HTTPException, exc.status_code: {lt: 500}}
    unless: {exc.status_code: [401, 403]}
    drop: true
  - id: health-checks
    on: [transaction]
    when: {transaction: ["*/health", "*/healthz"]}
    drop: true
  - id: chatty-breadcrumbs
    on: [breadcrumb]
    when: {category: "chatty.*"}
    drop: true
grouping:
  - id: db-errors
    when:
      error.type: sqlalchemy.exc.DBAPIError
      error.value: "*no such table*"
    fingerprint: [database-error, "{{ error.type }}", "{{ error.value }}"]
    title: "Database Error: {{ error.value }}"
    tags: {error_group: database_error, database_error_type: "{{ error.type }}"}
    contexts:
      error_location: {function: "{{ function }}", module: "{{ module }}", path: "{{ path }}", lineno: "{{ lineno }}"}
  - id: slow-requests
    on: [transaction]
    when: {duration_ms: {gte: 0}, contexts.trace.op: http.server}
    tags: {slow_request: "true"}
"""


def compiled(text: str = RULESET) -> Ruleset:
    return Ruleset.from_loaded(load_model_from_text(text))


def integrations():
    codes = set(range(400, 600))
    return [StarletteIntegration(failed_request_status_codes=codes),
            FastApiIntegration(failed_request_status_codes=codes)]


def make_app(raised: dict) -> FastAPI:
    app = FastAPI()
    engine = sa.create_engine("sqlite://")

    @app.get("/health")
    def health():
        return {"ok": True}

    @app.get("/status/{code}")
    def status(code: int):
        raise HTTPException(status_code=code)

    @app.get("/starlette/{code}")
    def starlette_status(code: int):
        raise StarletteHTTPException(status_code=code)

    @app.get("/orders/{order_id}")
    def order(order_id: int):
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(f"SELECT * FROM orders WHERE id = {order_id}"))
        except sa.exc.OperationalError as exc:
            raised.setdefault("db", []).append(exc)
            raise

    return app


def errors(events):
    return [e for e in events if e.get("type") != "transaction"]


def transactions(events):
    return [e for e in events if e.get("type") == "transaction"]


@pytest.fixture(scope="module")
def fastapi_run():
    """One real FastAPI run through sentry-sdk with the ruleset installed by sentry_options()."""
    ruleset = compiled()
    raised: dict = {}
    with capture_events(traces_sample_rate=1.0, **ruleset.sentry_options(integrations=integrations())) as events:
        client = TestClient(make_app(raised), raise_server_exceptions=False)
        for path in ("/health", "/status/404", "/status/400", "/starlette/404", "/status/401", "/status/403",
                     "/status/500", "/status/503", "/orders/1", "/orders/2"):
            client.get(path)
    return ruleset, events, raised


def test_health_transaction_is_dropped_and_others_kept(fastapi_run):
    ruleset, events, _ = fastapi_run
    names = [t["transaction"] for t in transactions(events)]
    assert "/health" not in names
    assert "/status/{code}" in names and "/orders/{order_id}" in names
    assert ruleset.stats()["dropped"]["health-checks"] == 1


def test_client_errors_dropped_by_base_class_and_status_code(fastapi_run):
    ruleset, events, _ = fastapi_run
    http_errors = [e for e in errors(events) if e["exception"]["values"][-1]["type"] == "HTTPException"]
    kept_urls = sorted(e["request"]["url"].rsplit("/", 1)[-1] for e in http_errors)
    # 404 and 400 (fastapi and starlette classes alike) dropped; 401/403 kept by unless; 5xx kept.
    assert kept_urls == ["401", "403", "500", "503"]
    assert ruleset.stats()["dropped"]["client-errors"] == 3
    assert {e["exception"]["values"][-1]["module"] for e in http_errors} == {"fastapi.exceptions"}


def test_sqlalchemy_error_grouped_with_fingerprint_title_tags(fastapi_run):
    _, events, raised = fastapi_run
    db_events = [e for e in errors(events) if e.get("tags", {}).get("error_group") == "database_error"]
    assert len(db_events) == 2 and len(raised["db"]) == 2
    for event, exc in zip(db_events, raised["db"]):
        main = event["exception"]["values"][-1]
        assert main["type"] == "Database Error"
        assert main["value"] == str(exc)
        assert event["contexts"]["original_exception"] == {
            "type": type(exc).__name__, "value": str(exc), "module": type(exc).__module__}
        assert event["tags"]["database_error_type"] == "OperationalError"
        assert event["fingerprint"][:2] == ["database-error", "OperationalError"]
        location = event["contexts"]["error_location"]
        assert location["function"] == "order"
        assert location["path"] == os.path.abspath(__file__)
        assert isinstance(location["lineno"], int) and location["lineno"] > 0
    # The ids differ between the two queries, the parameterized fingerprint does not.
    assert "id = 1" in str(raised["db"][0]) and "id = 2" in str(raised["db"][1])
    assert db_events[0]["fingerprint"] == db_events[1]["fingerprint"]
    assert "<int>" in db_events[0]["fingerprint"][2]


def test_revision_tag_on_every_sent_event(fastapi_run):
    _, events, _ = fastapi_run
    assert events
    assert all(e["tags"]["ruleset"] == "shop-backend@7" for e in events)


def test_transaction_duration_and_trace_op_tag_slow_requests(fastapi_run):
    _, events, _ = fastapi_run
    assert all(t["tags"].get("slow_request") == "true" for t in transactions(events))


def test_revision_tag_can_be_turned_off():
    ruleset = compiled("format: 1\nname: quiet\nrevision: 3\noptions: {revision_tag: false}\n")
    with capture_events(**ruleset.sentry_options()) as events:
        sentry_sdk.capture_message("hello")
    assert len(events) == 1 and "ruleset" not in events[0].get("tags", {})


def test_sampling_keeps_the_configured_share_per_event():
    ruleset = compiled("""
format: 1
name: sampling
filters:
  - id: noisy-timeouts
    when: {logger: noisy}
    sample: 0.3
""")
    ruleset.draw = random.Random(20261122).random
    n = 1500
    with capture_events(**ruleset.sentry_options()) as events:
        noisy, quiet = logging.getLogger("noisy"), logging.getLogger("quiet")
        for i in range(n):
            noisy.error("timeout %d", i)
        for i in range(50):
            quiet.error("kept %d", i)
    kept_noisy = sum(1 for e in events if e.get("logger") == "noisy")
    # Binomial(n, 0.3): mean 450, sd ~17.7; 5 sd either way.
    sd = math.sqrt(n * 0.3 * 0.7)
    assert abs(kept_noisy - n * 0.3) < 5 * sd
    assert sum(1 for e in events if e.get("logger") == "quiet") == 50
    stats = ruleset.stats()
    assert stats["sampled_out"]["noisy-timeouts"] == n - kept_noisy
    assert stats["matched"]["noisy-timeouts"] == n


def test_breadcrumbs_filtered():
    ruleset = compiled()
    with capture_events(**ruleset.sentry_options()) as events:
        logging.getLogger("chatty.cache").warning("cache miss")
        logging.getLogger("payments").warning("card declined")
        sentry_sdk.capture_message("checkout failed")
    crumbs = events[0]["breadcrumbs"]["values"]
    categories = [c.get("category") for c in crumbs]
    assert "payments" in categories
    assert "chatty.cache" not in categories
    assert ruleset.stats()["dropped"]["chatty-breadcrumbs"] == 1


def test_user_hook_runs_first_and_the_ruleset_sees_its_changes():
    ruleset = compiled("""
format: 1
name: composed
revision: 2
grouping:
  - id: team-payments
    when: {tags.team: payments}
    fingerprint: [payments, "{{ message }}"]
""")
    seen = []

    def my_hook(event, hint):
        seen.append(dict(event.get("tags", {})))
        event.setdefault("tags", {})["team"] = "payments"
        return event

    with capture_events(**ruleset.sentry_options(before_send=my_hook)) as events:
        sentry_sdk.capture_message("refund 42 failed")
    assert seen and "ruleset" not in seen[0]
    assert events[0]["fingerprint"] == ["payments", "refund <int> failed"]
    assert events[0]["tags"]["ruleset"] == "composed@2"


def test_user_hook_dropping_or_raising_drops_the_event():
    ruleset = compiled("format: 1\nname: composed\n")

    def dropping(event, hint):
        return None

    def raising(event, hint):
        raise RuntimeError("boom")

    with capture_events(**ruleset.sentry_options(before_send=dropping)) as events:
        sentry_sdk.capture_message("one")
    assert events == []
    with capture_events(**ruleset.sentry_options(before_send=raising)) as events:
        sentry_sdk.capture_message("two")
    assert events == []
    assert ruleset.stats()["internal_errors"]["user_hook"] == 1


def test_integration_installs_the_same_pipeline():
    ruleset = compiled()
    raised: dict = {}
    user_calls = []

    def my_hook(event, hint):
        user_calls.append(event.get("transaction"))
        return event

    with capture_events(integrations=[*integrations(), RulesEngineIntegration(ruleset)], before_send=my_hook,
                        traces_sample_rate=1.0) as events:
        client = TestClient(make_app(raised), raise_server_exceptions=False)
        client.get("/health")
        client.get("/status/404")
        client.get("/orders/5")
    assert [t["transaction"] for t in transactions(events)] == ["/status/{code}", "/orders/{order_id}"]
    assert [e["exception"]["values"][-1]["type"] for e in errors(events)] == ["Database Error"]
    assert len(user_calls) == 2  # both errors reached the user's hook; the ruleset dropped the 404
    # A second client with another ruleset is installed too.
    other = compiled("format: 1\nname: other\nrevision: 9\n")
    with capture_events(integrations=[RulesEngineIntegration(other)]) as events:
        sentry_sdk.capture_message("hi")
    assert events[0]["tags"]["ruleset"] == "other@9"


def test_failing_rule_is_skipped_and_counted():
    ruleset = compiled("""
format: 1
name: fragile
grouping:
  - id: renders-live-attr
    when: {exc.payload: {exists: true}}
    tags: {payload: "{{ exc.payload }}"}
  - id: fallback
    when: {error.value: "weird*"}
    tags: {grouped: "yes"}
""")

    class Unprintable:
        def __str__(self):
            raise RuntimeError("cannot print")

    class WithPayload(Exception):
        payload = Unprintable()

    with capture_events(**ruleset.sentry_options()) as events:
        try:
            raise WithPayload("weird")
        except WithPayload:
            sentry_sdk.capture_exception()
    assert events[0]["tags"]["grouped"] == "yes" and "payload" not in events[0]["tags"]
    assert ruleset.stats()["internal_errors"] == {"renders-live-attr": 1}


def test_check_ins_pass_untouched_and_unknown_types_are_scrubbed_only():
    ruleset = compiled("format: 1\nname: x\nfilters: [{id: all, when: {level: '*'}, drop: true}]\n"
                       "scrub: {rules: [{id: pw, keys: ['*password*']}]}\n")
    check_in = {"type": "check_in", "check_in_id": "abc", "monitor_slug": "nightly", "status": "ok"}
    assert ruleset.before_send(dict(check_in), {}) == check_in
    for odd_type in ("feedback", "a_type_of_a_later_sdk"):
        odd = {"type": odd_type, "level": "info", "message": "hi", "extra": {"password": "hunter2"}}
        sent = ruleset.before_send(dict(odd), {})
        assert sent["message"] == "hi" and sent["extra"]["password"] == "[Filtered]"  # not filtered: scrubbed
    assert ruleset.before_send({"level": "error", "message": "x"}, {}) is None


def test_reload_swaps_valid_changes_and_keeps_previous_on_invalid(tmp_path, caplog):
    path = tmp_path / "rules.yaml"
    path.write_text("format: 1\nname: live\nrevision: 1\n")
    handle = load_ruleset(path, reload=0.0001)
    assert handle.before_send({"message": "a"}, {})["tags"]["ruleset"] == "live@1"

    path.write_text("format: 1\nname: live\nrevision: 2\nfilters: [{id: mute, when: {message: secret*}, drop: true}]\n")
    os.utime(path, ns=(1_000_000_000_000, 1_000_000_000_000))
    assert handle.before_send({"message": "b"}, {})["tags"]["ruleset"] == "live@2"
    assert handle.before_send({"message": "secret stuff"}, {}) is None

    path.write_text("format: 1\nname: live\nrevision: 3\nfilters: [{id: mute, wen: {}}]\n")
    os.utime(path, ns=(2_000_000_000_000, 2_000_000_000_000))
    with caplog.at_level(logging.ERROR, logger="rules_engine"):
        assert handle.before_send({"message": "c"}, {})["tags"]["ruleset"] == "live@2"
    assert any("invalid" in r.getMessage() and "wen" in r.getMessage() for r in caplog.records)
    assert handle.failed_reloads == 1 and handle.reloads == 1
    options = handle.sentry_options()
    path.write_text("format: 1\nname: live\nrevision: 4\n")
    os.utime(path, ns=(3_000_000_000_000, 3_000_000_000_000))
    with capture_events(**options) as events:
        sentry_sdk.capture_message("d")
    assert events[0]["tags"]["ruleset"] == "live@4"


SCRUBBED = """
format: 1
name: scrubbed
revision: 1
filters:
  - {id: chatty, on: [breadcrumb], when: {category: "chatty.*"}, drop: true}
scrub:
  rules:
    - {id: secret-keys, keys: ["*password*", authorization]}
"""


def test_scrub_runs_last_on_errors_transactions_breadcrumbs_and_user_hook_output():
    ruleset = compiled(SCRUBBED)

    def my_hook(event, hint):
        event.setdefault("extra", {})["db_password"] = "added-by-hook"
        return event

    with capture_events(traces_sample_rate=1.0, **ruleset.sentry_options(before_send=my_hook)) as events:
        with sentry_sdk.isolation_scope() as isolation, sentry_sdk.start_transaction(name="checkout", op="task"):
            isolation.clear_breadcrumbs()
            sentry_sdk.add_breadcrumb(category="auth", message="login", data={"password": "crumb-secret"})
            sentry_sdk.add_breadcrumb(category="chatty.cache", message="miss")
            with sentry_sdk.new_scope() as scope:
                scope.set_context("request_info", {"authorization": "Bearer abc.def"})
                sentry_sdk.capture_message("checkout failed")
    text = repr(events)
    for secret in ("added-by-hook", "crumb-secret", "Bearer abc.def"):
        assert secret not in text
    [error] = errors(events)
    assert error["extra"]["db_password"] == "[Filtered]"
    assert [c["category"] for c in error["breadcrumbs"]["values"]] == ["auth"]
    assert transactions(events)[0]["tags"]["ruleset"] == "scrubbed@1"
    assert ruleset.stats()["redactions"]["secret-keys"] >= 3


def test_a_user_hook_failing_after_a_reload_is_counted_on_the_handle(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("format: 1\nname: live\nrevision: 1\n")
    handle = load_ruleset(path, reload=3600)

    def failing_hook(event, hint):
        raise RuntimeError("user hook bug")

    options = handle.sentry_options(before_send=failing_hook)
    path.write_text("format: 1\nname: live\nrevision: 2\n")
    os.utime(path, ns=(1_000_000_000_000, 1_000_000_000_000))
    assert handle.check_now() and handle.revision == 2
    with capture_events(**options) as events:
        sentry_sdk.capture_message("lost to the user hook")
    assert events == []
    assert handle.stats()["internal_errors"] == {"user_hook": 1}
