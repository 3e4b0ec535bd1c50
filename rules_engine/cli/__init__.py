"""The ``rules-engine`` command line: one module per sub-command.

Each command module defines ``register(subparsers)`` (adds its parser and sets
``handler``) and its handler returns the exit code: 0 success, 1 the input was
found wrong (invalid rules, failing cases), 2 usage errors.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = ("validate", "schema", "test", "explain", "apply", "diff", "migrate", "fmt", "init", "show")


def report_missing_files(command: str, files: list[str]) -> bool:
    """Print a usage error for each path that is not a file; True when any was missing."""
    missing = [name for name in files if not os.path.isfile(name)]
    for name in missing:
        print(f"rules-engine {command}: no such file: {name}", file=sys.stderr)
    return bool(missing)


def report_missing_inputs(command: str, inputs: list[str]) -> bool:
    """Print a usage error when an event input does not exist; True when one was missing."""
    from .event_input import InputNotFound, check_inputs

    try:
        check_inputs(inputs)
    except InputNotFound as exc:
        print(f"rules-engine {command}: {exc}", file=sys.stderr)
        return True
    return False


def load_rulesets(*sources: str) -> list | None:
    """Load and compile rulesets for a command; print every problem and return None when one is invalid."""
    from ..errors import RulesetError
    from ..runtime.reloading import load_ruleset

    try:
        return [load_ruleset(source) for source in sources]
    except RulesetError as exc:
        print(exc, file=sys.stderr)
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rules-engine",
        description="Validate, test and apply rules-engine rulesets for sentry-sdk.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
