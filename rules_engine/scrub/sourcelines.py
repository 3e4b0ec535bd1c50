"""A frame's source lines: a key's value there is a literal, or code that holds no secret.

sentry-sdk sends the lines around each frame (``pre_context``, ``context_line``,
``post_context``), and keys inside text (:mod:`.keytext`) find keys in them as in any text. In
Python source, what follows ``password=`` is mostly an *expression*: ``password=password``,
``password=get_password()``, ``headers={"X-Api-Key": settings.API_KEY}``, ``def f(secret: str)``.
Redacting it protects nothing (the source is on disk beside the program) and mangles the stack
trace (``password=[Filtered]("vault_password")``). A *literal* is another matter:
``password = "hunter2"`` or ``API_KEY = 'sk_...'`` is a secret written into the program, and
stays redacted.

So with ``options.source_as_code``, in the source lines of a Python file (a frame whose
``abs_path``, else ``filename``, ends with ``.py``), the value after a sensitive key's ``=`` or
``:`` counts only when it is not code (:func:`code_value`):

* The line is read as Python, left to right (:func:`scan_line`): what is code, what is inside a
  string literal (an f-string's literal text apart from its replacement fields), what is a
  comment, and which bracket closes which. A line is read alone, so a line inside a docstring
  reads as code; hence the strict reading of names below.
* In code, the value is code when it parses as an expression whose operands are all names read
  as a program's names (:func:`~.dictkeys.reads_as_a_name`: no digit, one case, so
  ``token: abc123`` in a docstring stays redacted), dotted names, calls and subscripts (their
  arguments are not the value; a key among them is searched on its own), or displays of such
  (``(user, password)``, ``{"name": value}`` with keys that read as names), joined by operators
  (``a or b``, an annotation's ``str = default``). A call or subscript the line leaves open
  continues on the next line, and is code. Anything with a literal operand (a string, an
  f-string, bytes, a number: ``passwd + 'anonymous@'`` too), a ``lambda``, a comprehension, or
  what does not parse is not code: the value is redacted as before. An f-string counts as a
  literal whole: its literal text is the program's and may hold a secret (``f"{user}:hunter2"``).
* Inside an f-string's literal text, the value is code when it is one replacement field holding
  code (``f"PGPASSWORD={password} psql"``, ``f"api_key={secret('x')}"``), followed by the end of the
  value; any literal text is a value, as in any text.
* Inside any other string literal, or in a comment, the text is no Python: its values count
  (``"password=hunter2"``, ``# token: abc123``).

When the value is code, the key counts as not sensitive and the search goes on after its
separator, as after any such key: keys inside the expression (``f(token="abc")``) are found on
their own. Detectors whose findings are a key's value the same way (``key_value``: ``password_pair``,
the catalogue's config lines) drop a value that is code too (:func:`in_source_lines`), else each
would redact what keys inside text keep. Other detectors, user patterns, named values and echoes
read source lines as any text.

Which strings are source lines is decided before the walk (:func:`source_line_containers`: the
frames and lists holding them, by identity) and marked among the exact pass's candidates by a
probe bit no probe has (:func:`mark_source_lines`), so both walks ask the same Python functions
and a source line's findings are remembered apart from the same text elsewhere.

Each step moves forward through the line, and what an expression's parse found at each operand
is remembered for the line: the cost is linear in the line's length, whatever it holds.
"""

from __future__ import annotations

import keyword
import re
from bisect import bisect_right
from typing import Any, Callable

from .argv import frame_lists
from .dictkeys import reads_as_a_name
from .keytext import find_key_values
from .redactions import FILTERED

#: What a part of a line is.
CODE, STRING, FSTRING, COMMENT = 0, 1, 2, 3
#: The places of a frame that hold source lines: one line, or lists of lines.
_LINE, _LINES = "context_line", ("pre_context", "post_context")
#: A frame's file is Python source when its name ends so (a template's frame holds template lines).
_PYTHON_FILES = (".py", ".pyw")

_CLOSER = {"(": ")", "[": "]", "{": "}"}
#: What changes the reading of code: a comment, a string, a bracket.
_CODE_MARK = re.compile(r"""[#"'()\[\]{}]""")
#: What changes the reading of a string's text, by (quote character, f-string).
_STRING_MARKS = {
    ('"', False): re.compile(r'[\\"]'), ("'", False): re.compile(r"[\\']"),
    ('"', True): re.compile(r'[\\"{}]'), ("'", True): re.compile(r"[\\'{}]"),
}
_PREFIX_LETTERS = "rRbBuUfF"

