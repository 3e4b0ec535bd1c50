"""``rules-engine migrate FILE... [--check]``: upgrade rulesets to the newest format, in place.

Comments and layout are kept (ruamel.yaml round trip); only what a migration
changes is rewritten. With ``--check`` nothing is written and the exit status
says whether a file needs migrating (for CI).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ruamel.yaml.error import YAMLError

from ..load import roundtrip
from ..model import migrations
from . import report_missing_files


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="upgrade rulesets to the newest format version, keeping comments",
        description=f"Upgrade ruleset files in place to format {migrations.CURRENT_VERSION}, keeping comments "
        "and layout. Exit status: 0 done (or nothing to do), 1 a file needs migrating (--check) or cannot "
        "be migrated, 2 usage error.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="ruleset files")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file needs migrating")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if report_missing_files("migrate", args.files):
        return 2
    outcomes = [migrate_file(Path(name), check=args.check) for name in args.files]
    return 0 if all(outcomes) else 1


def migrate_file(path: Path, *, check: bool) -> bool:
    """Migrate one file (or only report, with ``check``); False when it needs work or cannot be migrated."""
    try:
        document = roundtrip.parse(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        print(f"{path}: cannot read: {_first_line(exc)} (run 'rules-engine validate {path}' for details)")
        return False
    tree = document.tree
    version = tree.get("format") if isinstance(tree, dict) else None
    current = migrations.CURRENT_VERSION
    if not isinstance(version, int) or isinstance(version, bool):
        print(f"{path}: no valid 'format' key; add 'format: {current}' (run 'rules-engine validate {path}')")
        return False
    if version == current:
        print(f"{path}: format {current}, up to date")
        return True
    if version > current:
        print(f"{path}: format {version} is newer than this release reads ({migrations.describe_versions()}); "
              "upgrade rules-engine")
        return False
    steps = migrations.chain_from(version)
    if steps is None:
        print(f"{path}: no migration from format {version} (this release reads {migrations.describe_versions()})")
        return False
    summary = "; ".join(f"{s.from_version} -> {s.to_version}: {s.summary}" for s in steps)
    if check:
        print(f"{path}: needs migrating from format {version} to {current} ({summary})")
        return False
    migrations.migrate_tree(tree, version)
    path.write_text(document.dump(), encoding="utf-8")
    print(f"{path}: migrated from format {version} to {current} ({summary})")
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
