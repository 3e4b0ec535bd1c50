"""Echoes of earlier events: a breadcrumb or a scope's ``extra`` that echoed a secret in one event
is sent again by later events that do not hold the secret; the scrubber redacts it there too,
with a real client and the default ruleset's hooks installed, on both engines."""

from __future__ import annotations

import json
import logging

import pytest
import sentry_sdk

from rules_engine.scrub import accelerator_available
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: Secrets by name: the scenario looks them up, so no source line the SDK sends holds one.
SECRETS = {"password": "Mem7-opaque-password-5530"}
logger = logging.getLogger("accounts")


def secret(name: str) -> str:
    return SECRETS[name]


def log_in(password: str) -> None:
    raise PermissionError("login refused")


def export_report() -> None:
    raise TimeoutError("the report timed out")


def later_events(engine: str) -> list[dict]:
    """A login that logs the password and fails (its frame holds the password), then two
    failures elsewhere that send the same breadcrumb and the same scope extra."""
    ruleset = default_ruleset(engine)
    with capture_events(before_send=ruleset.before_send) as events, sentry_sdk.isolation_scope() as scope:
        scope.clear_breadcrumbs()
        attempt = f"retrying login of ann with {secret('password')}"
        logger.warning(attempt)
        sentry_sdk.set_extra("last_attempt", attempt)
        for fail in (lambda: log_in(secret("password")), export_report, export_report):
            try:
                fail()
            except Exception:
                sentry_sdk.capture_exception()
    return events


@pytest.mark.parametrize("engine", ENGINES)
def test_a_breadcrumb_and_an_extra_that_echoed_a_secret_stay_redacted_in_later_events(engine):
    events = later_events(engine)
    assert [event["exception"]["values"][-1]["type"] for event in events] == [
        "PermissionError", "TimeoutError", "TimeoutError"]
    for event in events:
        [crumb] = [crumb for crumb in event["breadcrumbs"]["values"] if crumb.get("category") == "accounts"]
        assert crumb["message"] == "retrying login of ann with [Filtered]"
        assert event["extra"]["last_attempt"] == "retrying login of ann with [Filtered]"
    assert secret("password") not in json.dumps(events)
    later = events[2]["_meta"]["extra"]["last_attempt"][""]["rem"]
    assert later == [["secret-keys", "s", len("retrying login of ann with "), len("retrying login of ann with [Filtered]")]]
