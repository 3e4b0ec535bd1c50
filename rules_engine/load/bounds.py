"""What a ruleset file may be (its size, how deeply it nests, how far its aliases expand, that it
is a regular file) and where the files it extends may live.

A ruleset is read on a hook thread under hot reload and often comes from a repository many
people write to, so reading one must stay cheap whatever it holds. These bounds are far above
any real ruleset (the largest bundled one is a few kilobytes and nests about ten levels):

* :data:`MAX_FILE_BYTES`: a 50 MB file took minutes and gigabytes to load;
* :data:`MAX_NESTING`: 100,000 nested ``[`` crash libyaml's composer and 3,000 nested ``not``
  exhaust Python's recursion; the text is scanned for nesting before any YAML parser sees it;
* :data:`MAX_EXPANDED_NODES`: a 377-byte file of nested aliases expands to 9**9 values.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from .builtin import BUILTIN_DIR

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NESTING = 64
MAX_EXPANDED_NODES = 200_000


def read_ruleset_file(path: Path) -> bytes:
    """The bytes of a ruleset file, read so that it cannot block or run away: only a regular file
    (a FIFO or a device put at a reloaded path would block the hook thread forever; it is opened
    without blocking and refused), and at most one byte more than :data:`MAX_FILE_BYTES`."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"{os.fspath(path)} is not a regular file")
        chunks, left = [], MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def size_problem(text: str) -> str | None:
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it with 'extends'"
    return None


def nesting_problem(text: str) -> tuple[int, str] | None:
    """``(offset, message)`` when the text nests deeper than :data:`MAX_NESTING`, counting block
    levels (indentation and ``- `` items) and flow brackets outside quotes and comments; else
    None. A linear scan: no parser has seen the text yet."""
    flow = 0
    indents: list[int] = []
    quote = ""
    index, length = 0, len(text)
    at_line_start = True
    while index < length:
        if at_line_start and not quote and not flow:
            at_line_start = False
            index = _block_levels(text, index, indents)
            if len(indents) > MAX_NESTING:
                return index, f"the file nests more than {MAX_NESTING} levels deep"
            continue
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'" and (index == 0 or text[index - 1] in " \t\n[{,:?"):
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t\n"):
            index = text.find("\n", index)
            index = length if index == -1 else index
            continue
        elif char in "[{":
            flow += 1
            if flow + len(indents) > MAX_NESTING:
                return index, f"the file nests more than {MAX_NESTING} levels deep"
        elif char in "]}":
            flow = max(0, flow - 1)
        if char == "\n":
            at_line_start = True
        index += 1
    return None


def _block_levels(text: str, index: int, indents: list[int]) -> int:
    """Update the stack of block indentation columns for the line starting at ``index`` (each
    ``- `` item opens a level of its own); return where the line's content starts."""
    start = index
    while True:
        while index < len(text) and text[index] == " ":
            index += 1
        if index >= len(text) or text[index] in "\n#":
            return index  # a blank or comment line opens no level
        column = index - start
        while indents and indents[-1] >= column:
            indents.pop()
        indents.append(column)
        if text.startswith("- ", index) or text.startswith("-\n", index):
            index += 1
            continue
        return index


def expanded_size(node: Any) -> int:
    """How many nodes a composed YAML node stands for once its aliases are expanded (an alias
    is the very node it names: each shared node is sized once, so this takes linear time; a
    node that contains itself counts as too many)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    pending = [(node, False)]
    while pending:
        current, children_sized = pending.pop()
        children = _children(current)
        if children_sized:
            open_nodes.discard(id(current))
            sizes[id(current)] = 1 + sum(sizes[id(child)] for child in children)
            continue
        if id(current) in sizes:
            continue
        if id(current) in open_nodes:
            return MAX_EXPANDED_NODES + 1
        open_nodes.add(id(current))
        pending.append((current, True))
        pending.extend((child, False) for child in children)
    return sizes[id(node)]


def _children(node: Any) -> list:
    value = node.value
    if not isinstance(value, list):
        return []
    return [part for item in value for part in (item if isinstance(item, tuple) else (item,))]


# --------------------------------------------------------------------------- where extends may read

#: Directories besides the ruleset's own tree that ``extends`` may read, separated by
#: ``os.pathsep`` (a shared directory of team rulesets, a mounted config volume).
EXTENDS_ROOTS_VARIABLE = "RULES_ENGINE_EXTENDS_ROOTS"


def extends_roots(base_dir: Path) -> tuple[Path, ...]:
    """Where the files a ruleset extends may live: the directory tree of the root ruleset, the
    builtin packs, and the directories listed in ``RULES_ENGINE_EXTENDS_ROOTS``, all with
    symlinks resolved. Anything else (``/etc/passwd``, ``../../``, a mounted secret) is refused
    before it is read, so no message can quote it."""
    listed = [entry for entry in os.environ.get(EXTENDS_ROOTS_VARIABLE, "").split(os.pathsep) if entry]
    return tuple(Path(directory).resolve() for directory in (base_dir, BUILTIN_DIR, *listed))


def outside_roots(file: Path, roots: tuple[Path, ...]) -> str | None:
    """Why ``file`` may not be extended (it resolves, symlinks followed, outside every root), or None."""
    resolved = file.resolve()
    if any(resolved.is_relative_to(root) for root in roots):
        return None
    return (f"is outside the ruleset's directory {roots[0]}; to extend files elsewhere, list their "
            f"directories in {EXTENDS_ROOTS_VARIABLE} (separated by '{os.pathsep}')")
