"""Editing ruleset files in place while keeping their comments (ruamel.yaml round trip).

``rules-engine migrate`` rewrites a file's content and should leave its layout
alone; ``rules-engine fmt`` normalises indentation and key order. Both read and
write through here.

ruamel attaches a comment line to the key *before* it (as the tail of that key's
value), so moving keys naively would move each comment onto the wrong key.
:func:`reorder_keys` first detaches the comment lines that precede each key,
reorders, then attaches them in front of their key again.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

#: The layout ``fmt`` writes: mappings by 2, list items' dashes at 2 under their key.
CANONICAL_INDENT = (2, 4, 2)  # mapping, sequence, offset (ruamel's terms)


@dataclass
class RoundTrip:
    """A parsed file and the settings that write it back the way it was laid out."""

    tree: Any
    mapping_indent: int
    sequence_indent: int
    offset: int

    def dump(self, *, indent: tuple[int, int, int] | None = None) -> str:
        """The tree as YAML text: in the file's own layout, or normalised with ``indent`` given.

        Normalising also puts end-of-line comments two spaces after their content and
        indents full-line comments like the line they are written above.
        """
        yaml = _yaml(tidy=indent is not None)
        mapping, sequence, offset = indent or (self.mapping_indent, self.sequence_indent, self.offset)
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        out = io.StringIO()
        yaml.dump(self.tree, out)
        text = out.getvalue()
        return _indent_comment_lines(text) if indent is not None else text


def _yaml(*, tidy: bool = False) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    if tidy:
        yaml.Emitter = _TidyEmitter
    return yaml


class _TidyEmitter(RoundTripEmitter):
    """Writes end-of-line comments two spaces after the content, wherever they were before."""

    def write_comment(self, comment: Any, pre: bool = False) -> None:
        if not pre and self.column and comment.value and not comment.value.startswith("\n"):
            comment = CommentToken(comment.value, CommentMark(self.column + 2), None)
        super().write_comment(comment, pre)


_BLOCK_SCALAR = re.compile(r"(:|-)\s+[|>][0-9+-]*\s*(#.*)?$")


def _indent_comment_lines(text: str) -> str:
    """Indent full-line comments like the content line right below them (block scalars' lines are content)."""
    lines = text.split("\n")
    result = list(lines)
    block_indent: int | None = None  # indentation of the key that opened a block scalar
    pending: list[int] = []  # comment lines waiting for the next content line
    for number, line in enumerate(lines):
        stripped = line.lstrip(" ")
        depth = len(line) - len(stripped)
        if block_indent is not None:
            if not stripped or depth > block_indent:
                continue
            block_indent = None
        if stripped.startswith("#"):
            pending.append(number)
            continue
        if not stripped:  # a comment set apart by a blank line stays where it was written
            pending = []
            continue
        for index in pending:
            result[index] = " " * depth + lines[index].lstrip(" ")
        pending = []
        if _BLOCK_SCALAR.search(line):
            block_indent = depth
    return "\n".join(result)


def parse(text: str) -> RoundTrip:
    """Parse YAML text for editing (raises ruamel's errors on invalid YAML)."""
    tree = _yaml().load(text)
    mapping, sequence, offset = _guess_indent(text)
    return RoundTrip(tree, mapping, sequence, offset)


def _guess_indent(text: str) -> tuple[int, int, int]:
    try:
        _, sequence, offset = load_yaml_guess_indent(text)
    except Exception:  # a guess only: any file ruamel can round-trip is fine with the defaults
        return CANONICAL_INDENT
    mapping = _mapping_indent(text) or 2
    sequence = sequence or mapping
    return mapping, sequence, offset or 0


def _mapping_indent(text: str) -> int | None:
    """Indent of the first nested mapping key (a line deeper than its parent and not a list item)."""
    previous = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(line) - len(stripped)
        if previous is not None and previous[1].endswith(":") and depth > previous[0] and not stripped.startswith("- "):
            return depth - previous[0]
        previous = (depth, stripped.split(" #")[0].rstrip())
    return None


# --------------------------------------------------------------------------- key order


def reorder_keys(mapping: CommentedMap, order: list[str]) -> bool:
    """Put ``mapping``'s keys in ``order`` (unknown keys after, as they were); True if anything moved.

    Comment lines written above a key move with that key.
    """
    keys = list(mapping.keys())
    rank = {key: index for index, key in enumerate(order)}
    wanted = sorted(keys, key=lambda k: (rank.get(k, len(order)), keys.index(k)))
    if wanted == keys:
        return False
    leading = {key: _detach_following(mapping, previous) for previous, key in zip(keys, keys[1:])}
    trailing = _detach_following(mapping, keys[-1])
    for key in wanted:
        mapping.move_to_end(key)
    for previous, key in zip(wanted, wanted[1:]):
        _attach_following(mapping, previous, leading.get(key, ""))
    _attach_following(mapping, wanted[-1], trailing)
    return True


def _tail(container: Any, key: Any) -> tuple[Any, Any]:
    """The (container, key) whose comment slot holds what follows ``container[key]`` in the file."""
    value = container[key]
    while isinstance(value, (CommentedMap, CommentedSeq)) and len(value) and not value.fa.flow_style():
        container, key = value, (list(value.keys())[-1] if isinstance(value, CommentedMap) else len(value) - 1)
        value = container[key]
    return container, key


def _slot(container: Any) -> int:
    return 2 if isinstance(container, CommentedMap) else 0


def _detach_following(mapping: CommentedMap, key: Any) -> str:
    """Remove and return the comment lines after ``mapping[key]``'s line (keeping an end-of-line comment)."""
    container, tail_key = _tail(mapping, key)
    entry = container.ca.items.get(tail_key)
    token = entry[_slot(container)] if entry else None
    if not isinstance(token, CommentToken) or "\n" not in token.value:
        return ""
    end_of_line, following = token.value.split("\n", 1)
    token.value = end_of_line + "\n"
    return following


def _attach_following(mapping: CommentedMap, key: Any, lines: str) -> None:
    if not lines:
        return
    container, tail_key = _tail(mapping, key)
    entry = container.ca.items.setdefault(tail_key, [None, None, None, None] if _slot(container) == 2 else [None, None])
    slot = _slot(container)
    token = entry[slot]
    if isinstance(token, CommentToken):
        token.value = (token.value if token.value.endswith("\n") else token.value + "\n") + lines
    else:
        entry[slot] = CommentToken("\n" + lines, CommentMark(0), None)
