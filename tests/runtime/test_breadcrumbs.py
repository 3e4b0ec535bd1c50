"""Breadcrumbs leave the process only inside events, and are scrubbed there.

``before_breadcrumb`` runs the ``on: [breadcrumb]`` filters only; every event that can carry a
breadcrumb is scrubbed by the hook sentry-sdk hands it to. These tests record a real client's
breadcrumbs and check every byte the transport is given (each envelope serialized as it would
be sent), for every way an event can go: error, message, log record turned event, feedback,
transaction and check-in with breadcrumbs an app put there, dropped by a filter, failing its
scrub, through a user hook, after a reload, installed by ``sentry_options()`` or the integration.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os

import pytest
import sentry_sdk
from sentry_sdk.crons import capture_checkin

from rules_engine import RulesEngineIntegration, load_ruleset
from rules_engine.runtime.breadcrumbs import WHERE_SCRUBBED
from rules_engine.testing.capture import CapturingTransport, capture_transport

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_RULESET = os.path.join(ROOT, "rulesets", "default.yaml")

CARD = "4111 1111 1111 1111"
PASSWORD = "hunter2-crumb-Qz9"
EMAIL = "alice.crumb@example.org"
#: Every value planted in breadcrumbs; none may be in any byte the transport is given.
SECRETS = (CARD, PASSWORD, EMAIL)

FILTERED_CATEGORY = "chatty.cache"
RULES = f"""\
format: 1
name: crumbs
revision: 1
extends: [builtin:secure-defaults@2026.12, builtin:personal-data@2026.12]
filters:
  - {{id: chatty, on: [breadcrumb], when: {{category: "chatty.*"}}, drop: true}}
  - {{id: muted, when: {{message: "muted *"}}, drop: true}}
