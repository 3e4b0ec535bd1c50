"""Log records, metrics and spans: the hooks never raise, whatever they are given, and a planted
secret of any detector kind never leaves, in the body, the template's parameters, the name or any
attribute."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rules_engine.runtime.reloading import load_ruleset
from tests import strategies as S

SETTINGS = settings(max_examples=S.scaled(60), suppress_health_check=list(HealthCheck), deadline=None,
                    report_multiple_bugs=False)
HOOKS = ("before_send_log", "before_send_metric", "before_send_span")


@pytest.fixture(scope="module")
def default_ruleset():
    return load_ruleset("rulesets/default.yaml")


def hostile_items():
    values = S.hostile_values
    fields = st.sampled_from(["body", "name", "severity_text", "attributes", "unit", "status", "span_id",
                              "a_field_of_a_later_sdk"])
    return st.one_of(values, st.dictionaries(fields, st.one_of(values, st.dictionaries(st.text(max_size=20), values))))


@SETTINGS
@given(item=hostile_items(), hook=st.sampled_from(HOOKS))
def test_channel_hooks_never_raise_and_send_only_what_can_be_sent(default_ruleset, item, hook):
    result = getattr(default_ruleset, hook)(item, {})
    if hook == "before_send_span":
        assert isinstance(result, dict) and isinstance(result.get("name"), str)  # sentry-sdk keeps a span
    if result is not None:
        json.dumps(result, allow_nan=False)


def item_with(hook: str, text: str, place: str) -> dict:
    """A realistic item of the hook's kind with ``text`` at ``place``, under neutral key names."""
    if hook == "before_send_log":
        item = {"severity_text": "info", "severity_number": 9, "body": "order shipped",
                "attributes": {"sentry.message.template": "order {note}", "sentry.message.parameter.note": "ok",
                               "logger.name": "shop"}}
        if place == "text":
            item["body"] = text
        elif place == "parameter":
            item["attributes"]["sentry.message.parameter.note"] = text
            item["body"] = f"order {text}"
        else:
            item["attributes"]["detail"] = text
        return item
    item = {"name": "checkout", "type": "counter", "value": 1, "attributes": {"plan": "pro"}}
    if hook == "before_send_span":
        item = {"name": "GET /orders", "span_id": "abcdef0123456789", "start_timestamp": 1.0,
                "attributes": {"http.request.method": "GET"}}
    if place == "text":
        item["name"] = text
    else:
        item["attributes"]["detail" if place == "attribute" else "gen_ai.request.messages"] = (
            text if place == "attribute" else json.dumps([{"role": "user", "content": text}]))
    return item


@SETTINGS
@given(secret=S.secrets, surround=st.sampled_from(S.SURROUNDINGS), hook=st.sampled_from(HOOKS),
       place=st.sampled_from(["text", "parameter", "attribute"]))
def test_a_planted_secret_never_leaves_a_channel(default_ruleset, secret, surround, hook, place):
    item = item_with(hook, S.embed(secret, surround), place)
    background = item_with(hook, "", place)
    parts = S.distinctive_parts(secret, background)
    assume(parts)
    found = S.leaked_parts(getattr(default_ruleset, hook)(item, {}), parts)
    assert not found, f"{secret.detector} secret leaked through {hook} ({place}): {found[:3]}"
