"""Format versions and the migrations between them.

Every ruleset file says which format it is written in (``format: 1``). When the
format changes, a :class:`Migration` from the old version to the next one is
registered here. It edits the ruamel.yaml round-trip tree in place, so the same
function serves both the loader (which reads older files by migrating them in
memory) and ``rules-engine migrate`` (which rewrites the file, comments and layout
kept). Versions chain: a file in format N is read when migrations N → N+1 → ...
→ :data:`CURRENT_VERSION` are all registered.

Adding format 2 means: models for it, ``CURRENT_VERSION = 2`` (from the models)
and a migration registered with ``@migration(1, "...")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .models import FORMAT_VERSION

#: The format this release reads natively and writes.
CURRENT_VERSION: int = FORMAT_VERSION

Upgrade = Callable[[Any], None]


@dataclass(frozen=True)
class Migration:
    """Upgrades a tree from ``from_version`` to ``from_version + 1``, editing it in place."""

    from_version: int
    summary: str
    upgrade: Upgrade

    @property
    def to_version(self) -> int:
        return self.from_version + 1


#: Registered migrations, by the version they upgrade from.
MIGRATIONS: dict[int, Migration] = {}


def migration(from_version: int, summary: str) -> Callable[[Upgrade], Upgrade]:
    """Register the decorated function as the migration from ``from_version`` to the next version."""

    def register(upgrade: Upgrade) -> Upgrade:
        if from_version in MIGRATIONS:
            raise ValueError(f"a migration from format {from_version} is already registered")
        MIGRATIONS[from_version] = Migration(from_version, summary, upgrade)
        return upgrade

    return register


def chain_from(version: int, target: int | None = None) -> list[Migration] | None:
    """The migrations that take ``version`` to ``target`` (default: current), or None if a step is missing."""
    target = CURRENT_VERSION if target is None else target
    steps = []
    while version < target:
        step = MIGRATIONS.get(version)
        if step is None:
            return None
        steps.append(step)
        version = step.to_version
    return steps


def readable_versions() -> list[int]:
    """Every format version this release can read: the current one and those it can migrate."""
    return sorted({CURRENT_VERSION, *(v for v in MIGRATIONS if v < CURRENT_VERSION and chain_from(v))})


def migrate_tree(tree: Any, version: int) -> list[Migration]:
    """Upgrade a round-trip tree written in ``version`` to the current format, in place.

    The ``format`` key is rewritten after each step (keeping its place and
    comment). Raises ``ValueError`` when no chain of migrations exists.
    """
    steps = chain_from(version)
    if steps is None:
        raise ValueError(f"no migration from format {version} to format {CURRENT_VERSION}")
    for step in steps:
        step.upgrade(tree)
        tree["format"] = step.to_version
    return steps


def describe_versions() -> str:
    """'format 1' or 'formats 0 and 1' — for messages."""
    versions = [str(v) for v in readable_versions()]
    if len(versions) == 1:
        return f"format {versions[0]}"
    return "formats " + ", ".join(versions[:-1]) + " and " + versions[-1]


# --------------------------------------------------------------------------- helpers for migrations


def rename_key(mapping: Any, old: str, new: str) -> bool:
    """Rename a key of a round-trip mapping in place, keeping its position and comments."""
    if old not in mapping:
        return False
    keys = list(mapping.keys())
    value = mapping.pop(old)
    mapping.insert(keys.index(old), new, value)
    comments = getattr(mapping, "ca", None)
    if comments is not None and old in comments.items:
        comments.items[new] = comments.items.pop(old)
    return True
