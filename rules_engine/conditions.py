"""Compile condition trees (:mod:`rules_engine.condition_syntax`) into predicates over an :class:`EventView`.

Semantics follow Sentry's fingerprinting matchers where they exist:

* globs on ``error.value``, ``message``, ``level`` and ``request.method`` ignore case; globs on
  ``error.type``, ``stack.module``, ``stack.function``, ``logger``, ``transaction`` and tags do not;
* ``stack.abs_path``, ``stack.filename`` and ``stack.package`` are path globs (``*`` stops at ``/``,
  ``**`` crosses it), ignore case, and a relative path also matches as if it started with ``/``;
  ``stack.abs_path`` looks at a frame's ``abs_path`` and its ``filename``, as Sentry's ``path`` does;
* ``message`` matches the log message and, as in Sentry, every exception value;
* ``error.type`` matches the bare name (``OperationalError``), the dotted name
  (``sqlalchemy.exc.OperationalError``) and, with a live exception, every base class by either name
  (Python's builtin exceptions need no live exception: ``LookupError`` matches a ``KeyError`` offline);
* the ``error.*`` tests of one mapping must hold for one exception of the chain, and its ``stack.*``
  tests for one frame. ``error.type: {not: X}`` therefore reads "some exception is not X", while
  ``not: {error.type: X}`` reads "no exception is X".

A missing value matches only ``exists: false``, ``equals: null`` and negations.

Each compiled node has a fast ``test(view)`` closure and a ``reason(view)`` that names the first
failing leaf; ``reason`` is used by explain and reuses the very same leaf predicates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from operator import attrgetter, methodcaller
from typing import Any, Callable, Sequence

import jmespath

from . import condition_syntax as cs
from .event_view import (
    ERROR_FIELDS,
    ERROR_GETTERS,
    FRAME_GETTERS,
    FRAME_KEYS,
    MISSING,
    STACK_FIELDS,
    EventView,
    ExceptionElement,
    Names,
    scalar_getter,
)
from .exception_names import remember_rule_names
from .glob import compile_glob, is_literal, translate
from .regex import compile_regex

ValuePredicate = Callable[[Any], bool]

CASE_INSENSITIVE_FIELDS = frozenset(
    {"error.value", "message", "level", "request.method", "stack.abs_path", "stack.filename", "stack.package"}
)
PATH_FIELDS = frozenset({"stack.abs_path", "stack.filename", "stack.package"})

#: Fields a rule can be indexed by: a literal value (or list of literals) in its top-level ``when``.
INDEXABLE_FIELDS = ("error.type", "transaction", "logger")


# ---------------------------------------------------------------------- matchers


def compile_matcher(matcher: cs.Matcher, field: str) -> ValuePredicate:
    """A predicate over a field value: a scalar, a tuple of candidates (any may match) or MISSING."""
    if field == "error.type":  # classes re-exported where a rule looks answer to that name too
        remember_rule_names(_glob_patterns(matcher))
    if isinstance(matcher, cs.NotMatcher):
        inner = compile_matcher(matcher.matcher, field)
        return lambda value: not inner(value)
    if isinstance(matcher, cs.AnyOf):
        merged = _merged_globs(matcher.matchers, field)
        if merged is not None:
            return merged
        return _any_part(tuple(compile_matcher(m, field) for m in matcher.matchers))
    if isinstance(matcher, cs.AllOf):
        return _all_parts(tuple(compile_matcher(m, field) for m in matcher.matchers))
    if isinstance(matcher, cs.Exists):
        expected = matcher.expected
        return lambda value: (value is not MISSING) is expected
    if isinstance(matcher, cs.Equals) and matcher.value is None:
        return lambda value: value is MISSING
    if isinstance(matcher, cs.Glob) and field not in PATH_FIELDS:
        return _globs_predicate((matcher.pattern,), field in CASE_INSENSITIVE_FIELDS)
    return _over_candidates(_scalar_predicate(matcher, field), whole_names=isinstance(matcher, cs.Glob))


def _glob_patterns(matcher: cs.Matcher) -> list[str]:
    if isinstance(matcher, cs.Glob):
        return [matcher.pattern]
    if isinstance(matcher, cs.NotMatcher):
        return _glob_patterns(matcher.matcher)
    if isinstance(matcher, (cs.AnyOf, cs.AllOf)):
        return [pattern for m in matcher.matchers for pattern in _glob_patterns(m)]
    return []


def _any_part(parts: tuple[ValuePredicate, ...]) -> ValuePredicate:
    def any_part(value: Any) -> bool:
        for part in parts:
            if part(value):
                return True
        return False

    return any_part


def _all_parts(parts: tuple[ValuePredicate, ...]) -> ValuePredicate:
    if len(parts) == 2:  # {gte: 400, lt: 500}
        first, second = parts
        return lambda value: first(value) and second(value)

    def all_parts(value: Any) -> bool:
        for part in parts:
            if not part(value):
                return False
        return True

    return all_parts


def _merged_globs(matchers: Sequence[cs.Matcher], field: str) -> ValuePredicate | None:
    """A list of plain globs (``transaction: ["*/health", "*/ping"]``) as one predicate that
    tests them all at once; ``None`` when the list holds other matchers or the field is a path."""
    if field in PATH_FIELDS or not all(isinstance(m, cs.Glob) for m in matchers):
        return None
    return _globs_predicate(tuple(m.pattern for m in matchers), field in CASE_INSENSITIVE_FIELDS)


def _over_candidates(test: ValuePredicate, *, whole_names: bool = False) -> ValuePredicate:
    """Lift a scalar test to multi-valued fields: any candidate may match. A glob takes a
    :class:`~rules_engine.event_view.Names` tuple whole (one search over all names)."""

    def predicate(value: Any) -> bool:
        if type(value) is str:
            return test(value)
        if value is MISSING:
            return False
        if isinstance(value, tuple):
            if whole_names and isinstance(value, Names):
                return test(value)
            for candidate in value:
                if test(candidate):
                    return True
            return False
        return test(value)

    return predicate


def _scalar_predicate(matcher: cs.Matcher, field: str) -> ValuePredicate:
    ignore_case = field in CASE_INSENSITIVE_FIELDS
    if isinstance(matcher, cs.Glob):  # only path globs come here (see compile_matcher)
        return _path_glob_predicate(matcher.pattern, ignore_case)
    if isinstance(matcher, cs.Regex):
        search = compile_regex(matcher.pattern).search
        return lambda value: (text := as_text(value)) is not None and search(text) is not None
    if isinstance(matcher, cs.Equals):
        return _equals_predicate(matcher.value, ignore_case)
    if isinstance(matcher, cs.Compare):
        return _compare_predicate(matcher.op, matcher.value)
    raise TypeError(f"unknown matcher {matcher!r}")


def _path_glob_predicate(pattern: str, ignore_case: bool) -> ValuePredicate:
    """A glob on a path field, as a scalar test (other globs: :func:`_globs_predicate`)."""
    match = compile_glob(pattern, path=True, ignore_case=ignore_case)

    def path_glob(value: Any) -> bool:
        text = as_text(value)
        if text is None:
            return False
        return match(text) or (not text.startswith(("/", "\\")) and match("/" + text))

    return path_glob


def _globs_predicate(patterns: tuple[str, ...], ignore_case: bool) -> ValuePredicate:
    """Whether a field value matches any of the (non-path) globs.

    This is the hot path of glob rules, so it takes the field value as it comes, lifted like
    :func:`_over_candidates` lifts a scalar test: a string is tested as it is, ``MISSING``
    never matches, a :class:`~rules_engine.event_view.Names` tuple is tested whole and any
    other tuple candidate by candidate. Case-sensitive wildcard-free globs compare with a
    set; the others go through :func:`_text_matcher`."""
    if not ignore_case and all(is_literal(p) for p in patterns):
        return _literals_predicate(frozenset(patterns))
    flags = re.IGNORECASE if ignore_case else 0
    regex_match = _joined_globs(patterns, flags).match
    matches_text = _text_matcher(patterns, ignore_case, regex_match)

    @cache  # only error.type gives names: other fields never compile this
    def multi_search() -> Callable[[str], Any] | None:
        return _multiline_search(patterns, flags)

    def names_match(names: Names) -> bool:
        search = multi_search()
        if search is not None:
            return search(names.joined) is not None
        return any(regex_match(v) is not None for v in names)

    matches_names = _remembered(names_match)

    def one(value: Any) -> bool:
        if type(value) is str:
            return matches_text(value)
        if isinstance(value, Names):
            return matches_names(value)
        text = as_text(value)  # MISSING and containers read as None
        return text is not None and matches_text(text)

    def glob(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            return matches_text(value)
        if kind is Names:
            return matches_names(value)
        if value is MISSING:
            return False
        if isinstance(value, tuple) and not isinstance(value, Names):
            return any(one(v) for v in value)
        return one(value)

    glob.for_text = matches_text  # type: ignore[attr-defined]
    glob.for_names = matches_names  # type: ignore[attr-defined]
    return glob


def _joined_globs(patterns: Sequence[str], flags: int) -> re.Pattern[str]:
    """One regex that matches a whole string when any of the globs does. Each translated glob
    is a group and an anchor, with no ``|`` outside its group, so they join as they are (and
    one glob gives the very regex the loader compiled to check it: ``re``'s cache has it)."""
    return re.compile("|".join(translate(p) for p in patterns), flags)


def _glob_shape(pattern: str) -> tuple[str, str] | None:
    """``(shape, text)`` of a glob that is one literal text with ``*`` runs only at its ends:
    ``exact``, ``prefix`` (``text*``), ``suffix`` (``*text``) or ``inside`` (``*text*``);
    ``None`` for any other glob."""
    text = pattern.strip("*")
    if not is_literal(text):
        return None
    starts, ends = pattern.startswith("*"), pattern.endswith("*")
    if starts and ends:
        return "inside", text
    if starts:
        return "suffix", text
    return ("prefix", text) if ends else ("exact", text)


def _text_matcher(patterns: tuple[str, ...], ignore_case: bool,
                  regex_match: Callable[[str], Any]) -> Callable[[str], bool]:
    """A test of one string against the globs (``regex_match`` is all of them as one regex).

    Globs shaped like ``*Error``, ``/api/*`` or ``*timeout*`` are tested with string methods:
    a regex starting with ``.*`` backtracks over the whole string, a suffix test does not.
    The other globs share one regex. Ignoring case, the string methods only see ASCII text
    (lower-cased), where lower-casing agrees with the regex's case folding; other text goes
    through the regex of all the globs."""
    if ignore_case and not all(p.isascii() for p in patterns):
        return lambda text: regex_match(text) is not None
    shapes: dict[str, list[str]] = {"exact": [], "prefix": [], "suffix": [], "inside": []}
    others: list[str] = []
    for pattern in patterns:
        shape = _glob_shape(pattern)
        if shape is None:
            others.append(pattern)
        else:
            shapes[shape[0]].append(shape[1].lower() if ignore_case else shape[1])
    exact = frozenset(shapes["exact"])
    prefixes, suffixes, inside = tuple(shapes["prefix"]), tuple(shapes["suffix"]), tuple(shapes["inside"])
    others_match = _joined_globs(others, re.IGNORECASE if ignore_case else 0).match if others else None

    by_shape = _shape_test(exact, prefixes, suffixes, inside, others_match)
    if not ignore_case:
        return by_shape

    def caseless(text: str) -> bool:
        if text.isascii():
            return by_shape(text.lower())
        return regex_match(text) is not None

    return caseless


def _shape_test(exact: frozenset[str], prefixes: tuple[str, ...], suffixes: tuple[str, ...],
                inside: tuple[str, ...], others_match: Callable[[str], Any] | None) -> Callable[[str], bool]:
    """The string test of :func:`_text_matcher`. Globs of one shape (the usual case: a list
    of suffixes, of prefixes...) get a string method as it is, with no Python call around it."""
    if others_match is None:
        only_one_shape = sum(map(bool, (exact, prefixes, suffixes, inside))) == 1
        if only_one_shape and exact:
            return exact.__contains__
        if only_one_shape and prefixes:
            return methodcaller("startswith", prefixes)
        if only_one_shape and suffixes:
            return methodcaller("endswith", suffixes)
        if only_one_shape and len(inside) == 1:
            return methodcaller("__contains__", inside[0])

    def by_shape(text: str) -> bool:
        if exact and text in exact:
            return True
        if prefixes and text.startswith(prefixes):
            return True
        if suffixes and text.endswith(suffixes):
            return True
        for part in inside:
            if part in text:
                return True
        return others_match is not None and others_match(text) is not None

    return by_shape


#: How many distinct exception-name tuples one glob remembers its answer for.
_REMEMBERED_NAMES = 1024


def _remembered(names_match: Callable[[Names], bool]) -> Callable[[Names], bool]:
    """``names_match`` with its answers kept: an exception type's names are one shared tuple
    for every event of that type (see ``event_view._type_names``), so after the first event a
    test of ``error.type`` is a dict lookup. The memory is bounded, and clearing it (or two
    threads computing the same answer at once) only costs a recomputation."""
    answers: dict[Names, bool] = {}

    def remembered(names: Names) -> bool:
        answer = answers.get(names)
        if answer is None:
            if len(answers) >= _REMEMBERED_NAMES:
                answers.clear()
            answer = answers[names] = names_match(names)
        return answer

    return remembered


def _literals_predicate(literals: frozenset[str]) -> ValuePredicate:
    """Case-sensitive wildcard-free globs: the value (or one of its names) is one of them.
    Only strings (and numbers and booleans, read as JSON writes them) can be equal to one."""

    def one(value: Any) -> bool:
        if type(value) is str:
            return value in literals
        if isinstance(value, tuple):  # the names of an exception, or a tuple inside candidates
            return any(isinstance(v, str) and v in literals for v in value)
        text = as_text(value)
        return text is not None and text in literals

    def literal(value: Any) -> bool:
        if type(value) is str:
            return value in literals
        if isinstance(value, Names):
            return not literals.isdisjoint(value)
        if isinstance(value, tuple):
            return any(one(v) for v in value)
        return one(value)

    literal.for_text = literals.__contains__  # type: ignore[attr-defined]
    return literal


def _multiline_search(patterns: tuple[str, ...], flags: int) -> Callable[[str], Any] | None:
    """The globs as one search over newline-joined names (one line per name): without DOTALL,
    ``.`` stays within a line. Character classes could match a newline, so they are left out."""
    if any("[" in pattern for pattern in patterns):
        return None
    bodies = [translate(pattern)[len("(?s:"):-len(r")\Z")] for pattern in patterns]
    return re.compile("(?m)^(?:" + "|".join(bodies) + ")$", flags).search


def _equals_predicate(expected: Any, ignore_case: bool) -> ValuePredicate:
    if isinstance(expected, bool):
        return lambda value: _as_bool(value) is expected
    if isinstance(expected, (int, float)):
        return lambda value: _as_number(value) == expected
    if isinstance(expected, str) and ignore_case:
        folded = expected.casefold()
        return lambda value: isinstance(value, str) and value.casefold() == folded
    return lambda value: value == expected and type(value) is not bool


_COMPARE_OPS: dict[str, Callable[[float, float], bool]] = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}


