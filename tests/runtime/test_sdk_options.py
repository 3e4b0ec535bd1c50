"""The ``sdk`` section: decisions made before an event exists, as sentry-sdk options.

The FastAPI tests run a real app with the ruleset's options alone: which status codes become
events, which transactions are recorded and at what rate, all come from the ruleset."""

from __future__ import annotations

import math
import random
import uuid
import warnings

import pytest
import sentry_sdk
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime import sdk_options
from rules_engine.runtime.integration import RulesEngineIntegration
from rules_engine.runtime.reloading import load_ruleset
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.runtime.sdk_options import RulesetOptionWarning, TracesSampler
from rules_engine.testing.capture import capture_transport

SHOP = """\
format: 1
name: shop-api
filters:
  - id: client-errors
    when: {exc.status_code: {gte: 400, lt: 500}}
    unless: {exc.status_code: [401, 403]}
    drop: true
sdk:
  traces:
    sample_rate: 1.0
    rules:
      - id: health-checks
        when: {transaction: ["*/health", "*/healthz"]}
        sample_rate: 0
      - id: production
        when: {environment: production}
        sample_rate: 0.25
"""

PRODUCTION_RATE = 0.25


def compiled(text: str) -> Ruleset:
    return Ruleset.from_loaded(load_model_from_text(text, "sdk.yaml"))


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    def health():
        return {"ok": True}

    @app.get("/orders/{order_id}")
    def order(order_id: int):
        if order_id == 401:
            raise HTTPException(status_code=401, detail="token expired")
        if order_id == 404:
            raise HTTPException(status_code=404, detail="no such order")
        return {"id": order_id}

    return app


@pytest.fixture
def seeded_trace_ids(monkeypatch):
    """Trace ids from a seeded generator: sentry-sdk draws each trace's sampling decision from its
    trace id, so the run is the same every time."""
    rng = random.Random(20261206)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=rng.getrandbits(128), version=4))


def run_requests(ruleset: Ruleset, environment: str, *paths: str, headers: dict | None = None):
    with capture_transport(environment=environment, **ruleset.sentry_options()) as sent:
        client = TestClient(make_app(), raise_server_exceptions=False)
        for path in paths:
            client.get(path, headers=headers or {})
    errors = [e for e in sent.events if e.get("type") != "transaction"]
    transactions = [e["transaction"] for e in sent.events if e.get("type") == "transaction"]
    return errors, transactions


def test_the_ruleset_alone_makes_a_401_arrive_and_a_404_not():
    errors, _ = run_requests(compiled(SHOP), "production", "/orders/401", "/orders/404")
    details = [e["exception"]["values"][-1]["value"] for e in errors]
    assert details == ["token expired"]


def test_without_the_ruleset_sentry_sdk_reports_neither():
    """The baseline the status-code derivation changes: sentry-sdk reports 5xx only."""
    with capture_transport(environment="production", integrations=sdk_options.web_integrations(
            sdk_options.SDK_DEFAULT_CODES)) as sent:
        TestClient(make_app(), raise_server_exceptions=False).get("/orders/401")
    assert sent.events == []


def test_health_checks_are_never_recorded_even_in_a_sampled_trace():
    sampled_parent = {"sentry-trace": f"{'a' * 32}-{'b' * 16}-1"}
    _, transactions = run_requests(compiled(SHOP), "staging", "/health", "/orders/7", headers=sampled_parent)
    assert transactions == ["/orders/{order_id}"]


def test_production_is_sampled_at_the_rulesets_rate(seeded_trace_ids):
    requests = 400
    _, transactions = run_requests(compiled(SHOP), "production", *["/orders/7"] * requests)
    mean = requests * PRODUCTION_RATE
    bound = 4 * math.sqrt(requests * PRODUCTION_RATE * (1 - PRODUCTION_RATE))  # 4 standard deviations
    assert abs(len(transactions) - mean) <= bound, (len(transactions), mean, bound)
    assert 0 < len(transactions) < requests


def test_other_environments_get_the_default_rate():
    _, transactions = run_requests(compiled(SHOP), "staging", *["/orders/7"] * 20)
    assert len(transactions) == 20


def test_an_incoming_decision_is_honoured():
    unsampled_parent = {"sentry-trace": f"{'c' * 32}-{'d' * 16}-0"}
    _, transactions = run_requests(compiled(SHOP), "staging", "/orders/7", headers=unsampled_parent)
    assert transactions == []


# ---------------------------------------------------------------------- traces_sampler


def sampler(text: str = SHOP) -> TracesSampler:
    return compiled(text).sentry_options()["traces_sampler"]


