"""``rules-engine test CASES...``: run case files and report like a test runner."""

from __future__ import annotations

import argparse
import json
import sys

from .offline import ModuleImporter, add_import_option
from ..testing.casefile import (
    CaseFileError,
    CaseResult,
    RulesetCache,
    find_case_files,
    format_result,
    load_case_file,
    run_loaded,
)
from .report import Style, add_color_argument, plural, quiet_runtime_logs, style_for


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "test",
        help="run case files: events with the outcome a ruleset must produce",
        description="Run case files (YAML: a ruleset, events and expectations) and report pass/fail per "
        "case. Directories are searched for *.rules-test.yaml files. Exit code 1 when a case fails.",
    )
    parser.add_argument("cases", nargs="+", metavar="CASES", help="case files or directories")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    add_import_option(parser)
    parser.add_argument("-k", dest="select", metavar="TEXT",
                        help="run only the cases whose name contains TEXT (case-insensitive)")
    add_color_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    quiet_runtime_logs()
    files = find_case_files(args.cases)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"rules-engine test: no such case file: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not files:
        print("rules-engine test: no case files found (case files are named *.rules-test.yaml)", file=sys.stderr)
        return 2
    style = style_for(sys.stdout, args.color)
    cache = RulesetCache()
    importer = ModuleImporter("test", args.import_modules)
    results: list[CaseResult] = []
    file_errors: list[CaseFileError] = []
    for file in files:
        try:
            loaded = load_case_file(file)
        except CaseFileError as exc:
            file_errors.append(exc)
            if args.format == "text":
                _print_file_error(exc, style)
            continue
        if args.select:
            loaded.cases = [c for c in loaded.cases if args.select.lower() in c.spec.name.lower()]
        for case in loaded.cases:
            importer.prepare(case.event)
        file_results = run_loaded(loaded, cache)
        results.extend(file_results)
        if args.format == "text":
            for result in file_results:
                _print_result(result, style, args.quiet)
    failed = sum(not r.passed for r in results)
    if args.format == "json":
        print(json.dumps(_json_report(results, file_errors), indent=2, ensure_ascii=False, default=repr))
    else:
        print(_summary_line(len(results) - failed, failed, len(file_errors), style))
    return 1 if failed or file_errors else 0


def _print_result(result: CaseResult, style: Style, quiet: bool) -> None:
    if result.passed:
        if not quiet:
            print(f"{style.green('PASS')} {result.location} {result.name}")
        return
    label = "ERROR" if result.error is not None else "FAIL"
    print(f"{style.paint(label, 'red', 'bold')} {result.location} {result.name}")
    for line in format_result(result, style):
        print(line)


def _print_file_error(exc: CaseFileError, style: Style) -> None:
    for problem in exc.problems:
        print(f"{style.paint('ERROR', 'red', 'bold')} {problem}")


def _summary_line(passed: int, failed: int, broken_files: int, style: Style) -> str:
    parts = [style.green(f"{passed} passed") if passed else f"{passed} passed",
             style.red(f"{failed} failed") if failed else f"{failed} failed"]
    if broken_files:
        parts.append(style.red(plural(broken_files, "invalid case file")))
    return ", ".join(parts)


def _json_report(results: list[CaseResult], file_errors: list[CaseFileError]) -> dict:
    failed = sum(not r.passed for r in results)
    return {
        "passed": len(results) - failed,
        "failed": failed,
        "invalid_files": [p.as_dict() for exc in file_errors for p in exc.problems],
        "cases": [r.to_dict() for r in results],
    }
