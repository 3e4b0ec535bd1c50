"""User regular expressions, compiled with RE2 so no pattern can backtrack catastrophically."""

from __future__ import annotations

from functools import lru_cache

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would otherwise print parse errors to stderr itself.


class RegexError(ValueError):
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
        raise RegexError(str(reason)) from None
