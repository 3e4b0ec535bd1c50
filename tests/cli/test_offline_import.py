"""Offline fidelity: ``--import`` lets ``apply``, ``explain`` and ``test`` resolve an exported
event's exception classes as the live hook does (base classes, import names), and ``apply`` says
what it could not judge offline and why.

The commands run in a fresh process: the test process has SQLAlchemy imported already, and an
already imported module is resolved without ``--import``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sentry_sdk
import sqlalchemy

from rules_engine.capture import capture_events
from tests import child_python

ROOT = Path(__file__).resolve().parents[2]

RULESET = """\
format: 1
name: offline
filters:
  - id: database-errors
    when: {error.type: sqlalchemy.exc.DBAPIError}
    drop: true
  - id: client-errors
    when: {exc.status_code: {lt: 500}}
    drop: true
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A real sentry-sdk event of a SQLAlchemy OperationalError (a DBAPIError), as exported."""
    with capture_events() as events:
        try:
            with sqlalchemy.create_engine("sqlite://").connect() as connection:
                connection.execute(sqlalchemy.text("SELECT * FROM missing_table"))
        except sqlalchemy.exc.OperationalError as exc:
            sentry_sdk.capture_exception(exc)
    folder = tmp_path_factory.mktemp("offline")
    (folder / "ruleset.yaml").write_text(RULESET)
    (folder / "event.json").write_text(json.dumps(events[0]))
    return folder


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": child_python.pythonpath(), **(env or {})}
    return subprocess.run([sys.executable, "-m", "rules_engine", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=child_python.TIMEOUT)


def summary(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout)


def test_apply_without_import_matches_reported_names_only_and_says_so(exported):
    result = cli("apply", "ruleset.yaml", "event.json", "--summary-only", "--format", "json", cwd=exported)
    found = summary(result)
    assert found["dropped"] == 0
    assert {c["class"] for c in found["unresolved_classes"]} == {  # the exception and its cause
        "sqlalchemy.exc.OperationalError", "sqlite3.OperationalError"}
    assert found["not_judged_offline"] == {"client-errors": ["exc.status_code"]}
    assert "client-errors" not in found["never_fired"] and "database-errors" in found["never_fired"]


def test_apply_with_import_matches_base_classes_as_the_live_hook_does(exported):
    result = cli("apply", "--import", "ruleset.yaml", "event.json", "--summary-only", "--format", "json",
                 cwd=exported)
    found = summary(result)
    assert found["dropped_by_rule"] == {"database-errors": 1}
    assert found["unresolved_classes"] == []
    assert result.stderr == ""


def test_apply_text_summary_explains_what_was_not_judged(exported):
    text = cli("apply", "ruleset.yaml", "event.json", "--summary-only", "--no-color", cwd=exported).stdout
    assert "Rules not judged offline (1): client-errors (exc.status_code)" in text
    assert "Exception classes not resolved offline (2): " in text
    assert "sqlalchemy.exc.OperationalError (1)" in text
    assert "--import imports their modules" in text


def test_explain_with_import(exported):
    without = cli("explain", "ruleset.yaml", "event.json", "--format", "json", cwd=exported)
    with_import = cli("explain", "--import", "ruleset.yaml", "event.json", "--format", "json", cwd=exported)
    assert json.loads(without.stdout)["dropped_by"] is None
    assert json.loads(with_import.stdout)["dropped_by"] == "database-errors"


def test_test_command_with_import(exported):
    (exported / "db.rules-test.yaml").write_text(
        "ruleset: ruleset.yaml\ncases:\n  - name: database errors are dropped\n"
        "    event_file: event.json\n    expect: {dropped: true}\n")
    assert cli("test", "db.rules-test.yaml", cwd=exported).returncode == 1
    assert cli("test", "--import", "db.rules-test.yaml", cwd=exported).returncode == 0


@pytest.mark.parametrize(("module_code", "reason"), [
    (None, "no module named 'shop_offline_missing' is installed"),
    ("raise RuntimeError('needs a database')", "importing 'shop_offline_broken.errors' failed: RuntimeError: needs a database"),
    ("raise SystemExit(3)", "importing 'shop_offline_broken.errors' failed: SystemExit: 3"),
])
def test_a_module_that_cannot_be_imported_is_reported_once_and_the_run_goes_on(tmp_path, module_code, reason):
    package = "shop_offline_missing" if module_code is None else "shop_offline_broken"
    if module_code is not None:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "errors.py").write_text(module_code + "\n")
    event = {"exception": {"values": [{"type": "PaymentError", "module": f"{package}.errors", "value": "declined"}]}}
    (tmp_path / "events.jsonl").write_text((json.dumps(event) + "\n") * 3)
    (tmp_path / "ruleset.yaml").write_text(RULESET)
    result = cli("apply", "--import", "ruleset.yaml", "events.jsonl", "--summary-only", "--format", "json",
                 cwd=tmp_path, env={"PYTHONPATH": f"{child_python.pythonpath()}{os.pathsep}{tmp_path}"})
    assert result.returncode == 0
    assert summary(result)["events_in"] == 3
    assert result.stderr.count("rules-engine apply: --import: ") == 1
    assert reason in result.stderr


def test_explain_with_import_builds_the_hint_from_the_real_class():
    """The hint's exception is the real ``fastapi.exceptions.HTTPException`` once its module is
    imported, so a rule on starlette's base class matches as it does live."""
    args = ("explain", "examples/shop/shop.yaml", "examples/events/03-fastapi-404-item.json",
            "--exc-attr", "status_code=404", "--format", "json")
    assert json.loads(cli(*args, cwd=ROOT).stdout)["dropped_by"] is None
    with_import = cli(args[0], "--import", *args[1:], cwd=ROOT)
    assert json.loads(with_import.stdout)["dropped_by"] == "client-errors"
