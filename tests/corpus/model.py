"""What the corpus is made of: events, the secrets planted in them, the values they must keep."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Planted:
    """A secret put into the events on purpose.

    ``kind`` is a detector name (``rules_engine.model.models.DETECTORS``) for secrets that must be
    found by content, or ``"key"`` for values that sit under a sensitive key name (password,
    cookie, token...). ``value`` is the exact text whose presence anywhere in serialized output
    is a leak.
    """

    kind: str
    value: str
    where: str
    scenario: str = ""


@dataclass(frozen=True)
class Kept:
    """A useful value that scrubbing must leave in place.

    ``path`` (keys, and list indexes, from the event root), when given, names where it lives in the events of its
    scenario that have that path; without a path, the value must still appear somewhere in the
    scenario's serialized events.
    """

    value: Any
    where: str
    scenario: str = ""
    path: tuple[str | int, ...] = ()


@dataclass
class Corpus:
    events: list[dict[str, Any]]
    secrets: list[Planted]
    keep: list[Kept]
    #: scenario name -> indexes into ``events`` of the events it produced
    scenarios: dict[str, list[int]] = field(default_factory=dict)
    #: the hint sentry-sdk passed to ``before_send`` for each event (``{}`` for transactions)
    hints: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def events_of(self, scenario: str) -> list[dict[str, Any]]:
        return [self.events[index] for index in self.scenarios[scenario]]

    def leaks(self, outputs: list[dict[str, Any] | None]) -> list[Planted]:
        """The planted secrets still present in ``outputs`` (``outputs[i]`` is what became of
        ``events[i]``; ``None`` when it was dropped), each searched in its own scenario's events."""
        return [secret for secret in self.secrets if secret.value in self._scenario_text(outputs, secret.scenario)]

    def kept(self, outputs: list[dict[str, Any] | None]) -> tuple[list[Kept], list[Kept]]:
        """(kept, lost) among the values whose scenario still has events in ``outputs``."""
        kept: list[Kept] = []
        lost: list[Kept] = []
        for value in self.keep:
            indexes = [i for i in self.scenarios[value.scenario] if outputs[i] is not None]
            if indexes:
                survivors = [outputs[i] for i in indexes]
                originals = [self.events[i] for i in indexes]
                (kept if kept_in(value, survivors, originals) else lost).append(value)
        return kept, lost

    def _scenario_text(self, outputs: list[dict[str, Any] | None], scenario: str) -> str:
        return serialize([outputs[i] for i in self.scenarios[scenario] if outputs[i] is not None])


def serialize(events: Any) -> str:
    """The text a leak search runs over (what would be sent, as JSON)."""
    return json.dumps(events, ensure_ascii=False, default=repr)


def leaked(output: Any, secrets: list[Planted]) -> list[Planted]:
    """The planted secrets whose value appears anywhere in ``output`` (events, or a list of them)."""
    text = serialize(output)
    return [secret for secret in secrets if secret.value in text]


def resolve(event: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    """The value at ``path`` in ``event``, or ``None`` when any step is missing.

    Tolerates the shapes Sentry's own normalization gives the same data (Relay's output):
    ``[name, value]`` pair lists for headers and tags, and header names in another case.
    """
    node: Any = event
    for key in path:
        node = _step(node, key)
        if node is None:
            return None
    return node


def _step(node: Any, key: str | int) -> Any:
    if isinstance(key, int):
        return node[key] if isinstance(node, list) and -len(node) <= key < len(node) else None
    if isinstance(node, dict):
        if key in node:
            return node[key]
        return next((value for name, value in node.items() if str(name).lower() == key.lower()), None)
    if isinstance(node, list):
        pairs = [item for item in node if isinstance(item, list) and len(item) == 2]
        return next((value for name, value in pairs if str(name).lower() == key.lower()), None)
    return None


def kept_in(kept: Kept, events: list[dict[str, Any]], originals: list[dict[str, Any]] | None = None) -> bool:
    """Whether ``kept`` is in ``events`` (processed events of its scenario).

    With a path, every event whose original (``originals[i]``, or the event itself) had the path
    must still hold the value there; without one, the value must appear somewhere.
    """
    if not kept.path:
        return str(kept.value) in serialize(events)
    originals = events if originals is None else originals
    expected = [event for event, original in zip(events, originals) if resolve(original, kept.path) is not None]
    return bool(expected) and all(_holds(kept.value, resolve(event, kept.path)) for event in expected)


def _holds(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return _same_instant(expected, actual)
    if isinstance(expected, str):
        return isinstance(actual, str) and expected in actual
    return actual == expected


def _same_instant(iso_text: str, epoch_seconds: float) -> bool:
    """An ISO timestamp kept as epoch seconds (normalized events) is the same value."""
    try:
        parsed = datetime.fromisoformat(iso_text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return abs(parsed.timestamp() - epoch_seconds) < 1e-3
