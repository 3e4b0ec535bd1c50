"""Faults inside the pipeline, and the documented outcome of each.

* A filter or grouping rule that fails on an event (a JMESPath expression that errors at run
  time, a template whose value cannot be turned into text, a condition that raises) is skipped:
  the event goes on to the next rule as if the failing rule had not matched, and the failure is
  counted in ``ruleset.stats()["internal_errors"][rule_id]``.
* A condition on a field the event does not have is no fault: the field is missing and the test
  simply does not hold (``exists: false`` and negations do).
* A scrub step that fails (a detector that raises, a limit exceeded) never lets the event out
  unscrubbed: ``on_error: drop`` (the default) drops it; ``send_filtered`` sends it with every
  string leaf replaced by ``[Filtered]``, so no planted secret is present.
"""

from __future__ import annotations

import copy
import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules_engine.model import models
from rules_engine.runtime.ruleset import Ruleset
from tests import strategies as S

FILTERED = "[Filtered]"


def build(doc: dict) -> Ruleset:
    base = {"format": 1, "name": "faults", "revision": 3}
    return Ruleset.from_model(models.RulesetSpec.model_validate({**base, **doc}), hash_key=b"k")


def error_event(value="boom", **extra) -> dict:
    event = {"event_id": "e" * 32, "level": "error", "platform": "python",
             "exception": {"values": [{"type": "ValueError", "value": value}]}}
    event.update(extra)
    return event


class DetailError(Exception):
    """An exception with an attribute whose string form raises."""

    def __init__(self):
        super().__init__("detail")
        self.detail = S.RaisingDunders()
        self.status_code = 503


def live(exc: BaseException) -> dict:
    try:
        raise exc
    except BaseException:
        return {"exc_info": sys.exc_info()}


# --------------------------------------------------------------------------- filters and grouping


def test_filter_whose_jmespath_errors_at_runtime_is_skipped_and_counted():
    ruleset = build({"filters": [
        {"id": "broken", "when": {"jmespath": "abs(exception.values[0].value)"}, "drop": True},
        {"id": "drop-boom", "when": {"error.value": "boom"}, "drop": True},
    ]})
    assert ruleset.before_send(error_event("boom"), {}) is None  # the next filter still decides
    kept = ruleset.before_send(error_event("other"), {})
    assert kept is not None and kept["exception"]["values"][0]["value"] == "other"
    stats = ruleset.stats()
    assert stats["internal_errors"].get("broken") == 2
    assert stats["dropped"].get("drop-boom") == 1
    assert "broken" not in stats["dropped"]


def test_grouping_rule_whose_template_fails_is_skipped_and_counted():
    ruleset = build({"grouping": [
        {"id": "bad-template", "when": {"error.type": "*"}, "title": "Failed: {{ exc.detail }}",
         "fingerprint": ["detail", "{{ exc.detail }}"]},
        {"id": "fallback", "when": {"error.type": "*"}, "fingerprint": ["fallback"], "tags": {"grp": "fb"}},
    ]})
    result = ruleset.before_send(error_event("x", exception={"values": [
        {"type": "DetailError", "module": __name__, "value": "detail"}]}), live(DetailError()))
    assert result is not None
    assert result["fingerprint"] == ["fallback"]
    assert result["tags"]["grp"] == "fb"
    assert result["exception"]["values"][-1]["value"] == "detail"  # the failed title changed nothing
    assert ruleset.stats()["internal_errors"].get("bad-template") == 1


def test_template_module_failure_is_contained(monkeypatch):
    from rules_engine.rules import templates

    ruleset = build({"grouping": [{"id": "titled", "title": "DB: {{ error.value }}", "tags": {"t": "{{ level }}"}}]})

    def broken_text(value):
        raise RuntimeError("template engine failure")

    monkeypatch.setattr(templates, "_text", broken_text)
    event = error_event("original value")
    result = ruleset.before_send(copy.deepcopy(event), {})
    assert result is not None
    assert result["exception"] == event["exception"]
    assert ruleset.stats()["internal_errors"].get("titled") == 1


def test_condition_that_raises_is_skipped_and_counted(monkeypatch):
    from rules_engine.conditions import event_view

    ruleset = build({"filters": [{"id": "by-tag", "when": {"tags.team": "pay*"}, "drop": True},
                                 {"id": "by-level", "when": {"level": "error"}, "sample": 1.0}]})

    def exploding_tags(view):
        raise RuntimeError("reading tags failed")

    monkeypatch.setattr(event_view.EventView, "tags", property(exploding_tags))
    result = ruleset.before_send(error_event(tags={"team": "payments"}), {})
    assert result is not None, "a failing filter must be skipped, not decide"
    stats = ruleset.stats()
    assert stats["internal_errors"].get("by-tag") == 1
    assert stats["matched"].get("by-level") == 1  # the next filter decided


@settings(max_examples=S.scaled(40), suppress_health_check=list(HealthCheck), deadline=None)
@given(field=st.sampled_from(["exc.status_code", "tags.team", "request.headers.x-id", "extra.a.b",
                              "contexts.trace.op", "user.email", "duration_ms", "stack.function"]),
       event=S.error_events())
def test_condition_on_missing_field_is_no_fault(field, event):
    for path in (("tags",), ("request",), ("extra",), ("contexts",), ("user",), ("exception",)):
        event.pop(path[0], None)
    ruleset = build({
        "filters": [{"id": "present", "when": {field: {"exists": True}}, "drop": True}],
        "grouping": [{"id": "absent", "when": {field: {"exists": False}}, "tags": {"absent": "yes"}},
                     {"id": "never", "when": {field: "*"}, "tags": {"absent": "no"}}],
    })
    result = ruleset.before_send(event, {})
    assert result is not None and result["tags"]["absent"] == "yes"
    assert ruleset.stats()["internal_errors"] == {}


