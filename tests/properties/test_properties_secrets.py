"""The default ruleset never lets a planted secret out, whatever the detector kind and position.

Each example plants one secret, generated valid for its detector (Luhn-correct card numbers,
mod-97-correct IBANs, JWTs with a JSON header ...), at one place of a realistic event: exception
values (main and chained), frame-variable ``repr`` strings, log messages, breadcrumbs, extra and
contexts (also inside lists), tags (dict and pairs), user, request bodies, headers as pairs, query
strings, spans and fingerprints; as the whole value, at its start or end, or inside longer text.
The property: no string of the output (keys included) contains any identifying part of it (a part
the event already held before planting, such as a digit run inside an id, cannot tell a leak).

Secrets are put under neutral key names, so the detectors, not key rules, must catch them.
"""

from __future__ import annotations

import contextlib
import copy
import logging

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rules_engine.model import models
from rules_engine.runtime.reloading import load_ruleset
from rules_engine.scrub import ScrubLimitExceeded
from tests import strategies as S

SETTINGS = settings(max_examples=S.scaled(150), suppress_health_check=list(HealthCheck), deadline=None)


@pytest.fixture(scope="module")
def default_ruleset():
    return load_ruleset("rulesets/default.yaml")


def leaks(result, secret: S.Secret, background=None) -> list[str]:
    """Output strings holding a part of ``secret``; with ``background`` (the event before planting),
    only parts that event did not already contain count, so a chance match is not called a leak."""
    parts = secret.parts if background is None else S.distinctive_parts(secret, background)
    assume(parts)
    return S.leaked_parts(result, parts)


