"""SQL ``INSERT`` values named by their column list, inside text.

``INSERT INTO users (name, password) VALUES ('bob', 'Pa55word'), ('ann', 'x')`` names its values
by position: the second value of each row sits under ``password``. Statements like it reach
events whole wherever the SQL was written with its literals: exception messages (SQLAlchemy's
``[SQL: ...]``, a driver's error), ``query`` breadcrumbs, frame variables holding the statement,
log lines. Bound parameters (``VALUES (?, ?)`` with ``[parameters: ...]``) are the detectors'
business (``sql_params``, ``sql_parameters_text``); ``UPDATE ... SET password = '...'`` is a key
inside text (:mod:`.keytext`).

:func:`find_insert_values` finds each ``INSERT`` (also ``INSERT OR REPLACE``, ``INSERT IGNORE``,
MySQL's ``REPLACE INTO`` and ``VALUE``) with a column list, reads its rows, and returns the span
of every value whose column the caller's ``decide`` calls sensitive: the inside of a quoted
string (as a quoted value of a key inside text), else the whole expression (a number, a bare word,
a function call such as ``crypt('pw', gen_salt('bf'))``). Placeholders (``?``, ``%s``,
``%(name)s``, ``:name``, ``$1``, ``@p1``), ``NULL`` and ``DEFAULT`` hold nothing and are left. A
statement cut short (an event's string cut to ``max_string_length``) has the rest of its open
value redacted, as a container cut short is by keys inside text.

The exact pass runs it with keys inside text, on the strings flagged by the key-word probe or by
:func:`insert_values_probe` (``insert`` or ``replace``, and a word of a key glob, in any case): a
column name is followed by a comma or a bracket, which the key-word probe does not look for.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

from .prefilter import CASE_FOLD_TABLE, Literal, Probe, heads_and_key_words

if TYPE_CHECKING:
    from .rule import Rule

#: The head of an INSERT up to the ``(`` of its first row; its column list in ``columns``.
_INSERT = re.compile(
    r"""\b(?:insert|replace)\b
        (?:\s+(?:or\s+[a-z]+|ignore|low_priority|delayed|high_priority))*
        \s+(?:into\s+)?
        [^\s(]{1,256}+                                    # the table, maybe schema-qualified and quoted
        \s*\((?P<columns>[^()]{1,8192}+)\)
        \s*(?:values?)\s*\(""",
    re.IGNORECASE | re.VERBOSE,
)
_ANCHOR = re.compile(r"\b(?:insert|replace)\b", re.IGNORECASE)
#: The prefilter's anchors of an INSERT statement (:func:`insert_values_probe`).
_HEADS = (Literal("insert", caseless=True), Literal("replace", caseless=True))
#: What ends a token inside a row: quotes, brackets and commas.
_ROW_MARK = re.compile(r"""['"`(),]""")
_NEXT_ROW = re.compile(r"\s*,\s*\(")
#: The rest of a quoted token after its opening quote, up to its closing one (a doubled quote stays
#: inside), with and without backslash escapes, for each quote.
_QUOTED_BY_ESCAPES = [
    {quote: re.compile(rf"(?:[^{quote}\\]++|\\.|{quote}{quote})*+{quote}", re.DOTALL) for quote in "'\"`"},
    {quote: re.compile(rf"(?:[^{quote}]++|{quote}{quote})*+{quote}") for quote in "'\"`"},
]
#: Values that hold nothing: placeholders of every DB-API paramstyle and of other drivers, NULL, DEFAULT.
_EMPTY_VALUE = re.compile(r"(?:\?|%s|%\([^)]*\)s|:\w+|\$\d+|@\w+|null|default)$", re.IGNORECASE)
_IDENTIFIER_QUOTES = "\"`[]'"
_MAX_ROWS = 100_000


def find_insert_values(text: str, decide: Callable[[str], int]) -> list[tuple[int, int, int]]:
    """``(start, end, decision)`` of every value of an ``INSERT`` in ``text`` whose column
    ``decide`` maps to a non-zero decision. Whether a backslash escapes a quote depends on the
    database (MySQL: yes, standard SQL: no): the rows are read both ways, and a value sensitive
    in either reading is found."""
    found: list[tuple[int, int, int]] = []
    if not _may_hold_head(text) or _ANCHOR.search(text) is None:
        return found
    position = 0
    while True:
        head = _INSERT.search(text, position)
        if head is None:
            return list(dict.fromkeys(found))  # a value both readings agree on, once
        decisions = [decide(column) for column in _columns(head.group("columns"))]
        position = head.end()
        if any(decisions):
            ends = [_read_rows(text, position, decisions, found, quoted) for quoted in _QUOTED_BY_ESCAPES]
            position = min(ends)


def _may_hold_head(text: str) -> bool:
    """Whether ``text`` may hold ``insert`` or ``replace`` in any case (as ``re.IGNORECASE`` reads
    them, with the Kelvin sign and the long s): most strings do not, and looking for both words in
    the lowered text costs less than the pattern's caseless search."""
    lowered = (text if text.isascii() else text.translate(CASE_FOLD_TABLE)).lower()
    return "insert" in lowered or "replace" in lowered



def _columns(listed: str) -> list[str]:
    """The column names of a column list, their identifier quotes dropped."""
    return [column.strip().strip(_IDENTIFIER_QUOTES) for column in listed.split(",")]


def _read_rows(text: str, start: int, decisions: list[int], found: list, quoted: dict) -> int:
    """Read the rows from ``start`` (just inside the first row's ``(``), adding the sensitive
    values to ``found``; return where reading stopped. ``quoted``: quote -> the pattern of the
    rest of a quoted token."""
    for _ in range(_MAX_ROWS):
        end = _read_row(text, start, decisions, found, quoted)
        if end >= len(text):
            return end
        following = _NEXT_ROW.match(text, end + 1)
        if following is None:
            return end + 1
        start = following.end()
    return start


def _read_row(text: str, start: int, decisions: list[int], found: list, quoted: dict) -> int:
    """Read one row from ``start``; return the index of its closing ``)`` (or the text's end)."""
    index, value_start, depth, position = 0, start, 0, start
    while True:
        mark = _ROW_MARK.search(text, position)
        if mark is None:
            _add_value(text, value_start, len(text), decisions[index] if index < len(decisions) else 0, found, quoted)
            return len(text)
        char, position = mark.group(), mark.start()
        if char in quoted:
            position = _quoted_end(text, position, quoted)
            continue
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:  # a comma between values, or the row's end
            _add_value(text, value_start, position, decisions[index] if index < len(decisions) else 0, found, quoted)
            if char == ")":
                return position
            index, value_start = index + 1, position + 1
        position += 1


def _quoted_end(text: str, start: int, quoted: dict) -> int:
    """The index just after the quoted token opening at ``start`` (the text's end if it never
    closes)."""
    rest = quoted[text[start]].match(text, start + 1)
    return len(text) if rest is None else rest.end()


def _add_value(text: str, start: int, end: int, decision: int, found: list, quoted: dict) -> None:
    """The value ``text[start:end]``, if its column is sensitive (``decision``): the inside of its
    quotes when it is one quoted string, else all of it."""
    if not decision:
        return
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end or _EMPTY_VALUE.match(text, start, end):
        return
    if text[start] in "'\"" and _quoted_end(text, start, quoted) == end:
        start += 1
        if end < len(text) or text.endswith(text[start - 1], start):  # closed, not cut short
            end -= 1
    if end > start:
        found.append((start, end, decision))


def insert_values_probe(rules: list[Rule]) -> Probe:
    """A prefilter for the values of ``INSERT`` statements under the key globs of ``rules``: the
    word ``insert`` or ``replace``, and a word of a key glob (see
    :func:`~.prefilter.heads_and_key_words`)."""
    return heads_and_key_words(_HEADS, rules)
