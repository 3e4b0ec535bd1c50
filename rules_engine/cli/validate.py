"""``rules-engine validate PATH...``: check ruleset files and report every problem at once."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, RulesetError
from ..conditions.exception_names import NotImportable, import_module_of
from ..load.builtin import BUILTIN_PREFIX
from ..load.document import read_yaml
from ..load.lints import rule_modules
from ..load.loader import load_model

YAML_SUFFIXES = (".yaml", ".yml")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check ruleset files (every problem, with line and column)",
        description="Validate ruleset files. Directories are searched for *.yaml and *.yml files. "
        "Exit status: 0 all valid, 1 a ruleset is invalid, 2 usage error.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="ruleset files, directories or builtin:NAME@VERSION")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--strict", action="store_true",
                        help="fail (exit 1) on rules that can never fire or never change anything too")
    parser.add_argument("--import", dest="import_modules", action="store_true",
                        help="import the modules error.type rules name, to check the classes exist there")
    parser.set_defaults(handler=run)


@dataclass
class FileResult:
    path: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    skipped: str | None = None  # why the file was not validated as a ruleset

    @property
    def valid(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        result = {
            "path": self.path,
            "valid": self.valid,
            "problems": [p.as_dict() for p in self.problems],
            "warnings": [p.as_dict() for p in self.warnings],
        }
        if self.skipped:
            result["skipped"] = self.skipped
        return result


def run(args: argparse.Namespace) -> int:
    files, usage_errors = collect_files(args.paths)
    for message in usage_errors:
        print(f"rules-engine validate: {message}", file=sys.stderr)
    if usage_errors:
        return 2
    if args.import_modules:
        for message in import_rule_modules(files):
            print(f"rules-engine validate: --import: {message}", file=sys.stderr)
    results = [validate_file(path) for path in files]
    if args.format == "json":
        json.dump([r.as_dict() for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_text(results)
    failed = any(not r.valid or (args.strict and any(w.lint for w in r.warnings)) for r in results)
    return 1 if failed else 0


def import_rule_modules(files: list[str]) -> list[str]:
    """Import the modules the files' ``error.type`` rules name; why each that could not be."""
    modules: dict[str, None] = {}
    for path in files:
        tree = _read_tree(path)
        if isinstance(tree, dict):
            modules.update(dict.fromkeys(rule_modules(tree)))
    reasons = []
    for module in modules:
        try:
            import_module_of(module)
        except NotImportable as exc:
            reasons.append(str(exc))
    return reasons


def collect_files(paths: list[str]) -> tuple[list[str], list[str]]:
    """Files to validate, in a stable order, and usage errors (missing paths, empty directories)."""
    files: list[str] = []
    errors: list[str] = []
    for given in paths:
        if given.startswith(BUILTIN_PREFIX):
            files.append(given)
            continue
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
            if not found:
                errors.append(f"no *.yaml or *.yml files found in {given}")
            files.extend(str(p) for p in found)
        elif path.is_file():
            files.append(given)
        else:
            errors.append(f"no such file or directory: {given}")
    return list(dict.fromkeys(files)), errors


def validate_file(path: str) -> FileResult:
    result = FileResult(path)
    reason = _case_file_reason(path)
    if reason:
        result.skipped = reason
        return result
    try:
        # Unset ${VAR}s are warnings here: validation runs where production secrets are absent.
        loaded = load_model(path, require_env=False)
    except RulesetError as exc:
        result.problems = exc.problems
    else:
        result.warnings = loaded.warnings
    return result


def _read_tree(path: str) -> object:
    """The file's YAML, or None when it is a builtin pack or cannot be read (loading reports why)."""
    if path.startswith(BUILTIN_PREFIX):
        return None
    try:
        tree, problems = read_yaml(Path(path).read_text(encoding="utf-8-sig"), path)
    except (OSError, UnicodeDecodeError):
        return None
    return None if problems else tree


def _case_file_reason(path: str) -> str | None:
    """Case files for ``rules-engine test`` often live next to rulesets; they are not rulesets."""
    tree = _read_tree(path)
    if not isinstance(tree, dict):
        return None
    if "cases" in tree and "format" not in tree:
        return "a case file for 'rules-engine test', not a ruleset"
    return None


def print_text(results: list[FileResult]) -> None:
    for result in results:
        for problem in result.problems:
            print(problem)
        for warning in result.warnings:
            print(f"{warning} (warning)")
        if result.skipped:
            print(f"{result.path}: skipped ({result.skipped})")
        elif result.valid:
            print(f"{result.path}: ok")
    checked = [r for r in results if not r.skipped]
    invalid = [r for r in checked if not r.valid]
    problems = sum(len(r.problems) for r in invalid)
    noun = "file" if len(checked) == 1 else "files"
    if invalid:
        print(
            f"{len(checked)} {noun} checked: {len(checked) - len(invalid)} valid, {len(invalid)} invalid "
            f"({problems} problem{'s' if problems != 1 else ''})"
        )
    else:
        warned = sum(len(r.warnings) for r in checked)
        suffix = f" ({warned} warning{'s' if warned != 1 else ''})" if warned else ""
        print(f"{len(checked)} {noun} checked: all valid{suffix}")
