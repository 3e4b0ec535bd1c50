"""Keys inside encoded text: key/value text written percent-encoded, HTML-escaped, with JSON's
``\\u`` escapes, or base64-encoded.

Text that holds key/value text often holds it encoded: a query parameter whose value is JSON
(``next=%7B%22password%22%3A+%22...%22%7D``), twice (``%2522``), an HTML page or template error
showing JSON (``{&quot;password&quot;: &quot;...&quot;}``), JSON whose quotes were escaped as
``\\u0022``, an OAuth ``state``, a SAML ``RelayState``, a cursor or a cookie holding base64 of JSON
or of a query string (``data=eyJ1c2VyIjogImFubiIsICJwYXNzd29yZCI6...``). Keys inside text
(:mod:`.keytext`) read text as written, so such a value was sent.

:func:`in_decoded_views` reads a text through each decoding of the table :data:`DECODINGS` that
applies to it, one after another and again on what they give (up to :data:`MAX_LAYERS` times, for
text encoded twice), and gives what a search finds in each view with its span in the text as
written: a decoded character stands for the span of the text it came from (its ``starts`` and
``ends``), so a value is redacted escapes and all. Each escaping decoding maps one escape to one
character (a percent-encoded UTF-8 sequence to one character per byte: keys and separators are
ASCII, and a value's span is the same).

Base64 (:func:`_base64`) has no character of its own per decoded character: four characters
stand for three bytes, and a UTF-8 character may straddle them. Its view is the text of each run
of base64 that decodes to text (UTF-8 without control characters but line breaks and tabs), the
runs one after another with a line break between them, and every character of a run's text
stands for the whole run: a key found inside redacts the run as written, whole. (Only the
4-character groups covering the value would also hide it, but they carry the bytes around the
value too, and what is left of the run is base64 of the rest of the text, keys included: the
run is one encoded value, and it is redacted as one, as an echo found inside base64 is.) A run is
:data:`MIN_BASE64_RUN` characters at least (the shortest that holds a key, a separator and a
value), in the standard or the URL-safe alphabet, with or without its padding; a run that does
not decode as a whole, and holds a few ``/`` or ``+`` (a URL path around a URL-safe token, a
form's spaces), is read again as the pieces between them. Each character is decoded at most twice, in
C (``binascii``), and a run that is no text is given up at its first byte that is no UTF-8.
What base64 gives is read through the other decodings (a percent-encoded query string inside
base64 of JSON) but not as base64 again: the prefilter finds a key inside base64 by the base64
of its word (:func:`~.rule.key_word_base64_probe`), and base64 of base64 would need as many
pieces again for each piece.

A view is never longer than its text, and every search over it stays linear.
"""

from __future__ import annotations

import binascii
import html
import re
from typing import Callable, Iterable, Iterator

#: How many times the decodings are applied to what they give (text encoded twice, then
#: HTML-escaped, ...).
MAX_LAYERS = 3

_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")


#: A view: its text, and for each of its characters where the text it stands for starts and ends.
View = tuple[str, list[int], list[int]]


def _percent(text: str) -> View | None:
    """``%XX`` as the byte's character (Latin-1), ``+`` as a space (form encoding)."""
    if "%" not in text:
        return None
    return _substituted(text, _PERCENT, lambda match: chr(int(match.group(1), 16)), plus_as_space=True)


def _entities(text: str) -> View | None:
    """HTML character references (``&quot;``, ``&#34;``, ``&#x22;``) as their character."""
    if "&" not in text:
        return None
    return _substituted(text, _ENTITY, lambda match: html.unescape(match.group(0))[:1])


def _unicode_escapes(text: str) -> View | None:
    """JSON's and Python's ``\\uXXXX`` as its character."""
    if "\\u" not in text:
        return None
    return _substituted(text, _UNICODE_ESCAPE, lambda match: chr(int(match.group(1), 16)))


#: The shortest run of base64 read as text (but its padding): base64 of ``pin=12345`` (a short key,
#: a separator and a value).
MIN_BASE64_RUN = 12
#: A run of base64, in either alphabet, with its padding.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{%d,}={0,2}" % MIN_BASE64_RUN)
#: How many ``/`` and ``+`` a run that does not decode whole may hold to be read as the pieces
#: between them: a URL path's segments, a form's words (random base64 holds one in 32 characters).
_MAX_CUTS = 16
#: Where a run that does not decode whole is cut: a URL path's ``/``, a form's ``+``.
_BASE64_PIECE = re.compile(r"[A-Za-z0-9_-]{%d,}={0,2}" % MIN_BASE64_RUN)
_FROM_URL_SAFE = str.maketrans("-_", "+/")
#: What decoded text may not hold: control characters but tab and line breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def base64_pieces(data: bytes, shortest: int) -> Iterator[str]:
    """What base64 of any bytes holding ``data`` surely holds, wherever ``data`` lies: its bytes
    from each of the three places a base64 group may start (after one or two bytes of what
    precedes it), in whole groups, in both alphabets (standard, URL-safe), each piece
    ``shortest`` characters at least. (The echoes of a secret and the prefilter of keys inside
    base64 are both these pieces.)"""
    for skip in range(3):
        whole_groups = (len(data) - skip) // 3 * 3
        if whole_groups <= 0 or whole_groups * 4 // 3 < shortest:
            continue
        encoded = binascii.b2a_base64(data[skip : skip + whole_groups], newline=False)
        yield encoded.decode("ascii")
        url_safe = encoded.translate(_URL_SAFE)
        if url_safe != encoded:
            yield url_safe.decode("ascii")


