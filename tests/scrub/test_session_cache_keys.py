"""Session keys inside cache keys: Django's cache and cached_db session backends keep a session
under ``django.contrib.sessions.cache<session key>``, and sentry-sdk's Redis integration sends a
command's key even without ``send_default_pii`` (only the values after it are filtered). Spans
and breadcrumbs of a real Redis client (fakeredis) under sentry-sdk's defaults, on both engines."""

from __future__ import annotations

import json

import pytest
import sentry_sdk

from rules_engine.scrub import accelerator_available
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: A session key as Django makes one (32 characters of a-z0-9).
SESSION_KEY = "q7w2e9r4t1y8u3i6o5p0a2s7d4f9g1h3"


def session_traffic() -> tuple:
    """The commands django-redis sends for a cached session, traced as sentry-sdk traces them."""
    import fakeredis
    from django.contrib.sessions.backends import cache, cached_db
    from sentry_sdk.integrations.redis import RedisIntegration

    store = fakeredis.FakeRedis()
    with capture_events(integrations=[RedisIntegration()], traces_sample_rate=1.0, raw=False) as events, \
            sentry_sdk.isolation_scope() as scope:
        scope.clear_breadcrumbs()
        with sentry_sdk.start_transaction(name="/account/", op="http.server"):
            for prefix in (cache.KEY_PREFIX, cached_db.KEY_PREFIX):
                key = f":1:{prefix}{SESSION_KEY}"
                store.set(key, b"pickled-session", ex=1209600)
                store.get(key)
        sentry_sdk.capture_message("account page slow")
    return tuple(events)


def test_sentry_sdk_sends_the_cache_key_with_the_session_key_by_default():
    assert SESSION_KEY in json.dumps(session_traffic())


@pytest.mark.parametrize("engine", ENGINES)
def test_the_session_key_in_a_cache_key_is_redacted(engine):
    sent = processed_events(default_ruleset(engine), session_traffic())
    assert SESSION_KEY not in json.dumps(sent)
    transaction = next(event for event in sent if event.get("type") == "transaction")
    descriptions = [span["description"] for span in transaction["spans"]]
    assert "GET ':1:django.contrib.sessions.cache[Filtered]'" in descriptions
    assert "GET ':1:django.contrib.sessions.cached_db[Filtered]'" in descriptions