class _TimeBudgetDrops(logging.Handler):
    """Counts scrubs stopped by the wall-clock budget (``limits.max_ms``), logged by the runtime."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record):
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ScrubLimitExceeded) and "took longer" in str(error):
            self.count += 1


@contextlib.contextmanager
def time_budget_drops():
    """Scrubbing takes about a millisecond, but a paused process (a shared machine, a garbage
    collection) can outlast the budget; the event is then dropped, fail-closed. Such a drop says
    nothing about leaks, so a test that needs the event sent rejects that example instead."""
    handler = _TimeBudgetDrops()
    runtime_logger = logging.getLogger("rules_engine")
    runtime_logger.addHandler(handler)
    try:
        yield handler
    finally:
        runtime_logger.removeHandler(handler)


def plain_error_event(event: dict) -> dict:
    """A realistic error event no default filter has reason to drop."""
    event.pop("type", None)
    event["exception"] = {"values": [{"type": "ValueError", "value": "bad input", "module": "builtins"}]}
    return event


@SETTINGS
@given(event=S.error_events(), secret=S.secrets, place=st.sampled_from(sorted(S.SECRET_PLACES)),
       surround=st.sampled_from(S.SURROUNDINGS))
def test_planted_secret_never_leaves(default_ruleset, event, secret, place, surround):
    event = plain_error_event(event)
    background = copy.deepcopy(event)
    S.SECRET_PLACES[place](event, S.embed(secret, surround))
    planted = copy.deepcopy(event)
    with time_budget_drops() as budget_drops:
        result = default_ruleset.before_send(event, {})
    assume(not budget_drops.count)
    assert result is not None, f"the default ruleset dropped a plain error event: {planted}"
    found = leaks(result, secret, background)
    assert not found, f"{secret.detector} secret planted at {place} leaked: {found[:3]}"


@pytest.mark.parametrize("detector", sorted(models.DETECTORS))
@settings(max_examples=S.scaled(15), suppress_health_check=list(HealthCheck), deadline=None)
@given(data=st.data())
def test_every_detector_kind_is_caught_everywhere(default_ruleset, detector, data):
    """Each detector kind explicitly, at every place, so no kind depends on the draw of another."""
    secret = data.draw(S.SECRET_STRATEGIES[detector])
    surround = data.draw(st.sampled_from(S.SURROUNDINGS))
    for place, put in S.SECRET_PLACES.items():
        event = plain_error_event({"event_id": "1" * 32, "level": "error", "platform": "python"})
        background = copy.deepcopy(event)
        put(event, S.embed(secret, surround))
        found = leaks(default_ruleset.before_send(event, {}), secret, background)
        assert not found, f"{detector} secret at {place} leaked: {found[:3]}"


@settings(max_examples=S.scaled(40), suppress_health_check=list(HealthCheck), deadline=None)
@given(secret=S.secrets, surround=st.sampled_from(S.SURROUNDINGS))
def test_planted_secret_in_breadcrumb_never_leaves(default_ruleset, secret, surround):
    text = S.embed(secret, surround)
    crumb = {"category": "log", "level": "info", "message": text, "data": {"detail": text}}
    kept = default_ruleset.before_breadcrumb(copy.deepcopy(crumb), {})
    event = plain_error_event({"event_id": "1" * 32, "level": "error", "breadcrumbs": {"values": [kept]}})
    found = leaks(default_ruleset.before_send(event, {}), secret)
    assert not found, f"{secret.detector} secret leaked from a breadcrumb in an event: {found[:3]}"
    found = leaks(default_ruleset.process(crumb, {}, kind="breadcrumb"), secret)
    assert not found, f"{secret.detector} secret leaked from process(kind='breadcrumb'): {found[:3]}"


@settings(max_examples=S.scaled(40), suppress_health_check=list(HealthCheck), deadline=None)
@given(event=S.transaction_events(), secret=S.secrets, surround=st.sampled_from(S.SURROUNDINGS))
def test_planted_secret_in_transactions_never_leaves(default_ruleset, event, secret, surround):
    event["transaction"] = "/api/orders"
    background = copy.deepcopy(event)
    text = S.embed(secret, surround)
    event["spans"][:0] = [{"op": "db", "description": text, "data": {"db.params": text}}]
    event.setdefault("extra", {})["note"] = text
    found = leaks(default_ruleset.before_send_transaction(event, {}), secret, background)
    assert not found, f"{secret.detector} secret leaked from a transaction: {found[:3]}"


# The generators above must produce secrets a validating detector accepts; checked independently.


@settings(max_examples=S.scaled(200))
@given(secret=S.SECRET_STRATEGIES["creditcard"])
def test_generated_card_numbers_pass_luhn(secret):
    digits = "".join(ch for ch in secret.text if ch.isdigit())
    assert 13 <= len(digits) <= 19 and S.luhn_valid(digits)


@settings(max_examples=S.scaled(200))
@given(secret=S.SECRET_STRATEGIES["iban"])
def test_generated_ibans_pass_mod97(secret):
    compact = secret.text.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    assert int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def test_luhn_reference_on_known_numbers():
    assert S.luhn_valid("4111111111111111")
    assert S.luhn_valid("378282246310005")
    assert not S.luhn_valid("4111111111111112")


# Real events: sentry-sdk builds the event (frame variables as repr strings, logging message and
# params, breadcrumbs from earlier log records) and hands it to the ruleset's hook.


def _raise_with_locals(text: str) -> None:
    payload = {"note": text, "items": [text]}  # noqa: F841 - captured as a frame variable
    raise ValueError("request failed: " + text)


@settings(max_examples=S.scaled(25), suppress_health_check=list(HealthCheck), deadline=None)
@given(secret=S.secrets, surround=st.sampled_from(S.SURROUNDINGS))
def test_planted_secret_in_real_sdk_events_never_leaves(default_ruleset, secret, surround):
    import logging

    import sentry_sdk

    from rules_engine.testing.capture import capture_events

    text = S.embed(secret, surround)
    log = logging.getLogger("shop.payments")
    with time_budget_drops() as budget_drops, capture_events(**default_ruleset.sentry_options()) as captured:
        log.info("charging %s", text)  # becomes a breadcrumb
        try:
            _raise_with_locals(text)
        except ValueError:
            sentry_sdk.capture_exception()
        log.error("charge failed for %s", text)  # becomes an event with logentry params
        sentry_sdk.capture_message("note " + text)
    assume(not budget_drops.count)
    assert len(captured) == 3, "the default ruleset dropped a plain error event"
    for event in captured:
        found = leaks(event, secret)
        assert not found, f"{secret.detector} secret leaked from a real event: {found[:3]}"
