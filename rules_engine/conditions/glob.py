"""Glob patterns with Sentry's semantics.

``*`` matches any run of characters, ``?`` one character, ``{a,b}`` either
alternative, ``[abc]`` a character class and ``\\`` escapes the next character.
For path-like fields (``path=True``) ``*`` and ``?`` stop at ``/`` while ``**``
crosses it, and backslashes in the value are read as ``/`` (Windows paths).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

GLOB_CHARS = frozenset("*?{[\\")
from ..errors import RulesEngineError


class GlobError(RulesEngineError, ValueError):
    """A glob pattern that cannot be compiled (unbalanced brace or bracket, dangling escape)."""


def is_literal(pattern: str) -> bool:
    """True when the pattern has no glob syntax and matches only itself."""
    return not any(ch in GLOB_CHARS for ch in pattern)


def translate(pattern: str, *, path: bool = False) -> str:
    """Translate a glob into an anchored regular-expression source."""
    out: list[str] = []
    i, n, depth = 0, len(pattern), 0
    star = "[^/]*" if path else ".*"
    one = "[^/]" if path else "."
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise GlobError(f"glob {pattern!r} ends with a lone backslash")
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            if path and pattern.startswith("**", i):
                # "**/" also matches nothing, so "a/**/b" matches "a/b".
                if pattern.startswith("**/", i):
                    out.append("(?:.*/)?")
                    i += 3
                else:
                    out.append(".*")
                    i += 2
                continue
            while i < n and pattern[i] == "*":
                i += 1
            out.append(star)
            continue
        if ch == "?":
            out.append(one)
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern.startswith("[!", i) else i + 1)
            if end == -1:
                raise GlobError(f"glob {pattern!r} has an unclosed '['")
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        elif ch == "{":
            depth += 1
            out.append("(?:")
        elif ch == "}" and depth:
            depth -= 1
            out.append(")")
        elif ch == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(ch))
        i += 1
    if depth:
        raise GlobError(f"glob {pattern!r} has an unclosed '{{'")
    return "(?s:" + "".join(out) + r")\Z"


@lru_cache(maxsize=4096)
def compile_glob(pattern: str, *, path: bool = False, ignore_case: bool = False) -> Callable[[str], bool]:
    """Compile a glob into a predicate over strings (raises :class:`GlobError`)."""
    if is_literal(pattern):
        if ignore_case:
            folded = pattern.casefold()
            return lambda value: value.casefold() == folded
        return pattern.__eq__
    flags = re.IGNORECASE if ignore_case else 0
    try:
        regex = re.compile(translate(pattern, path=path), flags)
    except re.error as exc:
        raise GlobError(f"glob {pattern!r} is not valid: {exc}") from None
    if path:
        return lambda value: regex.match(value.replace("\\", "/")) is not None
    return lambda value: regex.match(value) is not None
