"""Filter rules: drop or sample matching events. The first matching filter decides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..conditions.event_view import EventView
from ..conditions.tree import Compiled
from ..model import models

KEEP = "keep"
DROP = "drop"
SAMPLED_OUT = "sampled_out"


class RuleCondition:
    """A rule's ``when`` / ``unless``, compiled; shared by filter and grouping rules.

    ``matches(view)`` is composed once from the two tests, so a rule costs the event one call
    (the bare ``when`` test when there is no ``unless``)."""

    __slots__ = ("matches", "unless", "when")

    def __init__(self, when: Compiled | None, unless: Compiled | None):
        self.when = when
        self.unless = unless
        self.matches: Callable[[EventView], bool] = _composed(when, unless)

    def __repr__(self) -> str:
        return f"RuleCondition(when={self.when!r}, unless={self.unless!r})"

    def why_not(self, view: EventView) -> str | None:
        """The first failing test, or ``None`` when the rule applies (slow path, for explain)."""
        if self.when is not None:
            reason = self.when.reason(view)
            if reason is not None:
                return reason
        if self.unless is not None and self.unless.test(view):
            return "unless holds"
        return None


def _composed(when: Compiled | None, unless: Compiled | None) -> Callable[[EventView], bool]:
    if unless is None:
        return when.test if when is not None else (lambda view: True)
    unless_test = unless.test
    if when is None:
        return lambda view: not unless_test(view)
    when_test = when.test
    return lambda view: when_test(view) and not unless_test(view)


@dataclass(frozen=True)
class FilterRule:
    """A compiled filter: ``decide(random)`` says what happens to an event the rule matched."""

    position: int
    id: str
    condition: RuleCondition
    drop: bool
    sample: float | None

    def decide(self, draw: Callable[[], float]) -> str:
        if self.drop:
            return DROP
        # Independent per event: one fresh draw for every matching event.
        return KEEP if draw() < self.sample else SAMPLED_OUT  # type: ignore[operator]

    def describe(self, outcome: str) -> str:
        if self.drop:
            return "dropped"
        verb = "kept" if outcome == KEEP else "sampled out"
        return f"{verb} (sample {self.sample})"


def compile_filter(position: int, rule: models.FilterRule, condition: RuleCondition) -> FilterRule:
    return FilterRule(position, rule.id, condition, bool(rule.drop), rule.sample)
