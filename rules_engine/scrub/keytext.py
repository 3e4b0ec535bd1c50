"""Keys inside text: ``key=value`` / ``key: value`` / ``'key': 'value'`` / ``(b'key', b'value')``.

Key rules apply wherever keys live, and many keys live inside strings: query strings and form
bodies (``a=1&password=x``), ``Cookie`` headers (``a=1; sessionid=x``), JSON text
(``{"token": "x"}``), URLs (``?api_key=x``), header lines (``Authorization: Bearer x``) and the
``repr()`` strings sentry-sdk makes of frame variables (``{'password': 'x'}``,
``[(b'authorization', b'Bearer x')]``, ``User(password='x')``).

:func:`find_key_values` finds each key followed by a separator and a value, asks the caller
whether the key is sensitive, and returns the span of the value of each sensitive one: the inside
of a quoted value, a bare value up to its delimiter, or the inside of a ``{...}`` / ``[...]``
container (its whole content is sensitive, as a container under a sensitive key is in a dict).
After a key that is not sensitive the search goes on right after its separator, because its value
may itself hold keys (JSON text inside a repr).

A key may follow an escape sequence of ``repr()`` or JSON text (``'a\\nssn=1'``,
``"\\u001bcvv=1"``): the escape is matched before the key, and a key that is not sensitive
without the escape's letter is tried with it too (``C:\\token=x``).

Each separator is a literal first, its group (empty) after it: ``re`` then passes over the
alternatives that cannot match by their first character instead of entering each (most keys are
words followed by no separator).

The scrubber uses :func:`find_key_values_in_c` when the C module is built: the same pattern and
loop written out by hand in ``_walker.c`` (``re`` spends most of its time trying ``_PAIR`` at
positions where no key starts). The tests compare the two.

The key, the spaces after it and a quoted value are matched possessively (``{m,n}+``): what may
follow each is never a character they consume (nor, in a quoted value, the first character of an
escape pair), so giving some back could not make a match, and the engine skips the retries
(several times faster over a long quoted value).
"""

from __future__ import annotations

import re
from typing import Callable

from .redactions import FILTERED

try:  # the same search in C (the scrubber's C walk module)
    from ._walker import find_key_values as _find_key_values_c
except ImportError:  # pragma: no cover - exercised where the extension is not built
    _find_key_values_c = None

#: Combining marks a key name goes on with although ``\w`` leaves them out (``_walker.c`` holds the
#: same table): the accents of a decomposed letter (``contrasen`` + U+0303 + ``a``; tests check
#: that every mark of a letter's canonical decomposition is here), and the vowel signs and points
#: that words of Hebrew, Arabic, Devanagari and Thai are written with.
KEY_MARKS = (
    (0x0300, 0x036F), (0x0483, 0x0489), (0x0591, 0x05BD), (0x05BF, 0x05BF), (0x05C1, 0x05C2), (0x05C4, 0x05C5),
    (0x05C7, 0x05C7), (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670), (0x0900, 0x0903), (0x093A, 0x094F),
    (0x0951, 0x0957), (0x0962, 0x0963), (0x09BC, 0x09BC), (0x0A3C, 0x0A3C), (0x0B3C, 0x0B3C), (0x0BD7, 0x0BD7),
    (0x0E31, 0x0E31), (0x0E34, 0x0E3A), (0x0E47, 0x0E4E), (0x0FB5, 0x0FB5), (0x0FB7, 0x0FB7), (0x102E, 0x102E),
    (0x1B35, 0x1B35), (0x3099, 0x309A), (0x110BA, 0x110BA),
)
_MARKS = "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in KEY_MARKS)  # (escaped, for ``re``)

_PAIR = re.compile(
    r"""
    (?: (?P<esc>\\(?:[nrtbf]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})) | (?<![\wMARKS$@.-]) )  # \nkey, \x1bkey
    (?: b?(?P<kq>\\?["'])(?P<qkey>[^"'\\\n]{1,128}+)(?P=kq)  # 'key' "key" \"key\" b'key'
      | (?P<key>(?:[^\W\d]|[$@])[\wMARKS.$@-]{0,127}+) )  # key: a letter of any script, then
                                                              # letters, digits, combining accents
    [ \t]{0,8}+
    (?: =(?P<eqsep>) | :(?P<colsep>)                          # (empty groups after the
      | ,(?(kq)(?=[ \t]{0,8}b?\\?["'])|(?!)) )                # literals: see below)
                                                              # ', ' in a (key, value) tuple
    [ \t]{0,8}
    b?
    (?: "(?P<dq>(?:[^"\\\n]|\\.){0,8192}+)"
      | '(?P<sq>(?:[^'\\\n]|\\.){0,8192}+)'
      | \\"(?P<edq>.{0,8192}?)\\"
      | \\'(?P<esq>.{0,8192}?)\\'
      | (?P<open>[{\[])
      | (?(eqsep)(?P<eq>[^\s&;,'"<>{}\[\]()\#]{1,8192})|(?!))
      | (?(colsep)(?P<colon>[^\n\r,}\]]{1,8192})|(?!)) )
    """.replace("MARKS", _MARKS),
    re.VERBOSE,
)

