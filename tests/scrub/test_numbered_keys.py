"""Numbered and versioned key names (``options.numbered_keys``, set by the 2026.12 packs): a
second copy or another version of a secret is named after the first (``token2``, ``api_key_v2``,
``SECRET_KEY_OLD``, ``sessionIdPrev``). Read as the name without the suffix, wherever keys are
read (frame variables, request data, keys inside text), on both engines; names that only describe
a secret stay (``token_count_2`` as ``token_count`` does); a ruleset pinned to 2026.11 is
unchanged."""

from __future__ import annotations

import functools
import json
import logging

import pytest
from hypothesis import given, strategies as st

from rules_engine.scrub import accelerator_available
from rules_engine.scrub.rule import key_forms, key_matcher
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, pinned_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
SECRETS = {"token2": "Nk4-opaque-token-2201", "api_key_v2": "Nk4-opaque-apikey-3302", "SECRET_KEY_OLD": "Nk4-opaque-django-4403",
           "sessionIdPrev": "Nk4-opaque-session-5504", "STRIPE_KEY_OLD_2": "Nk4-opaque-stripe-6605",
           "pwd1": "Nk4-opaque-pwd-7706", "TOKEN-3": "Nk4-opaque-token-8807"}
IN_TEXT = {"token2": "Nk4-opaque-query-9908", "access_token_v3": "Nk4-opaque-query-1009"}
KEPT = {"token_count_2": 3, "password_changed_at_2": "2026-12-01", "version2": "v2.1"}


def secret(name: str) -> str:
    return SECRETS[name]


def _scenarios() -> None:
    import flask
    from sentry_sdk.integrations.flask import FlaskIntegration

    app = flask.Flask("rotation")

    @app.post("/keys/rotate")
    def rotate():
        settings = {name: secret(name) for name in SECRETS}  # noqa: F841 (the frame variable the SDK sends)
        kept = dict(KEPT)  # noqa: F841
        raise RuntimeError("rotation failed")

    with capture_events(integrations=[FlaskIntegration()]) as events:
        app.test_client().post("/keys/rotate", json={"token2": SECRETS["token2"], **KEPT})
        query = "&".join(f"{name}={value}" for name, value in IN_TEXT.items())
        logging.getLogger("rotation").error("callback failed: /hooks?%s&page=2", query)
    return events


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    return tuple(_scenarios())


def test_every_secret_is_in_the_events_the_sdk_made():
    sent = json.dumps(captured())
    assert [value for value in [*SECRETS.values(), *IN_TEXT.values()] if value not in sent] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_numbered_and_versioned_names_are_read_as_the_name(engine):
    outputs = processed_events(default_ruleset(engine), list(captured()))
    sent = json.dumps(outputs)
    assert [name for name, value in {**SECRETS, **IN_TEXT}.items() if value in sent] == []
    frame_vars = outputs[0]["exception"]["values"][-1]["stacktrace"]["frames"][-1]["vars"]
    assert frame_vars["kept"] == {"token_count_2": "3", "password_changed_at_2": "'2026-12-01'", "version2": "'v2.1'"}
    assert outputs[0]["request"]["data"] == {"token2": "[Filtered]", **KEPT}
    assert "token2=[Filtered]&access_token_v3=[Filtered]&page=2" in json.dumps(outputs[1])


def test_a_ruleset_pinned_to_2026_11_reads_names_as_before():
    sent = json.dumps(processed_events(pinned_ruleset("2026.11", "off"), list(captured())))
    assert SECRETS["token2"] in sent and SECRETS["STRIPE_KEY_OLD_2"] in sent


def test_the_forms_of_a_name():
    assert set(key_forms("stripe_key_old_2", numbered=True)) == {"stripe_key_old_2", "stripe_key_old", "stripe_key"}
    assert set(key_forms("SECRET_KEY_OLD", "sensitive", numbered=True)) == {"SECRET_KEY_OLD", "SECRET_KEY"}
    assert key_forms("token2") == ("token2",)  # without the option: as before


@given(name=st.sampled_from(["token", "pwd", "api_key", "password", "session_id", "SECRET_KEY"]),
       suffix=st.sampled_from(["2", "_2", "-10", "_v2", "V3", "_old", "Prev", "_backup", "_legacy", "_tmp"]),
       case=st.sampled_from(["insensitive", "sensitive"]))
def test_a_suffix_never_hides_a_name_and_never_unhides_an_exception(name, suffix, case):
    globs = ["token", "pwd", "*api_key*", "*password*", "*session_id", "*_KEY"]
    matches = key_matcher(globs, case, ["*_at", "*_count"], numbered=True)
    assert matches(name + suffix) == matches(name)
    assert not matches(name + "_count" + suffix)
