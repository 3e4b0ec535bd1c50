"""Selectors: where in an event a scrub rule applies (``in:``) or never applies (``allow:``).

Grammar::

    selector := segment ("." segment)*
    segment  := "**"                 any number of levels, including none
              | "*"                  exactly one level: any key or list index
              | glob                 one key name, e.g. ``authorization``, ``x-*``, ``{data,env}``
              | "'" text "'"         a key name holding dots, e.g. ``extra.'app.config'``

* Key names compare case-insensitively and ``-`` equals ``_`` (``request.headers.user-agent``
  selects the header however the SDK spelled it). A glob segment has Sentry's glob syntax
  (``*``, ``?``, ``{a,b}``, ``[..]``, ``\\`` escapes) but never crosses a dot.
* A number selects that list index (``exception.values.0.value``); ``*`` selects any.
* A selector selects the node at its path **and everything below it**: ``request.data`` covers
  every value in the request body, ``extra.**`` is the same as ``extra``.
* Lists of ``[name, value]`` pairs (headers as some SDKs send them) are read as mappings, so
  ``request.headers.authorization`` selects the value of an ``Authorization`` pair too. A pair
  dict (``{"name": "Authorization", "value": ...}``, see ``pairs.py``) is a dict like any other:
  its value is at ``...headers.0.value``.
* ``before_breadcrumb`` breadcrumbs sit at ``breadcrumbs.values.<n>``, as inside an event, so
  ``breadcrumbs.values.*.message`` applies to both.

Examples: ``request.data``, ``request.headers.authorization``, ``exception.values.*.value``,
``**.vars.*``, ``breadcrumbs.values.*.message``, ``extra.**``, ``contexts.*.password``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable

from ..conditions.glob import GlobError, compile_glob, is_literal
from ..errors import did_you_mean

#: Top-level attributes of a Sentry event (and breadcrumb), for did-you-mean on the first segment.
EVENT_FIELDS = (
    "breadcrumbs", "contexts", "culprit", "debug_meta", "dist", "environment", "errors", "event_id",
    "exception", "extra", "fingerprint", "level", "logentry", "logger", "measurements", "message",
    "modules", "platform", "release", "request", "sdk", "server_name", "spans", "stacktrace", "tags",
    "threads", "timestamp", "start_timestamp", "transaction", "transaction_info", "type", "user",
    "category", "data",  # breadcrumb fields (a breadcrumb passed to before_breadcrumb on its own)
    "attachments",  # the texts of attachments, lent to the event while it is scrubbed
)


#: What ``str.lower()`` leaves apart although a key name means the same with either: the Turkish
#: dotless i and plain i, the final and the medial sigma. (The dotted capital I is read as ``i``
#: before lowering, which would give ``i`` and a combining dot.)
_SMALL_LETTER_FOLDS = str.maketrans({"\u0131": "i", "\u03c2": "\u03c3"})


def normalize_key(name: str) -> str:
    """The form key globs and selectors compare: lower case, ``-`` read as ``_``, and a non-ASCII
    name composed first (NFC: ``contrasen`` + a combining tilde + ``a`` is ``contraseña``), the
    Turkish i's and the Greek sigmas read alike (``ŞİFRE`` is ``şifre``).

    Only folds that give an ASCII letter where the prefilter's caseless literals see one are used
    (the Kelvin sign, the dotted capital I: ``prefilter.CASE_FOLDS``), so a key found inside text
    is never missed by the prefilter; compatibility forms (fullwidth letters) and multi-letter
    folds (``ß`` as ``ss``) are not, and the key vocabulary spells them out where they matter."""
    if name.isascii():
        return name.lower().replace("-", "_")
    composed = unicodedata.normalize("NFC", name).replace("\u0130", "i")
    return composed.lower().translate(_SMALL_LETTER_FOLDS).replace("-", "_")


@dataclass(frozen=True)
class Segment:
    """One step of a selector. ``text`` is what the user wrote; ``deep`` marks ``**``."""

    text: str
    deep: bool = False
    matches: Callable[[str], bool] = lambda name: True

    def __repr__(self) -> str:
        return f"Segment({self.text!r})"


@dataclass(frozen=True)
class Selector:
    text: str
    segments: tuple[Segment, ...]


def parse_selector(text: str) -> Selector:
    """Parse a selector; raise ``ValueError`` saying what is wrong with it."""
    if not isinstance(text, str):
        raise ValueError(f"a selector is a string, not {type(text).__name__}")
    if not text.strip():
        raise ValueError("a selector cannot be empty")
    if text != text.strip():
        raise ValueError("a selector cannot start or end with spaces")
    segments = tuple(_segment(raw, text) for raw in _split(text))
    if all(segment.deep for segment in segments):
        raise ValueError("'**' alone would select the whole event; leave 'in' out instead")
    first = segments[0]
    if not first.deep and first.text != "*" and is_literal(first.text):
        name = normalize_key(first.text)
        if name not in EVENT_FIELDS:
            raise ValueError(
                f"unknown event field {first.text!r}{did_you_mean(name, EVENT_FIELDS)}; "
                f"a selector starts at the event root (e.g. 'request.data', '**.vars.*')"
            )
    return Selector(text, segments)


def _split(text: str) -> list[str]:
    """Split at dots outside quotes and glob braces/brackets; quotes are kept for :func:`_segment`."""
    parts: list[str] = []
    current: list[str] = []
    quote = False
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and not quote:
            if i + 1 >= len(text):
                raise ValueError("ends with a lone backslash")
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == "'":
            quote = not quote
        elif not quote and ch in "{[":
            depth += 1
        elif not quote and ch in "}]" and depth:
            depth -= 1
        if ch == "." and not quote and not depth:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    if quote:
        raise ValueError("has an unclosed quote (')")
    parts.append("".join(current))
    for position, part in enumerate(parts):
        if not part:
            where = "starts with" if position == 0 else "ends with" if position == len(parts) - 1 else "has"
            raise ValueError(f"{where} an empty segment (check the dots)")
    return parts


def _segment(raw: str, text: str) -> Segment:
    if raw == "**":
        return Segment(raw, deep=True)
    if raw == "*":
        return Segment(raw)
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        name = normalize_key(raw[1:-1])
        if not name:
            raise ValueError("has an empty quoted segment ''")
        return Segment(raw, matches=name.__eq__)
    if "'" in raw:
        raise ValueError(f"segment {raw!r}: quote a whole segment ('a.b'), not part of it")
    if "**" in raw:
        raise ValueError(f"segment {raw!r}: '**' must be a segment of its own (as in '**.vars')")
    pattern = _normalize_glob(raw)
    if is_literal(pattern):
        return Segment(raw, matches=pattern.__eq__)
    try:
        predicate = compile_glob(pattern)
    except GlobError as exc:
        raise ValueError(f"segment {raw!r}: {exc}") from None
    return Segment(raw, matches=predicate)


def _normalize_glob(pattern: str) -> str:
    """A glob in the form of :func:`normalize_key` (composed first, then character by character),
    leaving escaped characters escaped."""
    if not pattern.isascii():
        pattern = unicodedata.normalize("NFC", pattern)
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            out.append("\\" + normalize_key(pattern[i + 1]))
            i += 2
            continue
        out.append(normalize_key(pattern[i]))
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- matching


class SelectorAutomaton:
    """All selectors of a ruleset as one automaton stepped key by key during the walk.

    A state is a frozenset of ``(selector index, segment position)``; stepping by a key gives the
    next state and the set of selectors that the new path satisfies. Steps are memoized per
    (state, key), because events repeat key names, so the walk pays a dict lookup per key.
    """

    def __init__(self, selectors: list[Selector], limit: int = 50_000):
        self.selectors = selectors
        self._limit = limit
        self._memo: dict[tuple[int, str], tuple[int, int]] = {}
        self._states: list[frozenset] = []
        self._state_ids: dict[frozenset, int] = {}
        self.start = self._intern(self._closure({(index, 0) for index in range(len(selectors))}))

    def _intern(self, state: frozenset) -> int:
        found = self._state_ids.get(state)
        if found is None:
            found = self._state_ids[state] = len(self._states)
            self._states.append(state)
        return found

    def _closure(self, positions) -> frozenset:
        """Add the positions reachable by letting a ``**`` match nothing."""
        todo = list(positions)
        done: set[tuple[int, int]] = set()
        while todo:
            index, position = todo.pop()
            if (index, position) in done:
                continue
            done.add((index, position))
            segments = self.selectors[index].segments
            if position < len(segments) and segments[position].deep:
                todo.append((index, position + 1))
        return frozenset(done)

    def alive(self, state: int) -> bool:
        """Whether any selector can still match below a node in this state."""
        return bool(self._states[state])

    def accepted(self, state: int) -> int:
        """Bitmask of the selectors whose whole path the state has matched."""
        mask = 0
        for index, position in self._states[state]:
            if position == len(self.selectors[index].segments):
                mask |= 1 << index
        return mask

    def step(self, state: int, key: str) -> tuple[int, int]:
        """(next state, bitmask of selectors satisfied at the child) for a child named ``key``."""
        memo_key = (state, key)
        found = self._memo.get(memo_key)
        if found is not None:
            return found
        name = normalize_key(str(key))
        nxt: set[tuple[int, int]] = set()
        for index, position in self._states[state]:
            segments = self.selectors[index].segments
            if position == len(segments):
                continue  # already accepted: the subtree is covered, no need to go on
            segment = segments[position]
            if segment.deep:
                nxt.add((index, position))
            elif segment.matches(name):
                nxt.add((index, position + 1))
        new_state = self._intern(self._closure(nxt))
        found = (new_state, self.accepted(new_state))
        if len(self._memo) < self._limit:
            self._memo[memo_key] = found
        return found