_SPACES = re.compile(r"[ \t]*")
_NAME = re.compile(r"[^\W\d]\w*")
_STRING_START = re.compile(r"""[rRbBuUfF]{0,2}["']""")
#: Unary operators and ``*args`` / ``**kwargs`` before an operand.
_PREFIX = re.compile(r"(?:not|await)[ \t]+|[-+~]|\*\*?")
#: Binary operators, comparisons, a conditional expression's words, and the ``=`` of an
#: annotation's default (``password: str = None``) or a chained assignment.
_OPERATOR = re.compile(r"\*\*|//|<<|>>|<=|>=|==|!=|[-+*/%@&|^<>=]|(?:and|or|in|is|not|if|else)(?!\w)")
#: What ends a value: an item's or a statement's end, a closing bracket, a comment, a slice's
#: or a dict's colon, a replacement field's conversion (``!r``), a line continuation.
_VALUE_ENDS = frozenset(",;:)]}#!\\")
#: Names that are constants (no secret) among the keywords; other keywords make no operand.
_CONSTANTS = frozenset({"None", "True", "False"})
_KEYWORDS = frozenset(keyword.kwlist) - _CONSTANTS
#: A string key of a dict display (``{"name": value}``) whose text reads as a name.
_NAME_KEY = re.compile(r"""[bu]?(['"])([^\W\d][\w.-]{0,63})\1[ \t]*:""")
#: What may follow a replacement field that is a whole value inside an f-string's text.
_AFTER_FIELD = frozenset(" \t&;,'\"<>)]\\")
#: Displays nested deeper are not read (a value so nested is redacted).
_MAX_NESTING = 32


class LineScan:
    """What each part of one source line is (:func:`scan_line`)."""

    __slots__ = ("starts", "kinds", "closers", "strings", "memo")

    def __init__(self) -> None:
        self.starts: list[int] = [0]  # where each part starts, in order
        self.kinds: list[int] = [CODE]  # what it is
        #: position of an opening bracket (or of a replacement field's ``{``) -> its closer's
        self.closers: dict[int, int] = {}
        #: where a string literal starts (its prefix) -> the span of what its quotes hold (to the
        #: end of the line when it stays open there)
        self.strings: dict[int, tuple[int, int]] = {}
        #: operand position -> where the expression from there ends, None when it is no code
        self.memo: dict[int, int | None] = {}

    def mark(self, position: int, kind: int) -> None:
        if self.kinds[-1] != kind:
            if self.starts[-1] == position:
                self.kinds[-1] = kind
            else:
                self.starts.append(position)
                self.kinds.append(kind)

    def kind_at(self, position: int) -> int:
        return self.kinds[bisect_right(self.starts, position) - 1]


def scan_line(text: str) -> LineScan:
    """Read ``text`` as one line of Python: its code, strings (with their prefixes), f-strings'
    literal text and replacement fields (code), its comment, and its matched brackets. A string
    the line leaves open runs to its end (a line of a triple-quoted string, read from its start,
    reads as code: see the module's docstring)."""
    scan = LineScan()
    closers = scan.closers
    levels: list[list[int]] = [[]]  # open brackets of each code level: the line, each field in it
    fields: list[tuple[int, str, int]] = []  # open replacement fields: ``{`` position, quote, string start
    strings = scan.strings
    string_start = 0
    length = len(text)
    position = 0
    quote = ""  # the string being read ("" in code), ``"""`` for a triple-quoted one
    fstring = False
    while position < length:
        if not quote:
            mark = _CODE_MARK.search(text, position)
            if mark is None:
                break
            position = mark.start()
            char = text[position]
            if char == "#":
                scan.mark(position, COMMENT)
                break
            if char in "\"'":
                start = position
                while start > 0 and position - start < 2 and text[start - 1] in _PREFIX_LETTERS:
                    start -= 1
                if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
                    start = position  # the end of a name (``x'``), no prefix
                prefix = text[start:position].lower()
                quote = char * 3 if text.startswith(char * 3, position) else char
                fstring = "f" in prefix
                scan.mark(start, FSTRING if fstring else STRING)
                string_start = start
                position += len(quote)
                strings[start] = (position, length)
            elif char in "([{":
                levels[-1].append(position)
                position += 1
            else:
                level = levels[-1]
                if char == "}" and not level and fields:  # the end of a replacement field
                    opened, quote, string_start = fields.pop()
                    levels.pop()
                    closers[opened] = position
                    fstring = True
                    scan.mark(position, FSTRING)
                elif level and _CLOSER[text[level[-1]]] == char:
                    closers[level.pop()] = position
                position += 1  # (a closer that closes nothing is passed over)
            continue
        mark = _STRING_MARKS[quote[0], fstring].search(text, position)
        if mark is None:
            break  # the string runs to the end of the line
        position = mark.start()
        char = text[position]
        if char == "\\":
            position += 2  # an escaped character (in a raw string too, the quote does not close it)
        elif char == quote[0]:
            if text.startswith(quote, position):
                strings[string_start] = (strings[string_start][0], position)
                position += len(quote)
                quote, fstring = "", False
                scan.mark(position, CODE)
            else:
                position += 1
        elif char == "{" and not text.startswith("{{", position):
            fields.append((position, quote, string_start))
            levels.append([])
            quote, fstring = "", False
            scan.mark(position + 1, CODE)
            position += 1
        else:
            position += 2 if text.startswith(char * 2, position) else 1  # ``{{``, ``}}``
    return scan


