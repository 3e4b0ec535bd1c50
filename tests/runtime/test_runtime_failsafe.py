"""Fail-safe behaviour, explain traces and stats of the compiled hooks."""

from __future__ import annotations

import logging
import threading

import sentry_sdk

from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.failclosed import FILTERED
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.testing.capture import capture_events

SCRUBBING = """
format: 1
name: safe
revision: 5
options: {on_error: %s}
scrub:
  rules:
    - {id: secret-keys, keys: ["*password*"]}
"""


def compiled(text: str) -> Ruleset:
    return Ruleset.from_loaded(load_model_from_text(text))


def deeply_nested(depth: int) -> dict:
    node: dict = {"password": "hunter2", "note": "leaf"}
    for _ in range(depth):
        node = {"child": node}
    return node


def leaves(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from leaves(value)
    else:
        yield node


def attach_deep_payload(event, hint):
    """A user hook that adds data deeper than the scrubber's depth limit (the SDK's own
    serializer trims depth before before_send, so only a hook can hand over such an event)."""
    if event.get("level") == "error":
        event.setdefault("extra", {})["payload"] = deeply_nested(400)
    return event


def test_scrub_failure_drops_by_default():
    ruleset = compiled(SCRUBBING % "drop")
    with capture_events(**ruleset.sentry_options(before_send=attach_deep_payload)) as events:
        sentry_sdk.capture_message("too deep to scrub", level="error")
        sentry_sdk.capture_message("fine", level="info")
    assert [e.get("logentry", {}).get("message") or e.get("message") for e in events] == ["fine"]
    stats = ruleset.stats()
    assert stats["dropped"]["scrub"] == 1 and stats["internal_errors"]["scrub"] == 1


def test_scrub_failure_sends_filtered_when_asked():
    ruleset = compiled(SCRUBBING % "send_filtered")
    event = {
        "event_id": "a" * 32,
        "level": "error",
        "message": "user anna@example.com failed",
        "extra": {"payload": deeply_nested(400), "count": 3, "ok": True},
    }
    sent = ruleset.before_send(event, {})
    assert sent is not None
    assert sent["event_id"] == "a" * 32 and sent["level"] == "error"
    assert sent["message"] == FILTERED
    assert "hunter2" not in repr(sent) and "anna@example.com" not in repr(sent)
    data_leaves = [v for v in leaves(sent["extra"]) if v is not True]
    assert data_leaves and all(v == FILTERED for v in data_leaves)
    assert sent["tags"]["ruleset"] == "safe@5"


def test_hooks_never_raise_on_malformed_events():
    ruleset = compiled("""
format: 1
name: robust
filters:
  - {id: f, when: {error.type: X, stack.function: y, request.headers.a: b, tags.t: v}, drop: true}
grouping:
  - {id: g, when: {message: "*"}, title: "T: {{ error.value }}", fingerprint: ["{{ function }}"]}
""")
    malformed = [
        {"exception": "not a mapping", "message": "m"},
        {"exception": {"values": [None, 3, {"type": None, "stacktrace": {"frames": "x"}}]}, "message": "m"},
        {"request": {"headers": [["only-one"], None, 7]}, "tags": ["bad", ["k"]], "message": "m"},
        {"logentry": None, "message": {"formatted": "old shape"}},
        {"contexts": "nope", "tags": None, "message": "m"},
    ]
    for event in malformed:
        result = ruleset.before_send(event, {"exc_info": ("not", "a", "tuple")})
        assert result is None or isinstance(result, dict)
    assert ruleset.before_send_transaction({"type": "transaction", "timestamp": "garbage",
                                            "start_timestamp": 1.0}, None) is not None
    # What the transport could not encode fails closed instead of being lost silently.
    assert ruleset.before_send_transaction({"type": "transaction", "start_timestamp": object()}, None) is None
    assert ruleset.before_send({"message": "m", "extra": {"ratio": float("nan")}}, None) is None
    assert ruleset.before_send(["not", "an", "event"], None) is None
    errors = ruleset.stats()["internal_errors"]
    assert errors["unsendable"] == 2 and errors["invalid_event"] == 1
    assert ruleset.before_breadcrumb({"category": None, "data": "x"}, None) is not None


def test_explain_names_the_first_failing_test_and_the_changes():
    ruleset = compiled("""
format: 1
name: shop
revision: 3
filters:
  - id: client-errors
    when: {error.type: HTTPException, exc.status_code: {lt: 500}}
    drop: true
grouping:
  - id: timeouts
    when: {error.type: TimeoutError, error.value: "*db*"}
    fingerprint: [timeout]
  - id: db
    when: {error.type: OperationalError, error.value: "*connection*"}
    fingerprint: [database-error, connection]
    title: "Database Error: {{ error.value }}"
    tags: {error_group: database_error}
""")
    event = {"exception": {"values": [{"type": "OperationalError", "module": "sqlalchemy.exc",
                                       "value": "connection refused"}]}}
    explanation = ruleset.explain(event)
    by_id = {trace.rule_id: trace for trace in explanation.rules}
    assert not by_id["client-errors"].matched
    assert "error.type" in by_id["client-errors"].reason and "HTTPException" in by_id["client-errors"].reason
    assert not by_id["timeouts"].matched and "TimeoutError" in by_id["timeouts"].reason
    assert by_id["db"].matched
    assert any("fingerprint" in change for change in by_id["db"].changes)
    assert explanation.before == event and event["exception"]["values"][0]["type"] == "OperationalError"
    assert explanation.after["exception"]["values"][0]["type"] == "Database Error"
    assert explanation.after["tags"] == {"error_group": "database_error", "ruleset": "shop@3"}
    assert explanation.dropped_by is None and not explanation.sampled_out
    as_dict = explanation.to_dict()
    assert as_dict["rules"][2]["rule_id"] == "db" and as_dict["after"] == explanation.after

    # The same ruleset drops a live 404; explain says so and reports no event after.
    from starlette.exceptions import HTTPException

    exc = HTTPException(status_code=404)
    dropped = ruleset.explain({"exception": {"values": [{"type": "HTTPException", "value": "Not Found"}]}},
                              {"exc_info": (type(exc), exc, None)})
    assert dropped.dropped_by == "client-errors" and dropped.after is None
    assert dropped.rules[0].matched and dropped.rules[1].reason.startswith("not evaluated")


def test_explain_reports_the_value_that_failed():
    ruleset = compiled("format: 1\nname: x\n"
                       "filters: [{id: slow, on: [transaction], when: {duration_ms: {gt: 1000}}, drop: true}]\n")
    trace = ruleset.explain({"type": "transaction", "start_timestamp": 10.0, "timestamp": 10.25}).rules[0]
    assert not trace.matched and "250.0" in trace.reason and "gt 1000" in trace.reason


def test_explain_matches_the_hook_decision_for_every_compliance_style_case():
    ruleset = compiled("""
format: 1
name: parity
filters:
  - {id: a, when: {logger: "a.*", level: error}, drop: true}
  - {id: b, when: {any: [{tags.x: "1"}, {message: "*boom*"}]}, unless: {environment: dev}, drop: true}
""")
    events = [
        {"logger": "a.b", "level": "error", "message": "m"},
        {"logger": "a.b", "level": "info", "message": "m"},
        {"tags": {"x": "1"}, "message": "m"},
        {"message": "BOOM now", "environment": "dev"},
        {"message": "BOOM now", "environment": "prod"},
    ]
    for event in events:
        dropped_by_hook = ruleset.process(dict(event)) is None
        assert (ruleset.explain(event).dropped_by is not None) is dropped_by_hook


def test_stats_are_consistent_under_threads():
    ruleset = compiled("format: 1\nname: t\nfilters: [{id: drop-debug, when: {level: debug}, drop: true}]\n")

    def worker():
        for i in range(500):
            ruleset.before_send({"level": "debug" if i % 2 else "error", "message": "m"}, {})

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = ruleset.stats()
    assert stats["events"]["error"] == 2000
    assert stats["dropped"]["drop-debug"] == 1000 == stats["matched"]["drop-debug"]


def test_rules_engine_logger_does_not_feed_back_into_sentry(caplog):
    ruleset = compiled(SCRUBBING % "drop")
    with capture_events(**ruleset.sentry_options(before_send=attach_deep_payload)) as events:
        with caplog.at_level(logging.WARNING, logger="rules_engine"):
            sentry_sdk.capture_message("too deep", level="error")
    assert any(r.name == "rules_engine" for r in caplog.records)
    assert events == []
