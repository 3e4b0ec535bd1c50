"""Fields named after a secret inside binary serialized data that sentry-sdk shows as bytes: a
pickled or msgpack-encoded session or cache entry in a frame variable, and the value of a Redis
command when ``send_default_pii`` lets sentry-sdk send it (Flask-Session keeps each session as
msgpack under ``session:<id>``)."""

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

from rules_engine.testing.capture import capture_events
from tests.corpus.planting import captured_failures, default_ruleset, frame_vars, processed_events
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
