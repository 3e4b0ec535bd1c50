"""``rules-engine test``: runner output, exit codes and JSON, through the real CLI entry."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rules_engine.cli import main
from tests import child_python

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "examples" / "events"

RULESET = """\
format: 1
name: api
revision: 2
filters:
  - id: health-checks
    on: [transaction]
    when: {transaction: ["*/health"]}
    drop: true
grouping:
  - id: integrity
    when: {error.type: "sqlalchemy.exc.IntegrityError"}
    fingerprint: [database-error, integrity]
    title: "Database Error: {{ error.value }}"
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    write(tmp_path, "api.yaml", RULESET)
    write(tmp_path, "cases/good.rules-test.yaml", f"""\
        ruleset: ../api.yaml
        cases:
          - name: health checks are dropped
            event_file: {EVENTS / "04-fastapi-health-check-transaction.json"}
            expect: {{dropped: true, dropped_by: health-checks}}
          - name: integrity errors are one issue
            event_file: {EVENTS / "07-sqlalchemy-integrity-error.json"}
            expect: {{fingerprint: [database-error, integrity], tags: {{ruleset: api@2}}}}
        """)
    return tmp_path


def add_failing_case(suite: Path) -> Path:
    return write(suite, "cases/bad.rules-test.yaml", f"""\
        ruleset: ../api.yaml
        cases:
          - name: report transactions are dropped too
            event_file: {EVENTS / "05-fastapi-report-transaction-with-spans.json"}
            expect: {{dropped: true}}
          - name: checkout keeps its title
            event_file: {EVENTS / "01-fastapi-500-checkout.json"}
            expect: {{fingerprint: [checkout]}}
        """)


def test_passing_cases_print_pass_lines_and_exit_0(suite: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["test", str(suite / "cases")]) == 0
    out = capsys.readouterr().out.splitlines()
    case_file = suite / "cases" / "good.rules-test.yaml"
    assert out == [
        f"PASS {case_file}:3 health checks are dropped",
        f"PASS {case_file}:6 integrity errors are one issue",
        "2 passed, 0 failed",
    ]


def test_failing_cases_show_expected_and_actual_and_exit_1(suite: Path, capsys: pytest.CaptureFixture) -> None:
    bad = add_failing_case(suite)
    assert main(["test", str(suite / "cases")]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {bad}:3 report transactions are dropped too" in out
    assert f"FAIL {bad}:6 checkout keeps its title" in out
    assert "expected: true" in out and "actual:   false" in out
    assert 'expected: ["checkout"]' in out and "actual:   null" in out
    # The failing case shows the rule trace: why the filter did not match.
    assert "- filter/health-checks: when.transaction" in out
    assert out.rstrip().endswith("2 passed, 2 failed")
    assert "\033[" not in out  # captured output is not a terminal: no colour

    assert main(["test", "--quiet", "--color", str(suite / "cases")]) == 1
    quiet = capsys.readouterr().out
    assert "PASS" not in quiet and "\033[31;1mFAIL\033[0m" in quiet


def test_k_selects_cases_by_name(suite: Path, capsys: pytest.CaptureFixture) -> None:
    add_failing_case(suite)
    assert main(["test", "-k", "HEALTH", str(suite / "cases")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(" ", 2)[2] for line in out[:-1]] == ["health checks are dropped"]
    assert out[-1] == "1 passed, 0 failed"


def test_json_output_lists_every_case(suite: Path, capsys: pytest.CaptureFixture) -> None:
    add_failing_case(suite)
    assert main(["test", "--format", "json", str(suite / "cases")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["passed"], report["failed"]) == (2, 2)
    failing = {c["name"]: c for c in report["cases"] if not c["passed"]}
    mismatch = failing["checkout keeps its title"]["mismatches"][0]
    assert mismatch == {"what": "fingerprint", "expected": ["checkout"], "actual": None}
    assert failing["report transactions are dropped too"]["explanation"]["dropped_by"] is None


def test_invalid_case_files_and_rulesets_fail_with_positions(suite: Path, capsys: pytest.CaptureFixture) -> None:
    typo = write(suite, "typo.rules-test.yaml", "ruleset: api.yaml\ncases:\n  - name: x\n    evnt: {}\n")
    assert main(["test", str(typo)]) == 1
    out = capsys.readouterr().out
    assert f"ERROR {typo}:4:5: unknown key 'evnt'" in out and "did you mean 'event'" in out
    assert "0 passed, 0 failed, 1 invalid case file" in out

    write(suite, "broken.yaml", "format: 1\nname: broken\nfilters:\n  - id: x\n    wen: {}\n    drop: true\n")
    uses_broken = write(suite, "uses-broken.rules-test.yaml",
                        "ruleset: broken.yaml\ncases:\n  - {name: any, event: {}}\n")
    assert main(["test", str(uses_broken)]) == 1
    out = capsys.readouterr().out
    assert f"ERROR {uses_broken}:3 any" in out
    assert f"{suite / 'broken.yaml'}:5:5: unknown key 'wen'" in out


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["test", str(tmp_path / "missing.rules-test.yaml")]) == 2
    assert "no such case file" in capsys.readouterr().err
    assert main(["test", str(tmp_path)]) == 2
    assert "no case files found" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_command(suite: Path) -> None:
    add_failing_case(suite)
    done = subprocess.run([sys.executable, "-m", "rules_engine", "test", str(suite / "cases")],
                          capture_output=True, text=True, cwd=ROOT, timeout=child_python.TIMEOUT)
    assert done.returncode == 1, done.stderr
    assert done.stdout.rstrip().endswith("2 passed, 2 failed")


def test_the_bundled_example_cases_pass(capsys: pytest.CaptureFixture) -> None:
    cases = ROOT / "examples" / "cases"
    assert main(["test", str(cases)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "FAIL" not in out and "ERROR" not in out
    files = sorted(cases.glob("*.rules-test.yaml"))
    passed_files = {Path(line.split()[1].rsplit(":", 1)[0]) for line in out.splitlines() if line.startswith("PASS")}
    assert passed_files == set(files)


def test_the_bundled_cases_test_values_their_events_really_hold() -> None:
    """An ``absent`` value that was never in the event would pass without testing anything."""
    from rules_engine.cli.report import contains_text
    from rules_engine.testing.casefile import find_case_files, load_case_file

    vacuous = []
    for path in find_case_files([ROOT / "examples" / "cases"]):
        for case in load_case_file(path).cases:
            vacuous += [(path.name, case.spec.name, text) for text in case.spec.expect.absent
                        if not contains_text(case.event, text)]
    assert vacuous == []
