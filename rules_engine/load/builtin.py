"""Builtin packs: ``builtin:NAME@VERSION`` references and the versions this release ships."""

from __future__ import annotations

import re
from pathlib import Path

BUILTIN_PREFIX = "builtin:"
BUILTIN_DIR = Path(__file__).parent.parent / "builtin"
BUILTIN_REF = re.compile(r"^builtin:(?P<name>[A-Za-z0-9_.-]+)@(?P<version>[A-Za-z0-9_.-]+)$")


def shipped_builtin_packs() -> list[str]:
    """Every builtin pack this release ships, as ``builtin:NAME@VERSION``."""
    if not BUILTIN_DIR.is_dir():
        return []
    return sorted(
        f"{BUILTIN_PREFIX}{pack.parent.name}@{pack.stem}"
        for pack in BUILTIN_DIR.glob("*/*.yaml")
    )


def newest_builtin_pack(name: str) -> str | None:
    """``builtin:NAME@VERSION`` of the newest shipped version of a pack, or None."""
    shipped = shipped_versions()
    return newest(name, shipped) if name in shipped else None


def shipped_versions() -> dict[str, list[str]]:
    """Pack name → its shipped versions, oldest first."""
    versions: dict[str, list[str]] = {}
    for reference in shipped_builtin_packs():
        name, version = reference[len(BUILTIN_PREFIX):].split("@", 1)
        versions.setdefault(name, []).append(version)
    return {name: sorted(found, key=_version_key) for name, found in versions.items()}


def _version_key(version: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in version.split("."))


def newest(name: str, shipped: dict[str, list[str]]) -> str:
    return f"{BUILTIN_PREFIX}{name}@{shipped[name][-1]}"


def pack_file(name: str, version: str) -> Path:
    """The file of a shipped pack version."""
    return BUILTIN_DIR / name / f"{version}.yaml"
