"""YAML syntax errors a person can act on, and reading on past one.

PyYAML/ruamel report what the parser expected (``expected <block end>, but found '<block mapping
start>'``); this module says what that usually means in a ruleset (a line indented differently
from its siblings, a ``{`` never closed, a value holding ``: ``), draws the line with a caret under
the column, and says where the enclosing block started.

After a syntax error the file is read again with the offending line blanked out, a few times at
most; when that parses, the rest of the file is still validated, so one stray indent does not hide
every other problem. Problems on the lines of the broken block are not reported: they are most
likely the syntax error's own consequences.
"""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml.error import MarkedYAMLError

#: How many broken lines are blanked out before giving up on reading the rest of the file.
MAX_RECOVERIES = 3


@dataclass(frozen=True)
class SyntaxError_:
    line: int  # 1-based
    col: int
    message: str
    #: lines (1-based, inclusive) whose other problems are consequences of this one
    block: range
    #: whether reading on with the line blanked out can tell anything (not for a second document)
    recoverable: bool = True
    #: where the construct the parser was in started (an unclosed '{' ...), when it says
    started: tuple[int, int] | None = None


def describe(exc: MarkedYAMLError, text: str) -> SyntaxError_:
    """The error at its position, explained, with the line drawn and a caret under the column."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    start = exc.context_mark
    started = (start.line + 1, start.column + 1) if start is not None and start is not mark else None
    if context == "expected a single document in the stream":
        return SyntaxError_(line, col, "a ruleset file holds a single YAML document; remove this second one",
                            range(line, line + 1), recoverable=False)
    message = f"YAML syntax error: {_explained(problem, context, started, text, line) or problem or context}"
    first = min(started[0] if started else line, _enclosing_item(text, line))
    block = range(first, line + 1)
    return SyntaxError_(line, col, message + excerpt(text, line, col), block, started=started)


def _explained(problem: str, context: str, started: tuple[int, int] | None, text: str, line: int) -> str | None:
    where = f" (the block started at line {started[0]}, column {started[1]})" if started else ""
    if problem.startswith("expected <block end>") or "could not find expected ':'" in problem:
        indent = _indent(text, line)
        return (f"this line is indented by {indent} space{'s' if indent != 1 else ''}, which matches no "
                f"enclosing block{where}: indent it like the keys above it")
    if problem == "mapping values are not allowed here":
        return ("a ':' where no key can start: the line may be indented further than the keys above it, or a "
                "value holds ': ' and needs quotes")
    if problem.startswith(("expected ',' or '}'", "expected ',' or ']'")):
        closer = problem[len("expected ',' or '")]
        opener = "{" if closer == "}" else "["
        opened = f"opened at line {started[0]}, column {started[1]}" if started else "opened above"
        return f"the '{opener}' {opened} is not closed with '{closer}' before this point"
    if "found character '\\t'" in problem:
        return "a tab character; YAML indents with spaces"
    if context and problem:
        return f"{problem} ({context}{' started at ' + str(started[0]) + ':' + str(started[1]) if started else ''})"
    return None


def _enclosing_item(text: str, line: int) -> int:
    """The line of the list item (a rule, usually) that holds ``line``: its problems, such as a
    rule missing the key the broken line held, are the syntax error's consequences."""
    lines = text.splitlines()
    indent = _indent(text, line)
    for number in range(min(line, len(lines)) - 1, 0, -1):
        stripped = lines[number - 1].lstrip(" ")
        if stripped and not stripped.startswith("#") and _indent(text, number) < indent:
            if stripped.startswith("- "):
                return number
            indent = _indent(text, number)
    return line


def _indent(text: str, line: int) -> int:
    lines = text.splitlines()
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(raw) - len(raw.lstrip(" "))


def excerpt(text: str, line: int, col: int) -> str:
    """The source line, numbered, with a caret under ``col`` (empty when the line is out of range)."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return ""
    number = str(line)
    return f"\n    {number} | {lines[line - 1]}\n    {' ' * len(number)} | {' ' * (col - 1)}^"


def without_line(text: str, line: int) -> str:
    """``text`` with one line blanked out (line numbers of the others unchanged)."""
    lines = text.split("\n")
    if 0 < line <= len(lines):
        lines[line - 1] = ""
    return "\n".join(lines)
