"""Run case files from your own pytest suite.

Either call the helpers from a test::

    from rules_engine.testing import assert_case_file

    def test_shop_rules():
        assert_case_file("tests/rules/shop.rules-test.yaml")

or let the pytest plugin collect every ``*.rules-test.yaml`` file under your test
paths as test items, one per case (``pytest -p rules_engine.testing``, or
automatically once the package is installed: it registers the plugin under the
``pytest11`` entry point).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from ..cli.report import Style
from ..errors import RulesetError
from .casefile import (
    CASE_FILE_SUFFIXES,
    CaseFileError,
    CaseResult,
    LoadedCaseFile,
    RulesetCache,
    format_result,
    load_case_file,
    run_case,
    run_loaded,
)

__all__ = ["CaseResult", "CaseFailure", "assert_case_file", "run_case_file"]


class CaseFailure(AssertionError):
    """One or more cases of a case file failed; the message shows each one."""


def run_case_file(path: str | Path) -> list[CaseResult]:
    """Run every case of a case file. Raises :class:`~rules_engine.testing.casefile.CaseFileError` for an invalid file."""
    return run_loaded(load_case_file(path))


def assert_case_file(path: str | Path) -> list[CaseResult]:
    """Run a case file and raise :class:`CaseFailure` describing every failing case."""
    results = run_case_file(path)
    failures = [r for r in results if not r.passed]
    if failures:
        raise CaseFailure(_failure_report(failures, len(results)))
    return results


def _failure_report(failures: list[CaseResult], total: int) -> str:
    lines = [f"{len(failures)} of {total} case(s) failed"]
    for result in failures:
        lines.append(f"{result.location} {result.name}")
        lines.extend(format_result(result, Style(False)))
    return "\n".join(lines)


# ---------------------------------------------------------------------------- pytest plugin

try:
    import pytest
except ImportError:  # pragma: no cover - the helpers above work without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    def pytest_collect_file(file_path: Path, parent: Any) -> Any:
        if file_path.name.endswith(CASE_FILE_SUFFIXES):
            return CaseFileCollector.from_parent(parent, path=file_path)
        return None

    class CaseFileCollector(pytest.File):
        """A case file: one test item per case."""

        def collect(self) -> Iterator["CaseItem"]:
            try:
                loaded = load_case_file(self.path)
            except CaseFileError as exc:
                raise self.CollectError(str(exc)) from None
            cache = RulesetCache()
            for case in loaded.cases:
                yield CaseItem.from_parent(self, name=case.spec.name, loaded=loaded, case=case, cache=cache)

    class CaseItem(pytest.Item):
        def __init__(self, *, loaded: LoadedCaseFile, case: Any, cache: RulesetCache, **kwargs: Any):
            super().__init__(**kwargs)
            self.loaded = loaded
            self.case = case
            self.cache = cache

        def runtest(self) -> None:
            try:
                ruleset = self.cache.get(self.loaded.ruleset)
            except RulesetError as exc:
                raise CaseFailure(f"the ruleset does not load:\n{exc}") from None
            result = run_case(ruleset, self.loaded.path, self.case)
            if not result.passed:
                raise CaseFailure("\n".join(format_result(result, Style(False))))

        def repr_failure(self, excinfo: Any, style: Any = None) -> Any:
            if isinstance(excinfo.value, CaseFailure):
                return f"{self.loaded.path}:{self.case.line} {self.case.spec.name}\n{excinfo.value}"
            return super().repr_failure(excinfo)

        def reportinfo(self) -> tuple[Any, int, str]:
            return self.path, self.case.line - 1, f"case: {self.case.spec.name}"
