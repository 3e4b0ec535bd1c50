"""User regular expressions, compiled with RE2 so no pattern can backtrack catastrophically.

RE2 matches in time linear in the text, so it leaves out what needs backtracking. When a pattern
uses such a construct, the error names it and says how to get the same effect in linear time."""

from __future__ import annotations

import re
from functools import lru_cache

import re2

from ..errors import RulesEngineError

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would otherwise print parse errors to stderr itself.

#: (RE2's reason, as a regex) -> what the construct is, and the linear-time way to the same effect.
_UNSUPPORTED: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(reason), advice) for reason, advice in (
    (r"invalid escape sequence: \\[1-9k]|named backreference",
     "a backreference; RE2 (linear time) has none: match the repeated text explicitly (e.g. [a-z]+ twice), "
     "or test equality in a second rule"),
    (r"invalid perl operator: \(\?<?[=!]",
     "a lookaround; RE2 (linear time) has none: match the surrounding text too and put the part to redact "
     "in a capture group (only groups are redacted), or add a 'not:' condition"),
    (r"bad repetition operator: [*+?}]\+|invalid perl operator: \(\?>",
     "a possessive quantifier or atomic group; RE2 never backtracks, so the plain quantifier or group "
     "(*, +, ?, (...)) is already linear"),
    (r"invalid perl operator: \(\?\(",
     "a conditional group; RE2 (linear time) has none: write the cases as alternatives with |"),
    (r"invalid escape sequence: \\Z", "\\Z; RE2 writes the end of the text as \\z (or $)"),
))


class RegexError(RulesEngineError, ValueError):
    """A pattern RE2 cannot compile (syntax error, or a construct such as a backreference)."""


@lru_cache(maxsize=1024)
def compile_regex(pattern: str):
    """Compile ``pattern`` with RE2; raise :class:`RegexError` with RE2's reason."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(_explained(str(reason), pattern)) from None


def _explained(reason: str, pattern: str) -> str:
    if reason.startswith("invalid perl operator: (?P") and "(?P=" in pattern:  # RE2 cuts the operator short
        reason = f"named backreference {pattern[pattern.index('(?P='):].split(')')[0]})"
    for construct, advice in _UNSUPPORTED:
        if construct.search(reason):
            return f"{advice} (RE2: {reason})"
    return reason


def regex_problem(pattern: str, error: RegexError) -> str:
    """The message for a pattern RE2 rejected, showing the pattern as written (not escaped)."""
    return f"invalid regex '{pattern}': {error}"
