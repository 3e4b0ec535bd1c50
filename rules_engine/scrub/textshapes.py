"""Keys inside text in the shapes people write them in (``options.text_shapes``).

Keys inside text (:mod:`.keytext`) read a key written as code writes one, right before its
separator, and a value on the key's line. People write key/value text in more shapes than that,
and each left its value as it was:

* **Labels of several words** at a line's start: ``API key: ...``, ``Private key = ...`` (the
  key compared with its spaces as ``_``: :func:`~.rule.key_forms`, ``spaced``).
* **Markdown emphasis and code around a key**: ``- **Password**: `...```, ``**API key:** ...``,
  ``__token__: ...``, ``*Secret*: ...``, ```` `token`: ... ````; the value inside backticks or
  quotes when it is so written, else to the line's end.
* **Values on the lines below their key**: YAML block scalars (``password: |``, ``>-``, ``|+``
  ...) and plain values on the next lines (``password:`` then an indented line), INI
  continuation lines (``password =`` then an indented line): every following line indented more
  than the key, to the last one.
* **Quoted values over lines**: a quoted value whose closing quote is on a later line
  (``PRIVATE_KEY="-----BEGIN ...`` in a ``.env`` file, YAML), **triple-quoted strings** (TOML,
  Python: ``password = \"\"\"...\"\"\"``) and **heredocs** (HCL, Ruby, shell: ``password = <<EOT``
  ... ``EOT``), to their end.
* **``=>``** (Ruby, PHP, Perl: ``"api key" => "..."``), read as a label's separator.
* **A call wrapping the value**: ``password=SecretStr('...')``, ``token: Secret("...")`` in a
  ``repr()``: the call whole, its name included (keys inside text find the name alone), when it
  holds something.
* **Authorization header lines**: ``Authorization: Digest username="ann", ..., response="..."``
  is one credential to the end of its line (keys inside text stop at the first comma), and to the
  closing quote of the string it starts (a header written inside a ``repr()`` or JSON string).
* **Tables** (:mod:`.texttables`; Markdown, Jira, psql's and the MySQL client's output, HTML, CSV and TSV): a row's
  cell naming a key holds the key's value in the next cell (``| password | ... |``,
  ``<td>Password</td><td>...</td>``, a definition list's ``<dt>`` and ``<dd>``); under a header
  row (a row followed by a rule line, ``|---|---|``; Jira's ``||`` row; a row of ``<th>``; the
  first line of CSV text when it holds only names and the lines below as many fields), every
  cell of a column whose header names a key is its value, and a ``Value`` column's cell in a
  row naming a key.

A line is ended by a line break, or, in text holding backslashes (a ``repr()``, JSON text), by
the escape of one (``\\n``, ``\\r``): a frame variable holding YAML is sent as its ``repr()``.

:func:`find_shaped_values` returns ``(start, end, decision)`` of each value whose key the caller's
``decide`` calls sensitive, as :func:`~.keytext.find_key_values` does; the exact pass runs it with
keys inside text, in Python for both walks (the C walk's exact pass is Python's). The prefilter
flags the strings it may find something in: keys inside text's probe (a key word and a separator:
with ``text_shapes`` a key word may also be followed by the emphasis and table characters), and
for tables, which hold no separator, :func:`~.texttables.table_probe`. Each search looks for its rare part
first (a line's start, a separator, an emphasis opener) and reads each character a bounded
number of times: linear in the text. Keys and values a search finds are skipped by the search
after it (a key inside a value is part of the value).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Callable

from .keytext import container_end
from .redactions import FILTERED
from .texttables import LINE_END, LINE_END_ESCAPED, QUOTES, find_table_values, lines

#: A key as keys inside text read one: a word of any script, or quoted.
_WORD = r"[^\W\d][\w.$@-]{0,127}+"
_KEY = rf"""(?:(?P<kq>["'])(?P<qkey>[^"'\\\n]{{1,128}}+)(?P=kq)|(?P<key>{_WORD}))"""
#: What may open a line before its text: the quote opening a string (a ``repr()``, JSON text).
_OPENER = r"""(?:[\[({]?b?(?P<opener>['"]))?"""
_BULLET = r"(?:[-*+][ \t]{1,8}|\d{1,3}[.)][ \t]{1,8})?"

#: A label of two to four words at a line's start (``API key: ...``); one word is a key inside text.
_LABEL = re.compile(rf"""{_OPENER}[ \t]{{0,16}}{_BULLET}(?P<key>{_WORD}(?:[ ][\w.$@-]{{1,64}}+){{1,3}})[ \t]{{0,8}}(?P<sep>[:=])[ \t]*""")
#: A word of a key in Markdown emphasis: ``_`` and the like only between letters or digits, so the
#: emphasis closing it (``__token__``) is never part of it. (Its separators are no letters: it
#: cannot backtrack far, and is written without possessive quantifiers, which the ``re`` of
#: CPython 3.11.2, Debian 12's, gets wrong here: it found no key in ``__token__: ...``.)
_EMPHASIZED_WORD = r"[^\W_]+(?:[_.$@-][^\W_]+)*"
#: A key in Markdown emphasis or code, its separator inside or after it.
_EMPHASIZED = re.compile(
    rf"""(?<![\w*`])(?P<em>\*\*\*|___|\*\*|__|\*|_|`)(?P<key>{_EMPHASIZED_WORD}(?:[ ]{_EMPHASIZED_WORD}){{0,3}})[ \t]{{0,8}}(?P<inside>[:=])?(?P=em)(?![\w*`])
         [ \t]{{0,8}}(?(inside)|(?P<sep>[:=]))[ \t]*""",
    re.VERBOSE,
)
#: A key at a line's start, maybe of several words, and what follows its separator on its line: a
#: YAML block scalar's indicator, a comment, or a value the lines below may go on with.
_BLOCK_KEY = re.compile(
    rf"""{_OPENER}(?P<indent>[ \t]{{0,64}}(?:-[ \t]{{1,8}})?)
         (?:(?P<kq>["'])(?P<qkey>[^"'\\\n]{{1,128}}+)(?P=kq)|(?P<key>{_WORD}(?:[ ][\w.$@-]{{1,64}}+){{0,3}}))
         [ \t]{{0,8}}[:=][ \t]{{0,8}}
         (?:(?P<indicator>[|>][-+1-9]{{0,2}}[ \t]{{0,8}})?(?:\#[^\n\r]{{0,256}}+)?(?=[\n\r]|\\[nr]|$)
           |(?P<value>(?:[^\n\r\\]|\\[^nr])++))""",
    re.VERBOSE,
)
#: A key before a triple-quoted string or a heredoc.
_QUOTED_BLOCK = re.compile(
    rf"""(?<![\w$@.-]){_KEY}[ \t]{{0,8}}(?:[:=][ \t]{{0,8}}(?P<triple>\"\"\"|''')
         |[:=][ \t]{{0,8}}<<[-~]?(?P<tq>['"]?)(?P<tag>[A-Za-z_]\w{{0,63}})(?P=tq))""",
    re.VERBOSE,
)
#: A key before a call: ``password=SecretStr(`` (not a bracket alone: ``[parameters: (...)]`` is
#: the SQL parameters' detectors' to read); the separator and call alone, looked for first.
_CALL = re.compile(rf"""(?<![\w$@.-]){_KEY}[ \t]{{0,8}}[:=][ \t]{{0,8}}(?P<call>[A-Za-z_][\w.]{{0,127}}+\()""")
_CALL_SEPARATOR = re.compile(r"[:=][ \t]{0,8}[A-Za-z_][\w.]{0,127}+\(")
#: A key right before the end of the text searched (a separator's position): its key.
_KEY_BEFORE = re.compile(rf"""(?<![\w$@.-]){_KEY}[ \t]{{0,8}}\Z""")
#: Where a key in Markdown emphasis may start: an opener before a letter or digit.
_EMPHASIS_OPENS = re.compile(r"(?<![\w*`])(?:\*{1,3}|_{1,3}|`)(?=[^\W_])")
#: What a label of several words ends with (most text holds none: then no line is read).
_LABEL_END = re.compile(r"[\w.$@-] [\w.$@-]{1,64}[ \t]{0,8}[:=]")
#: An Authorization header (``Proxy-Authorization``, ``X-Upstream-Authorization``) and its colon;
#: its last word and colon, looked for first, and the words before it.
_AUTHORIZATION = re.compile(r"""(?<![\w-])(?P<key>(?:[\w-]{0,64}-)?authorization)[ \t]{0,8}:[ \t]*""", re.IGNORECASE)
_AUTHORIZATION_WORD = re.compile(r"authorization[ \t]{0,8}:", re.IGNORECASE)
_HEADER_WORDS_BEFORE = re.compile(r"(?<![\w-])(?:[\w-]{0,64}-)?\Z")

#: What ends a bare value written after ``:`` / ``=`` (as keys inside text end one).
_COLON_VALUE_END = re.compile(r"[\n\r,}\]]|\\[nr]")
_EQUALS_VALUE = re.compile(r"""[^\s&;,'"<>{}\[\]()\#]{1,8192}""")


def find_shaped_values(text: str, decide: Callable[[str], int]) -> list[tuple[int, int, int]]:
    """``(start, end, decision)`` of the value of every key in one of the shapes above that
    ``decide`` maps to a non-zero decision."""
    found: list[tuple[int, int, int]] = []
    escapes = "\\" in text
    line_end = LINE_END_ESCAPED if escapes else LINE_END
    several_lines = "\n" in text or "\r" in text or (escapes and ("\\n" in text or "\\r" in text))
    starts = [0, *(stop.end() for stop in line_end.finditer(text))] if several_lines else [0]
    if " " in text and _LABEL_END.search(text) is not None:
        for match in _matches_at(_LABEL, text, starts):
            _add_value(text, match, decide(match.group("key")), line_end, found)
    if "*" in text or "_" in text or "`" in text:
        _emphasized(text, decide, line_end, found)
    if several_lines:
        _lines_below(text, decide, starts, line_end, found)
    if '"""' in text or "'''" in text or "<<" in text:
        _quoted_blocks(text, decide, found)
    if "(" in text:
        _calls(text, decide, found)
    _authorization_lines(text, decide, line_end, found)
    find_table_values(text, decide, line_end, several_lines, found)
    if "=>" in text or "\n" in text:
        _arrows_and_long_quotes(text, decide, found)
    return found


def _matches_at(pattern: re.Pattern, text: str, starts: list[int]):
    """The matches of ``pattern`` at the lines' ``starts``."""
    for start in starts:
        match = pattern.match(text, start)
        if match is not None:
            yield match


def _line_search(pattern: re.Pattern, starts: list[int]) -> Callable[[str, int], re.Match | None]:
    """A search for ``pattern`` at the lines' ``starts`` only (from a position on)."""

    def search(text: str, position: int) -> re.Match | None:
        for index in range(bisect_left(starts, position), len(starts)):
            match = pattern.match(text, starts[index])
            if match is not None:
                return match
        return None

    return search


def _keyed_search(separators: re.Pattern, pattern: re.Pattern, before: re.Pattern = _KEY_BEFORE
                  ) -> Callable[[str, int], re.Match | None]:
    """A search for ``pattern``, a key and what follows it, that looks for what follows first (a
    character class or a word the engine finds fast; most text holds few) and then for the key
    before it (``before``: a pattern ending where the text searched ends)."""

    def search(text: str, position: int) -> re.Match | None:
        while True:
            separator = separators.search(text, position)
            if separator is None:
                return None
            key = before.search(text, max(position, separator.start() - 160), separator.start())
            if key is not None:
                match = pattern.match(text, key.start())
                if match is not None:
                    return match
            position = separator.start() + 1

    return search


def _emphasized(text: str, decide: Callable[[str], int], line_end: re.Pattern, found: list) -> None:
    """Keys in Markdown emphasis or code, each tried where an emphasis may open."""
    position = 0
    for opens in _EMPHASIS_OPENS.finditer(text):
        if opens.start() < position:
            continue
        match = _EMPHASIZED.match(text, opens.start())
        if match is not None:
            _add_value(text, match, decide(match.group("key")), line_end, found)
            position = match.end()


def _key_of(match: re.Match) -> str:
    quoted = match.group("qkey")
    return quoted if quoted is not None else match.group("key")


def _opening_quote(text: str, start: int) -> str:
    """The quote right before ``start`` (a string the key starts), or ``""``."""
    return text[start - 1] if start and text[start - 1] in "'\"" else ""


def _add_value(text: str, match: re.Match, decision: int, line_end: re.Pattern, found: list) -> None:
    """The value written right after a label's separator: inside its quotes or backticks, a
    container's inside, else a bare value ended as keys inside text end one (also at the end of
    the line and at the quote that opened the string the label starts)."""
    if not decision:
        return
    start = match.end()
    if start >= len(text):
        return
    char = text[start]
    if char in QUOTES:
        stop = line_end.search(text, start + 1)
        line_stop = stop.start() if stop is not None else len(text)
        close = text.find(char, start + 1, line_stop)
        end = close if close != -1 else line_stop
        if end > start + 1:
            found.append((start + 1, end, decision))
        return
    if char in "{[":
        if text.startswith(FILTERED, start):
            return  # already redacted: "[Filtered]" is no list to redact again (as keys inside text read it)
        end = container_end(text, start + 1, char)
        if end > start + 1:
            found.append((start + 1, end, decision))
        return
    separator = match.group("sep") or match.groupdict().get("inside")
    if separator == "=":
        value = _EQUALS_VALUE.match(text, start)
        end = value.end() if value is not None else start
    else:
        stop = _COLON_VALUE_END.search(text, start)
        end = stop.start() if stop is not None else len(text)
        opener = match.groupdict().get("opener") or _opening_quote(text, match.start())
        if opener:
            close = text.find(opener, start, end)
            end = close if close != -1 else end
        while end > start and text[end - 1] in " \t":
            end -= 1
    if end > start:
        found.append((start, end, decision))


def _indentation(text: str, start: int, end: int) -> int:
    """How many spaces and tabs the line ``text[start:end]`` starts with (its length when blank)."""
    position = start
    while position < end and text[position] in " \t":
        position += 1
    return position - start


def _lines_below(text: str, decide: Callable[[str], int], starts: list[int], line_end: re.Pattern,
                 found: list) -> None:
    """The values written on the lines below their key: each following line indented more than
    the key (blank lines between them too), from the first one's text (or the block scalar's
    indicator) to the last one's end; after a value on the key's line (a YAML plain scalar, an INI
    value going on), the lines below only."""
    line_spans: list[tuple[int, int]] = []  # (each line's start is one of ``starts``)

    def read_value(match: re.Match, decision: int) -> int | None:
        if not line_spans:
            line_spans.extend(lines(text, line_end))
        index = bisect_right(starts, match.start()) - 1
        key_column = match.start("indent") - line_spans[index][0] + len(match.group("indent"))
        first = last = None
        for start, end in _following(line_spans, index + 1):
            indentation = _indentation(text, start, end)
            if start + indentation == end:  # blank
                continue
            if indentation <= key_column:
                break
            if first is None:
                first = start + indentation
            last = end
        if first is None:
            return None
        indicator = match.start("indicator")
        start = indicator if indicator != -1 else first
        while last > start and text[last - 1] in " \t":
            last -= 1
        found.append((start, last, decision))
        return last

    _search_values(_line_search(_BLOCK_KEY, starts), text, decide, read_value, key=_block_key)


def _block_key(match: re.Match) -> str:
    """The key of a block's first line; none for words before a colon without a block scalar's
    indicator: code (``class PasswordForm:``, ``if token:``) has code below it."""
    key = _key_of(match)
    if " " in key and match.start("indicator") == -1 and match.group("kq") is None:
        return ""
    return key


def _following(lines: list[tuple[int, int]], index: int):
    for number in range(index, len(lines)):
        yield lines[number]


#: A key before ``=>`` (Ruby, PHP, Perl), or before a quote after ``:`` / ``=`` (a quoted value
#: that may go on over lines: .env files, YAML).
_ARROW_OR_QUOTE = re.compile(
    rf"""(?<![\w$@.-]){_KEY}[ \t]{{0,8}}(?:(?P<sep>=>)[ \t]*|[:=][ \t]{{0,8}}(?P<quote>["']))""")
_ARROW_OR_QUOTE_SEPARATOR = re.compile(r"""=>|[:=][ \t]{0,8}["']""")


def _arrows_and_long_quotes(text: str, decide: Callable[[str], int], found: list) -> None:
    """The value after ``=>`` as after a label's separator, and a quoted value going on over
    lines, to its closing quote (one on its line is keys inside text's)."""

    def read_value(match: re.Match, decision: int) -> int | None:
        quote = match.group("quote")
        if quote is None:
            _add_value(text, match, decision, LINE_END_ESCAPED, found)
            return None
        start = match.end()
        close = _closing_quote(text, start, len(text), quote)
        if close == -1 or LINE_END.search(text, start, close) is None:
            return None
        found.append((start, close, decision))
        return close

    _search_values(_keyed_search(_ARROW_OR_QUOTE_SEPARATOR, _ARROW_OR_QUOTE), text, decide, read_value)


def _search_values(search: Callable[[str, int], re.Match | None], text: str, decide: Callable[[str], int],
                   read_value: Callable[[re.Match, int], int | None], key: Callable[[re.Match], str] = None) -> None:
    """Each match ``search`` finds whose key ``decide`` calls sensitive, given to ``read_value``
    with the decision; the search goes on after the match, or after the value ``read_value``
    says it found (a key inside a value is part of it: each character is read once)."""
    key = key or _key_of
    position = 0
    while True:
        match = search(text, position)
        if match is None:
            return
        position = max(match.end(), position + 1)
        decision = decide(key(match))
        if decision:
            end = read_value(match, decision)
            if end is not None:
                position = max(position, end)


def _quoted_blocks(text: str, decide: Callable[[str], int], found: list) -> None:
    """Triple-quoted strings and heredocs after a key: to their closing quotes or their end line
    (the rest of the text when it never comes)."""

    def read_value(match: re.Match, decision: int) -> int:
        start = match.end()
        triple = match.group("triple")
        if triple is not None:
            end = text.find(triple, start)
            end = len(text) if end == -1 else end
        else:
            ending = re.compile(rf"(?:[\n\r]|\\[nr])[ \t]*{re.escape(match.group('tag'))}\b")
            stop = ending.search(text, start)
            end = len(text) if stop is None else stop.start()
            first_line = LINE_END_ESCAPED.match(text, start)  # (the value starts on the next line)
            if first_line is not None and first_line.end() <= end:
                start = first_line.end()
        if end > start:
            found.append((start, end, decision))
        return end

    _search_values(_QUOTED_BLOCK.search, text, decide, read_value)


def _calls(text: str, decide: Callable[[str], int], found: list) -> None:
    """A call written as a key's value, whole, when it holds something."""

    def read_value(match: re.Match, decision: int) -> int | None:
        close = container_end(text, match.end(), "(", _CALL_CLOSERS, _CALL_MARK)
        if not text[match.end() : close].strip():  # (password=get_password(): no value written here)
            return None
        found.append((match.start("call"), min(close + 1, len(text)), decision))
        return close

    _search_values(_keyed_search(_CALL_SEPARATOR, _CALL), text, decide, read_value)


#: The brackets a call's arguments may hold, and the pattern of them, quotes and backslashes that
#: :func:`~.keytext.container_end` reads them by.
_CALL_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_CALL_MARK = re.compile(r"""[\\"'()\[\]{}]""")


def _authorization_lines(text: str, decide: Callable[[str], int], line_end: re.Pattern, found: list) -> None:
    """An Authorization header's value to the end of its line, or to the closing quote of the
    string the header starts."""

    def read_value(match: re.Match, decision: int) -> int:
        start = match.end()
        if text.startswith(FILTERED, start):
            return start + len(FILTERED)  # already redacted (the string's closing quote with it)
        stop = line_end.search(text, start)
        end = stop.start() if stop is not None else len(text)
        opener = _opening_quote(text, match.start())
        if opener:
            close = _closing_quote(text, start, end, opener)
            end = close if close != -1 else end
        value_end = end
        while end > start and text[end - 1] in " \t":
            end -= 1
        if end > start:
            found.append((start, end, decision))
        return value_end

    search = _keyed_search(_AUTHORIZATION_WORD, _AUTHORIZATION, _HEADER_WORDS_BEFORE)
    _search_values(search, text, decide, read_value, key=lambda match: match.group("key"))


def _closing_quote(text: str, start: int, end: int, quote: str) -> int:
    """The first ``quote`` in ``text[start:end]`` no backslash escapes, or -1."""
    position = start
    while True:
        position = text.find(quote, position, end)
        if position == -1:
            return -1
        backslashes = 0
        while position - backslashes - 1 >= start and text[position - backslashes - 1] == "\\":
            backslashes += 1
        if not backslashes % 2:
            return position
        position += 1


def with_text_shapes(find_key_values: Callable) -> Callable[[str, Callable[[str], int]], list]:
    """``find_key_values`` (keys inside text, maybe with the values named elsewhere) that also
    finds the values of keys in the shapes of :func:`find_shaped_values`. This is what the exact
    pass runs for keys inside text with ``options.text_shapes`` (not in a frame's source lines
    read as code: they are code, one line each)."""

    def find(text: str, decide: Callable[[str], int]) -> list[tuple[int, int, int]]:
        found = find_key_values(text, decide)
        shaped = find_shaped_values(text, decide)
        return found + shaped if shaped else found

    return find
