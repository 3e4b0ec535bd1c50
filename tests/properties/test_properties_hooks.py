"""Properties of the compiled hooks: they never raise, and what they return can be sent.

"JSON-serialisable" means what sentry-sdk's transport needs: ``json.dumps(event, allow_nan=False)``
succeeds (the transport encodes with ``allow_nan=False``; sentry-sdk's serialiser turns NaN and
infinities into strings before ``before_send``). A hook that passes a NaN, a ``bytes`` value, a
cycle or an arbitrary object through would lose the event in the transport as silently as a hook
that raises, so such values must be converted or the event failed closed (dropped).

Idempotence is defined on the scrub phase: for rulesets whose redactions are not ``hash``
(hashing a hash gives a new hash, by design), running the hook over its own output gives the
same event again once every ``_meta`` mapping is removed (remarks may be recorded again).
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules_engine.model import models
from rules_engine.runtime.reloading import load_ruleset
from rules_engine.runtime.ruleset import Ruleset
from tests import strategies as S

DEFAULT_RULESET = "rulesets/default.yaml"


@pytest.fixture(scope="module")
def default_ruleset():
    return load_ruleset(DEFAULT_RULESET)


def from_document(doc: dict) -> Ruleset:
    return Ruleset.from_model(models.RulesetSpec.model_validate(doc), hash_key=b"property-tests")


def assert_sendable(result) -> None:
    if result is None:
        return
    assert isinstance(result, dict), f"a hook returned {type(result).__name__}, not an event or None"
    json.dumps(result, allow_nan=False)


def without_meta(value):
    if isinstance(value, dict):
        return {k: without_meta(v) for k, v in value.items() if k != "_meta"}
    if isinstance(value, list):
        return [without_meta(v) for v in value]
    return value


def send_filtered(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    doc.setdefault("options", {})["on_error"] = "send_filtered"
    return doc


# One failure is shrunk and reported per test: shrinking several distinct failures of hostile
# events would take minutes.
HOOK_SETTINGS = settings(max_examples=S.scaled(50), suppress_health_check=list(HealthCheck), deadline=None,
                         report_multiple_bugs=False)


@HOOK_SETTINGS
@given(event=S.events, hint=S.hints)
def test_default_ruleset_hooks_accept_realistic_events(default_ruleset, event, hint):
    hook = default_ruleset.before_send_transaction if event.get("type") == "transaction" else default_ruleset.before_send
    assert_sendable(hook(event, hint))


@HOOK_SETTINGS
@given(event=S.hostile_events(), hint=S.hints, hook_name=st.sampled_from(["before_send", "before_send_transaction"]))
def test_default_ruleset_hooks_never_raise_on_hostile_input(default_ruleset, event, hint, hook_name):
    result = getattr(default_ruleset, hook_name)(event, hint)
    assert_sendable(result)


@HOOK_SETTINGS
@given(doc=S.ruleset_documents(with_scrub=True), on_error_filtered=st.booleans(),
       event=st.one_of(S.events, S.hostile_events()), hint=S.hints)
def test_generated_rulesets_never_raise(doc, on_error_filtered, event, hint):
    ruleset = from_document(send_filtered(doc) if on_error_filtered else doc)
    for hook in (ruleset.before_send, ruleset.before_send_transaction):
        assert_sendable(hook(copy.deepcopy(event) if _copyable(event) else event, hint))


@HOOK_SETTINGS
@given(crumb=st.one_of(S.breadcrumbs(), S.hostile_values, S.hostile_events()), hint=S.hints)
def test_before_breadcrumb_never_raises(default_ruleset, crumb, hint):
    # The hook filters and hands the breadcrumb back as it is (sentry-sdk serializes it into the
    # event that carries it, where it is scrubbed); anything but a dict is dropped.
    result = default_ruleset.before_breadcrumb(crumb, hint)
    assert result is (crumb if type(crumb) is dict else None)
    if _copyable(crumb):  # as it leaves the process: serialized, scrubbed, sendable
        assert_sendable(default_ruleset.process(copy.deepcopy(crumb), hint, kind="breadcrumb"))


def test_check_ins_pass_through_untouched(default_ruleset):
    check_in = {"type": "check_in", "check_in_id": "a" * 32, "monitor_slug": "nightly", "status": "ok"}
    assert default_ruleset.before_send(copy.deepcopy(check_in), {}) == check_in


@settings(max_examples=S.scaled(40), suppress_health_check=list(HealthCheck), deadline=None)
@given(event=S.events, hint=S.hints)
def test_default_ruleset_is_deterministic(default_ruleset, event, hint):
    first = default_ruleset.process(copy.deepcopy(event), hint)
    second = default_ruleset.process(copy.deepcopy(event), hint)
    assert first == second


def _no_hash(doc: dict) -> bool:
    return all(rule.get("redact") != "hash" for rule in doc.get("scrub", {}).get("rules", []))


@settings(max_examples=S.scaled(40), suppress_health_check=list(HealthCheck), deadline=None)
@given(event=S.events, secret=S.secrets, place=st.sampled_from(sorted(S.SECRET_PLACES)))
def test_default_ruleset_scrubbing_is_idempotent(default_ruleset, event, secret, place):
    # The default hashes user identity (user.email/username/name); a hash of a hash differs by
    # design, so those keys are left out and every other redaction must be stable.
    S.SECRET_PLACES[place](event, S.embed(secret, ("note ", " end")))
    if isinstance(event.get("user"), dict):
        for key in HASHED_USER_KEYS:
            event["user"].pop(key, None)
    once = default_ruleset.process(event)
    if once is None:
        return
    twice = default_ruleset.process(copy.deepcopy(once))
    assert twice is not None, "an event the ruleset sent once was dropped when sent again"
    assert without_meta(twice) == without_meta(once)


@settings(max_examples=S.scaled(40), suppress_health_check=list(HealthCheck), deadline=None)
@given(scrub=S.scrub_sections().filter(lambda s: _no_hash({"scrub": s})), event=S.events,
       secret=S.secrets, place=st.sampled_from(sorted(S.SECRET_PLACES)))
def test_generated_scrub_sections_are_idempotent_and_deterministic(scrub, event, secret, place):
    ruleset = from_document({"format": 1, "name": "scrub-only", "scrub": scrub})
    S.SECRET_PLACES[place](event, S.embed(secret, ("x ", " y")))
    once = ruleset.process(copy.deepcopy(event))
    again = ruleset.process(copy.deepcopy(event))
    assert once == again
    if once is not None:
        assert without_meta(ruleset.process(copy.deepcopy(once))) == without_meta(once)


HASHED_USER_KEYS = ("email", "email_address", "username", "name")


def test_default_hash_rules_are_limited_to_user_identity(default_ruleset):
    """What the idempotence property above leaves out: only these user keys are hashed."""
    hashed = [rule for rule in default_ruleset.model.scrub.rules if rule.redact == "hash"]
    assert all(rule.in_ == ["user"] and set(rule.keys) <= set(HASHED_USER_KEYS) for rule in hashed)


def _copyable(value) -> bool:
    try:
        copy.deepcopy(value)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("detector", sorted(models.DETECTORS))
@settings(max_examples=S.scaled(8), suppress_health_check=list(HealthCheck), deadline=None)
@given(data=st.data())
def test_default_ruleset_redactions_are_stable_per_detector(default_ruleset, detector, data):
    """Each detector kind explicitly: scrubbing an already scrubbed event changes nothing."""
    secret = data.draw(S.SECRET_STRATEGIES[detector])
    surround = data.draw(st.sampled_from(S.SURROUNDINGS))
    for place, put in S.SECRET_PLACES.items():
        if place.startswith("user") and any(f"{key}=" in secret.text for key in HASHED_USER_KEYS):
            continue  # a user key inside the text is hashed, and a hash is not idempotent (see above)
        event = {"event_id": "1" * 32, "level": "error", "platform": "python",
                 "exception": {"values": [{"type": "ValueError", "value": "bad input"}]}}
        put(event, S.embed(secret, surround))
        once = default_ruleset.process(event)
        assert once is not None
        twice = default_ruleset.process(copy.deepcopy(once))
        assert without_meta(twice) == without_meta(once), f"{detector} at {place}"
