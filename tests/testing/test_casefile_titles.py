"""The ``title`` expectation reads what Sentry shows: checked on events sentry-sdk really produces."""

from __future__ import annotations

import logging

import sentry_sdk

from rules_engine.cli.report import sentry_title
from rules_engine.testing.capture import capture_events


class PaymentDeclined(Exception):
    pass


def test_titles_of_real_sdk_events() -> None:
    long_reason = "card declined " + "x" * 200
    with capture_events(traces_sample_rate=1.0) as events:
        try:
            raise PaymentDeclined(f"{long_reason}\nsecond line")
        except PaymentDeclined:
            sentry_sdk.capture_exception()
        try:
            try:
                raise KeyError("inner")
            except KeyError as inner:
                raise RuntimeError("outer failure") from inner
        except RuntimeError:
            sentry_sdk.capture_exception()
        logging.getLogger("shop.auth").error("login failed for %s", "bob")
        sentry_sdk.capture_message("plain message")
        with sentry_sdk.start_transaction(name="/api/orders", op="http.server"):
            pass
    by_kind = {e.get("transaction") if e.get("type") == "transaction" else None: e for e in events}
    titles = [sentry_title(e) for e in events if e.get("type") != "transaction"]
    # Sentry: "{type}: {value}" of the main (last) exception, first line, cut at 100 characters.
    assert titles[0] == f"PaymentDeclined: {long_reason[:97]}..."
    assert titles[1] == "RuntimeError: outer failure"
    assert titles[2] == "login failed for bob"
    assert titles[3] == "plain message"
    assert sentry_title(by_kind["/api/orders"]) == "/api/orders"


def test_a_top_level_title_wins_and_empty_values_show_the_type() -> None:
    assert sentry_title({"title": "Custom", "message": "m"}) == "Custom"
    assert sentry_title({"exception": {"values": [{"type": "Timeout", "value": ""}]}}) == "Timeout"
    assert sentry_title({"exception": {"values": [{"value": "no type"}]}}) == "Error: no type"
    assert sentry_title({}) == "<unlabeled event>"
    assert sentry_title(None) is None