#: The URL-safe base64 alphabet from the standard one.
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def _base64(text: str) -> View | None:
    """The text of each run of base64 in ``text`` that decodes to text, a line break after each,
    every character standing for its whole run (see the module's docstring)."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for run in _BASE64_RUN.finditer(text):
        decoded = _base64_text(run.group())
        if decoded is not None:
            _add_run(decoded, run.start(), run.end(), pieces, starts, ends)
        elif 0 < run.group().count("/") + run.group().count("+") <= _MAX_CUTS:
            for piece in _BASE64_PIECE.finditer(text, run.start(), run.end()):
                decoded = _base64_text(piece.group())
                if decoded is not None:
                    _add_run(decoded, piece.start(), piece.end(), pieces, starts, ends)
    if not pieces:
        return None
    return "".join(pieces), starts, ends


def _base64_text(run: str) -> str | None:
    """The text a run of base64 stands for, or None when it is no base64 of text."""
    digits = run.rstrip("=")
    if len(digits) % 4 == 1:
        return None
    if "-" in digits or "_" in digits:
        if "+" in digits or "/" in digits:
            return None  # two alphabets: no one encoding
        digits = digits.translate(_FROM_URL_SAFE)
    try:
        decoded = binascii.a2b_base64(digits + "=" * (-len(digits) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if _CONTROL.search(decoded) is not None:
        return None
    return decoded


def _add_run(decoded: str, start: int, end: int, pieces: list[str], starts: list[int], ends: list[int]) -> None:
    pieces.append(decoded + "\n")  # (the line break ends what a key's value may be)
    starts.extend([start] * (len(decoded) + 1))
    ends.extend([end] * (len(decoded) + 1))


#: The decodings, as data: each gives a view (its text, where each of its characters starts and
#: ends in the text decoded), or None when nothing in the text is encoded its way.
DECODINGS: tuple[Callable[[str], View | None], ...] = (_percent, _entities, _unicode_escapes, _base64)
#: The decodings of escapes alone: what a text is read through where no key may lie inside base64
#: (the scrubber's prefilter found no base64 of a key word in it).
ESCAPES = tuple(decode for decode in DECODINGS if decode is not _base64)


def _substituted(text: str, escape: re.Pattern, character: Callable[[re.Match], str],
                 plus_as_space: bool = False) -> View | None:
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
    ends = starts[1:]  # (a character ends where the next starts)
    ends.append(len(text))
    return "".join(pieces), starts, ends


def _copy(text: str, start: int, end: int, pieces: list[str], starts: list[int], plus_as_space: bool) -> None:
    piece = text[start:end]
    pieces.append(piece.replace("+", " ") if plus_as_space else piece)
    starts.extend(range(start, end))


def decoded_views(text: str, decodings: tuple = DECODINGS) -> Iterator[View]:
    """Each view of ``text`` its ``decodings`` give (each once), with where each of its
    characters starts and ends in ``text``."""
    layer: list[tuple[str, View | None, bool]] = [(text, None, False)]
    seen = {text}
    for _ in range(MAX_LAYERS):
        following = []
        for current, origin, from_base64 in layer:
            for decode in decodings:
                if decode is _base64 and from_base64:
                    continue  # (see the module's docstring: base64 is read once)
                decoded = decode(current)
                if decoded is None or decoded[0] in seen:
                    continue
                view, starts, ends = decoded
                seen.add(view)
                if origin is not None:
                    _, origin_starts, origin_ends = origin
                    starts = [origin_starts[start] for start in starts]
                    ends = [origin_ends[end - 1] for end in ends]
                decoded = (view, starts, ends)
                following.append((view, decoded, from_base64 or decode is _base64))
                yield decoded
        if not following:
            return
        layer = following


def in_decoded_views(text: str, find: Callable[[str], Iterable[tuple]], decodings: tuple = DECODINGS) -> list[tuple]:
    """What ``find`` gives (``(start, end, *rest)``, not empty) in each view of ``text`` its
    ``decodings`` give, its spans in ``text`` as written."""
    found = []
    for view, starts, ends in decoded_views(text, decodings):
        for start, end, *rest in find(view):
            if end > start:
                found.append((starts[start], ends[end - 1], *rest))
    return found
