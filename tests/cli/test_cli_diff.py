"""``rules-engine diff``: per-event changes between two rulesets and their summary, through the real CLI."""

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
EVENTS_JSONL = ROOT / "examples" / "events.jsonl"

OLD = """\
format: 1
name: api
revision: 1
filters:
  - id: health-checks
    on: [transaction]
    when: {transaction: ["*/health"]}
    drop: true
  - id: sampled-errors
    when: {level: error}
    sample: 0.5
"""

NEW = """\
format: 1
name: api
revision: 2
filters:
  - id: health-checks
    on: [transaction]
    when: {transaction: ["*/health"]}
    drop: true
  - id: http-exceptions
    when: {error.type: "*.HTTPException"}
    drop: true
  - id: sampled-errors
    when: {level: error}
    sample: 0.5
grouping:
  - id: integrity
    when: {error.type: sqlalchemy.exc.IntegrityError}
    fingerprint: [database-error, integrity]
    tags: {error_group: database}
"""


@pytest.fixture
def rulesets(tmp_path: Path) -> tuple[str, str]:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(textwrap.dedent(OLD))
    new.write_text(textwrap.dedent(NEW))
    return str(old), str(new)


def example_events() -> list[dict]:
    return [json.loads(line) for line in EVENTS_JSONL.read_text().splitlines() if line.strip()]


def line_of(predicate) -> int:
    return next(n for n, e in enumerate(example_events(), start=1) if predicate(e))


def is_http_exception(event: dict) -> bool:
    return any(v.get("type") == "HTTPException" for v in (event.get("exception") or {}).get("values", []))


def is_integrity(event: dict) -> bool:
    return any(v.get("type") == "IntegrityError" for v in (event.get("exception") or {}).get("values", []))


def kept_by(ruleset: str, tmp_path: Path, capsys) -> set[str]:
    """Event ids ``apply`` keeps with the default seed."""
    out = tmp_path / "kept.jsonl"
    assert main(["apply", ruleset, str(EVENTS_JSONL), "-o", str(out)]) == 0
    capsys.readouterr()
    return {json.loads(line)["event_id"] for line in out.read_text().splitlines()}


def test_json_lines_name_each_changed_event_and_the_summary_counts_them(rulesets, tmp_path: Path, capsys) -> None:
    old, new = rulesets
    kept_old, kept_new = kept_by(old, tmp_path, capsys), kept_by(new, tmp_path, capsys)
    assert main(["diff", old, new, str(EVENTS_JSONL), "--format", "json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    summary = records.pop()["summary"]
    changed = {r["event"]: r for r in records}
    events = example_events()
    where = {e["event_id"]: f"{EVENTS_JSONL}:{n}" for n, e in enumerate(events, start=1)}

    # The same draws under both rulesets: the unchanged sample rule decides alike, so fates
    # differ exactly where apply's outputs differ.
    fate_changed = {r["event"] for r in records if r["old"]["fate"] != r["new"]["fate"]}
    assert fate_changed == {where[i] for i in kept_old ^ kept_new}
    for record in records:
        if record["old"]["fate"] != record["new"]["fate"]:
            assert record["changes"] == [f"kept → {record['new']['fate']} by {record['new']['rule']}"]
            assert record["new"]["rule"] == "http-exceptions"
    integrity_where = f"{EVENTS_JSONL}:{line_of(is_integrity)}"
    integrity_id = next(e["event_id"] for e in events if is_integrity(e))
    assert (integrity_where in changed) == (integrity_id in kept_old and integrity_id in kept_new)
    if integrity_where in changed:
        record = changed[integrity_where]
        assert record["new"]["fingerprint"] == ["database-error", "integrity"]
        assert "tags.error_group: (none) → database" in record["changes"]
        assert record["old"]["tags"] == {k: v for k, v in record["new"]["tags"].items() if k != "error_group"}
    assert summary["events"] == len(events)
    assert summary["changed"] == len(changed)
    assert summary["fate_changes"] == ({"kept → dropped": len(fate_changed)} if fate_changed else {})


def test_unseeded_events_show_every_change_in_text(rulesets, capsys) -> None:
    old, new = rulesets
    # Drop the sample rule from both sides: every change now comes from the new rules.
    for path in (old, new):
        text = Path(path).read_text()
        Path(path).write_text(text[: text.index("  - id: sampled-errors")] + text[text.index("grouping:"):]
                              if "grouping:" in text else text[: text.index("  - id: sampled-errors")])
    assert main(["diff", old, new, str(EVENTS_JSONL)]) == 0
    out = capsys.readouterr().out
    http_line, integrity_line = line_of(is_http_exception), line_of(is_integrity)
    assert out.splitlines()[0] == "rules-engine diff: api@1 → api@2"
    assert "  filter rules added: http-exceptions" in out
    assert f"{EVENTS_JSONL}:{http_line}  HTTPException: item 999 not found" in out
    assert "  kept → dropped by http-exceptions" in out
    assert f"{EVENTS_JSONL}:{integrity_line}  IntegrityError: " in out
    assert '  fingerprint: (none) → ["database-error", "integrity"]' in out
    assert "  tags.error_group: (none) → database" in out
    assert f"{len(example_events())} events compared: 2 changed, {len(example_events()) - 2} unchanged" in out
    assert "  kept → dropped: 1" in out
    assert "  fingerprint changed: 1 event" in out
    # The revision tag differs on every event and is left out.
    assert "tags.ruleset" not in out

    assert main(["diff", old, new, str(EVENTS_JSONL), "--show-diff", "--limit", "1"]) == 0
    shown = capsys.readouterr().out
    assert f"{EVENTS_JSONL}:{integrity_line}" not in shown
    assert "(1 more changed events not listed; --limit)" in shown
    assert "    --- old" in shown and "    +++ new" in shown


def test_identical_rulesets_change_nothing(rulesets, capsys) -> None:
    old, new = rulesets
    assert main(["diff", old, old, str(EVENTS_JSONL), "--exit-code"]) == 0
    out = capsys.readouterr().out
    count = len(example_events())
    assert f"{count} events compared: 0 changed, {count} unchanged" in out
    # A change is information (exit 0) unless asked to gate on it.
    assert main(["diff", old, new, str(EVENTS_JSONL)]) == 0
    assert main(["diff", old, new, str(EVENTS_JSONL), "--exit-code"]) == 1
    capsys.readouterr()


def test_usage_errors_exit_2_and_invalid_rulesets_1(rulesets, tmp_path: Path, capsys) -> None:
    old, new = rulesets
    assert main(["diff", old, new, str(tmp_path / "none.jsonl")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["diff", old]) == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 2\nname: x\n")
    assert main(["diff", old, str(broken), str(EVENTS_JSONL)]) == 1
    assert f"{broken}:1:" in capsys.readouterr().err


def test_python_dash_m_diff(rulesets) -> None:
    old, new = rulesets
    done = subprocess.run([sys.executable, "-m", "rules_engine", "diff", old, new, str(EVENTS_JSONL)],
                          capture_output=True, text=True, cwd=ROOT, timeout=child_python.TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert "events compared:" in done.stdout and "\033[" not in done.stdout