_ESCAPE_OR_BOUNDARY = r"(?: (?P<esc>\\(?:[nrtbf]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})) | (?<![\wMARKS$@.-]) )".replace("MARKS", _MARKS)
if _ESCAPE_OR_BOUNDARY not in _PAIR.pattern:  # keep the two in step
    raise RuntimeError("keytext: _PAIR no longer starts with _ESCAPE_OR_BOUNDARY")
#: ``_PAIR`` for text without a backslash, where no escape sequence can precede a key: the same
#: matches, found faster (``re`` tries every branch at every position).
_PAIR_PLAIN = re.compile(_PAIR.pattern.replace(_ESCAPE_OR_BOUNDARY, r"(?<![\wMARKS$@.-])".replace("MARKS", _MARKS)),
                         re.VERBOSE)

_CLOSERS = {"{": "}", "[": "]"}


def find_key_values(text: str, decide: Callable[[str], int],
                    keeps: Callable[[str, int], bool] | None = None,
                    redacted: tuple[str, ...] = (FILTERED,)) -> list[tuple[int, int, int]]:
    """``(start, end, decision)`` of the value of every key in ``text`` that ``decide`` maps to a
    non-zero decision (a bitmask of the key rules that match it). ``keeps(text, separator_end)``,
    when given, is asked about the value after each sensitive key's ``=`` or ``:``: when it says the
    value is no value (a frame's source line, where the key names an expression: see
    :mod:`.sourcelines`), the key counts as not sensitive. ``redacted``: the texts redactions
    write that open a container (``[Filtered]``, a rule's ``replace: "[gone]"``): a value that
    starts with one was redacted already, and is no list to redact again."""
    found = []
    position = 0
    escapes = "\\" in text
    search = _PAIR.search if escapes else _PAIR_PLAIN.search
    while True:
        match = search(text, position)
        if match is None:
            return found
        quoted_key, key = match.group("qkey", "key")
        decision = decide(quoted_key or key)
        if not decision and escapes and key is not None and match.start("esc") != -1:
            # "\\token=": a backslash before a key, not an escape sequence
            decision = decide(text[match.start() + 1 : match.end("key")])
        if decision and keeps is not None:
            separator_end = match.end("eqsep")
            if separator_end == -1:
                separator_end = match.end("colsep")
            if separator_end != -1 and keeps(text, separator_end):  # (a tuple's value is quoted)
                decision = 0
        if not decision:
            # Go on after the separator (or after a quoted key before ", "): the value may hold keys.
            position = match.end("eqsep")
            if position == -1:
                position = match.end("colsep")
                if position == -1:
                    position = match.end("qkey")
            if position <= match.start():
                position = match.start() + 1
            continue
        start, end = _value_span(text, match, redacted)
        if end > start:
            found.append((start, end, decision))
        position = max(end, match.end())


if _find_key_values_c is not None:

    def find_key_values_in_c(text: str, decide: Callable[[str], int],
                             redacted: tuple[str, ...] = (FILTERED,)) -> list[tuple[int, int, int]]:
        """:func:`find_key_values`, in C."""
        return _find_key_values_c(text, decide, redacted)

else:  # pragma: no cover - exercised where the extension is not built
    find_key_values_in_c = None


def _value_span(text: str, match: re.Match, redacted: tuple[str, ...]) -> tuple[int, int]:
    group = match.lastgroup  # the value's group: the value is the last part of the pattern
    if group == "open":
        start = match.end(group)
        if text.startswith(redacted, start - 1):
            return start, start  # already redacted: "[Filtered]" is no list to redact again
        return start, container_end(text, start, text[start - 1])
    start, end = match.span(group)
    if group == "colon":
        end = start + len(text[start:end].rstrip())
    return start, end


#: The characters that matter to :func:`container_end`: quotes, brackets and (in quotes) backslashes.
_CONTAINER_MARK = re.compile(r"""[\\"'{}\[\]]""")


def container_end(text: str, start: int, opener: str, closers: dict[str, str] = _CLOSERS,
                   marks: re.Pattern = _CONTAINER_MARK) -> int:
    """Index of the bracket closing the container opened just before ``start`` (quote-aware),
    or the end of the text when it never closes (a cut string: everything after is sensitive).
    ``closers`` and ``marks``: the brackets read (their openers and closers), and a pattern of
    them, quotes and backslashes (a call's parentheses too: :mod:`.textshapes`)."""
    stack = [closers[opener]]
    quote = ""
    find_mark = marks.search
    i = start
    while True:
        mark = find_mark(text, i)
        if mark is None:
            return len(text)
        i = mark.start()
        char = text[i]
        if quote:
            if char == "\\":
                i += 1  # the escaped character
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in closers:
            stack.append(closers[char])
        elif char == stack[-1]:
            stack.pop()
            if not stack:
                return i
        i += 1
