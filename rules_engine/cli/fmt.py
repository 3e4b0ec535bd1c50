"""``rules-engine fmt FILE... [--check]``: normalise the layout of rulesets, keeping comments.

Indentation becomes 2 spaces with list dashes indented under their key, and keys
follow the order of the format's documentation: ``format, name, revision, ...``
at the top and ``id, description, on, when, unless`` then the actions in every
rule. Comments move with the key they are written above. Values, quoting and
flow style (``{...}``, ``[...]``) are left as written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from ..load import roundtrip
from ..model.models import (
    FilterRule,
    GroupingRule,
    Limits,
    Mask,
    Options,
    RulesetSpec,
    Scrub,
    ScrubRule,
)
from . import report_missing_files


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fmt",
        help="normalise the layout of rulesets (indentation, key order), keeping comments",
        description="Rewrite ruleset files in place with consistent indentation and key order; comments are "
        "kept. Exit status: 0 done, 1 a file is not formatted (--check) or cannot be read, 2 usage error.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="ruleset files")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file would change")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if report_missing_files("fmt", args.files):
        return 2
    outcomes = [format_file(Path(name), check=args.check) for name in args.files]
    return 0 if all(outcomes) else 1


def format_file(path: Path, *, check: bool) -> bool:
    """Format one file (or only compare, with ``check``); False when it would change or cannot be read."""
    try:
        original = path.read_text(encoding="utf-8-sig")
        formatted = format_text(original)
    except (OSError, UnicodeDecodeError, YAMLError, ValueError) as exc:
        print(f"{path}: cannot format: {_first_line(exc)}")
        return False
    if formatted == original:
        print(f"{path}: already formatted")
        return True
    if check:
        print(f"{path}: would reformat")
        return False
    path.write_text(formatted, encoding="utf-8")
    print(f"{path}: reformatted")
    return True


def format_text(text: str) -> str:
    """The formatted form of a ruleset's YAML text."""
    document = roundtrip.parse(text)
    if not isinstance(document.tree, CommentedMap):
        raise ValueError("a ruleset must be a mapping")
    order_ruleset(document.tree)
    return document.dump(indent=roundtrip.CANONICAL_INDENT)


def order_ruleset(tree: CommentedMap) -> None:
    _order(tree, RulesetSpec)
    _order(tree.get("options"), Options)
    if isinstance(tree.get("options"), CommentedMap):
        _order(tree["options"].get("limits"), Limits)
    for rule in _items(tree.get("filters")):
        _order(rule, FilterRule)
    for rule in _items(tree.get("grouping")):
        _order(rule, GroupingRule)
    scrub = tree.get("scrub")
    _order(scrub, Scrub)
    if isinstance(scrub, CommentedMap):
        for rule in _items(scrub.get("rules")):
            _order(rule, ScrubRule)
            redact = rule.get("redact") if isinstance(rule, CommentedMap) else None
            if isinstance(redact, CommentedMap):
                _order(redact.get("mask"), Mask)


def _order(node: Any, model: type[BaseModel]) -> None:
    if isinstance(node, CommentedMap):
        roundtrip.reorder_keys(node, [info.alias or name for name, info in model.model_fields.items()])


def _items(node: Any) -> list:
    return list(node) if isinstance(node, CommentedSeq) else []


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