def code_value(text: str, separator_end: int, scan: LineScan) -> bool:
    """Whether the value after the separator ending at ``separator_end`` (``=`` or ``:``) in the
    source line ``text`` is code, not a value (see the module's docstring)."""
    kind = scan.kind_at(separator_end - 1)
    position = _SPACES.match(text, separator_end).end()
    if kind == CODE:
        if text.startswith("=", position):  # ``==``, or the ``=`` of ``:=``
            position = _SPACES.match(text, position + 1).end()
        return _expression_end(text, position, scan, 0) is not None
    if kind != FSTRING or not text.startswith("{", position) or text.startswith("{{", position):
        return False
    close = scan.closers.get(position)
    if close is None:
        return False
    end = _expression_end(text, position + 1, scan, 0)
    if end is None or not (end == close or (end < close and text[end] in "!:")):
        return False
    return close + 1 == len(text) or text[close + 1] in _AFTER_FIELD


def _expression_end(text: str, position: int, scan: LineScan, depth: int) -> int | None:
    """Where the expression starting at ``position`` ends (at the end of the text or at one of
    ``_VALUE_ENDS``) when all of its operands are code; None otherwise."""
    memo = scan.memo
    length = len(text)
    starts = []
    while True:
        position = _SPACES.match(text, position).end()
        if position in memo:
            end = memo[position]
            break
        starts.append(position)
        after = _operand_end(text, position, scan, depth)
        if after is None:
            end = None
            break
        position = _SPACES.match(text, after).end()
        if position >= length:
            end = length
            break
        operator = _OPERATOR.match(text, position)
        if text.startswith("!=", position) or (operator is not None and text[position] not in _VALUE_ENDS):
            position = operator.end()
            continue
        end = position if text[position] in _VALUE_ENDS else None
        break
    for start in starts:
        memo[start] = end
    return end


def _operand_end(text: str, position: int, scan: LineScan, depth: int) -> int | None:
    """The end of the operand at ``position`` when it is code (a name read as a program's, a
    dotted name, a call, a subscript, a display of code), else None."""
    while True:  # unary operators, ``*args``
        prefix = _PREFIX.match(text, position)
        if prefix is None:
            break
        position = prefix.end()
    if position >= len(text) or _STRING_START.match(text, position) is not None:
        return None  # nothing, or a string literal
    char = text[position]
    names = []
    if char in "([{":
        close = scan.closers.get(position)
        if close is None or depth >= _MAX_NESTING or not _display_is_code(text, position + 1, close, scan, depth + 1):
            return None
        after = close + 1
    else:
        name = _NAME.match(text, position)
        if name is None or name.group() in _KEYWORDS:
            return None  # a number, a sign, ``lambda`` ...
        names.append(name.group())
        after = name.end()
    plain = True  # no call, no subscript: names only, each must read as a program's
    while after < len(text):
        char = text[after]
        if char == ".":
            name = _NAME.match(text, after + 1)
            if name is None:
                return None
            names.append(name.group())
            after = name.end()
        elif char in "([":
            close = scan.closers.get(after)
            if close is None:
                return len(text)  # continued on the next line
            plain = False
            after = close + 1
        else:
            break
    if plain and not all(map(reads_as_a_name, names)):
        return None
    return after


