"""A ``title`` rule replaces a log message and keeps the original log entry in the
``original_message`` context: its parameters are scrubbed there exactly as in ``logentry``."""

from __future__ import annotations

import logging

import pytest
import sentry_sdk

from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.testing.capture import capture_transport

PASSWORD = "Qz7retitledPw!42"
RULESET = """
format: 1
name: retitled-logs
extends: [builtin:secure-defaults@2026.12]
grouping:
  - id: login-failures
    when: {message: "login failed*"}
    title: "Login failure"
    fingerprint: [login-failure]
"""


@pytest.fixture(params=["on", "off"])
def sent(request, monkeypatch):
    """One logged error with a password parameter, sent through a real client."""
    monkeypatch.setenv("RULES_ENGINE_ACCELERATOR", request.param)
    ruleset = Ruleset.from_loaded(load_model_from_text(RULESET))
    with capture_transport(**ruleset.sentry_options()) as transport:
        with sentry_sdk.isolation_scope():
            logging.getLogger("shop.auth").error("login failed for %s with password=%s", "erin", PASSWORD)
    [event] = transport.events
    return event, b"".join(transport.wire)


def test_the_original_log_parameters_are_scrubbed_like_the_log_entry(sent):
    event, wire = sent
    assert event["logentry"]["message"] == "Login failure"
    original = event["contexts"]["original_message"]
    assert original["params"] == ["erin", "[Filtered]"]
    remarks = event["_meta"]["contexts"]["original_message"]["params"]["1"][""]["rem"]
    assert [remark[0] for remark in remarks] == ["secret-keys"]
    assert PASSWORD.encode() not in wire and PASSWORD[:-3].encode() not in wire
