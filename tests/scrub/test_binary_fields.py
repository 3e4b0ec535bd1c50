"""Fields named after a secret inside binary serialized data that sentry-sdk shows as bytes: a
pickled (any protocol but 0) or msgpack-encoded session or cache entry in a frame variable, a
pair there (a ``(name, value)`` tuple, a pair dict ``{"name": ..., "value": ...}``), and the value
of a Redis command when ``send_default_pii`` lets sentry-sdk send it (Flask-Session keeps each
session as msgpack under ``session:<id>``)."""

from __future__ import annotations

import json
import pickle

import fakeredis
import flask
import flask_session
import msgspec
import pytest
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.redis import RedisIntegration

from rules_engine.scrub import DETECTORS
from rules_engine.scrub.pairs import VALUE_FIELDS, spellings
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import captured_failures, default_ruleset, frame_vars, pinned_ruleset, processed_events
from tests.scrub.frame_scenarios import engine  # noqa: F401

OAUTH_TOKEN = "ya29.Fs7kQ2mX9pL4vB8nC3tYwE6r"
PASSWORD = "Pk7rW2xQ9mZ4vB8nC3tY"


def _cache_miss():
    entry = pickle.dumps({"user": "ann", "password": PASSWORD, "roles": ["admin"]})  # noqa: F841
    raise KeyError("cache entry unreadable")


def _session_decode():
    stored = msgspec.msgpack.encode({"_permanent": True, "oauth_token": OAUTH_TOKEN, "user": "ann"})  # noqa: F841
    raise ValueError("session payload rejected")


@pytest.mark.parametrize(("fail", "secret", "local"), [(_cache_miss, PASSWORD, "entry"),
                                                        (_session_decode, OAUTH_TOKEN, "stored")])
def test_a_secret_field_of_serialized_bytes_in_a_frame_variable_is_redacted(fail, secret, local, engine):
    event, = captured_failures(fail)
    assert secret in frame_vars(event)[local], "sentry-sdk did not send the bytes"
    sent, = processed_events(default_ruleset(engine), [event])
    value = frame_vars(sent)[local]
    assert secret not in json.dumps(sent) and "[Filtered]" in value
    assert "user" in value and "ann" in value  # the other fields stay readable


def _env_pairs():
    packed = msgspec.msgpack.encode([{"name": "region", "value": "eu"}, {"name": "token", "value": PASSWORD}])  # noqa: F841
    raise ValueError("environment rejected")


def _settings_tuples():
    stored = pickle.dumps([("region", "eu"), ("client_secret", PASSWORD)], protocol=2)  # noqa: F841
    raise ValueError("settings rejected")


def _tags_protocol_3():
    stored = pickle.dumps([{"Key": "api_key", "Value": PASSWORD}, {"Key": "team", "Value": "shop"}], protocol=3)  # noqa: F841
    raise ValueError("tags rejected")


def _session_protocol_2():
    stored = pickle.dumps({"user": "ann", "password": PASSWORD * 3}, protocol=2)  # noqa: F841 - a length byte that reads as "<"
    raise ValueError("session rejected")


@pytest.mark.parametrize("fail", [_env_pairs, _settings_tuples, _tags_protocol_3, _session_protocol_2])
def test_a_pair_of_serialized_bytes_naming_a_secret_is_redacted(fail, engine):
    event, = captured_failures(fail)
    name, value = next(iter(frame_vars(event).items()))
    assert PASSWORD in value, "sentry-sdk did not send the bytes"
    sent, = processed_events(default_ruleset(engine), [event])
    value = frame_vars(sent)[name]
    assert PASSWORD not in json.dumps(sent) and "[Filtered]" in value
    assert "eu" in value or "shop" in value or "ann" in value  # the other pairs stay readable


def test_a_ruleset_pinned_to_2026_11_sends_serialized_pairs_as_they_were(engine):
    event, = captured_failures(_env_pairs)
    sent = pinned_ruleset("2026.11", engine).before_send(event, {})
    assert PASSWORD in frame_vars(sent)["packed"]


def test_a_flask_session_stored_in_redis_keeps_its_token_out_of_the_spans(engine):
    app = flask.Flask("shop")
    app.config.update(SESSION_TYPE="redis", SESSION_REDIS=fakeredis.FakeRedis(), SECRET_KEY="not-a-secret-here")
    flask_session.Session(app)

    @app.route("/callback")
    def callback():
        flask.session["oauth_token"] = OAUTH_TOKEN
        return "ok"

    with capture_events(integrations=[FlaskIntegration(), RedisIntegration()], traces_sample_rate=1.0,
                        send_default_pii=True) as events:
        app.test_client().get("/callback")
    raw = json.dumps(events)
    assert OAUTH_TOKEN in raw and "SET 'session:" in raw, "the session was not sent as a Redis span"
    sent = processed_events(default_ruleset(engine), events)
    assert OAUTH_TOKEN not in json.dumps(sent)


@pytest.mark.parametrize("field", [field for field in VALUE_FIELDS if len(field) > 1])
def test_the_detector_reads_every_value_field_a_pair_dict_has(field):
    # pairs.py's value fields, in each spelling the walks accept, as msgpack writes a pair dict
    for spelling in spellings([field]):
        text = repr(msgspec.msgpack.encode({"name": "api_token", spelling: PASSWORD}))
        found = [text[start:end] for start, end in DETECTORS["binary_field_secret"].find(text)]
        assert found == [PASSWORD], (spelling, text)
