"""Keys inside encoded text: key/value text written percent-encoded, HTML-escaped or with JSON's
``\\u`` escapes.

Text that holds key/value text often holds it encoded: a query parameter whose value is JSON
(``next=%7B%22password%22%3A+%22...%22%7D``), twice (``%2522``), an HTML page or template error
showing JSON (``{&quot;password&quot;: &quot;...&quot;}``), JSON whose quotes were escaped as
``\\u0022``. Keys inside text (:mod:`.keytext`) read text as written, so such a value was sent.

:func:`in_decoded_views` reads a text through each decoding of the table :data:`DECODINGS` that
applies to it, one after another and again on what they give (up to :data:`MAX_LAYERS` times, for
text encoded twice), and gives what a search finds in each view with its span in the text as
written: a decoded character stands for the escape it came from, so a value is redacted escapes
and all. Each decoding maps one escape to one character (a percent-encoded UTF-8 sequence to one
character per byte: keys and separators are ASCII, and a value's span is the same), so a view is
never longer than its text and every search over it stays linear.
"""

from __future__ import annotations

import html
import re
from typing import Callable, Iterable, Iterator

#: How many times the decodings are applied to what they give (text encoded twice, then
#: HTML-escaped, ...).
MAX_LAYERS = 3

_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")


def _percent(text: str) -> tuple[str, list[int]] | None:
    """``%XX`` as the byte's character (Latin-1), ``+`` as a space (form encoding)."""
    if "%" not in text:
        return None
    return _substituted(text, _PERCENT, lambda match: chr(int(match.group(1), 16)), plus_as_space=True)


def _entities(text: str) -> tuple[str, list[int]] | None:
    """HTML character references (``&quot;``, ``&#34;``, ``&#x22;``) as their character."""
    if "&" not in text:
        return None
    return _substituted(text, _ENTITY, lambda match: html.unescape(match.group(0))[:1])


def _unicode_escapes(text: str) -> tuple[str, list[int]] | None:
    """JSON's and Python's ``\\uXXXX`` as its character."""
    if "\\u" not in text:
        return None
    return _substituted(text, _UNICODE_ESCAPE, lambda match: chr(int(match.group(1), 16)))


#: The decodings, as data: each gives ``(view, where each of its characters starts in the text,
#: and where the text ends)``, or None when nothing in the text is escaped its way.
DECODINGS: tuple[Callable[[str], tuple[str, list[int]] | None], ...] = (_percent, _entities, _unicode_escapes)


def _substituted(text: str, escape: re.Pattern, character: Callable[[re.Match], str],
                 plus_as_space: bool = False) -> tuple[str, list[int]] | None:
    pieces: list[str] = []
    starts: list[int] = []
    cursor = 0
    for match in escape.finditer(text):
        decoded = character(match)
        if not decoded or decoded == match.group(0):
            continue
        _copy(text, cursor, match.start(), pieces, starts, plus_as_space)
        pieces.append(decoded)
        starts.append(match.start())
        cursor = match.end()
    if cursor == 0 and not (plus_as_space and "+" in text):
        return None
    _copy(text, cursor, len(text), pieces, starts, plus_as_space)
    starts.append(len(text))
    return "".join(pieces), starts


def _copy(text: str, start: int, end: int, pieces: list[str], starts: list[int], plus_as_space: bool) -> None:
    piece = text[start:end]
    pieces.append(piece.replace("+", " ") if plus_as_space else piece)
    starts.extend(range(start, end))


def decoded_views(text: str) -> Iterator[tuple[str, list[int]]]:
    """Each view of ``text`` its decodings give (each once), with where each of its characters
    (and its end) stands in ``text``."""
    layer = [(text, None)]
    seen = {text}
    for _ in range(MAX_LAYERS):
        following = []
        for current, origin in layer:
            for decode in DECODINGS:
                decoded = decode(current)
                if decoded is None or decoded[0] in seen:
                    continue
                view, starts = decoded
                seen.add(view)
                if origin is not None:
                    starts = [origin[start] for start in starts]
                following.append((view, starts))
                yield view, starts
        if not following:
            return
        layer = following


def in_decoded_views(text: str, find: Callable[[str], Iterable[tuple]]) -> list[tuple]:
    """What ``find`` gives (``(start, end, *rest)``) in each decoded view of ``text``, its spans in
    ``text`` as written."""
    found = []
    for view, starts in decoded_views(text):
        for start, end, *rest in find(view):
            found.append((starts[start], starts[end], *rest))
    return found
