"""Tables inside text (``options.text_shapes``, :mod:`.textshapes`): the cells a table names by
its other cells, and the lines text is read in.

A table names a value by a cell beside it or by its column's header, as a dict names one by its
key. :func:`find_table_values` reads the tables of lines (Markdown, Jira, psql's and the MySQL
client's output), of HTML (``<tr>``/``<td>``/``<th>``, a definition list's ``<dt>``/``<dd>``) and
of CSV or TSV text, and gives ``(start, end, decision)`` of each cell a key the caller's
``decide`` calls sensitive names: without a header, the cell after a cell naming the key, in rows
sure to be table rows; under a header, every cell of the key's column, and a ``Value`` column's
cell in a row naming the key. Each line and each cell is read once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

from .pairs import PAIR_VALUES
from .prefilter import Literal, Probe, heads_and_key_words

if TYPE_CHECKING:
    from .rule import Rule

#: The end of a line: a line break, or the escape of one in text holding backslashes (a
#: ``repr()``, JSON text: a frame variable holding YAML or a table is sent as its ``repr()``).
LINE_END = re.compile(r"\r\n|[\n\r]")
LINE_END_ESCAPED = re.compile(r"\r\n|[\n\r]|\\r\\n|\\[nr]")
#: The quotes (and Markdown's backtick) a value may be written in.
QUOTES = "\"'`"
_MAX_LINES = 100_000
#: What a table of lines names a value by (see :func:`_tables`): a rule line under its header, or
#: a row whose line starts with ``|``. Text with neither (``str | None`` in a line of code) has
#: no table to read.
_TABLE_OF_LINES = re.compile(r"-{3}|={3}|(?:^|[\n\r]|\\[nr])\s*\|")


def find_table_values(text: str, decide: Callable[[str], int], line_end: re.Pattern, several_lines: bool,
                      found: list) -> None:
    """Add to ``found`` the cells of the tables in ``text`` that a key ``decide`` calls sensitive
    names (``line_end``: what ends a line there; ``several_lines``: whether it holds more than one)."""
    if "|" in text and _TABLE_OF_LINES.search(text) is not None:
        _tables(text, decide, line_end, found)
    if "<" in text:
        _html_tables(text, decide, found)
    if several_lines and ("," in text or "\t" in text):
        _delimited(text, decide, line_end, found)


def lines(text: str, line_end: re.Pattern) -> list[tuple[int, int]]:
    """``(start, end)`` of each line (its end: where its line break, or the escape of one, starts)."""
    found = []
    position = 0
    for stop in line_end.finditer(text):
        found.append((position, stop.start()))
        position = stop.end()
        if len(found) >= _MAX_LINES:
            return found
    found.append((position, len(text)))
    return found


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
    for start, end in lines(text, line_end):
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
    spans = lines(text, line_end)
    index = 0
    while index < len(spans) - 1:
        start, end = spans[index]
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
        while index < len(spans):
            fields = _fields(text, *spans[index], delimiter)
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
    if end - start >= 2 and text[start] in QUOTES and text[end - 1] == text[start]:
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