"""


@contextlib.contextmanager
def sending(ruleset, install: str, **options):
    """A real client with the ruleset installed the way ``install`` says; yields the transport."""
    if install == "sentry_options":
        options = ruleset.sentry_options(**options)
    else:
        options["integrations"] = [*options.get("integrations", ()), RulesEngineIntegration(ruleset)]
    with capture_transport(**options) as transport, sentry_sdk.isolation_scope():
        sentry_sdk.get_isolation_scope().clear_breadcrumbs()
        yield transport


def record_secret_crumbs() -> None:
    """Breadcrumbs holding every secret, recorded the ways an app records them."""
    sentry_sdk.add_breadcrumb(category="auth", message=f"login {EMAIL} password={PASSWORD}",
                              data={"password": PASSWORD, "card": CARD, "note": f"paid with {CARD}"})
    sentry_sdk.add_breadcrumb(category=FILTERED_CATEGORY, message=f"miss {EMAIL}")
    logging.getLogger("shop.crumbs").warning("charging %s for %s", CARD, EMAIL)  # a logging breadcrumb


def assert_nothing_leaked(transport: CapturingTransport) -> None:
    assert transport.wire, "nothing was sent"
    for envelope in transport.wire:
        for secret in SECRETS:
            assert secret.encode() not in envelope, f"{secret!r} left the process: {envelope[:2000]!r}"


def crumbs_of(event: dict) -> list[dict]:
    return (event.get("breadcrumbs") or {}).get("values") or []


def categories(event: dict) -> list[str]:
    return [crumb.get("category") for crumb in crumbs_of(event)]


@pytest.fixture
def rules_path(tmp_path):
    path = tmp_path / "crumbs.yaml"
    path.write_text(RULES)
    return path


@pytest.fixture(params=["sentry_options", "integration"])
def install(request):
    return request.param


@pytest.fixture(params=["ruleset", "reloading"])
def ruleset(request, rules_path):
    return load_ruleset(rules_path, reload=request.param == "reloading")


# --------------------------------------------------------------------------- every event kind


def _error() -> None:
    try:
        raise ValueError("checkout failed")
    except ValueError:
        sentry_sdk.capture_exception()


def _message() -> None:
    sentry_sdk.capture_message("checkout failed")


def _logged_error() -> None:
    logging.getLogger("shop.crumbs").error("checkout failed")


def _feedback() -> None:
    sentry_sdk.capture_event({"type": "feedback", "contexts": {"feedback": {
        "message": "the page froze", "contact_email": "reply@example.com"}}})


SENDERS = {"error": _error, "message": _message, "logged error": _logged_error, "feedback": _feedback}


@pytest.mark.parametrize("send", SENDERS.values(), ids=SENDERS.keys())
def test_breadcrumbs_are_scrubbed_in_every_event_that_carries_them(ruleset, install, send):
    with sending(ruleset, install) as transport:
        record_secret_crumbs()
        send()
    assert_nothing_leaked(transport)
    [event] = transport.events
    # the filtered breadcrumb never entered the buffer; the others arrived, scrubbed
    assert categories(event)[:2] == ["auth", "shop.crumbs"] and FILTERED_CATEGORY not in categories(event)
    auth = crumbs_of(event)[0]
    assert auth["data"]["password"] == "[Filtered]" and auth["category"] == "auth"
    assert event["_meta"]["breadcrumbs"]["values"]["0"]["data"]["password"][""]["rem"][0][0] == "secret-keys"


def test_the_hook_filters_and_keeps_breadcrumbs_as_they_are(rules_path):
    # The scope's buffer keeps what the app recorded: it never leaves the process by itself.
    ruleset = load_ruleset(rules_path)
    with sending(ruleset, "sentry_options"):
        record_secret_crumbs()
        buffered = list(sentry_sdk.get_isolation_scope()._breadcrumbs)
    assert [crumb["category"] for crumb in buffered] == ["auth", "shop.crumbs"]
    assert buffered[0]["data"]["password"] == PASSWORD
    stats = ruleset.stats()
    assert stats["events"]["breadcrumb"] == 3 and stats["dropped"]["chatty"] == 1
    assert stats["redactions"] == {}, "nothing is scrubbed before an event is sent"


def test_redactions_are_counted_in_each_event_that_carries_the_breadcrumb(rules_path):
    ruleset = load_ruleset(rules_path)
    with sending(ruleset, "sentry_options") as transport:
        sentry_sdk.add_breadcrumb(category="auth", data={"password": PASSWORD})
        _message()
        _message()
    assert_nothing_leaked(transport)
    assert len(transport.events) == 2
    assert ruleset.stats()["redactions"]["secret-keys"] == 2


def test_an_event_dropped_by_a_filter_sends_nothing(ruleset, install):
    with sending(ruleset, install) as transport:
        record_secret_crumbs()
        sentry_sdk.capture_message("muted checkout")
        _message()  # one event does go out, so the transport is known to be in use
    assert_nothing_leaked(transport)
    assert [event.get("message") for event in transport.events] == ["checkout failed"]
    assert ruleset.stats()["dropped"]["muted"] == 1


def test_transactions_and_check_ins_carrying_breadcrumbs_an_app_added(ruleset, install):
    # sentry-sdk attaches breadcrumbs to neither; an app's event processor (transactions) or its
    # own before_send (check-ins, which event processors do not see) can.
    def add_crumbs(event, hint):
        if event.get("type") in ("transaction", "check_in"):
            event["breadcrumbs"] = {"values": [{"category": "auth", "message": f"card {CARD}",
                                                "data": {"password": PASSWORD, "who": EMAIL}}]}
        return event

    with sending(ruleset, install, traces_sample_rate=1.0, before_send=add_crumbs) as transport:
        sentry_sdk.get_isolation_scope().add_event_processor(add_crumbs)
        with sentry_sdk.start_transaction(name="/checkout"):
            pass
        capture_checkin(monitor_slug="nightly", status="ok")
    assert_nothing_leaked(transport)
    [transaction] = transport.events
    assert crumbs_of(transaction)[0]["data"]["password"] == "[Filtered]"
    [check_in] = transport.items["check_in"]
    assert check_in["monitor_slug"] == "nightly" and check_in["status"] == "ok"
    assert crumbs_of(check_in)[0]["message"] == "card [Filtered]"


def test_a_user_before_send_sees_the_event_first_and_cannot_bypass_the_scrub(rules_path, install):
    seen = []

    def users_hook(event, hint):
        seen.append(crumbs_of(event)[0]["data"]["password"])
        event["breadcrumbs"]["values"].append({"category": "added", "message": f"by the hook {CARD}"})
        return event

    def users_crumb_hook(crumb, hint):
        crumb.setdefault("data", {})["seen_by"] = "users_crumb_hook"
        return crumb

    ruleset = load_ruleset(rules_path)
    with sending(ruleset, install, before_send=users_hook, before_breadcrumb=users_crumb_hook) as transport:
        record_secret_crumbs()
        _message()
    assert seen == [PASSWORD], "the user's hook runs first, on the event as sentry-sdk built it"
    assert_nothing_leaked(transport)
    [event] = transport.events
    assert categories(event) == ["auth", "shop.crumbs", "added"]
    assert crumbs_of(event)[0]["data"]["seen_by"] == "users_crumb_hook"


def test_breadcrumbs_recorded_before_a_reload_are_scrubbed_by_the_new_version(tmp_path, install):
    path = tmp_path / "live.yaml"
    path.write_text("format: 1\nname: live\nrevision: 1\n")
    handle = load_ruleset(path, reload=3600)
    with sending(handle, install) as transport:
        sentry_sdk.add_breadcrumb(category="auth", data={"password": PASSWORD})
        path.write_text("format: 1\nname: live\nrevision: 2\nscrub: {rules: [{id: keys, keys: ['*password*']}]}\n")
        os.utime(path, ns=(1_000_000_000_000, 1_000_000_000_000))
        assert handle.check_now()
        _message()
    assert_nothing_leaked(transport)
    [event] = transport.events
    assert event["tags"]["ruleset"] == "live@2"
    assert crumbs_of(event)[0]["data"]["password"] == "[Filtered]"


def _raising_validator(text: str) -> bool:
    raise RuntimeError("detector failure")


@pytest.mark.parametrize("on_error", ["drop", "send_filtered"])
def test_an_event_whose_scrub_fails_never_sends_its_breadcrumbs(tmp_path, monkeypatch, install, on_error):
    from rules_engine.scrub import detectors

    monkeypatch.setitem(detectors.BUILTIN, "creditcard",
                        dataclasses.replace(detectors.BUILTIN["creditcard"], validator=_raising_validator))
    path = tmp_path / "failing.yaml"
    path.write_text(f"format: 1\nname: failing\noptions: {{on_error: {on_error}}}\n"
                    "scrub: {rules: [{id: cards, detect: [creditcard]}]}\n")
    ruleset = load_ruleset(path)
    with sending(ruleset, install) as transport:
        record_secret_crumbs()
        _message()
    assert ruleset.stats()["internal_errors"]["scrub"] == 1
    if on_error == "drop":
        assert transport.events == []
        return
    assert_nothing_leaked(transport)
    [event] = transport.events
    assert {crumb["message"] for crumb in crumbs_of(event)} == {"[Filtered]"}


def test_a_truncated_buffer_keeps_its_length_remark_beside_the_scrub_remarks(rules_path, install):
    # sentry-sdk notes how many breadcrumbs it let go (``_meta.breadcrumbs[""].len``); the
    # scrub's remarks on the breadcrumbs it kept are merged beside it.
    ruleset = load_ruleset(rules_path)
    with sending(ruleset, install, max_breadcrumbs=2) as transport:
        for number in range(4):
            sentry_sdk.add_breadcrumb(category="auth", message=f"attempt {number}", data={"password": PASSWORD})
        _message()
    assert_nothing_leaked(transport)
    [event] = transport.events
    meta = event["_meta"]["breadcrumbs"]
    assert meta[""] == {"len": 4}
    assert set(meta["values"]) == {"0", "1"}
    assert [crumb["message"] for crumb in crumbs_of(event)] == ["attempt 2", "attempt 3"]


def test_no_other_channel_carries_breadcrumbs(rules_path, install):
    # Log records, metrics, streamed spans and attachments are sent without the breadcrumb buffer.
    ruleset = load_ruleset(rules_path)
    with sending(ruleset, install, enable_logs=True, traces_sample_rate=1.0) as transport:
        record_secret_crumbs()
        sentry_sdk.logger.info("checkout done")
        sentry_sdk.get_isolation_scope().add_attachment(bytes=b"report body", filename="report.txt")
        with sentry_sdk.start_transaction(name="/checkout"):
            pass
        _message()
    assert_nothing_leaked(transport)
    assert transport.items["log"] and len(transport.events) == 2


# --------------------------------------------------------------------------- explain and process


def test_explain_says_where_a_breadcrumb_is_scrubbed(rules_path):
    ruleset = load_ruleset(rules_path)
    crumb = {"category": "auth", "message": "login", "data": {"password": PASSWORD}}
    explanation = ruleset.explain(crumb, {}, kind="breadcrumb")
    fired = [rule for rule in explanation.rules if rule.phase == "scrub" and rule.matched]
    assert [rule.rule_id for rule in fired] == ["secret-keys"]
    assert fired[0].reason == f"1 redaction(s) ({WHERE_SCRUBBED})"
    assert explanation.after["data"]["password"] == "[Filtered]"
    assert explanation.redactions["secret-keys"] == 1
    dropped = ruleset.explain({"category": FILTERED_CATEGORY, "message": "miss"}, {}, kind="breadcrumb")
    assert dropped.after is None and dropped.dropped_by == "chatty"
    assert ruleset.stats()["events"] == {}, "explain counts nothing"


def test_explain_shows_a_check_in_as_it_leaves_with_its_breadcrumbs_scrubbed(rules_path):
    ruleset = load_ruleset(rules_path)
    check_in = {"type": "check_in", "monitor_slug": "nightly", "status": "ok",
                "breadcrumbs": {"values": [{"category": "auth", "data": {"password": PASSWORD}}]}}
    explanation = ruleset.explain(check_in, {})
    assert explanation.after["breadcrumbs"]["values"][0]["data"]["password"] == "[Filtered]"
    assert explanation.after["monitor_slug"] == "nightly"
    assert explanation.redactions["secret-keys"] == 1
    assert [rule.rule_id for rule in explanation.rules if rule.matched] == ["secret-keys"]
    assert explanation.before["breadcrumbs"]["values"][0]["data"]["password"] == PASSWORD
    plain = {"type": "check_in", "monitor_slug": "nightly", "status": "ok"}
    assert ruleset.explain(plain, {}).after == plain
    assert ruleset.stats()["events"] == {}, "explain counts nothing"


def test_process_gives_the_breadcrumb_as_it_leaves_the_process(rules_path):
    import datetime

    ruleset = load_ruleset(rules_path)
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    crumb = {"category": "auth", "timestamp": moment, "data": {"password": PASSWORD, "ok": float("nan")}}
    sent = ruleset.process(crumb, {}, kind="breadcrumb")
    assert sent is crumb  # in place
    assert sent["timestamp"] == "2026-01-02T03:04:05.000000Z"  # as sentry-sdk serializes it
    assert sent["data"] == {"password": "[Filtered]", "ok": "nan"}
    assert sent["_meta"]["data"]["password"][""]["rem"] == [["secret-keys", "s", 0, 10]]
    assert ruleset.process({"category": FILTERED_CATEGORY}, {}, kind="breadcrumb") is None
