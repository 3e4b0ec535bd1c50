"""What an attack running in a child process uses (see :mod:`tests.hostile.harness`)."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, Callable

import sentry_sdk
from rules_engine.testing.capture import capture_events
from rules_engine.errors import RulesetError
from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.ruleset import Ruleset

#: A value planted in hostile events; it must never appear in what is sent.
SECRET = "hunter2-planted-secret"
CARD = "4111111111111111"

SCRUB_SECRETS = """
format: 1
name: hostile
options: {on_error: %(on_error)s%(limits)s}
scrub:
  rules:
    - {id: secret-keys, keys: ["*password*", "*secret*"]}
    - {id: cards, detect: [creditcard]}
    - {id: planted, pattern: 'hunter2-[a-z-]+'}
    # argv lists are read before the walk, by a pass of their own: attacks reach it too
    - {id: flags, detect: [argv_secret, mysql_password_flag]}
"""


def report(value: Any) -> None:
    sys.stdout.write("HOSTILE-REPORT " + json.dumps(value, default=repr) + "\n")
    sys.stdout.flush()


def compiled(text: str) -> Ruleset:
    return Ruleset.from_loaded(load_model_from_text(text))


def scrubbing(on_error: str = "drop", limits: str = "") -> Ruleset:
    """The scrubbing ruleset attacks run against; ``limits`` is YAML, e.g. ``max_ms: 200``."""
    return compiled(SCRUB_SECRETS % {"on_error": on_error, "limits": f", limits: {{{limits}}}" if limits else ""})


def send(ruleset: Ruleset, plant: Callable[[dict], None], *, message: str = "hostile event") -> list[dict]:
    """Capture one message through a real sentry-sdk client whose own hook plants ``plant(event)``
    first, as an application's ``before_send`` would; return what the transport received."""

    def user_hook(event, hint):
        plant(event)
        return event

    with capture_events(**ruleset.sentry_options(before_send=user_hook)) as events:
        sentry_sdk.capture_message(message, level="error")
    return events


def load_error(text: str, path: str = "<string>") -> str | None:
    """The message of the RulesetError loading ``text`` raises (None when it loads)."""
    try:
        load_model_from_text(text, path)
    except RulesetError as exc:
        return str(exc)
    return None


def outcome(events: list[dict]) -> dict:
    """What an attack asserts on: how many events were sent and whether a planted value leaked."""
    text = json.dumps(events, default=repr)
    shown = [{key: value for key, value in event.items() if key not in ("modules", "sdk")} for event in events]
    return {"sent": len(events), "leaked": SECRET in text or CARD in text,
            "text": json.dumps(shown, default=repr)[:3000]}


def timed_hook(ruleset: Ruleset, event: dict) -> dict:
    """Run ``before_send`` on ``event``: the outcome, how long the hook took (``seconds``) and the
    ruleset's ``internal_errors``."""
    start = time.perf_counter()
    out = ruleset.before_send(event, {})
    seconds = time.perf_counter() - start
    return {**outcome([] if out is None else [out]), "seconds": seconds, "errors": ruleset.stats()["internal_errors"]}


def sent_while_meddled(ruleset: Ruleset, make: Callable[[int], tuple], rounds: int = 300) -> dict:
    """Run ``before_send`` on ``rounds`` events while another thread changes each: ``make(round)``
    gives (event, meddle), and ``meddle(stop)`` runs on that thread until ``stop`` is set. The
    interpreter switches threads as often as it can. Returns how many events were sent, and in
    how many of those the planted secret was left."""
    sys.setswitchinterval(1e-6)
    leaks = sent = 0
    for round in range(rounds):
        event, meddle = make(round)
        stop = threading.Event()
        thread = threading.Thread(target=meddle, args=(stop,))
        thread.start()
        result = ruleset.before_send(event, {})
        stop.set()
        thread.join()
        if result is not None:
            sent += 1
            leaks += SECRET in repr(result)
    return {"leaks": leaks, "sent": sent}
