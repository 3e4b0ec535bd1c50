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
* **Tables** (Markdown, Jira, psql's and the MySQL client's output, HTML, CSV and TSV): a row's
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
for tables, which hold no separator, :func:`table_probe`. Each search looks for its rare part
first (a line's start, a separator, an emphasis opener) and reads each character a bounded
number of times: linear in the text. Keys and values a search finds are skipped by the search
after it (a key inside a value is part of the value).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Callable

from .keytext import _container_end
from .pairs import PAIR_VALUES
from .prefilter import Literal, Probe, heads_and_key_words
from .redactions import FILTERED

if TYPE_CHECKING:
    from .rule import Rule

#: A key as keys inside text read one: a word of any script, or quoted.
_WORD = r"[^\W\d][\w.$@-]{0,127}+"
_KEY = rf"""(?:(?P<kq>["'])(?P<qkey>[^"'\\\n]{{1,128}}+)(?P=kq)|(?P<key>{_WORD}))"""
#: What may open a line before its text: the quote opening a string (a ``repr()``, JSON text).
_OPENER = r"""(?:[\[({]?b?(?P<opener>['"]))?"""
_BULLET = r"(?:[-*+][ \t]{1,8}|\d{1,3}[.)][ \t]{1,8})?"

#: A label of two to four words at a line's start (``API key: ...``); one word is a key inside text.
_LABEL = re.compile(rf"""{_OPENER}[ \t]{{0,16}}{_BULLET}(?P<key>{_WORD}(?:[ ][\w.$@-]{{1,64}}+){{1,3}})[ \t]{{0,8}}(?P<sep>[:=])[ \t]*""")
#: A word of a key in Markdown emphasis: ``_`` and the like only between letters or digits, so the
#: emphasis closing it (``__token__``) is never part of it.
_EMPHASIZED_WORD = r"[^\W_]++(?:[_.$@-][^\W_]++)*+"
#: A key in Markdown emphasis or code, its separator inside or after it.
_EMPHASIZED = re.compile(
    rf"""(?<![\w*`])(?P<em>\*\*\*|___|\*\*|__|\*|_|`)(?P<key>{_EMPHASIZED_WORD}(?:[ ]{_EMPHASIZED_WORD}){{0,3}}+)[ \t]{{0,8}}(?P<inside>[:=])?(?P=em)(?![\w*`])
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

#: The end of a line: a line break, or the escape of one in text holding backslashes.
_LINE_END = re.compile(r"\r\n|[\n\r]")
_LINE_END_ESCAPED = re.compile(r"\r\n|[\n\r]|\\r\\n|\\[nr]")
#: What ends a bare value written after ``:`` / ``=`` (as keys inside text end one).
_COLON_VALUE_END = re.compile(r"[\n\r,}\]]|\\[nr]")
_EQUALS_VALUE = re.compile(r"""[^\s&;,'"<>{}\[\]()\#]{1,8192}""")
_QUOTES = "\"'`"
_MAX_LINES = 100_000


def find_shaped_values(text: str, decide: Callable[[str], int]) -> list[tuple[int, int, int]]:
    """``(start, end, decision)`` of the value of every key in one of the shapes above that
    ``decide`` maps to a non-zero decision."""
    found: list[tuple[int, int, int]] = []
    escapes = "\\" in text
    line_end = _LINE_END_ESCAPED if escapes else _LINE_END
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
    if "|" in text:
        _tables(text, decide, line_end, found)
    if "<" in text:
        _html_tables(text, decide, found)
    if several_lines and ("," in text or "\t" in text):
        _delimited(text, decide, line_end, found)
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
    if char in _QUOTES:
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
        end = _container_end(text, start + 1, char)
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


def _lines(text: str, line_end: re.Pattern) -> list[tuple[int, int]]:
    """``(start, end)`` of each line (its end: where its line break, or the escape of one, starts)."""
    lines = []
    position = 0
    for stop in line_end.finditer(text):
        lines.append((position, stop.start()))
        position = stop.end()
        if len(lines) >= _MAX_LINES:
            return lines
    lines.append((position, len(text)))
    return lines


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
    lines: list[tuple[int, int]] = []  # (each line's start is one of ``starts``)

    def read_value(match: re.Match, decision: int) -> int | None:
        if not lines:
            lines.extend(_lines(text, line_end))
        index = bisect_right(starts, match.start()) - 1
        key_column = match.start("indent") - lines[index][0] + len(match.group("indent"))
        first = last = None
        for start, end in _following(lines, index + 1):
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
            _add_value(text, match, decision, _LINE_END_ESCAPED, found)
            return None
        start = match.end()
        close = _closing_quote(text, start, len(text), quote)
        if close == -1 or _LINE_END.search(text, start, close) is None:
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
            first_line = _LINE_END_ESCAPED.match(text, start)  # (the value starts on the next line)
            if first_line is not None and first_line.end() <= end:
                start = first_line.end()
        if end > start:
            found.append((start, end, decision))
        return end

    _search_values(_QUOTED_BLOCK.search, text, decide, read_value)


def _calls(text: str, decide: Callable[[str], int], found: list) -> None:
    """A call written as a key's value, whole, when it holds something."""

    def read_value(match: re.Match, decision: int) -> int | None:
        close = _container_end(text, match.end(), "(", _CALL_CLOSERS, _CALL_MARK)
        if not text[match.end() : close].strip():  # (password=get_password(): no value written here)
            return None
        found.append((match.start("call"), min(close + 1, len(text)), decision))
        return close

    _search_values(_keyed_search(_CALL_SEPARATOR, _CALL), text, decide, read_value)


#: The brackets a call's arguments may hold, and the pattern of them, quotes and backslashes that
#: :func:`~.keytext._container_end` reads them by.
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


_RULE_LINE = re.compile(r"[ \t]*[|+]?[ \t]*:?(?:-{3,}|={3,})[-=:|+ \t]*")
_CELL_WRAPPING = "*_`"
#: A cell that reads as a key's name: up to four words.
_CELL_NAME = re.compile(r"[^\W\d][\w.@-]{0,63}(?: [\w.@-]{1,64}){0,3}")


def _read_table(text: str, header: list[tuple[int, int]] | None, rows: list[tuple[list[tuple[int, int]], bool]],
                decide: Callable[[str], int], found: list) -> None:
    """The values a table's cells name: under a ``header``, every cell of a column whose header
    names a key, and the cells of its value columns (``Value``, as a pair dict's value field:
    :data:`~.pairs.VALUE_FIELDS`) in a row where a cell names a key (``| Setting | Value |``; a
    schema's ``| field | type |`` names no value); without one, the next cell after a cell
    naming a key, in the rows that are sure to be table rows (``rows``: each row's cells, and
    whether it is)."""
    if header is not None:
        names = [_cell_key(text, cell) for cell in header]
        decisions = [decide(name) if name else 0 for name in names]
        value_columns = [column for column, name in enumerate(names) if name in PAIR_VALUES]
        for cells, _ in rows:
            for cell, decision in zip(cells, decisions):
                if decision and cell[1] > cell[0]:
                    found.append((*_cell_value(text, cell), decision))
            if value_columns:
                decision = 0
                for column, cell in enumerate(cells):
                    if column not in value_columns:
                        name = _cell_key(text, cell)
                        decision |= decide(name) if name else 0
                if decision:
                    found.extend((*_cell_value(text, cells[column]), decision) for column in value_columns
                                 if column < len(cells) and cells[column][1] > cells[column][0])
        return
    for cells, sure in rows:
        if not sure:
            continue
        for cell, following in zip(cells, cells[1:]):
            name = _cell_key(text, cell)
            if name and following[1] > following[0]:
                decision = decide(name)
                if decision:
                    found.append((*_cell_value(text, following), decision))


def _tables(text: str, decide: Callable[[str], int], line_end: re.Pattern, found: list) -> None:
    """Tables of lines (Markdown, Jira, psql's and the MySQL client's output): a block of rows
    (cells between ``|``) and rule lines; its header is the first row when a rule line follows it,
    or a Jira header (cells between ``||``). A row without a header is sure to be one when its
    line starts with a ``|`` (``echo $password | base64`` is no table)."""
    block: list = []  # the rows (cells, whether the line starts with "|") and rule lines (None) of a table
    for start, end in _lines(text, line_end):
        if _RULE_LINE.fullmatch(text, start, end):
            block.append(None)
            continue
        cells = _cells(text, start, end)
        if cells is not None:
            line = text[start:end].lstrip()
            if line.startswith("||") and not block:  # Jira's header: cells between "||", no rule line
                block += [([cell for cell in cells if cell[1] > cell[0]], True), None]
            else:
                block.append((cells, line.startswith("|")))
            continue
        _read_block(text, block, decide, found)
        block = []
    _read_block(text, block, decide, found)


def _read_block(text: str, block: list, decide: Callable[[str], int], found: list) -> None:
    entries = [entry for entry in block if entry is not None]
    if not entries:
        return
    first = next(index for index, entry in enumerate(block) if entry is not None)
    if first + 1 < len(block) and block[first + 1] is None and len(entries) > 1:  # a header, its rule line below
        _read_table(text, entries[0][0], entries[1:], decide, found)
    else:
        _read_table(text, None, entries, decide, found)


#: An HTML table's rows and cells (their text, without markup inside), and a definition list's terms.
_HTML_TABLE = re.compile(
    r"""(?P<row><tr\b)|(?P<end></table\s*>)
        |<(?P<tag>t[dh]|d[td])\b[^<>]{0,256}+>[ \t\r\n]*+(?P<inside>[^<]{0,8192}+)</(?P=tag)\s*>""",
    re.IGNORECASE | re.VERBOSE,
)


def _html_tables(text: str, decide: Callable[[str], int], found: list) -> None:
    """HTML tables as tables of cells (a first row of ``<th>`` cells is the header) and a
    definition list's ``<dt>`` naming the ``<dd>`` after it."""
    header: list | None = None
    rows: list = []
    row: list | None = None
    terms: list = []  # the definition list's cells, in order
    for match in _HTML_TABLE.finditer(text):
        if match.group("tag") is not None:
            tag = match.group("tag").lower()
            cell = _trimmed(text, *match.span("inside"))
            if tag in ("dt", "dd"):
                terms.append(cell)
                continue
            if row is None:
                row = []
                rows.append(row)
                if tag == "th" and len(rows) == 1:
                    header = row
            row.append(cell)
            continue
        if match.group("row") is not None:
            row = None
            continue
        _read_html(text, header, rows, decide, found)  # </table>
        header, rows, row = None, [], None
    _read_html(text, header, rows, decide, found)
    if terms:
        _read_table(text, None, [(terms, True)], decide, found)


def _read_html(text: str, header: list | None, rows: list, decide: Callable[[str], int], found: list) -> None:
    if header is not None:
        _read_table(text, header, [(cells, True) for cells in rows if cells is not header], decide, found)
    elif rows:
        _read_table(text, None, [(cells, True) for cells in rows], decide, found)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\r\n":
        start += 1
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return start, end


#: A name in a line of comma- or tab-separated names (a header of CSV text), maybe quoted.
_DELIMITED_NAME = re.compile(r'"?[^\W\d][\w .@-]{0,63}"?')


def _delimited(text: str, decide: Callable[[str], int], line_end: re.Pattern, found: list) -> None:
    """CSV and TSV text: a line of two or more names, one naming a key, and the lines below it
    holding as many fields: each field of that column is its value (the table ends at a line of
    another count)."""
    lines = _lines(text, line_end)
    index = 0
    while index < len(lines) - 1:
        start, end = lines[index]
        index += 1
        line = text[start:end]
        delimiter = "\t" if "\t" in line else "," if "," in line else None
        if delimiter is None:
            continue
        header = _fields(text, start, end, delimiter)
        names = [_cell_key(text, field) for field in header]
        if len(header) < 2 or not all(names) or not all(_DELIMITED_NAME.fullmatch(text, *field) for field in header):
            continue
        decisions = [decide(name) for name in names]
        if not any(decisions):
            continue
        while index < len(lines):
            fields = _fields(text, *lines[index], delimiter)
            if len(fields) != len(header):
                break
            found.extend((*_cell_value(text, field), decision) for field, decision in zip(fields, decisions)
                         if decision and field[1] > field[0])
            index += 1


#: A field of a CSV line: quoted (a doubled quote inside) or bare.
_CSV_FIELD = {delimiter: re.compile(r' *(?:"(?:[^"]|"")*+"|[^' + delimiter + r'"]*+) *') for delimiter in ",\t"}


def _fields(text: str, start: int, end: int, delimiter: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each field of a CSV or TSV line (spaces trimmed); none when a field's
    quote is left open."""
    fields = []
    position = start
    field = _CSV_FIELD[delimiter]
    while True:
        match = field.match(text, position, end)
        fields.append(_trimmed(text, match.start(), match.end()))
        position = match.end()
        if position >= end:
            return fields
        if text[position] != delimiter:
            return []
        position += 1


def _cells(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """``(start, end)`` of each cell of a table row (spaces trimmed), or None when the line is no
    row (no ``|`` between two cells)."""
    bars = [position for position in _bars(text, start, end)]
    if not bars:
        return None
    edges = [start - 1, *bars, end]
    cells = []
    for left, right in zip(edges, edges[1:]):
        cell_start, cell_end = left + 1, right
        while cell_start < cell_end and text[cell_start] in " \t":
            cell_start += 1
        while cell_end > cell_start and text[cell_end - 1] in " \t":
            cell_end -= 1
        cells.append((cell_start, cell_end))
    if cells and cells[0][0] == cells[0][1] and text[start:bars[0]].strip() == "":
        cells.pop(0)  # before a leading bar
    if cells and cells[-1][0] == cells[-1][1] and text[bars[-1] + 1 : end].strip() == "":
        cells.pop()  # after a trailing bar
    return cells if len(cells) >= 2 else None


def _bars(text: str, start: int, end: int):
    position = text.find("|", start, end)
    while position != -1:
        if position == start or text[position - 1] != "\\":
            yield position
        position = text.find("|", position + 1, end)


def _cell_key(text: str, cell: tuple[int, int]) -> str:
    """A cell's text as a key (without Markdown emphasis or code around it, nor a colon or quotes
    after it), or ``""`` when it reads as no key's name."""
    if cell[1] - cell[0] > 128:
        return ""
    key = text[cell[0] : cell[1]].strip(_CELL_WRAPPING + '"').rstrip(":").strip(_CELL_WRAPPING + ' "')
    return key if _CELL_NAME.fullmatch(key) else ""


def _cell_value(text: str, cell: tuple[int, int]) -> tuple[int, int]:
    """A value cell's span: inside backticks or quotes when it is so written."""
    start, end = cell
    if end - start >= 2 and text[start] in _QUOTES and text[end - 1] == text[start]:
        return start + 1, end - 1
    return start, end


#: What a table holding no separator holds: a bar, a tab, an HTML cell or term.
_TABLE_HEADS = (Literal("|"), Literal("\t"), Literal("<td", caseless=True), Literal("<th", caseless=True),
                Literal("<dt", caseless=True))


def table_probe(rules: list[Rule]) -> Probe:
    """A prefilter for tables naming a key of ``rules``: a ``|``, a tab or an HTML cell, and a
    word of a key glob (see :func:`~.prefilter.heads_and_key_words`). (A table of CSV text holds
    a comma, which keys inside text's probe looks for.)"""
    return heads_and_key_words(_TABLE_HEADS, rules)


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
