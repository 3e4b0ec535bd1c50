"""Reading events for ``apply``, ``diff`` and ``explain``, one at a time, in constant memory.

Inputs are JSON files (one event, a list of events, or several JSON values one
after another), JSON Lines files (``.jsonl``, ``.ndjson``), directories of those,
and ``-`` for standard input. Nothing is read ahead beyond one event plus a read
buffer, so an export of millions of events streams through.

Unreadable input does not stop a run: each bad entry is yielded as a
:class:`BadInput` naming the file and line, and the caller decides what to do.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator, Union

JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
JSON_SUFFIXES = (".json",) + JSON_LINES_SUFFIXES
_CHUNK = 1 << 16
_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class InputEvent:
    """One event and where it came from (``file:line``)."""

    where: str
    event: dict


@dataclass(frozen=True)
class BadInput:
    """An entry that is not an event: invalid JSON, or JSON that is not an object."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


Entry = Union[InputEvent, BadInput]


class InputNotFound(Exception):
    """A named input does not exist (a usage error, reported before anything runs)."""


def check_inputs(sources: list[str]) -> None:
    """Raise :class:`InputNotFound` for the first source that is neither ``-``, a file nor a directory."""
    for source in sources:
        if source != "-" and not Path(source).exists():
            raise InputNotFound(f"no such file or directory: {source}")


def iter_events(sources: list[str]) -> Iterator[Entry]:
    """Every event of every source, in order (directories: their JSON files, sorted by path)."""
    for source in sources:
        if source == "-":
            yield from read_stream(sys.stdin, "<stdin>")
            continue
        path = Path(source)
        for file in _json_files(path) if path.is_dir() else [path]:
            yield from read_file(file)


def _json_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in JSON_SUFFIXES)


def read_file(path: Path) -> Iterator[Entry]:
    try:
        stream = open(path, encoding="utf-8-sig", errors="strict")
    except OSError as exc:
        yield BadInput(str(path), f"cannot read: {exc.strerror or exc}")
        return
    with stream:
        try:
            if path.suffix in JSON_LINES_SUFFIXES:
                yield from read_json_lines(stream, str(path))
            else:
                yield from read_stream(stream, str(path))
        except UnicodeDecodeError as exc:
            yield BadInput(str(path), f"not UTF-8 text: {exc.reason}")


def read_json_lines(stream: IO[str], display: str) -> Iterator[Entry]:
    """One event per line; a bad line is reported and the next line read."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        where = f"{display}:{number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadInput(where, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        yield _entry(value, where)


def read_stream(stream: IO[str], display: str) -> Iterator[Entry]:
    """JSON values one after another (JSON Lines too), or one top-level list of them, streamed.

    Values are decoded from a rolling buffer; a value split across reads is retried
    once more text has arrived. After a syntax error the rest of the input cannot be
    trusted, so reading stops there.
    """
    reader = _StreamReader(stream)
    in_list = False
    while True:
        char = reader.next_significant_char(skip_commas=in_list)
        if char is None:
            return
        if char == "[" and not in_list and reader.at_top_level_start:
            in_list = True
            reader.advance(1)
            continue
        if char == "]" and in_list:
            in_list = False
            reader.advance(1)
            continue
        where = f"{display}:{reader.line}"
        try:
            value = reader.decode_value()
        except json.JSONDecodeError as exc:
            message = f"invalid JSON: {exc.msg}; the rest of the input is skipped"
            yield BadInput(f"{display}:{reader.line_of(exc.pos)}", message)
            return
        yield _entry(value, where)


class _StreamReader:
    """A rolling text buffer over a stream, with line numbers for messages."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.buffer = ""
        self.pos = 0
        self.line = 1  # line of ``pos``
        self.eof = False
        self.values_read = 0
        self.decoder = json.JSONDecoder()

    @property
    def at_top_level_start(self) -> bool:
        return self.values_read == 0

    def fill(self, size: int = _CHUNK) -> bool:
        """Read more text; False at the end of the stream."""
        if self.eof:
            return False
        if self.pos > _CHUNK:  # drop what was consumed so the buffer stays about one event long
            self.buffer = self.buffer[self.pos:]
            self.pos = 0
        chunk = self.stream.read(size)
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def advance(self, count: int) -> None:
        self.line += self.buffer.count("\n", self.pos, self.pos + count)
        self.pos += count

    def next_significant_char(self, *, skip_commas: bool) -> str | None:
        skip = _WHITESPACE + ("," if skip_commas else "")
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in skip:
                if self.buffer[self.pos] == "\n":
                    self.line += 1
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self.fill():
                return None

    def decode_value(self) -> object:
        size = _CHUNK
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if _needs_more_text(exc, len(self.buffer)) and self.fill(size):
                    size *= 2  # a large event: read bigger pieces so retries stay few
                    continue
                raise
            if end == len(self.buffer) and not isinstance(value, (dict, list, str)) and self.fill():
                continue  # a number or literal at the end of the buffer may continue in the next read
            self.advance(end - self.pos)
            self.values_read += 1
            return value

    def line_of(self, position: int) -> int:
        return self.line + self.buffer.count("\n", self.pos, position)


def _needs_more_text(exc: json.JSONDecodeError, buffer_length: int) -> bool:
    """Whether decoding failed because the value runs past the buffer (not a real syntax error)."""
    return exc.pos >= buffer_length - 1 or exc.msg.startswith("Unterminated string")


def _entry(value: object, where: str) -> Entry:
    if isinstance(value, dict):
        return InputEvent(where, value)
    kind = "a list" if isinstance(value, list) else type(value).__name__
    return BadInput(where, f"expected an event (a JSON object), got {kind}")