def _display_is_code(text: str, position: int, close: int, scan: LineScan, depth: int) -> bool:
    """Whether the items of the display ``text[position:close]`` (a tuple, list, dict or set)
    are all code; a dict's keys may be strings that read as names."""
    while True:
        position = _SPACES.match(text, position).end()
        if position == close:
            return True  # empty, or after a trailing comma
        key = _NAME_KEY.match(text, position, close)
        if key is not None and reads_as_a_name(key.group(2)):
            position = key.end()
        end = _expression_end(text, position, scan, depth)
        if end is None or end > close:
            return False
        if end == close:
            return True
        if text[end] not in ",:":
            return False
        position = end + 1


def find_source_key_values(text: str, decide: Callable[[str], int],
                           first: Callable[[str, Callable[[str], int]], list] | None = None,
                           redacted: tuple[str, ...] = (FILTERED,)) -> list[tuple[int, int, int]]:
    """:func:`~.keytext.find_key_values` for a source line: a value that is code is none.
    ``first``: the same search without the decision (the C twin), run first: a line where it finds
    no sensitive key has none either way (the decision only ever lets a key go), and most source
    lines a key word flags hold none (``for key in keys``). ``redacted``: as for keys inside text."""
    if first is not None and not first(text, decide):
        return []
    scans: list[LineScan] = []

    def keeps(text: str, separator_end: int) -> bool:
        if not scans:
            scans.append(scan_line(text))
        return code_value(text, separator_end, scans[0])

    found = find_key_values(text, decide, keeps, redacted)
    if scans:  # a string's prefix found as the value (``password = rb"..."``): what its quotes hold
        strings = scans[0].strings
        for index, (start, end, decision) in enumerate(found):
            inside = strings.get(start)
            if inside is not None and inside[0] - start <= 5 and text[start:end].isalpha():
                found[index] = (inside[0], inside[1], decision) if inside[1] > inside[0] else (start, end, decision)
    return found


_SEPARATOR_BEFORE = re.compile(r"[:=][ \t]*\Z")


def in_source_lines(spans: Callable[[str], list[tuple[int, int]]]) -> Callable[[str], list[tuple[int, int]]]:
    """The ``spans`` function of a detector whose findings are keys' values (``key_value``: the
    ``password_pair`` detector, the catalogue's config lines), for a source line read as code:
    else each would redact what keys inside text keep."""
    return lambda text: without_code_values(text, spans(text))


def without_code_values(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` (values a ``key_value`` detector found in the source line ``text``) but those
    that follow a ``=`` or ``:`` and are code (:func:`code_value`)."""
    kept = []
    scan = None
    for start, end in spans:
        separator = _SEPARATOR_BEFORE.search(text, max(0, start - 16), start)
        if separator is not None:
            if scan is None:
                scan = scan_line(text)
            if code_value(text, separator.start() + 1, scan):
                continue
        kept.append((start, end))
    return kept


def source_line_containers(event: dict) -> dict[int, Any]:
    """``id(container) -> container`` of what holds the source lines of the Python frames of
    ``event`` (of exceptions and threads): each frame (its ``context_line``) and its
    ``pre_context`` and ``post_context`` lists."""
    found: dict[int, Any] = {}
    for frames, _ in frame_lists(event):
        for frame in frames:
            if type(frame) is not dict:
                continue
            path = frame.get("abs_path")
            if type(path) is not str:
                path = frame.get("filename")
            if type(path) is not str or not path.endswith(_PYTHON_FILES):
                continue
            if type(frame.get(_LINE)) is str:
                found[id(frame)] = frame
            for place in _LINES:
                lines = frame.get(place)
                if type(lines) is list:
                    found[id(lines)] = lines
    return found


def mark_source_lines(candidates: dict[int, int], slots: list, containers: dict[int, Any], values_until: int,
                      bit: int) -> None:
    """Add ``bit`` to the probes of each candidate string (index -> probes) that is a source line
    held by ``containers`` (:func:`source_line_containers`); ``slots`` holds each string's
    container and key, four items a string; strings from ``values_until`` on are dict keys."""
    for index in candidates:
        if index >= values_until:
            continue
        container = slots[4 * index]
        if containers.get(id(container)) is container and (type(container) is list or slots[4 * index + 1] == _LINE):
            candidates[index] |= bit