def context(name: str, method: str = "GET", parent: bool | None = None) -> dict:
    return {"transaction_context": {"name": name, "op": "http.server"}, "parent_sampled": parent,
            "asgi_scope": {"type": "http", "method": method, "path": name}}


def test_sampling_rules_read_method_and_transaction():
    rates = sampler("""\
format: 1
name: s
sdk:
  traces:
    sample_rate: 0.5
    honour_parent: false
    rules:
      - {id: options-requests, when: {request.method: OPTIONS}, sample_rate: 0}
      - {id: checkout, when: {transaction: "/checkout/*"}, sample_rate: 1}
""")
    assert rates(context("/checkout/pay")) == 1
    assert rates(context("/checkout/pay", method="OPTIONS")) == 0
    assert rates(context("/home")) == 0.5
    assert rates(context("/home", parent=True)) == 0.5  # honour_parent: false


def test_the_sampler_never_raises():
    rates = sampler()
    for hostile in ({}, {"transaction_context": None}, {"transaction_context": {"name": 3}}, {"asgi_scope": "x"}):
        assert 0 <= rates(hostile) <= 1


# ---------------------------------------------------------------------- failed_request_status_codes


def test_status_codes_derived_from_the_default_ruleset():
    codes = sdk_options.failed_request_status_codes(load_ruleset("rulesets/default.yaml"))
    assert codes == {401, 403, *range(500, 600)}


def test_a_filter_that_tests_more_than_the_code_keeps_its_codes_reported():
    ruleset = compiled("""\
format: 1
name: s
filters:
  - id: not-found-but-checkout
    when: {exc.status_code: 404}
    unless: {transaction: "/checkout*"}
    drop: true
""")
    assert 404 in sdk_options.failed_request_status_codes(ruleset)


def test_explicit_status_codes():
    ruleset = compiled("format: 1\nname: s\nsdk: {failed_request_status_codes: [401, '500-503']}\n")
    assert sdk_options.failed_request_status_codes(ruleset) == {401, 500, 501, 502, 503}


# ---------------------------------------------------------------------- options the caller passes


