"""``rules-engine explain``: the rule trace, the outcome and the before/after diff, through the real CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rules_engine import load_ruleset
from rules_engine.cli import main
from tests import child_python

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "examples" / "events"
NOT_FOUND = EVENTS / "03-fastapi-404-item.json"
INTEGRITY = EVENTS / "07-sqlalchemy-integrity-error.json"
HTTP_EXCEPTION_MRO = ["--exc-type", "fastapi.exceptions.HTTPException",
                      "--exc-type", "starlette.exceptions.HTTPException"]

RULESET = """\
format: 1
name: api
revision: 5
filters:
  - id: client-errors
    when: {error.type: starlette.exceptions.HTTPException, exc.status_code: {gte: 400, lt: 500}}
    drop: true
  - id: noisy-timeouts
    when: {error.type: "*TimeoutError"}
    sample: 0.1
grouping:
  - id: integrity
    when: {error.type: sqlalchemy.exc.IntegrityError}
    fingerprint: [database-error, integrity]
    tags: {error_group: database_error}
  - id: everything-else
    fingerprint: ["{{ default }}"]
"""


@pytest.fixture
def ruleset_path(tmp_path: Path) -> str:
    path = tmp_path / "api.yaml"
    path.write_text(textwrap.dedent(RULESET), encoding="utf-8")
    return str(path)


def test_a_live_exception_hint_explains_the_drop(ruleset_path: str, capsys: pytest.CaptureFixture) -> None:
    code = main(["explain", ruleset_path, str(NOT_FOUND), *HTTP_EXCEPTION_MRO, "--exc-attr", "status_code=404"])
    assert code == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"explain {NOT_FOUND}:1 (error: HTTPException: item 999 not found)"
    assert any(line.startswith("  ✓ client-errors") and line.endswith("dropped") for line in lines)
    assert any("noisy-timeouts" in line and "not evaluated: the event was dropped" in line for line in lines)
    assert any("everything-else" in line and "not evaluated" in line for line in lines)
    assert "result: DROPPED by client-errors" in out
    assert "--- before" not in out  # nothing comes out, so there is no after


def test_a_hint_of_an_importable_class_uses_the_real_class(ruleset_path: str, capsys) -> None:
    """fastapi is imported here (``--import`` would import it): the simulated exception is a real
    ``fastapi.exceptions.HTTPException``, so its starlette base class matches as it does live.
    Where the module is not imported, the base stays unknown (``test_offline_import.py``)."""
    import fastapi.exceptions  # noqa: F401 - as the application (or --import) would have

    assert main(["explain", ruleset_path, str(NOT_FOUND), "--exc-attr", "status_code=404"]) == 0
    out = capsys.readouterr().out
    assert "  ✓ client-errors" in out
    assert "result: DROPPED by client-errors" in out


def test_grouping_changes_and_the_diff_are_shown(ruleset_path: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["explain", ruleset_path, str(INTEGRITY)]) == 0
    out = capsys.readouterr().out
    assert "  ✓ integrity" in out
    assert "not evaluated: rule 'integrity' won" in out
    assert "fingerprint = ['database-error', 'integrity']" in out
    assert "--- before" in out and "+++ after" in out
    assert '+  "fingerprint": [' in out and '+    "database-error",' in out
    assert '+    "error_group": "database_error",' in out
    assert "\033[" not in out

    assert main(["explain", ruleset_path, str(INTEGRITY), "--no-diff", "--color"]) == 0
    coloured = capsys.readouterr().out
    assert "--- before" not in coloured and "\033[32m" in coloured


def test_json_output_matches_what_the_hook_returns(ruleset_path: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["explain", ruleset_path, str(INTEGRITY), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["phase"], r["rule_id"], r["matched"]) for r in report["rules"]] == [
        ("filter", "client-errors", False), ("filter", "noisy-timeouts", False),
        ("grouping", "integrity", True), ("grouping", "everything-else", False)]
    event = json.loads(INTEGRITY.read_text())
    assert report["before"] == event
    assert report["after"] == load_ruleset(ruleset_path).before_send(copy.deepcopy(event), {})
    assert report["title"].startswith("IntegrityError: ")
    assert any(line.startswith("+") and "database-error" in line for line in report["diff"])


def test_hint_as_json_and_the_nth_event_of_a_stream(ruleset_path: str, capsys: pytest.CaptureFixture) -> None:
    events_jsonl = ROOT / "examples" / "events.jsonl"
    index = next(n for n, line in enumerate(events_jsonl.read_text().splitlines(), start=1)
                 if '"item 999 not found"' in line)
    hint = json.dumps({"exc_type": ["fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException"],
                       "exc_attrs": {"status_code": 418}})
    args = ["explain", ruleset_path, str(events_jsonl), "--index", str(index), "--hint", hint, "--format", "json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["event"] == f"{events_jsonl}:{index}"
    assert report["dropped_by"] == "client-errors" and report["after"] is None


def test_bad_usage_exits_2_and_a_bad_ruleset_exits_1(ruleset_path: str, tmp_path: Path, capsys) -> None:
    assert main(["explain", ruleset_path, str(NOT_FOUND), "--hint", "{not json"]) == 2
    assert "--hint is not valid JSON" in capsys.readouterr().err
    assert main(["explain", ruleset_path, str(NOT_FOUND), "--exc-attr", "status_code"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["explain", ruleset_path, str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["explain", ruleset_path, str(NOT_FOUND), "--index", "2"]) == 2
    assert "fewer than 2 event(s)" in capsys.readouterr().err
    assert main(["explain", ruleset_path, str(NOT_FOUND), "--exc-type", "builtins.KeyError"]) == 2
    assert "is not the event's main exception" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\nname: b\nfilters:\n  - id: x\n    drop: yes please\n")
    assert main(["explain", str(broken), str(NOT_FOUND)]) == 1
    assert f"{broken}:5:" in capsys.readouterr().err


def test_stdin_through_python_dash_m(ruleset_path: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rules_engine", "explain", ruleset_path, "-", *HTTP_EXCEPTION_MRO,
         "--exc-attr", "status_code=404", "--format", "json"],
        input=NOT_FOUND.read_text(), capture_output=True, text=True, cwd=ROOT, timeout=child_python.TIMEOUT)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["event"] == "<stdin>:1" and report["dropped_by"] == "client-errors"


def test_scrubbing_on_the_default_ruleset_is_traced_per_rule(capsys: pytest.CaptureFixture) -> None:
    log_event = EVENTS / "08-log-message-failed-login.json"
    assert main(["explain", str(ROOT / "rulesets" / "default.yaml"), str(log_event)]) == 0
    out = capsys.readouterr().out
    scrub_lines = [line for line in out.splitlines() if "redaction(s)" in line]
    assert scrub_lines and all(line.startswith("  ✓ ") for line in scrub_lines)
    assert "result: KEPT" in out and "title:       login failed for [Filtered] with password=[Filtered]" in out
    assert '-    "formatted": "login failed for erin.qz7@shop-example.com' in out
    assert '"_meta"' not in out  # the remarks repeat the scrub lines; the text diff leaves them out

    assert main(["explain", str(ROOT / "rulesets" / "default.yaml"), str(log_event), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "_meta" in report["after"]
    assert sum(v for k, v in report["redactions"].items() if "/" not in k) == sum(
        int(line.split("  ")[-1].split()[0]) for line in scrub_lines)
