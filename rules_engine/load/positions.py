"""Line and column of the keys and values of a ruleset file, and its plain-Python copy.

The loader validates a plain copy of the file (dicts, lists, str, int, float, bool,
None) and reports problems by *key path* (``("filters", 0, "when")``). This module
turns such a path back into the 1-based line and column the problem is at, either
from a ruamel.yaml round-trip tree (:func:`locate`) or from a :class:`PositionIndex`
built alongside the plain data by the fast reader (:mod:`rules_engine.load.plain_yaml`).
Both answer the same question the same way.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.scalarbool import ScalarBoolean

KeyPath = tuple[str | int, ...]
Position = tuple[int, int]


def locate(tree: Any, path: Sequence[Any], *, at_key: bool = False) -> Position:
    """Where ``path`` points in ``tree``, 1-based.

    Path elements that are not in the tree (a key that is missing, or a union
    branch name added by pydantic) are skipped, so the position falls back to the
    deepest node that exists. With ``at_key`` the last element's key is pointed
    at rather than its value (for unknown keys).
    """
    node = tree
    position = node_position(tree)
    for index, element in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, CommentedMap) and _has_key(node, element):
            # An empty value (``key:`` and nothing) has no position of its own: point at the key.
            on_key = (last and at_key) or node[element] is None
            position = _position(node.lc.key if on_key else node.lc.value, element, position)
            node = node[element]
        elif isinstance(node, CommentedSeq) and isinstance(element, int) and 0 <= element < len(node):
            position = _position(node.lc.item, element, position)
            node = node[element]
    return position


def _position(lookup: Callable[[Any], tuple[int, int]], element: Any, fallback: Position) -> Position:
    """A node's 1-based position; nodes added after parsing (by a migration) have none: keep the parent's."""
    try:
        line, col = lookup(element)
    except (KeyError, IndexError, TypeError):
        return fallback
    return (line + 1, col + 1)


def node_position(node: Any) -> Position:
    """Start of a mapping or sequence node (its first key or item); 1:1 for anything else."""
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return (lc.line + 1, lc.col + 1)
    return (1, 1)


def _has_key(node: CommentedMap, key: Any) -> bool:
    try:
        return key in node
    except TypeError:  # unhashable path element
        return False


# --------------------------------------------------------------------------- position index


@dataclass
class MappingPositions:
    """Where a mapping starts, and per key: the key's position, the value's, and the value's own positions."""

    start: Position
    #: key → (key position, value position, positions inside the value, whether the value is null)
    entries: dict[str, tuple[Position, Position, NodePositions, bool]]


@dataclass
class SequencePositions:
    """Where a sequence starts, and per item: its position and the positions inside it."""

    start: Position
    items: list[tuple[Position, NodePositions]]


NodePositions = MappingPositions | SequencePositions | None  # None for a scalar


@dataclass
class PositionIndex:
    """The positions of a whole file, answering like :func:`locate` does for a round-trip tree."""

    root: NodePositions

    def locate(self, path: Sequence[Any], *, at_key: bool = False) -> Position:
        node = self.root
        position = node.start if node is not None else (1, 1)
        for index, element in enumerate(path):
            last = index == len(path) - 1
            if isinstance(node, MappingPositions) and isinstance(element, str) and element in node.entries:
                key_position, value_position, child, is_null = node.entries[element]
                # As in :func:`locate`: an empty value has no position of its own, point at the key.
                position = key_position if (last and at_key) or is_null else value_position
                node = child
            elif isinstance(node, SequencePositions) and isinstance(element, int) and 0 <= element < len(node.items):
                position, node = node.items[element]
        return position


# --------------------------------------------------------------------------- plain copy


def to_plain(node: Any, report: Callable[[KeyPath, str], None], path: KeyPath = ()) -> Any:
    """A copy of a round-trip tree made of plain Python types only.

    ruamel keeps formatting in subclasses (``ScalarInt``, ``ScalarFloat``,
    ``ScalarBoolean``, ``TaggedScalar``...). The models are strict, and the rest of
    the engine should not care how a number was spelled, so everything is
    converted. Custom tags are reported through ``report``.
    """
    if isinstance(node, dict):
        return {to_plain(k, report, path): to_plain(v, report, path + (k,)) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(item, report, path + (i,)) for i, item in enumerate(node)]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, ScalarBoolean):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, TaggedScalar):
        tag = str(node.tag.value if hasattr(node.tag, "value") else node.tag)
        if tag != "tag:yaml.org,2002:str":
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            report(path, f"YAML tag '{shown}' is not supported here; write a plain value")
        return str(node.value)
    if isinstance(node, (datetime.date, datetime.datetime)):
        return node
    return node
