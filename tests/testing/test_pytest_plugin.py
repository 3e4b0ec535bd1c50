"""Case files in a user's own pytest suite: the helpers and the collecting plugin."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rules_engine.testing import CaseFailure, assert_case_file, run_case_file
from rules_engine.testing.casefile import CaseFileError

pytest_plugins = ["pytester"]

EVENTS = Path(__file__).resolve().parents[2] / "examples" / "events"

# The plugin module is already imported by this test session, so pytest cannot rewrite its asserts.
QUIET_REWRITE = ("-W", "ignore::pytest.PytestAssertRewriteWarning")

RULESET = """\
format: 1
name: shop
revision: 1
filters:
  - id: health-checks
    on: [transaction]
    when: {transaction: ["*/health"]}
    drop: true
"""


def case_file(health_dropped: bool, checkout_level: str = "error") -> str:
    return textwrap.dedent(f"""\
        ruleset: shop.yaml
        cases:
          - name: health checks
            event_file: {EVENTS / "04-fastapi-health-check-transaction.json"}
            expect: {{dropped: {str(health_dropped).lower()}}}
          - name: checkout errors
            event_file: {EVENTS / "01-fastapi-500-checkout.json"}
            expect: {{level: {checkout_level}}}
        """)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "shop.yaml").write_text(RULESET)
    return tmp_path


def test_run_case_file_returns_one_result_per_case(project: Path) -> None:
    path = project / "shop.rules-test.yaml"
    path.write_text(case_file(health_dropped=True))
    results = run_case_file(path)
    assert [(r.name, r.passed) for r in results] == [("health checks", True), ("checkout errors", True)]
    assert assert_case_file(path) == results


def test_assert_case_file_raises_with_every_failure(project: Path) -> None:
    path = project / "shop.rules-test.yaml"
    path.write_text(case_file(health_dropped=False, checkout_level="info"))
    with pytest.raises(CaseFailure) as caught:
        assert_case_file(path)
    message = str(caught.value)
    assert message.startswith("2 of 2 case(s) failed")
    assert f"{path}:3 health checks" in message and f"{path}:6 checkout errors" in message
    assert "expected: info" in message and "actual:   error" in message


def test_invalid_case_files_raise_with_positions(project: Path) -> None:
    path = project / "bad.rules-test.yaml"
    path.write_text("ruleset: shop.yaml\ncases: []\n")
    with pytest.raises(CaseFileError) as caught:
        run_case_file(path)
    assert str(caught.value).startswith(f"{path}:2:8: cases needs at least 1 item")


def test_the_plugin_collects_case_files_as_test_items(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("shop.yaml").write_text(RULESET)
    pytester.path.joinpath("good.rules-test.yaml").write_text(case_file(health_dropped=True))
    pytester.path.joinpath("bad.rules-test.yaml").write_text(case_file(health_dropped=False))
    pytester.path.joinpath("ignored.yaml").write_text("not: a case file\n")
    result = pytester.runpytest("-p", "rules_engine.testing", "-v", *QUIET_REWRITE)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*bad.rules-test.yaml::health checks FAILED*",
        "*good.rules-test.yaml::health checks PASSED*",
        "*bad.rules-test.yaml:3 health checks",
        "*dropped:",
        "*expected: false",
        "*actual:   true (dropped by rule health-checks)",
    ])


def test_the_plugin_reports_invalid_case_files_as_collection_errors(pytester: pytest.Pytester) -> None:
    broken = "ruleset: nowhere.yaml\ncases:\n  - {name: a, event: {}}\n"
    pytester.path.joinpath("broken.rules-test.yaml").write_text(broken)
    result = pytester.runpytest("-p", "rules_engine.testing", *QUIET_REWRITE)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.rules-test.yaml:1:10: ruleset file not found*"])
