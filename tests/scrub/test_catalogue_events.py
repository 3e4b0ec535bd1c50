"""Every catalogue detector in every place of a real event: a Flask request (form data), the
exception it raises (message and the frame variable holding the text, in repr form), a
breadcrumb, a log record and span data, produced by a real sentry-sdk client. Each detector's
true examples never leave the process; its false examples leave the event untouched."""

from __future__ import annotations

import copy
import json
import logging

import flask
import pytest
import sentry_sdk
from sentry_sdk.integrations.flask import FlaskIntegration

from rules_engine import load_ruleset
from rules_engine.capture import capture_events
from rules_engine.detection import catalogue

ENTRIES = catalogue()
PLACES = ("exception message", "frame variable", "request data", "breadcrumb", "log record", "span data")
logger = logging.getLogger("shop.checks")


def _app() -> flask.Flask:
    app = flask.Flask("catalogue_events")

    @app.post("/submit")
    def submit():
        note = flask.request.form["note"]
        sentry_sdk.add_breadcrumb(category="checks", message=note, data={"note": note})
        with sentry_sdk.start_span(op="checks.run", name="run checks") as span:
            span.set_data("note", note)
        logger.error("check failed: %s", note)
        raise ValueError(note)

    return app


APP = _app()


def _events_for(detector: str, text: str, tmp_path):
    """(events as the SDK built them, events as the ruleset let them out) for one request."""
    path = tmp_path / f"{detector}.yaml"
    path.write_text(f"format: 1\nname: one\nscrub:\n  rules:\n    - id: found\n      detect: [{detector}]\n      redact: filter\n")
    ruleset = load_ruleset(path)
    raw = []

    def keep_raw(event, hint):
        raw.append(copy.deepcopy(event))
        return event

    options = ruleset.sentry_options(before_send=keep_raw, before_send_transaction=keep_raw)
    with capture_events(integrations=[FlaskIntegration()], traces_sample_rate=1.0, **options) as sent:
        APP.test_client().post("/submit", data={"note": text})
    return raw, sent


def _places_holding(text: str, events) -> set[str]:
    """The places of ``text`` (or its repr) in ``events``."""
    found = set()
    forms = (text, repr(text)[1:-1])

    def holds(node) -> bool:
        return any(form in string for string in _strings(node) for form in forms)

    for event in events:
        for value in event.get("exception", {}).get("values", []):
            if text in value.get("value", ""):
                found.add("exception message")
            if holds([frame.get("vars", {}) for frame in value.get("stacktrace", {}).get("frames", [])]):
                found.add("frame variable")
        if holds(event.get("request", {}).get("data", {})):
            found.add("request data")
        crumbs = event.get("breadcrumbs", {}).get("values", [])
        if holds([crumb for crumb in crumbs if crumb.get("category") == "checks"]):
            found.add("breadcrumb")
        if text in event.get("logentry", {}).get("params", []):
            found.add("log record")
        if any(text == span.get("data", {}).get("note") for span in event.get("spans", [])):
            found.add("span data")
    return found


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _leaks(secret: str, events) -> bool:
    forms = (secret, repr(secret)[1:-1])
    return any(form in string for string in _strings(events) for form in forms)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.id)
def test_true_examples_never_leave_the_process(entry, tmp_path):
    example = entry.true_examples[0]
    raw, sent = _events_for(entry.id, example.text, tmp_path)
    # Breadcrumbs are kept as recorded and scrubbed with the event that carries them.
    assert _places_holding(example.text, raw) == set(PLACES), "the text reached the event"
    assert any(crumb.get("category") == "checks" for event in sent for crumb in event.get("breadcrumbs", {}).get("values", []))
    assert not _leaks(example.secret, sent)


FALSE_CASES = [(entry, text) for entry in ENTRIES for text in entry.false_examples[:1]]


@pytest.mark.parametrize("entry,text", FALSE_CASES, ids=[entry.id for entry, _ in FALSE_CASES])
def test_false_examples_stay_as_they_are(entry, text, tmp_path):
    raw, sent = _events_for(entry.id, text, tmp_path)
    assert _places_holding(text, sent) == set(PLACES)
    assert "[Filtered]" not in json.dumps(sent)


def _thread_ids_with_a_nir_key(count: int) -> list[int]:
    """Thread ids as CPython on 64-bit Linux reports them (a pthread's address, 0x7f..., 16-byte
    aligned) whose 15 decimal digits are a NIR with a valid key: one in 97 of them."""
    from rules_engine.detection.validators import VALIDATORS

    found = []
    ident = 0x7F3A_0000_0000
    while len(found) < count:
        digits = str(ident)
        if len(digits) == 15 and digits[0] in "12" and VALIDATORS["fr_nir"](digits):
            found.append(ident)
        ident += 0x10 * 7919  # spread over the range
    return found


@pytest.mark.parametrize("ident", _thread_ids_with_a_nir_key(3))
def test_the_thread_id_every_event_carries_is_no_personal_data(ident, monkeypatch):
    """sentry-sdk records the thread's id in span data and the trace context of every event; the
    default ruleset keeps it whatever its digits happen to be."""
    import sentry_sdk.tracing

    monkeypatch.setattr(sentry_sdk.tracing, "get_current_thread_meta", lambda thread=None: (ident, "MainThread"))
    ruleset = load_ruleset("rulesets/default.yaml")
    options = ruleset.sentry_options(integrations=[FlaskIntegration()], traces_sample_rate=1.0)
    with capture_events(**options) as sent:
        APP.test_client().post("/submit", data={"note": "nothing to see"})
    thread_ids = [value for event in sent for value in _values_of(event, "thread.id")]
    assert thread_ids and set(thread_ids) == {str(ident)}
    assert "thread.id" not in json.dumps([event.get("_meta", {}) for event in sent])


def _values_of(node, name: str):
    """Every value under a key called ``name`` in ``node`` (outside ``_meta``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "_meta":
                continue
            if key == name:
                yield value
            else:
                yield from _values_of(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _values_of(value, name)
