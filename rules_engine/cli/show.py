"""``rules-engine show``: print a builtin pack or ruleset file as shipped, or (``--resolved``) a
ruleset with everything it ``extends`` merged in."""

from __future__ import annotations

import argparse
import sys

import yaml

from ..errors import RulesetError
from ..load.loader import _Loader, load_model


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "show",
        help="print a builtin pack or a ruleset (--resolved: with its extends merged)",
        description="Print a ruleset as written: a builtin pack (builtin:NAME@VERSION) or a file. "
        "With --resolved, print the ruleset every hook runs: the rules of everything it extends "
        "merged in, in the order they apply, each with a comment naming where it comes from.",
    )
    parser.add_argument("ruleset", metavar="RULESET", help="builtin:NAME@VERSION or a ruleset file")
    parser.add_argument("--resolved", action="store_true", help="merge everything the ruleset extends")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        text = resolved_text(args.ruleset) if args.resolved else shipped_text(args.ruleset)
    except RulesetError as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"rules-engine show: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


def shipped_text(reference: str) -> str:
    """The text of a builtin pack or file, as it is read."""
    source = _Loader(require_env=False).source_for_root(reference)
    return source.file.read_text(encoding="utf-8") if source.file is not None else source.text


def resolved_text(reference: str) -> str:
    """The merged ruleset as YAML, every rule preceded by ``# from <origin>``."""
    loaded = load_model(reference, require_env=False)
    data = loaded.model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    data.pop("extends", None)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    header = f"# {reference} with everything it extends merged in\n"
    return header + _annotate_origins(text, loaded.origins)


def _annotate_origins(text: str, origins: dict[str, str]) -> str:
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("- id: "):
            origin = origins.get(stripped[len("- id: "):].strip().strip("'\""))
            if origin:
                lines.append(" " * (len(line) - len(stripped)) + f"# from {origin}")
        lines.append(line)
    return "\n".join(lines) + "\n"
