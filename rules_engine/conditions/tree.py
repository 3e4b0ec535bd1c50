"""Condition nodes: a compiled ``when``/``unless`` tree of field leaves, element groups, and/or/not.

Each compiled node has a fast ``test(view)`` closure and a ``reason(view)`` that names the first
failing leaf; ``reason`` is used by explain and reuses the very same leaf predicates."""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable, Sequence

from .. import budget
from . import syntax as cs
from .event_view import MISSING, EventView, ExceptionElement, Names
from .fields import (
    ERROR_FIELDS,
    ERROR_GETTERS,
    FRAME_GETTERS,
    FRAME_KEYS,
    STACK_FIELDS,
    scalar_getter,
)
from .jmespath_bounds import compile_search
from .matchers import ValuePredicate, compile_matcher, describe_matcher, show_value

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
        return f"{_where(self.node.path)}: {show_value(value)} does not match {describe_matcher(self.node.matcher)}"


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
                shown = ", ".join(show_value(v) for v in seen)
                return (
                    f"{_where(node.path)}: no {self.noun}{previous} matches {describe_matcher(node.matcher)} "
                    f"(saw {shown})"
                )
            remaining = passing
        return None


# An event chooses how many exceptions and frames it holds: the loops over them check the time
# budget every budget.CHECK_EVERY elements, so one rule cannot outlast the event's limits.max_ms.


def _any_element(elements: Callable[[EventView], Sequence[Any]], element_test: Callable[[Any], bool]):
    def test(view: EventView) -> bool:
        for n, element in enumerate(elements(view), 1):
            if not n % budget.CHECK_EVERY:
                budget.check()
            if element_test(element):
                return True
        return False

    return test


def _any_element_passing_all(elements: Callable[[EventView], Sequence[Any]],
                             element_tests: tuple[Callable[[Any], bool], ...]):
    def test(view: EventView) -> bool:
        for n, element in enumerate(elements(view), 1):
            if not n % budget.CHECK_EVERY:
                budget.check()
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
        self.search = search = compile_search(node.expression)
        self.test = lambda view: _truthy(search(view.event))

    def reason(self, view: EventView) -> str | None:
        result = self.search(view.event)
        if _truthy(result):
            return None
        return f"{_where(self.node.path)}: {self.node.expression!r} is falsy (got {show_value(result)})"


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


def _where(path: cs.Path) -> str:
    return ".".join(str(p) for p in path) or "<condition>"
