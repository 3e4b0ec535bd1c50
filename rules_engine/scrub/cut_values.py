"""Strings sentry-sdk cut short, and the partial token each one ends in.

With ``max_value_length`` set, sentry-sdk cuts every longer string before ``before_send`` sees
it: the first ``max_value_length - 3`` characters and ``...``, with a ``!limit`` remark in the
event's ``_meta`` saying so. A secret that crossed the cut is gone but for its beginning, which no
detector recognises any more (a GitHub token's first 17 characters, a card number's first 12
digits), and which would otherwise be sent.

:func:`cut_strings` finds those strings through the remarks sentry-sdk wrote; :func:`partial_token`
says where the token the cut ends in starts, when it could be the beginning of a secret: at least
:data:`MIN_PARTIAL` characters of a token (no space, quote or bracket; digit groups joined by one
space or dash count as one token, as a card number is written) that are not all letters. A cut
word of prose is left as it is. The scrubber redacts that token before the walk
(``options.partial_tokens``), so what a user reads ends ``[Filtered]...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

#: The name a redacted partial token is counted under (``rule_id/partial_token``).
PARTIAL_TOKEN = "partial_token"
#: sentry-sdk's remark on a string it cut: ``["!limit", "x", cut, cut + 3]`` (``...`` from ``cut``)
LIMIT_RULE = "!limit"
MARKER = "..."
#: The shortest partial token redacted: fewer characters say next to nothing about a secret.
MIN_PARTIAL = 4
#: How far back a partial token is read: a longer run is redacted over this many characters only.
MAX_PARTIAL = 1024
#: Characters that end a token (as they end a value in text: spaces, quotes, brackets, separators,
#: and the ``=`` after a key, whose name is kept).
_DELIMITERS = frozenset("'\"`()[]{}<>,;|=")
#: Characters joining the digit groups of one number (a card number, a phone number).
_GROUP_JOINERS = frozenset(" -\u00a0\u2009\u202f")


@dataclass(frozen=True)
class CutString:
    """A string sentry-sdk cut: ``container[key]`` at walk path ``path`` (the container's), and
    where its ``...`` begins."""

    container: Any
    key: Any
    path: Any
    text: str
    cut: int
    #: sentry-sdk's remark, moved when the text before it changes length
    remark: list


def cut_strings(event: dict, max_depth: int) -> Iterator[CutString]:
    """Each string of ``event`` that a ``!limit`` remark of its ``_meta`` says sentry-sdk cut.
    ``_meta`` mirrors the event (list indexes as text); anything else in it is passed over, and no
    node deeper than ``max_depth`` is read."""
    meta = event.get("_meta")
    if type(meta) is not dict:
        return
    stack = [(meta, event, None, 0)]  # (_meta node, the event's container there, its walk path, depth)
    while stack:
        node, container, path, depth = stack.pop()
        if depth >= max_depth:
            continue
        for step, child_meta in node.items():
            if step == "" or type(child_meta) is not dict:
                continue
            key = _key_in(container, step)
            if key is _MISSING:
                continue
            value = container[key]
            if type(value) is str:
                remark = _limit_remark(child_meta.get(""), value)
                if remark is not None:
                    yield CutString(container, key, path, value, len(value) - len(MARKER), remark)
            elif type(value) in (dict, list):
                stack.append((child_meta, value, (path, key), depth + 1))


_MISSING = object()


def _key_in(container: Any, step: str) -> Any:
    """The key of ``container`` that the ``_meta`` step names (a list's index is written as text)."""
    if type(container) is dict:
        return step if step in container else _MISSING
    if type(container) is list and step.isascii() and step.isdigit():
        index = int(step)
        return index if index < len(container) else _MISSING
    return _MISSING


def _limit_remark(entry: Any, text: str) -> list | None:
    """sentry-sdk's ``!limit`` remark of a string it cut, when the string ends as it left it: in
    ``...`` from where the remark says, counted in characters or, where the text is longer in
    UTF-8 (sentry-sdk cuts by bytes then), in UTF-8 bytes."""
    if type(entry) is not dict or type(entry.get("rem")) is not list or not text.endswith(MARKER):
        return None
    cut = len(text) - len(MARKER)
    for remark in entry["rem"]:
        if type(remark) is list and len(remark) == 4 and remark[0] == LIMIT_RULE and type(remark[2]) is int:
            if remark[2] == cut or (not text.isascii() and remark[2] == _utf8_length(text[:cut])):
                return remark
    return None


def _utf8_length(text: str) -> int | None:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: sentry-sdk counted characters
        return None


def partial_token(text: str, cut: int) -> int | None:
    """Where the token ending at ``cut`` starts, when it could be the beginning of a secret; else
    None. Read backwards from the cut, over at most :data:`MAX_PARTIAL` characters."""
    start = cut
    floor = max(0, cut - MAX_PARTIAL)
    while start > floor:
        character = text[start - 1]
        if character.isspace() or character in _DELIMITERS:
            # one joiner after a digit joins the groups of one number (the cut may follow it)
            if not (character in _GROUP_JOINERS and start - 2 >= floor and text[start - 2].isdigit()
                    and (start == cut or text[start].isdigit())):
                break
        start -= 1
    token = text[start:cut]
    if len(token) < MIN_PARTIAL or token.isalpha():
        return None
    return start
