"""Running scenarios that plant named secrets: each under its own real sentry-sdk client, with
the secret or, for counting what a ruleset redacts where no secret is, a harmless word."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from rules_engine.testing.capture import capture_events

from .model import Corpus
from .scenarios import SDK_OPTIONS, Recorder

__all__ = ["Planter", "Recorder", "Secret", "capture_planted"]


@dataclass
class Planter:
    """What a scenario calls to get a secret by name: the value of ``secrets[name]``, recorded as
    planted, or with ``planted=False`` a harmless word in its place."""

    # Scenarios' frames hold the planter: its repr must not carry every secret into every event.
    recorder: Recorder = field(repr=False)
    secrets: dict[str, tuple[str, str]] = field(repr=False)
    planted: bool = True

    def __call__(self, name: str) -> str:
        kind, value = self.secrets[name]
        if not self.planted:
            return f"plain-{name.replace('_', '-')}"
        self.recorder.plant(kind, value, name)
        return value

    def derived(self, kind: str, value: str, where: str) -> None:
        """Record ``value``, computed from planted secrets (an encoding of one), as planted too."""
        if self.planted:
            self.recorder.plant(kind, value, where)


Secret = Planter


def capture_planted(scenarios: dict[str, Callable[[Recorder, Planter], None]], secrets: dict[str, tuple[str, str]],
                    integrations: Callable[[], list], planted: bool = True) -> Corpus:
    """Run every scenario once, each under its own client; the events with their plants and kept values."""
    rec = Recorder(events=[])
    options = dict(SDK_OPTIONS, before_send=rec.remember_hint)
    planter = Planter(rec, secrets, planted)
    for name, scenario in scenarios.items():
        rec.run(name, lambda r, s=scenario: _captured(r, s, planter, integrations(), options))
    return Corpus(events=rec.events, secrets=rec.secrets, keep=rec.keep, scenarios=rec.scenarios, hints=rec.hints())


def _captured(rec: Recorder, scenario, planter: Planter, integrations: list, options: dict[str, Any]) -> None:
    with capture_events(integrations=integrations, **options) as events:
        scenario(rec, planter)
    rec.events.extend(events)


def default_ruleset(accelerator: str):
    """``rulesets/default.yaml``, built with ``RULES_ENGINE_ACCELERATOR=accelerator`` ("on" for
    the C walk, "off" for pure Python)."""
    from rules_engine.load.loader import load_model

    return built_ruleset(load_model("rulesets/default.yaml"), accelerator)


def pinned_ruleset(version: str, accelerator: str):
    """A ruleset extending both builtin packs at ``version``, built on ``accelerator``."""
    from rules_engine.load.loader import load_model_from_text

    text = (f"format: 1\nname: pinned\n"
            f"extends: [builtin:secure-defaults@{version}, builtin:personal-data@{version}]\n")
    return built_ruleset(load_model_from_text(text, "ruleset.yaml"), accelerator)


def built_ruleset(loaded, accelerator: str):
    """The ``Ruleset`` of a loaded ruleset, built with ``RULES_ENGINE_ACCELERATOR=accelerator``."""
    import os

    from rules_engine.runtime.ruleset import Ruleset

    previous = os.environ.get("RULES_ENGINE_ACCELERATOR")
    os.environ["RULES_ENGINE_ACCELERATOR"] = accelerator
    try:
        return Ruleset.from_loaded(loaded)
    finally:
        if previous is None:
            del os.environ["RULES_ENGINE_ACCELERATOR"]
        else:
            os.environ["RULES_ENGINE_ACCELERATOR"] = previous


def processed(ruleset, corpus: Corpus) -> list:
    """What ``ruleset``'s hooks make of each event (copies), called as sentry-sdk calls them."""
    return processed_events(ruleset, corpus.events, corpus.hints)


def processed_events(ruleset, events, hints=None) -> list:
    """:func:`processed` for events captured by a test itself (``hints``: none by default)."""
    import copy

    outputs = []
    for event, hint in zip(events, hints or [{}] * len(events)):
        event = copy.deepcopy(event)
        if event.get("type") == "transaction":
            outputs.append(ruleset.before_send_transaction(event, {}))
        else:
            outputs.append(ruleset.before_send(event, hint))
    return outputs


def capture_each(failing: Iterable[Callable[[], None]]) -> None:
    """Call each function in a scope of its own (what one leaves, a breadcrumb, stays out of the
    others' events) and capture the exception it raises."""
    import sentry_sdk

    for fail in failing:
        with sentry_sdk.isolation_scope():
            try:
                fail()
            except Exception:
                sentry_sdk.capture_exception()


def captured_failures(*failing: Callable[[], None], **client_options: Any) -> tuple:
    """The events a real client sends when each of ``failing`` raises and the exception is captured."""
    with capture_events(**client_options) as events:
        capture_each(failing)
    return tuple(events)


def frame_vars(event: dict) -> dict:
    """The variables of the innermost frame of an event's last exception."""
    return event["exception"]["values"][-1]["stacktrace"]["frames"][-1]["vars"]
