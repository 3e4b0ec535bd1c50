"""Templates: load-time checks, Sentry placeholders, parameterization, titles on real events."""

from __future__ import annotations

import logging

import pytest
import sentry_sdk
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.conditions.event_view import EventView
from rules_engine.load.loader import load_model_from_text
from rules_engine.rules import templates
from rules_engine.rules.templates import (
    TemplateError,
    compile_template,
    parameterize,
    template_problems,
)
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.testing.capture import capture_events
from tests import strategies as S


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user 1234 not found", "user <int> not found"),
        ("balance -12.50 below 0", "balance <float> below <int>"),
        ("order 550e8400-e29b-41d4-a716-446655440000 failed", "order <uuid> failed"),
        ("object at 0x7f3a2b1c", "object at <hex>"),
        ("commit da39a3ee5e6b4b0d3255bfef95601890afd80709", "commit <sha1>"),
        ("digest d41d8cd98f00b204e9800998ecf8427e", "digest <md5>"),
        ("mail anna@example.com bounced", "mail <email> bounced"),
        ("GET https://api.example.com/v1/items?id=3 failed", "GET <url> failed"),
        ("peer 192.168.0.17 reset", "peer <ip> reset"),
        ("at 2026-11-22T05:41:23.759187Z retry", "at <date> retry"),
        ("took 250ms, then 1.5s", "took <duration>, then <duration>"),
        ("flag=true name='bob'", "flag=<bool> name=<quoted_str>"),
        ("KeyError in user_profile", "KeyError in user_profile"),
    ],
)
def test_parameterize(text, expected):
    assert parameterize(text) == expected


PARAMETER_TOKENS = st.sampled_from(
    list("abcdefxyzABCDEFTtFf0123456789-_.:=/'\"@ \t\n%\u0663")
    + ["true", "False", "https://", "ws://", "ftp://", "ms", "s", "::", "0x", "12:30:45", "2024-01-02T",
       "1.5", "-3", "deadbeef" * 5, "255.1.2.3", "a@b.co", "=\"x\"", "='y'"]
)


@settings(max_examples=S.scaled(500), deadline=None)
@given(tokens=st.lists(PARAMETER_TOKENS, max_size=30))
def test_parameterize_agrees_with_the_plain_alternation(tokens):
    """The fast path (no e-mail pattern without an ``@``, a guard on where a placeholder may
    start) replaces exactly what one alternation of all the patterns replaces."""
    text = "".join(tokens)
    plain = templates._PARAMETERS.sub(lambda m: f"<{m.lastgroup}>", text)
    assert parameterize(text) == plain


def test_template_problems_are_reported_at_load():
    assert template_problems("Database Error: {{ error.value }}") == []
    assert template_problems("{{ tags.team }}/{{ exc.status_code }}/{{ contexts.trace.op }}") == []
    [unknown] = template_problems("{{ error.vaule }}")
    assert "unknown template variable 'error.vaule'" in unknown and "error.value" in unknown
    assert template_problems("{{ default }}") and "fingerprints" in template_problems("{{ default }}")[0]
    assert template_problems("{{ default }}", fingerprint_item=True) == []
    assert "of its own" in template_problems("x-{{ default }}", fingerprint_item=True)[0]
    assert "unbalanced" in template_problems("{{ error.type }")[0]
    with pytest.raises(TemplateError):
        compile_template("{{ nope }}")


def test_unknown_template_variable_fails_compilation_of_the_ruleset():
    from rules_engine.errors import RulesetError

    with pytest.raises(RulesetError) as info:
        Ruleset.from_loaded(load_model_from_text(
            "format: 1\nname: x\ngrouping: [{id: g, when: {level: error}, title: '{{ eror.type }}'}]\n"))
    assert "eror.type" in str(info.value) and "g" in str(info.value)


def _view(event: dict) -> EventView:
    return EventView(event, {}, "error")


def test_placeholders_follow_sentry():
    view = _view({"message": "m"})
    rendered = {name: compile_template("{{ %s }}" % name).render(view)
                for name in ("error.type", "error.value", "transaction", "function", "module", "path",
                             "lineno", "logger", "level", "tags.team", "exc.status_code")}
    assert rendered == {
        "error.type": "<no-type>", "error.value": "<no-value>", "transaction": "<no-transaction>",
        "function": "<no-function>", "module": "<no-module>", "path": "<no-abs-path>", "lineno": "<no-lineno>",
        "logger": "<no-logger>", "level": "<no-level>", "tags.team": "<no-value-for-tag-team>",
        "exc.status_code": "<no-value-for-exc-status_code>",
    }


def test_crash_frame_falls_back_to_the_last_frame_without_in_app():
    view = _view({"exception": {"values": [{"type": "E", "stacktrace": {"frames": [
        {"function": "outer", "in_app": False}, {"function": "inner", "in_app": False}]}}]}})
    assert compile_template("{{ function }}").render(view) == "inner"


def test_title_from_a_real_logging_event_and_error_value_unparameterized_outside_fingerprints():
    ruleset = Ruleset.from_loaded(load_model_from_text("""
format: 1
name: titles
grouping:
  - id: payments
    when: {logger: payments}
    title: "Payment failed for order {{ tags.order }}"
    fingerprint: [payments, "{{ message }}"]
    tags: {summary: "{{ message }}"}
"""))
    with capture_events(**ruleset.sentry_options()) as events:
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("order", "A-17")
            logging.getLogger("payments").error("card %s declined after %d tries", "visa", 3)
    [event] = events
    assert event["logentry"]["formatted"] == "Payment failed for order A-17"
    assert event["contexts"]["original_message"]["formatted"] == "card visa declined after 3 tries"
    assert event["fingerprint"] == ["payments", "card visa declined after <int> tries"]
    assert event["tags"]["summary"] == "card visa declined after 3 tries"


def test_title_without_separator_becomes_the_type():
    ruleset = Ruleset.from_loaded(load_model_from_text(
        "format: 1\nname: t\ngrouping: [{id: g, when: {error.type: ValueError}, title: 'Bad input'}]\n"))
    with capture_events(**ruleset.sentry_options()) as events:
        try:
            int("abc")
        except ValueError:
            sentry_sdk.capture_exception()
    main = events[0]["exception"]["values"][-1]
    assert (main["type"], main["value"]) == ("Bad input", "")
    assert events[0]["contexts"]["original_exception"]["type"] == "ValueError"
    assert "invalid literal" in events[0]["contexts"]["original_exception"]["value"]
