"""Namedtuple fields: the items of a frame variable sentry-sdk sent as a bare list, named by the
live namedtuple they came from.

sentry-sdk serializes a namedtuple as a list (it is a sequence), so ``DbCredentials(user='app',
password='...', host='db')`` arrives as ``["'app'", "'...'", "'db'"]``: its field names are gone,
and with them the only sign that the second item is a password (botocore's frozen
``ReadOnlyCredentials(access_key, secret_key, token)`` is one). ``before_send`` is handed the
exception itself (``hint["exc_info"]``), whose traceback still holds each frame's locals: the
value a list was made of is there, and so are its fields.

:func:`named_items` pairs each frame the event sends (by file and line, in traceback order) with
the live frame of that place, then each sent variable with its live value, stepping together
through dicts (``str`` keys) and sequences, and returns the sent items whose live counterpart is
a field of a namedtuple, with the field's name. A pairing is trusted only when the frame's sent
variables are all live locals of it, and a namedtuple's sent list holds, at each ``str`` field,
the ``repr()`` sentry-sdk writes of it: a frame of another call, or a value changed since the
event was made, names nothing. Nothing of the application's runs: only ``repr`` of ``str``,
dict lookups by ``str`` and the class dicts of tuples are read (a namedtuple is a tuple whose
class defines ``_fields``). Without an exception (a message, a transaction, an event read from a
file) nothing is named.

The scrubber then treats each named item as a value under its field's name (see
``Scrubber._redact_namedtuple_fields``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Iterator

from .namedlocals import frame_variables

#: How deep a variable is followed (sentry-sdk sends variables ten levels deep at most).
_MAX_DEPTH = 10
#: Tracebacks longer than this (deep recursion) are read up to here: frames are matched by place.
_MAX_FRAMES = 1000
#: Exceptions of a chain (``__cause__``, ``__context__``) read.
_MAX_CHAIN = 16


@dataclass(frozen=True)
class NamedItem:
    """``items[index]`` (sent at ``path``, the walk's ``(parent path, key)`` links) is the field
    ``name`` of a namedtuple."""

    items: list
    index: int
    path: Any
    name: str


def named_items(event: dict, hint: Any) -> list[NamedItem]:
    """The items of ``event``'s frame variables that are namedtuple fields (see the module)."""
    exc_info = hint.get("exc_info") if type(hint) is dict else None
    if type(exc_info) is not tuple or len(exc_info) != 3 or not isinstance(exc_info[1], BaseException):
        return []
    # Only a variable sent as a container can hold a namedtuple's list: most frames have none,
    # and then the traceback is not read.
    wanted = [(frame, variables, vars_path) for frame, variables, vars_path in frame_variables(event, ("exception",))
              if any(type(value) is list or type(value) is dict for value in variables.values())]
    found: list[NamedItem] = []
    if not wanted:
        return found
    live = _live_frames(exc_info[1], {(frame.get("abs_path"), frame.get("lineno")) for frame, _, _ in wanted})
    for frame, variables, vars_path in wanted:
        local_values = _frame_locals(live, frame, variables)
        if local_values is not None:
            for name, sent in variables.items():
                if type(sent) is list or type(sent) is dict:
                    _pair(sent, local_values[name], (vars_path, name), 0, found)
    return found


def _live_frames(exception: BaseException, places: set) -> dict[tuple[str, int], list[dict]]:
    """(file, line) -> the locals of each frame there, over the exception's chain, for the
    ``places`` wanted (reading a frame's locals builds them)."""
    found: dict[tuple[str, int], list[dict]] = {}
    seen: set[int] = set()
    absolute: dict[str, str] = {}  # (frames of one file are many)
    frames = 0
    for current in _chain(exception):
        traceback = current.__traceback__
        while isinstance(traceback, TracebackType) and frames < _MAX_FRAMES:
            frame = traceback.tb_frame
            if id(frame) not in seen:
                seen.add(id(frame))
                frames += 1
                filename = frame.f_code.co_filename
                path = absolute.get(filename)
                if path is None:
                    path = absolute[filename] = os.path.abspath(filename)  # as sentry-sdk writes it
                place = (path, traceback.tb_lineno)
                if place in places:
                    found.setdefault(place, []).append(frame.f_locals)
            traceback = traceback.tb_next
    return found


def _chain(exception: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending = [exception]
    while pending and len(seen) < _MAX_CHAIN:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)


def _frame_locals(live: dict, frame: dict, variables: dict) -> dict | None:
    """The locals of the live frame the sent ``frame`` was made of: one at its file and line
    holding every variable it sends (the first such, as frames are sent in traceback order)."""
    path, line = frame.get("abs_path"), frame.get("lineno")
    if type(path) is not str or type(line) is not int:
        return None
    for candidate in live.get((path, line), ()):
        if all(name in candidate for name in variables):  # (names are str: see frame_variables)
            return candidate
    return None


def _fields(value: Any) -> tuple[str, ...] | None:
    """The field names of a namedtuple, read from its class's dicts (no attribute lookup runs)."""
    if not isinstance(value, tuple):
        return None
    for cls in type(value).__mro__:
        fields = cls.__dict__.get("_fields")
        if fields is not None:
            if type(fields) is tuple and len(fields) == len(value) and all(type(f) is str for f in fields):
                return fields
            return None
    return None


def _pair(sent: Any, value: Any, path: Any, depth: int, found: list[NamedItem]) -> None:
    """Step through ``sent`` and the live ``value`` it was made of, noting namedtuple fields.
    (Only containers are stepped into: a namedtuple is sent as a list.)"""
    if depth > _MAX_DEPTH:
        return
    if type(sent) is list:
        if not isinstance(value, (list, tuple)):
            return
        fields = None if type(value) is list else _fields(value)  # (most are lists)
        if fields is not None:
            if not _sent_as(sent, value):
                return  # another value than the one sent: name nothing
            found.extend(NamedItem(sent, index, path, fields[index]) for index in range(min(len(sent), len(value))))
        for index, item in enumerate(sent[: len(value)]):
            if type(item) is list or type(item) is dict:
                _pair(item, value[index], (path, index), depth + 1, found)
    elif type(sent) is dict and type(value) is dict:
        for key, item in sent.items():
            if type(key) is not str or (type(item) is not list and type(item) is not dict):
                continue
            try:
                live = value.get(key, _MISSING)
            except Exception:  # a key of the application's whose __eq__ fails: name nothing there
                continue
            if live is not _MISSING:
                _pair(item, live, (path, key), depth + 1, found)


_MISSING = object()


def _sent_as(sent: list, value: tuple) -> bool:
    """Whether ``sent`` is what sentry-sdk makes of ``value``: each ``str`` field as its ``repr()``
    (cut long ones compared by their start)."""
    for item, field in zip(sent, value):
        if type(field) is str:
            written = repr(field)
            if type(item) is not str or not (item == written or (item.endswith("...") and written.startswith(item[:-3]))):
                return False
    return True