def test_options_passed_win_with_a_warning_when_they_contradict():
    ruleset = compiled("format: 1\nname: s\nsdk: {sample_rate: 0.5, ignore_errors: [KeyboardInterrupt]}\n")
    with pytest.warns(RulesetOptionWarning, match="'sample_rate'"):
        options = ruleset.sentry_options(sample_rate=1.0)
    assert options["sample_rate"] == 1.0 and options["ignore_errors"] == ["KeyboardInterrupt"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ruleset.sentry_options(sample_rate=0.5)["sample_rate"] == 0.5  # agreeing: no warning


def test_error_sample_rate_and_ignore_errors_reach_the_sdk():
    ruleset = compiled("format: 1\nname: s\nsdk: {sample_rate: 0.0, ignore_errors: [ZeroDivisionError]}\n")
    with capture_transport(**ruleset.sentry_options()) as sent:
        sentry_sdk.capture_exception(ValueError("sampled out"))
    assert sent.events == []
    ruleset = compiled("format: 1\nname: s\nsdk: {ignore_errors: [ZeroDivisionError]}\n")
    with capture_transport(**ruleset.sentry_options()) as sent:
        for error in (ZeroDivisionError("ignored"), ValueError("kept")):
            try:
                raise error
            except Exception:
                sentry_sdk.capture_exception()
    assert [e["exception"]["values"][-1]["type"] for e in sent.events] == ["ValueError"]


def test_collect_becomes_data_collection():
    ruleset = compiled("""\
format: 1
name: s
sdk:
  collect:
    cookies: {mode: "off"}
    http_headers: {mode: allowlist, terms: [user-agent]}
    gen_ai: {inputs: false}
    stack_frame_variables: false
""")
    options = ruleset.sentry_options()
    assert options["data_collection"] == {
        "cookies": {"mode": "off"}, "http_headers": {"request": {"mode": "allowlist", "terms": ["user-agent"]}},
        "gen_ai": {"inputs": False, "outputs": True}, "stack_frame_variables": False}


def test_an_sdk_without_the_newer_options(monkeypatch):
    """Older 2.x releases read the channel hooks from _experiments and have no data_collection."""
    known = sdk_options.sdk_option_names() - {"before_send_log", "before_send_metric", "data_collection"}
    monkeypatch.setattr(sdk_options, "sdk_option_names", lambda: known)
    ruleset = compiled("format: 1\nname: s\nsdk: {collect: {user_info: false, http_bodies: []}}\n")
    options = ruleset.sentry_options(_experiments={"enable_logs": True})
    assert "before_send_log" not in options and callable(options["_experiments"]["before_send_log"])
    assert options["_experiments"]["enable_logs"] is True
    assert options["send_default_pii"] is False and options["max_request_body_size"] == "never"


def test_the_integration_applies_what_sentry_sdk_reads_late():
    ruleset = compiled(SHOP.replace("sdk:\n", "sdk:\n  sample_rate: 0.0\n"))
    with capture_transport(integrations=[RulesEngineIntegration(ruleset)]) as sent:
        client_options = sentry_sdk.get_client().options
        assert client_options["sample_rate"] == 0.0
        assert isinstance(client_options["traces_sampler"], TracesSampler)
        sentry_sdk.capture_message("sampled out")
    assert sent.events == []


# ---------------------------------------------------------------------- transactions renamed by rule

RENAMED = SHOP + """\
grouping:
  - id: method-and-route
    on: [transaction, error]
    when: {route: {exists: true}}
    rename: "{{ request.method }} {{ route }}"
"""


def test_transactions_and_their_errors_are_renamed_by_rule():
    errors, transactions = run_requests(compiled(RENAMED), "staging", "/orders/7", "/orders/401")
    assert transactions == ["GET /orders/{order_id}", "GET /orders/{order_id}"]
    assert [e["transaction"] for e in errors] == ["GET /orders/{order_id}"]


def test_streamed_segment_spans_are_renamed_by_the_same_rule():
    options = compiled(RENAMED).sentry_options(trace_lifecycle="stream")
    with capture_transport(environment="staging", **options) as sent:
        TestClient(make_app()).get("/orders/7")
    [segment] = [span for span in sent.items["span"] if span.get("is_segment")]
    assert segment["name"] == "GET /orders/{order_id}"
    assert segment["attributes"]["sentry.segment.name.source"]["value"] == "custom"


def test_a_traces_sample_rate_passed_replaces_the_rulesets_sampler():
    with pytest.warns(RulesetOptionWarning, match="traces_sample_rate"):
        options = compiled(SHOP).sentry_options(traces_sample_rate=0.5)
    assert options["traces_sample_rate"] == 0.5 and "traces_sampler" not in options
    with pytest.warns(RulesetOptionWarning, match="traces_sample_rate"):
        with capture_transport(traces_sample_rate=0.5, integrations=[RulesEngineIntegration(compiled(SHOP))]):
            assert sentry_sdk.get_client().options["traces_sampler"] is None


def test_a_hook_passed_in_experiments_still_runs_before_the_ruleset():
    seen = []

    def mine(log, hint):
        seen.append(log["body"])
        return log

    options = compiled(SHOP).sentry_options(_experiments={"before_send_log": mine})
    assert "before_send_log" not in options.get("_experiments", {})
    with capture_transport(enable_logs=True, **options) as sent:
        sentry_sdk.logger.info("hello")
    assert seen == ["hello"] and [log["body"] for log in sent.items["log"]] == ["hello"]


def test_collect_keeps_data_from_being_gathered_at_all():
    ruleset = compiled("""\
format: 1
name: s
sdk:
  collect:
    cookies: {mode: "off"}
    http_headers: {mode: allowlist, terms: [user-agent]}
""")
    web = sdk_options.web_integrations(sdk_options.SDK_DEFAULT_CODES)
    with capture_transport(raw=False, **ruleset.sentry_options(integrations=web)) as sent:
        app = make_app()

        @app.get("/boom")
        def boom():
            raise RuntimeError("boom")

        TestClient(app, raise_server_exceptions=False).get(
            "/boom", headers={"user-agent": "shop-mobile/4.2", "x-tenant": "acme"}, cookies={"session": "s3cr3t"})
    [event] = sent.events
    request = event["request"]
    assert "s3cr3t" not in repr(request) and not request.get("cookies")  # (frame variables are another setting)
    assert request["headers"]["user-agent"] == "shop-mobile/4.2"
    assert request["headers"]["x-tenant"] == "[Filtered]"  # not on the allow list: never collected as is


def test_a_ruleset_without_status_code_filters_leaves_sentry_sdks_choice():
    ruleset = compiled("format: 1\nname: s\nfilters: [{id: boring, when: {error.type: KeyError}, drop: true}]\n")
    assert sdk_options.failed_request_status_codes(ruleset) == sdk_options.SDK_DEFAULT_CODES
    assert "integrations" not in ruleset.sentry_options()
