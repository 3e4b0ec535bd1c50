"""The rule index: which literal values (or literal prefixes) a rule requires of an indexable field.

A rule whose top-level ``when`` requires ``error.type``, ``transaction`` or ``logger`` to equal a
literal (or to start with one) is filed under it, so an event is tested only against the rules
that could match it: a ruleset of 1,000 such rules costs about what one of 10 does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from . import syntax as cs
from .event_view import MISSING, EventView, Names
from .fields import INDEXABLE_FIELDS, scalar_getter
from .matchers import as_text, remember_answers

# ---------------------------------------------------------------------- index keys


@dataclass(frozen=True)
class IndexKeys:
    """What a rule requires of one indexable field: to equal one of ``values`` or to start with
    one of ``prefixes`` (``transaction: "/internal/*"``, ``error.type: "sqlalchemy.exc.*"``)."""

    field: str
    values: frozenset[str]
    prefixes: frozenset[str]


def index_keys(node: cs.Node | None) -> IndexKeys | None:
    """The literal values or prefixes one of a rule's top-level tests requires, if any, for indexing.

    Only a test that must hold for the whole condition to hold qualifies: the condition itself
    or a direct child of its top-level mapping, with a literal glob, a glob that is a literal
    followed by ``*``, or a list of those. The index only narrows the candidates: every candidate
    is still evaluated in full.
    """
    if node is None:
        return None
    tests = node.children if isinstance(node, cs.And) else (node,)
    for field in INDEXABLE_FIELDS:
        for test in tests:
            if isinstance(test, cs.FieldTest) and test.field == field:
                keys = _literal_keys(test.matcher)
                if keys is not None:
                    values, prefixes = keys
                    return IndexKeys(field, frozenset(values), frozenset(prefixes))
    return None


def _literal_keys(matcher: cs.Matcher) -> tuple[list[str], list[str]] | None:
    """(values, prefixes) such that every string the matcher accepts equals one of the values or
    starts with one of the prefixes, when there are such finite lists."""
    if isinstance(matcher, cs.Glob):
        values = literal_expansions(matcher.pattern)
        if values is not None:
            return values, []
        prefixes = _glob_prefixes(matcher.pattern)
        return ([], prefixes) if prefixes is not None else None
    if isinstance(matcher, cs.Equals):
        return ([matcher.value], []) if isinstance(matcher.value, str) else None
    if isinstance(matcher, cs.AnyOf):
        values, prefixes = [], []
        for item in matcher.matchers:
            keys = _literal_keys(item)
            if keys is None:
                return None
            values.extend(keys[0])
            prefixes.extend(keys[1])
        return values, prefixes
    return None


def _glob_prefixes(pattern: str) -> list[str] | None:
    """The literal prefixes of a glob that is a wildcard-free part followed by ``*`` (or ``**``):
    ``/internal/v2/*`` -> ``/internal/v2/``; ``None`` for any other glob or an empty prefix."""
    base = pattern.rstrip("*")
    if base == pattern or not base:
        return None
    escapes = len(base) - len(base.rstrip("\\"))
    if escapes % 2:  # the first stripped '*' was escaped: a literal star, not a wildcard
        return None
    prefixes = literal_expansions(base)
    if prefixes is None or not all(prefixes):
        return None
    return prefixes


MAX_EXPANSIONS = 64


def literal_expansions(pattern: str) -> list[str] | None:
    """Every string a wildcard-free glob matches (``a{b,c}`` -> ``ab``, ``ac``; ``\\{`` -> ``{``),
    or ``None`` when it has wildcards, classes, or too many alternatives."""
    results = [""]
    stack: list[tuple[list[str], list[str]]] = []  # (prefixes before '{', alternatives so far)
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch in "*?[":
            return None
        if ch == "\\" and i + 1 < len(pattern):
            results = [r + pattern[i + 1] for r in results]
            i += 2
            continue
        if ch == "{":
            stack.append((results, []))
            results = [""]
        elif ch == "," and stack:
            stack[-1][1].extend(results)
            results = [""]
        elif ch == "}" and stack:
            prefixes, alternatives = stack.pop()
            alternatives.extend(results)
            results = [p + a for p in prefixes for a in alternatives]
        else:
            results = [r + ch for r in results]
        if len(results) > MAX_EXPANSIONS:
            return None
        i += 1
    return None if stack else results


def index_lookup(field: str, table: dict[str, list[Any]],
                 prefix_table: dict[str, list[Any]] | None = None) -> Callable[[EventView], list[Any]]:
    """The rules of ``table`` (literal value -> rules) and ``prefix_table`` (prefix -> rules)
    that an event's value of an indexed field selects. For ``error.type`` every name of every
    exception of the chain is a value; an exception type's names are shared between events, so
    the rules they select are remembered with them."""
    rules_for_value = _value_lookup(table, prefix_table or {})
    if field == "error.type":
        def rules_for(names: Names) -> list[Any]:
            return [rule for name in names for rule in rules_for_value(name)]

        remembered = remember_answers(rules_for)

        def by_error_type(view: EventView) -> list[Any]:
            found: list[Any] = []
            for element in view.exceptions:
                found.extend(remembered(element.type_names))
            return found

        return by_error_type
    get = scalar_getter(field)

    def by_value(view: EventView) -> list[Any]:
        value = get(view)
        text = as_text(value) if value is not MISSING else None
        return rules_for_value(text) if text is not None else []

    return by_value


def _value_lookup(table: dict[str, list[Any]],
                  prefix_table: dict[str, list[Any]]) -> Callable[[str], Sequence[Any]]:
    """``value -> rules`` of the literal table, and of the prefix table for values starting with
    a prefix: the value's first characters are looked up at each prefix length (few)."""
    by_length: dict[int, dict[str, list[Any]]] = {}
    for prefix, rules in prefix_table.items():
        by_length.setdefault(len(prefix), {})[prefix] = rules
    lengths = tuple(sorted(by_length.items()))
    if not lengths:
        return lambda value: table.get(value, ())

    def rules_for_value(value: str) -> list[Any]:
        found = list(table.get(value, ()))
        for length, rules_by_prefix in lengths:
            if len(value) >= length:
                found.extend(rules_by_prefix.get(value[:length], ()))
        return found

    return rules_for_value
