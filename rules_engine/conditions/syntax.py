"""The grammar of conditions (``when`` / ``unless``): parsing into a small tree.

A condition is a mapping; its keys are ANDed. Keys are event fields
(``error.type``, ``tags.team`` ...) or the combinators ``any``, ``all``, ``not``
and ``jmespath``. A field's value is a matcher:

* a string is a glob, a number / bool / null an equality test;
* a list is any-of its items;
* a mapping combines operators (ANDed): ``regex``, ``glob``, ``equals``,
  ``lt``/``lte``/``gt``/``gte``, ``exists`` and ``not``.

:func:`parse_condition` turns the mapping into :class:`Node` objects and reports
every problem with the key path it is at, so the loader can point at the line.
Compiling the tree into closures is :mod:`rules_engine.conditions`' job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

import jmespath
import jmespath.exceptions

from ..errors import did_you_mean
from .fields import FAMILIES, FIELDS, PATH_FIELDS, is_known_field
from .glob import GlobError, compile_glob
from .regex import RegexError, compile_regex, regex_problem

# --------------------------------------------------------------------------- vocabulary

COMBINATORS = ("any", "all", "not", "jmespath")
OPERATORS = ("glob", "regex", "equals", "lt", "lte", "gt", "gte", "exists", "not")


# --------------------------------------------------------------------------- tree

Path = tuple[Union[str, int], ...]


@dataclass(frozen=True)
class Glob:
    pattern: str


@dataclass(frozen=True)
class Regex:
    pattern: str


@dataclass(frozen=True)
class Equals:
    value: Any


@dataclass(frozen=True)
class Compare:
    op: str  # lt | lte | gt | gte
    value: float


@dataclass(frozen=True)
class Exists:
    expected: bool


@dataclass(frozen=True)
class NotMatcher:
    matcher: "Matcher"


@dataclass(frozen=True)
class AnyOf:
    matchers: tuple["Matcher", ...]


@dataclass(frozen=True)
class AllOf:
    matchers: tuple["Matcher", ...]


Matcher = Union[Glob, Regex, Equals, Compare, Exists, NotMatcher, AnyOf, AllOf]


@dataclass(frozen=True)
class FieldTest:
    field: str
    matcher: Matcher
    path: Path = ()


@dataclass(frozen=True)
class JMESPath:
    expression: str
    path: Path = ()


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]
    path: Path = ()


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]
    path: Path = ()


@dataclass(frozen=True)
class Not:
    child: "Node"
    path: Path = ()


Node = Union[FieldTest, JMESPath, And, Or, Not]


@dataclass
class SyntaxProblems:
    """Problems found while parsing, each at the key path (relative to the file root)."""

    #: (key path, message, whether the problem is about the key itself rather than its value)
    items: list[tuple[Path, str, bool]] = field(default_factory=list)

    def add(self, path: Path, message: str, *, at_key: bool = False) -> None:
        self.items.append((path, message, at_key))


# --------------------------------------------------------------------------- parsing


def parse_condition(raw: Any, path: Path = (), problems: SyntaxProblems | None = None) -> Node | None:
    """Parse a condition mapping. Problems go to ``problems`` (or raise ``ValueError`` if none given)."""
    collect = problems if problems is not None else SyntaxProblems()
    node = _parse_mapping(raw, path, collect)
    if problems is None and collect.items:
        raise ValueError("; ".join(f"{'.'.join(map(str, p)) or '<root>'}: {m}" for p, m, _ in collect.items))
    return node


def _parse_mapping(raw: Any, path: Path, problems: SyntaxProblems) -> Node | None:
    if not isinstance(raw, dict):
        problems.add(path, f"a condition must be a mapping of fields to matchers, not {_kind(raw)}")
        return None
    if not raw:
        problems.add(path, "a condition needs at least one field")
        return None
    children = [child for key, value in raw.items() if (child := _parse_entry(key, value, path + (key,), problems))]
    return children[0] if len(children) == 1 else And(tuple(children), path)


def _parse_entry(key: Any, value: Any, path: Path, problems: SyntaxProblems) -> Node | None:
    if not isinstance(key, str):
        problems.add(path, f"condition keys must be strings, not {_kind(key)}", at_key=True)
        return None
    if key in ("any", "all"):
        if not isinstance(value, list) or not value:
            problems.add(path, f"'{key}' takes a non-empty list of conditions")
            return None
        parts = [_parse_mapping(item, path + (i,), problems) for i, item in enumerate(value)]
        kids = tuple(p for p in parts if p is not None)
        return (Or if key == "any" else And)(kids, path)
    if key == "not":
        child = _parse_mapping(value, path, problems)
        return Not(child, path) if child is not None else None
    if key == "jmespath":
        if not isinstance(value, str):
            problems.add(path, "'jmespath' takes an expression string")
            return None
        try:
            jmespath.compile(value)
        except jmespath.exceptions.JMESPathError as exc:
            problems.add(path, f"invalid JMESPath expression {value!r}: {_first_line(exc)}")
            return None
        return JMESPath(value, path)
    if not is_known_field(key):
        hint = did_you_mean(key, [*FIELDS, *COMBINATORS, *(p + "<name>" for p in FAMILIES)])
        problems.add(path, f"unknown condition field '{key}'{hint}", at_key=True)
        return None
    matcher = parse_matcher(value, path, problems, path_field=key in PATH_FIELDS)
    return FieldTest(key, matcher, path) if matcher is not None else None


def parse_matcher(value: Any, path: Path, problems: SyntaxProblems, *, path_field: bool = False) -> Matcher | None:
    if isinstance(value, str):
        return _glob(value, path, problems, path_field)
    if value is None or isinstance(value, (bool, int, float)):
        return Equals(value)
    if isinstance(value, list):
        if not value:
            problems.add(path, "an any-of list needs at least one value")
            return None
        items = [parse_matcher(v, path + (i,), problems, path_field=path_field) for i, v in enumerate(value)]
        kept = tuple(m for m in items if m is not None)
        return AnyOf(kept) if len(kept) == len(items) else None
    if isinstance(value, dict):
        return _parse_operators(value, path, problems, path_field)
    problems.add(path, f"a matcher must be a string, number, list or mapping, not {_kind(value)}")
    return None


def _parse_operators(value: dict, path: Path, problems: SyntaxProblems, path_field: bool) -> Matcher | None:
    if not value:
        problems.add(path, f"a matcher mapping needs an operator: {', '.join(OPERATORS)}")
        return None
    parts: list[Matcher] = []
    ok = True
    for op, arg in value.items():
        here = path + (op,)
        matcher = _parse_operator(op, arg, here, problems, path_field)
        ok = ok and matcher is not None
        if matcher is not None:
            parts.append(matcher)
    if not ok:
        return None
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _parse_operator(op: Any, arg: Any, path: Path, problems: SyntaxProblems, path_field: bool) -> Matcher | None:
    if op == "glob":
        if isinstance(arg, str):
            return _glob(arg, path, problems, path_field)
        problems.add(path, "'glob' takes a pattern string")
    elif op == "regex":
        if not isinstance(arg, str):
            problems.add(path, "'regex' takes a pattern string")
            return None
        try:
            compile_regex(arg)
        except RegexError as exc:
            problems.add(path, regex_problem(arg, exc))
            return None
        return Regex(arg)
    elif op == "equals":
        return Equals(arg)
    elif op in ("lt", "lte", "gt", "gte"):
        if isinstance(arg, (int, float)) and not isinstance(arg, bool):
            return Compare(op, arg)
        problems.add(path, f"'{op}' takes a number, not {_kind(arg)}")
    elif op == "exists":
        if isinstance(arg, bool):
            return Exists(arg)
        problems.add(path, "'exists' takes true or false")
    elif op == "not":
        inner = parse_matcher(arg, path, problems, path_field=path_field)
        return NotMatcher(inner) if inner is not None else None
    else:
        problems.add(path, f"unknown matcher operator '{op}'{did_you_mean(str(op), OPERATORS)}", at_key=True)
    return None


def _glob(pattern: str, path: Path, problems: SyntaxProblems, path_field: bool) -> Matcher | None:
    try:
        compile_glob(pattern, path=path_field)
    except GlobError as exc:
        problems.add(path, str(exc))
        return None
    return Glob(pattern)


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "null"}.get(type(value), type(value).__name__)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --------------------------------------------------------------------------- JSON Schema


def json_schema_defs() -> dict[str, Any]:
    """``$defs`` entries ``Condition`` and ``Matcher`` for the ruleset JSON Schema."""
    matcher_ref = {"$ref": "#/$defs/Matcher"}
    properties: dict[str, Any] = {name: {**matcher_ref, "description": f.doc} for name, f in FIELDS.items()}
    properties["any"] = {
        "description": "Holds when any of these conditions holds.",
        "type": "array",
        "minItems": 1,
        "items": {"$ref": "#/$defs/Condition"},
    }
    properties["all"] = {
        "description": "Holds when all of these conditions hold.",
        "type": "array",
        "minItems": 1,
        "items": {"$ref": "#/$defs/Condition"},
    }
    properties["not"] = {"$ref": "#/$defs/Condition", "description": "Holds when this condition does not."}
    properties["jmespath"] = {
        "type": "string",
        "description": "A JMESPath expression over the event; holds when its result is truthy.",
    }
    pattern_properties = {
        "^" + prefix.replace(".", r"\.") + ".+$": {**matcher_ref, "description": family.doc}
        for prefix, family in FAMILIES.items()
    }
    condition = {
        "type": "object",
        "description": "All keys must hold. Keys are event fields or any/all/not/jmespath.",
        "minProperties": 1,
        "properties": properties,
        "patternProperties": pattern_properties,
        "additionalProperties": False,
    }
    number = {"type": "number"}
    operators = {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "glob": {"type": "string", "description": "Glob: * ? {a,b} [abc] and \\ escapes."},
            "regex": {"type": "string", "description": "Regular expression (RE2 syntax), searched in the value."},
            "equals": {"description": "Exact equality with this value."},
            "lt": {**number, "description": "Less than."},
            "lte": {**number, "description": "Less than or equal."},
            "gt": {**number, "description": "Greater than."},
            "gte": {**number, "description": "Greater than or equal."},
            "exists": {"type": "boolean", "description": "The field is present (true) or absent (false)."},
            "not": {**matcher_ref, "description": "Holds when this matcher does not."},
        },
    }
    matcher = {
        "description": "A glob string, a number/bool/null (equality), a list (any-of) or operators.",
        "anyOf": [
            {"type": "string"},
            {"type": ["number", "boolean", "null"]},
            {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/Matcher"}},
            operators,
        ],
    }
    return {"Condition": condition, "Matcher": matcher}
