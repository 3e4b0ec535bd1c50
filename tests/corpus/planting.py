"""Running scenarios that plant named secrets: each under its own real sentry-sdk client, with
the secret or, for counting what a ruleset redacts where no secret is, a harmless word."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from rules_engine.testing.capture import capture_events

from .model import Corpus
from .scenarios import SDK_OPTIONS, Recorder

__all__ = ["Planter", "Recorder", "Secret", "capture_planted"]


@dataclass
class Planter:
    """What a scenario calls to get a secret by name: the value of ``secrets[name]``, recorded as
    planted, or with ``planted=False`` a harmless word in its place."""

    recorder: Recorder
    secrets: dict[str, tuple[str, str]]
    planted: bool

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
