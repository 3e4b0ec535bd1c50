"""Capability URLs: a password-reset, invitation, verification, unsubscribe, magic-link or share
link is a credential in its path (``/reset/<token>``), with no key to name it. The
``capability_url_token`` detector redacts the token wherever such a URL appears (a log record, an
HTTP client's breadcrumb, a transaction named after its URL, an exception message), on both
engines; the rest of the URL, and paths whose segment is a slug or a number, stay."""

from __future__ import annotations

import functools
import json
import logging

import pytest
import sentry_sdk

from rules_engine.scrub import accelerator_available
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
RESET = "Qk7w2Rz9Lp4Xv8Nc3Tb6"
INVITATION = "8f14e45f-ceea-467a-9a36-dedd4bea2543"
DJANGO_RESET = "c4x9f2-1e0f7a8b9c0d1e2f3a4b"
MAGIC = "eyJ1c2VyIjo0Mn0.Z1x8aQ.b9Kq2mX7wLz4Rt8Vn3Tc"
UNSUBSCRIBE = "u42-7Jq2Wm9Rk4Tz8Xv3Lb"
TOKENS = (RESET, INVITATION, DJANGO_RESET, MAGIC, UNSUBSCRIBE)


def _scenarios() -> None:
    import httpx

    logging.getLogger("mailer").error("could not send https://shop.test/reset/%s to ann", RESET)

    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(502)))
    client.post(f"https://api.shop.test/v1/invitations/{INVITATION}/accept")
    client.get("https://shop.test/reset/MQ/set-password/")  # Django's page after the token: a slug
    client.get("https://shop.test/orders/confirm/1234567890123456")
    try:
        raise ConnectionError(f"GET https://shop.test/reset/MQ/{DJANGO_RESET}/ failed")
    except ConnectionError:
        sentry_sdk.capture_exception()

    with sentry_sdk.start_transaction(name=f"/auth/magic-link/{MAGIC}", source="url"):
        pass
    with sentry_sdk.start_transaction(name=f"GET /email/unsubscribe/{UNSUBSCRIBE}", source="url"):
        pass


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    from sentry_sdk.integrations.httpx import HttpxIntegration

    with capture_events(integrations=[HttpxIntegration()], traces_sample_rate=1.0) as events:
        _scenarios()
    return tuple(events)


def test_every_token_is_in_the_events_the_sdk_made():
    sent = json.dumps(captured())
    assert [token for token in TOKENS if token not in sent] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_no_token_leaves_and_the_urls_around_them_stay(engine):
    outputs = processed_events(default_ruleset(engine), list(captured()))
    sent = json.dumps(outputs)
    assert [token for token in TOKENS if token in sent] == []
    assert "https://shop.test/reset/[Filtered] to ann" in sent
    assert "https://api.shop.test/v1/invitations/[Filtered]/accept" in sent
    assert "https://shop.test/reset/MQ/set-password/" in sent
    assert "https://shop.test/orders/confirm/1234567890123456" in sent
    assert {event.get("transaction") for event in outputs if event.get("type") == "transaction"} == {
        "/auth/magic-link/[Filtered]", "GET /email/unsubscribe/[Filtered]"}