def test_exception_attribute_that_raises_reads_as_missing():
    ruleset = build({"filters": [{"id": "client", "when": {"exc.status_code": {"lt": 500}}, "drop": True}]})
    event = error_event(exception={"values": [{"type": "HostileError", "module": S.__name__, "value": "x"}]})
    assert ruleset.before_send(event, live(S.HostileError())) is not None
    assert ruleset.stats()["internal_errors"] == {}


# --------------------------------------------------------------------------- scrub faults


CARD = "4111 1111 1111 1111"


def scrub_ruleset(on_error: str | None = None, **limits) -> Ruleset:
    options: dict = {"limits": limits} if limits else {}
    if on_error:
        options["on_error"] = on_error
    return build({"options": options, "scrub": {"rules": [
        {"id": "cards", "detect": ["creditcard", "email"]},
        {"id": "secret-keys", "keys": ["*password*"]},
    ]}})


def card_event() -> dict:
    return error_event("card " + CARD + " declined", extra={"password": "hunter2", "note": "paid with " + CARD},
                       breadcrumbs={"values": [{"message": "charging " + CARD}]},
                       tags={"shop": "eu"}, request={"url": "https://shop.example/pay", "method": "POST"})


def assert_filtered(result: dict) -> None:
    text = json.dumps(result)
    assert CARD not in text and "hunter2" not in text
    for key in ("exception", "extra", "breadcrumbs", "request"):
        for leaf in _value_strings(result[key]):
            assert leaf == FILTERED, f"{key} still has {leaf!r}"


def _value_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _value_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _value_strings(value)


def _broken_detector(monkeypatch, name: str, validator) -> None:
    """Replace a builtin detector's validator before rulesets are compiled."""
    import dataclasses

    from rules_engine.scrub import detectors

    monkeypatch.setitem(detectors.BUILTIN, name, dataclasses.replace(detectors.BUILTIN[name], validator=validator))


def _raising_validator(text: str) -> bool:
    raise RuntimeError("detector failure")


def test_raising_detector_drops_the_event_by_default(monkeypatch):
    _broken_detector(monkeypatch, "creditcard", _raising_validator)
    ruleset = scrub_ruleset()
    assert ruleset.before_send(card_event(), {}) is None
    stats = ruleset.stats()
    assert stats["internal_errors"], "a scrub failure must be counted"


def test_raising_detector_sends_filtered_when_configured(monkeypatch):
    _broken_detector(monkeypatch, "creditcard", _raising_validator)
    result = scrub_ruleset("send_filtered").before_send(card_event(), {})
    assert result is not None
    assert_filtered(result)


@pytest.mark.parametrize("on_error", ["drop", "send_filtered"])
def test_raising_detector_never_sends_a_breadcrumb(monkeypatch, on_error):
    # A breadcrumb is scrubbed inside the event that carries it: process() shows it as it
    # leaves the process, and the event carrying it fails closed like any other.
    _broken_detector(monkeypatch, "creditcard", _raising_validator)
    ruleset = scrub_ruleset(on_error)
    crumb = {"category": "log", "message": "charging " + CARD}
    result = ruleset.process(dict(crumb), {}, kind="breadcrumb")
    assert result is None if on_error == "drop" else result["message"] == FILTERED
    event = ruleset.before_send(error_event(breadcrumbs={"values": [ruleset.before_breadcrumb(crumb, {})]}), {})
    assert event is None or CARD not in json.dumps(event)
    assert ruleset.stats()["internal_errors"]["scrub"] == 2


@settings(max_examples=S.scaled(30), suppress_health_check=list(HealthCheck), deadline=None)
@given(event=S.error_events(), secret=S.SECRET_STRATEGIES["creditcard"],
       place=st.sampled_from(sorted(S.SECRET_PLACES)), on_error=st.sampled_from(["drop", "send_filtered"]))
def test_scrub_fault_never_sends_unscrubbed_data(event, secret, place, on_error):
    import dataclasses

    from rules_engine.scrub import detectors

    original = detectors.BUILTIN["creditcard"]
    detectors.BUILTIN["creditcard"] = dataclasses.replace(original, validator=_raising_validator)
    try:
        ruleset = scrub_ruleset(on_error)
    finally:
        detectors.BUILTIN["creditcard"] = original
    S.SECRET_PLACES[place](event, S.embed(secret, ("card ", " ok")))
    result = ruleset.before_send(event, {})
    if on_error == "drop":
        assert result is None
    else:
        assert result is not None
        assert not [s for s in S.string_leaves(result) for part in secret.parts if part in s]


@pytest.mark.wall_clock
def test_slow_detector_exceeding_the_time_budget_fails_closed(monkeypatch):
    import time

    def slow_validator(text: str) -> bool:
        time.sleep(0.02)
        return True

    _broken_detector(monkeypatch, "creditcard", slow_validator)
    event = card_event()
    event["extra"]["cards"] = [f"card {CARD} #{i}" for i in range(20)]
    assert scrub_ruleset(max_ms=5.0).before_send(copy.deepcopy(event), {}) is None
    result = scrub_ruleset("send_filtered", max_ms=5.0).before_send(copy.deepcopy(event), {})
    assert result is not None
    assert_filtered(result)
