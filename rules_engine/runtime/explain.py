"""The trace of one event through a ruleset: every rule, whether it matched and why not, what it changed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# ---------------------------------------------------------------------- explain


@dataclass
class RuleTrace:
    """What one rule did to one event."""

    phase: str  # "filter" | "grouping" | "scrub"
    rule_id: str
    matched: bool
    reason: str
    changes: list[str] = field(default_factory=list)


@dataclass
class Explanation:
    """The trace of one event through a ruleset (see :meth:`Ruleset.explain`)."""

    rules: list[RuleTrace]
    dropped_by: str | None
    sampled_out: bool
    before: dict
    after: dict | None
    redactions: dict[str, int]

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def matched(self) -> list[RuleTrace]:
        return [r for r in self.rules if r.matched]
