"""``options.named_values`` and ``options.echoes``: the readings the 2026.12 packs turn on. A
ruleset pinned to the 2026.11 packs scrubs as it did before they existed."""

from __future__ import annotations

import copy
import json

import pytest
import sentry_sdk

from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import accelerator_available
from rules_engine.testing.capture import capture_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
PASSWORD = "Kx8pLq2wRz7m"
DB_PASSWORD = "Vt4nQz9pLw2k"


def _worker_event() -> dict:
    """A worker failing with its container's env list in a frame and its password echoed in the
    message, from a real client."""
    env = [{"name": "DB_PASSWORD", "value": DB_PASSWORD}, {"name": "LOG_LEVEL", "value": "info"}]  # noqa: F841
    form = {"user": "ann", "password": PASSWORD}  # noqa: F841
    with capture_events() as events:
        try:
            raise PermissionError(f"login refused for ann with {PASSWORD}")
        except PermissionError:
            sentry_sdk.capture_exception()
    [event] = events
    return event


def _ruleset(extends: str, engine: str, monkeypatch, options: str = "") -> Ruleset:
    monkeypatch.setenv("RULES_ENGINE_ACCELERATOR", engine)
    return Ruleset.from_loaded(load_model_from_text(f"format: 1\nname: app\nextends: [{extends}]\n{options}", "app.yaml"))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_ruleset_pinned_to_2026_11_reads_neither(engine, monkeypatch):
    event = _worker_event()
    pinned = _ruleset("builtin:secure-defaults@2026.11", engine, monkeypatch)
    assert not pinned.model.options.named_values and not pinned.model.options.echoes
    text = json.dumps(pinned.before_send(copy.deepcopy(event), {}))
    assert f"login refused for ann with {PASSWORD}" in text  # the echo stays, as it did
    assert DB_PASSWORD in text  # the pair dict's value stays, as it did


@pytest.mark.parametrize("engine", ENGINES)
def test_the_2026_12_packs_read_both_and_a_ruleset_may_turn_them_off(engine, monkeypatch):
    event = _worker_event()
    current = _ruleset("builtin:secure-defaults@2026.12", engine, monkeypatch)
    text = json.dumps(current.before_send(copy.deepcopy(event), {}))
    assert PASSWORD not in text and DB_PASSWORD not in text
    assert "login refused for ann with [Filtered]" in text
    off = _ruleset("builtin:secure-defaults@2026.12", engine, monkeypatch,
                   "options:\n  named_values: false\n  echoes: false\n")
    text = json.dumps(off.before_send(copy.deepcopy(event), {}))
    assert DB_PASSWORD in text and f"with {PASSWORD}" in text
