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


class Trace:
    """What explain records while the pipeline runs one event (the hooks run it without one).

    The pipeline calls it at each decision, so explain reports exactly what the hooks do."""

    def __init__(self) -> None:
        self.rules: list[RuleTrace] = []
        self.dropped_by: str | None = None
        self.sampled_out = False
        self.redactions: dict[str, int] = {}

    def add(self, phase: str, rule_id: str, matched: bool, reason: str) -> RuleTrace:
        entry = RuleTrace(phase, rule_id, matched, reason)
        self.rules.append(entry)
        return entry

    def failed(self, phase: str, rule_id: str, error: Exception) -> None:
        self.add(phase, rule_id, False, f"skipped: the rule failed ({error!r})")

    def not_evaluated_after(self, phase: str, rule_ids: list[str], decided: str, why: str) -> None:
        """Every rule of ``phase`` after ``decided`` is listed as not evaluated."""
        for rule_id in rule_ids[rule_ids.index(decided) + 1:]:
            self.add(phase, rule_id, False, why)

    def entry(self, phase: str, rule_id: str) -> RuleTrace:
        return next(e for e in reversed(self.rules) if e.phase == phase and e.rule_id == rule_id)

    def stopped_by_filter(self, rule_id: str, dropped: bool, later: dict[str, list[str]]) -> None:
        """A filter dropped or sampled out the event: the later phases never ran."""
        self.dropped_by, self.sampled_out = (rule_id, False) if dropped else (None, True)
        why = f"not evaluated: the event was {'dropped' if dropped else 'sampled out'} by a filter"
        for phase, rule_ids in later.items():
            for later_id in rule_ids:
                self.add(phase, later_id, False, why)

    def scrubbed(self, rule_ids: list[str], counts: dict[str, int], where: str = "") -> None:
        """The scrub's outcome per rule; ``where`` says where it runs when that is not the item's
        own hook (a breadcrumb is scrubbed inside the event that carries it)."""
        self.redactions = dict(counts)
        for rule_id in rule_ids:
            total = counts.get(rule_id, 0)
            details = [f"{key.split('/', 1)[1]}: {value}" for key, value in sorted(counts.items())
                       if key.startswith(rule_id + "/")]
            reason = f"{total} redaction(s)" if total else "nothing to redact"
            entry = self.add("scrub", rule_id, total > 0, f"{reason} ({where})" if where else reason)
            entry.changes = details

    def scrub_failed(self, error: Exception, on_error: str, where: str = "") -> None:
        self.add("scrub", "scrub", True, f"scrubbing failed or the event cannot be sent ({error!r})"
                 + (f" ({where})" if where else "") + f"; on_error={on_error}")

    def explanation(self, before: dict, after: dict | None) -> Explanation:
        dropped_by = self.dropped_by
        if after is None and dropped_by is None and not self.sampled_out:
            dropped_by = "scrub"  # only a failed scrub drops an event after the filters
        return Explanation(self.rules, dropped_by, self.sampled_out, before, after, self.redactions)
