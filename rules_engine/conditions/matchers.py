"""Compile condition trees (:mod:`rules_engine.conditions.syntax`) into predicates over an :class:`EventView`.

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
from functools import cache
from operator import methodcaller
from typing import Any, Callable, Sequence

from . import syntax as cs
from .event_view import MISSING, Names
from .exception_names import remember_rule_names
from .fields import CASE_INSENSITIVE_FIELDS, PATH_FIELDS
from .glob import compile_glob, is_literal, translate
from .regex import compile_regex

ValuePredicate = Callable[[Any], bool]



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
    :class:`~rules_engine.conditions.event_view.Names` tuple whole (one search over all names)."""

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
    never matches, a :class:`~rules_engine.conditions.event_view.Names` tuple is tested whole and any
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

    matches_names = remember_answers(names_match)

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


def remember_answers(names_match: Callable[[Names], bool]) -> Callable[[Names], bool]:
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


def show_value(value: Any) -> str:
    if value is MISSING:
        return "absent"
    text = repr(list(value) if type(value) is tuple else value)
    return text if len(text) <= 120 else text[:117] + "..."



