"""Regular expressions on RE2, which runs in time linear in the text: user patterns, and the
regexes globs are translated to (an event's values are chosen by whoever sends the request, so
no pattern may backtrack catastrophically on them)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would otherwise print parse errors to stderr itself.
from ..errors import RulesEngineError


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
        raise RegexError(str(reason)) from None


#: A lone surrogate (half of a UTF-16 pair, left in text by ``repr`` and broken decoders): RE2
#: reads UTF-8 and cannot take one.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def readable_by_re2(text: str) -> str:
    """``text`` with each lone surrogate read as U+FFFD: one code point for one, so the spans RE2
    finds are those of the text itself."""
    return _LONE_SURROGATE.sub("\ufffd", text)


class LinearPattern:
    """An RE2 pattern whose ``match`` and ``search`` take any ``str``, lone surrogates too."""

    __slots__ = ("pattern",)

    def __init__(self, source: str, *, ignore_case: bool = False):
        self.pattern = compile_regex(("(?i)" if ignore_case else "") + source)

    def match(self, text: str) -> Any:
        try:
            return self.pattern.match(text)
        except UnicodeEncodeError:
            return self.pattern.match(readable_by_re2(text))

    def search(self, text: str) -> Any:
        try:
            return self.pattern.search(text)
        except UnicodeEncodeError:
            return self.pattern.search(readable_by_re2(text))
