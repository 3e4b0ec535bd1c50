"""``rules-engine schema``: print the JSON Schema of the ruleset format (for editors and CI)."""

from __future__ import annotations

import argparse
import json
import sys

from ..model.schema import ruleset_json_schema


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the ruleset format",
        description="Print the JSON Schema (Draft 2020-12) of the ruleset format, as committed in "
        "schema/ruleset.v1.schema.json. Point editors at it with a first line "
        "'# yaml-language-server: $schema=<path or URL>'.",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.set_defaults(handler=run)


def schema_text() -> str:
    """The schema as committed: pretty-printed, keys sorted, with a trailing newline."""
    return json.dumps(ruleset_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def run(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0