def _compare_predicate(op: str, bound: float) -> ValuePredicate:
    compare = _COMPARE_OPS[op]

    def predicate(value: Any) -> bool:
        number = _as_number(value)
        return number is not None and compare(number, bound)

    return predicate


def as_text(value: Any) -> str | None:
    """How a non-string value reads to a glob or regex: numbers and booleans as JSON writes them."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(value.lower())
    return None


def describe_matcher(matcher: cs.Matcher) -> str:
    """A short text of a matcher for explain output."""
    if isinstance(matcher, cs.Glob):
        return f"glob {matcher.pattern!r}"
    if isinstance(matcher, cs.Regex):
        return f"regex {matcher.pattern!r}"
    if isinstance(matcher, cs.Equals):
        return f"equals {matcher.value!r}"
    if isinstance(matcher, cs.Compare):
        return f"{matcher.op} {matcher.value!r}"
    if isinstance(matcher, cs.Exists):
        return f"exists {str(matcher.expected).lower()}"
    if isinstance(matcher, cs.NotMatcher):
        return f"not ({describe_matcher(matcher.matcher)})"
    if isinstance(matcher, (cs.AnyOf, cs.AllOf)):
        word = "any of" if isinstance(matcher, cs.AnyOf) else "all of"
        return f"{word} [{', '.join(describe_matcher(m) for m in matcher.matchers)}]"
    return repr(matcher)


def _show(value: Any) -> str:
    if value is MISSING:
        return "absent"
    text = repr(list(value) if type(value) is tuple else value)
    return text if len(text) <= 120 else text[:117] + "..."


def _where(path: cs.Path) -> str:
    return ".".join(str(p) for p in path) or "<condition>"


# ---------------------------------------------------------------------- nodes


class Compiled:
    """A compiled condition node: ``test(view) -> bool`` and ``reason(view) -> str | None``."""

    __slots__ = ("test",)

    def reason(self, view: EventView) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError


class _FieldLeaf(Compiled):
    """A test of a single-valued field."""

    __slots__ = ("node", "get", "match")

    def __init__(self, node: cs.FieldTest):
        self.node = node
        self.get = get = scalar_getter(node.field)
        self.match = match = compile_matcher(node.matcher, node.field)
        self.test = lambda view: match(get(view))

    def reason(self, view: EventView) -> str | None:
        value = self.get(view)
        if self.match(value):
            return None
        return f"{_where(self.node.path)}: {_show(value)} does not match {describe_matcher(self.node.matcher)}"


class _ElementGroup(Compiled):
    """``error.*`` tests that one exception must pass together, or ``stack.*`` tests for one frame."""

    __slots__ = ("nodes", "element_tests", "elements", "noun")

    def __init__(self, nodes: Sequence[cs.FieldTest], family: str):
        self.nodes = tuple(nodes)
        self.element_tests = tests = tuple(
            _element_test(n.field, compile_matcher(n.matcher, n.field)) for n in self.nodes
        )
        self.noun = "exception of the chain" if family == "error" else "stack frame"
        self.elements = elements = attrgetter("exception_elements" if family == "error" else "frame_elements")
        self.test = _any_element(elements, tests[0]) if len(tests) == 1 else _any_element_passing_all(elements, tests)

    def reason(self, view: EventView) -> str | None:
        remaining = list(self.elements(view))
        for node, element_test in zip(self.nodes, self.element_tests):
            passing = [e for e in remaining if element_test(e)]
            if not passing:
                getter = (ERROR_GETTERS | FRAME_GETTERS)[node.field]
                seen = [getter(e) for e in remaining][:5]
                previous = " that passed the previous tests" if len(remaining) != len(self.elements(view)) else ""
                shown = ", ".join(_show(v) for v in seen)
                return (
                    f"{_where(node.path)}: no {self.noun}{previous} matches {describe_matcher(node.matcher)} "
                    f"(saw {shown})"
                )
            remaining = passing
        return None


def _any_element(elements: Callable[[EventView], Sequence[Any]], element_test: Callable[[Any], bool]):
    def test(view: EventView) -> bool:
        for element in elements(view):
            if element_test(element):
                return True
        return False

    return test


def _any_element_passing_all(elements: Callable[[EventView], Sequence[Any]],
                             element_tests: tuple[Callable[[Any], bool], ...]):
    def test(view: EventView) -> bool:
        for element in elements(view):
            for element_test in element_tests:
                if not element_test(element):
                    break
            else:
                return True
        return False

    return test


def _element_test(field: str, match: ValuePredicate) -> Callable[[Any], bool]:
    key = FRAME_KEYS.get(field)
    # A stack test runs on every frame of the event: read the frame's key here, and test a
    # string with the glob's own string test (``for_text``) when it has one.
    text_test = getattr(match, "for_text", None)
    if key is not None and text_test is not None:
        def frame_text_test(frame: dict) -> bool:
            value = frame.get(key)
            if type(value) is str:
                return text_test(value)
            return match(MISSING if value is None else value)

        return frame_text_test
    if key is not None:
        def frame_test(frame: dict) -> bool:
            value = frame.get(key)
            return match(MISSING if value is None else value)

        return frame_test
    names_test = getattr(match, "for_names", None)
    if field == "error.type" and names_test is not None:  # straight to the glob's remembered answers
        def error_type_test(element: ExceptionElement) -> bool:
            names = element.type_value
            return names_test(names) if type(names) is Names else match(names)

        return error_type_test
    get = ERROR_GETTERS[field] if field in ERROR_GETTERS else FRAME_GETTERS[field]
    return lambda element: match(get(element))


class _JMESPathLeaf(Compiled):
    __slots__ = ("node", "search")

    def __init__(self, node: cs.JMESPath):
        self.node = node
        self.search = search = jmespath.compile(node.expression).search
        self.test = lambda view: _truthy(search(view.event))

    def reason(self, view: EventView) -> str | None:
        result = self.search(view.event)
        if _truthy(result):
            return None
        return f"{_where(self.node.path)}: {self.node.expression!r} is falsy (got {_show(result)})"


def _truthy(result: Any) -> bool:
    """JMESPath truthiness: null, false and empty strings, lists and objects are false; 0 is true."""
    if result is None or result is False:
        return False
    if isinstance(result, (str, list, dict)):
        return len(result) > 0
    return True


class _All(Compiled):
    __slots__ = ("children",)

    def __init__(self, children: Sequence[Compiled]):
        self.children = tuple(children)
        tests = tuple(c.test for c in self.children)
        if len(tests) == 2:
            first, second = tests
            self.test = lambda view: first(view) and second(view)
        else:
            def test(view: EventView) -> bool:
                for child_test in tests:
                    if not child_test(view):
                        return False
                return True

            self.test = test

    def reason(self, view: EventView) -> str | None:
        for child in self.children:
            why = child.reason(view)
            if why is not None:
                return why
        return None


class _Any(Compiled):
    __slots__ = ("children", "path")

    def __init__(self, children: Sequence[Compiled], path: cs.Path):
        self.children = tuple(children)
        self.path = path
        tests = tuple(c.test for c in self.children)

        def test(view: EventView) -> bool:
            for child_test in tests:
                if child_test(view):
                    return True
            return False

        self.test = test

    def reason(self, view: EventView) -> str | None:
        reasons = [c.reason(view) for c in self.children]
        if any(r is None for r in reasons):
            return None
        return f"{_where(self.path)}: none of the alternatives holds ({'; '.join(r for r in reasons if r)})"


class _Not(Compiled):
    __slots__ = ("child", "path")

    def __init__(self, child: Compiled, path: cs.Path):
        self.child = child
        self.path = path
        test = child.test
        self.test = lambda view: not test(view)

    def reason(self, view: EventView) -> str | None:
        if self.child.test(view):
            return f"{_where(self.path)}: the negated condition holds"
        return None


# ---------------------------------------------------------------------- compile


def compile_condition(node: cs.Node) -> Compiled:
    """Compile a parsed condition tree."""
    if isinstance(node, cs.And):
        return _compile_and(node.children)
    if isinstance(node, cs.Or):
        return _Any([compile_condition(child) for child in node.children], node.path)
    if isinstance(node, cs.Not):
        return _Not(compile_condition(node.child), node.path)
    if isinstance(node, cs.JMESPath):
        return _JMESPathLeaf(node)
    if isinstance(node, cs.FieldTest):
        return _compile_and((node,))
    raise TypeError(f"unknown condition node {node!r}")


def _compile_and(children: Sequence[cs.Node]) -> Compiled:
    """Compile an AND; ``error.*`` tests written in one mapping must hold on one exception, and
    ``stack.*`` tests of one mapping on one frame. Tests from separate items of an ``all:``
    list are independent (each item is a mapping of its own)."""
    groups: dict[tuple[str, cs.Path], list[cs.FieldTest]] = {}
    for child in children:
        family = _family(child)
        if family is not None:
            groups.setdefault((family, child.path[:-1]), []).append(child)  # type: ignore[union-attr]
    compiled: list[Compiled] = []
    for child in children:
        family = _family(child)
        if family is None:
            compiled.append(_FieldLeaf(child) if isinstance(child, cs.FieldTest) else compile_condition(child))
            continue
        group = groups[(family, child.path[:-1])]  # type: ignore[union-attr]
        if child is group[0]:
            compiled.append(_ElementGroup(group, family))
    return compiled[0] if len(compiled) == 1 else _All(compiled)


def _family(node: cs.Node) -> str | None:
    if isinstance(node, cs.FieldTest):
        if node.field in ERROR_FIELDS:
            return "error"
        if node.field in STACK_FIELDS:
            return "stack"
    return None


def parse_and_compile(raw: dict, path: cs.Path = ("when",)) -> tuple[cs.Node, Compiled]:
    """Parse a condition mapping (raising ``ValueError`` on problems) and compile it."""
    node = cs.parse_condition(raw, path)
    assert node is not None
    return node, compile_condition(node)


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

        remembered = _remembered(rules_for)

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
