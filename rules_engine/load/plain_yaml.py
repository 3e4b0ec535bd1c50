"""Reading a ruleset file fast: libyaml composes, one pass builds plain data and positions.

The full reader (:func:`rules_engine.load.document.read_yaml`) goes through ruamel.yaml's
round trip, which keeps comments and layout for ``migrate`` and ``fmt`` but is
written in pure Python: a 1,000-rule file takes it over half a second. Loading
only needs the plain data and where each key and value is, so this module lets
libyaml (PyYAML's C binding) compose the node tree and walks it once.

It reads the ordinary subset of YAML that rulesets are written in, with ruamel's
YAML 1.2 meaning of plain scalars (``on`` and ``yes`` are strings, ``true`` is a
boolean). Whatever falls outside that subset — syntax errors, tabs, duplicate
keys, tags, anchors and aliases, merge keys, non-string keys, directives,
numbers in unusual spellings — makes :func:`read_plain` return None, and the
loader reads the file with the full reader, which reports problems at their
positions or builds the same data. So the fast path never decides what a file
means on its own; it only does the common case faster.
"""

from __future__ import annotations

import functools
import gc
import re
from typing import Any

from ruamel.yaml.nodes import ScalarNode as _RuamelScalarNode
from ruamel.yaml.resolver import VersionedResolver

from .positions import (
    MappingPositions,
    NodePositions,
    Position,
    PositionIndex,
    SequencePositions,
)

try:  # PyYAML built with libyaml; without it every file goes through the full reader
    from yaml import MappingNode, ScalarNode
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was installed
    CParser = None


class _NotPlain(Exception):
    """The text uses something only the full reader handles."""


#: Marker tags the composer gives nodes whose tag YAML infers (an explicit tag keeps its own).
_PLAIN, _QUOTED, _COLLECTION = "!plain", "!quoted", "!collection"

#: The non-specific tag ``!``, which libyaml hands over as if the scalar were untagged.
_NON_SPECIFIC_TAG = re.compile(r"(?:^|[\s,\[{])!(?=[\s,\]}]|$)", re.MULTILINE)

_STR = "tag:yaml.org,2002:str"
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?")
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}

_resolver = VersionedResolver()  # ruamel's YAML 1.2 rules, as the full reader applies them
#: First characters for which YAML 1.2 could read a plain scalar as something other than a string.
_MAYBE_NOT_STRING = frozenset(_resolver.versioned_resolver) - {None}


if CParser is not None:

    class _Composer(CParser):
        """libyaml's composer with the tag of untagged nodes left open (resolved below, YAML 1.2)."""

        def descend_resolver(self, parent: Any, index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass

        def resolve(self, kind: type, value: Any, implicit: Any) -> str:
            if kind is not ScalarNode:
                return _COLLECTION
            plain, quoted = implicit
            return _PLAIN if plain else _QUOTED if quoted else ""


def read_plain(text: str) -> tuple[Any, PositionIndex] | None:
    """The file's plain data and the positions of its keys and values, or None to use the full reader.

    Only a mapping at the top is returned (anything else is a problem the full reader reports).
    """
    if CParser is None or _left_to_full_reader(text):
        return None
    collecting = gc.isenabled()
    gc.disable()  # tens of thousands of new objects, none of them in a cycle: skip the collector's passes
    try:
        node = _Composer(text).get_single_node()
        if not isinstance(node, MappingNode):
            return None
        data, positions = _Walk().node(node)
    except Exception:  # a YAML error or something outside the subset: the full reader handles it
        return None
    finally:
        if collecting:
            gc.enable()
    return data, PositionIndex(positions)


def _left_to_full_reader(text: str) -> bool:
    """Text the fast path does not try: tabs (reported by the full reader), directives (may change
    the YAML version), characters libyaml and ruamel count differently (line breaks other than
    ``\\n``, byte order marks), the ``!`` tag."""
    if any(character in text for character in "\t\x85\u2028\u2029\ufeff"):
        return True
    if text.startswith("%") or "\n%" in text:
        return True
    return "!" in text and _NON_SPECIFIC_TAG.search(text) is not None


class _Walk:
    """One pass over the composed nodes: plain data and positions together."""

    def __init__(self) -> None:
        self.seen: set[int] = set()  # an alias is the same node object again

    def node(self, node: Any) -> tuple[Any, NodePositions]:
        if id(node) in self.seen:
            raise _NotPlain("alias")
        self.seen.add(id(node))
        if isinstance(node, ScalarNode):
            return _scalar(node), None
        if node.tag != _COLLECTION:
            raise _NotPlain(f"tag {node.tag}")
        if isinstance(node, MappingNode):
            return self.mapping(node)
        return self.sequence(node)

    def mapping(self, node: Any) -> tuple[dict, MappingPositions]:
        data: dict[str, Any] = {}
        entries = {}
        for key_node, value_node in node.value:
            key = _key(key_node)
            if key in data:  # the full reader reports duplicate keys
                raise _NotPlain("duplicate key")
            value, inside = self.node(value_node)
            data[key] = value
            entries[key] = (_position(key_node), _position(value_node), inside, value is None)
        return data, MappingPositions(_position(node), entries)

    def sequence(self, node: Any) -> tuple[list, SequencePositions]:
        data = []
        items = []
        for item_node in node.value:
            value, inside = self.node(item_node)
            data.append(value)
            items.append((_position(item_node), inside))
        return data, SequencePositions(_position(node), items)


def _position(node: Any) -> Position:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


def _key(node: Any) -> str:
    if isinstance(node, ScalarNode) and _scalar_tag(node) == _STR:
        return node.value
    raise _NotPlain("a key that is not a string")


def _scalar_tag(node: Any) -> str:
    if node.tag == _QUOTED:
        return _STR
    if node.tag != _PLAIN:
        raise _NotPlain(f"tag {node.tag!r}")
    value = node.value
    if value and value[0] not in _MAYBE_NOT_STRING:
        return _STR
    return _plain_scalar_tag(value)


@functools.lru_cache(maxsize=4096)  # keys and small values repeat from rule to rule
def _plain_scalar_tag(value: str) -> str:
    return str(_resolver.resolve(_RuamelScalarNode, value, (True, False)))


def _scalar(node: Any) -> Any:
    tag = _scalar_tag(node)
    value = node.value
    if tag == _STR:
        return value
    kind = tag.rsplit(":", 1)[-1]
    if kind == "null":
        return None
    if kind == "bool":
        return _BOOLEANS[value]
    if kind == "int" and _DECIMAL_INT.fullmatch(value):
        return int(value)
    if kind == "float" and _DECIMAL_FLOAT.fullmatch(value):
        return float(value)
    raise _NotPlain(f"{kind} written as {value!r}")  # octal, hex, 1_000, .inf, dates: the full reader
