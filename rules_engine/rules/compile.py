"""Assemble a ruleset model into compiled, indexed rules.

Rules are indexed by what they test: a rule whose top-level ``when`` requires a literal
``error.type``, ``transaction`` or ``logger`` (``error.type: sqlalchemy.exc.OperationalError``,
``transaction: [/health, /ping]``), or a literal prefix of one (``transaction: /internal/*``,
``error.type: sqlalchemy.exc.*``), is only considered for events offering a matching value.
Every other rule is always a candidate. Candidates are evaluated in the rules' original
order, so "first match decides" is exactly what it would be without the index; an event
pays for the rules that could match it, not for every rule of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Sequence, TypeVar

from ..conditions.event_view import EventView
from ..conditions.index import index_keys, index_lookup
from ..conditions.syntax import Node, parse_condition
from ..conditions.tree import compile_condition
from ..model import models
from .filters import FilterRule, RuleCondition, compile_filter
from .grouping import GroupingRule, compile_grouping

KINDS = ("error", "transaction", "breadcrumb", "log", "metric")

R = TypeVar("R", FilterRule, GroupingRule)
from ..errors import RulesEngineError


class RuleIndex(Generic[R]):
    """The rules of one phase for one kind of event, with a lookup by literal field values."""

    def __init__(self, rules: Sequence[tuple[R, Node | None]]):
        self.rules: tuple[R, ...] = tuple(rule for rule, _ in rules)
        always: list[R] = []
        #: field -> (literal value -> rules, prefix -> rules)
        by_field: dict[str, tuple[dict[str, list[R]], dict[str, list[R]]]] = {}
        for rule, when in rules:
            keys = index_keys(when)
            if keys is None:
                always.append(rule)
                continue
            values, prefixes = by_field.setdefault(keys.field, ({}, {}))
            for value in keys.values:
                values.setdefault(value, []).append(rule)
            for prefix in keys.prefixes:
                prefixes.setdefault(prefix, []).append(rule)
        self.always: tuple[R, ...] = tuple(always)
        self._lookups: tuple[Callable[[EventView], list[R]], ...] = tuple(
            index_lookup(name, values, prefixes) for name, (values, prefixes) in by_field.items()
        )
        #: False when no rule is indexed: every rule is a candidate, :attr:`always` is the answer.
        self.indexed = bool(self._lookups)

    def candidates(self, view: EventView) -> Sequence[R]:
        """The rules that could match this event, in their original order."""
        if not self._lookups:
            return self.always
        hits: dict[int, R] = {}
        for lookup in self._lookups:
            for rule in lookup(view):
                hits[rule.position] = rule
        if not hits:
            return self.always
        for rule in self.always:
            hits[rule.position] = rule
        return [hits[position] for position in sorted(hits)]

    def __len__(self) -> int:
        return len(self.rules)


@dataclass
class CompiledRules:
    """Filters and grouping rules, indexed per kind of event."""

    filters: dict[str, RuleIndex[FilterRule]] = field(default_factory=dict)
    grouping: dict[str, RuleIndex[GroupingRule]] = field(default_factory=dict)
    filter_ids: tuple[str, ...] = ()
    grouping_ids: tuple[str, ...] = ()


def compile_condition_pair(rule: Any, section: str, position: int) -> tuple[RuleCondition, Node | None]:
    """Parse and compile a rule's ``when`` and ``unless`` (raises ``ValueError`` naming the rule)."""
    nodes: dict[str, Node | None] = {}
    for key in ("when", "unless"):
        raw = getattr(rule, key)
        nodes[key] = parse_condition(raw, (key,)) if raw is not None else None
    condition = RuleCondition(
        when=compile_condition(nodes["when"]) if nodes["when"] is not None else None,
        unless=compile_condition(nodes["unless"]) if nodes["unless"] is not None else None,
    )
    return condition, nodes["when"]


def compile_rules(model: models.RulesetSpec) -> CompiledRules:
    """Compile every filter and grouping rule of the model; raises ``ValueError`` for a bad one."""
    filters: list[tuple[FilterRule, Node | None, frozenset[str]]] = []
    for position, rule in enumerate(model.filters):
        condition, when = _checked(compile_condition_pair, rule, "filters", position)
        filters.append((compile_filter(position, rule, condition), when, frozenset(rule.on)))
    grouping: list[tuple[GroupingRule, Node | None, frozenset[str]]] = []
    for position, rule in enumerate(model.grouping):
        condition, when = _checked(compile_condition_pair, rule, "grouping", position)
        compiled = _checked(lambda r, s, p: compile_grouping(p, r, condition), rule, "grouping", position)
        grouping.append((compiled, when, frozenset(rule.on)))
    return CompiledRules(
        filters={kind: RuleIndex([(r, w) for r, w, on in filters if kind in on]) for kind in KINDS},
        grouping={kind: RuleIndex([(r, w) for r, w, on in grouping if kind in on]) for kind in KINDS},
        filter_ids=tuple(r.id for r, _, _ in filters),
        grouping_ids=tuple(r.id for r, _, _ in grouping),
    )


class RuleCompileError(RulesEngineError, ValueError):
    """A rule that cannot be compiled; names the rule so the problem can point at it."""

    def __init__(self, rule_id: str, section: str, position: int, message: str):
        self.rule_id = rule_id
        super().__init__(f"{section}[{position}] (id {rule_id!r}): {message}")


def _checked(step: Callable[..., Any], rule: Any, section: str, position: int) -> Any:
    try:
        return step(rule, section, position)
    except ValueError as exc:
        raise RuleCompileError(rule.id, section, position, str(exc)) from exc
