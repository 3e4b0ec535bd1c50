"""``rules-engine apply``: streamed inputs, processed events out, and the summary, through the real CLI."""

from __future__ import annotations

import copy
import io
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rules_engine import load_ruleset
from rules_engine.cli import main
from rules_engine.cli.event_input import (
    BadInput,
    InputEvent,
    read_json_lines,
    read_stream,
)
from tests import child_python

ROOT = Path(__file__).resolve().parents[2]
EVENTS_DIR = ROOT / "examples" / "events"
EVENTS_JSONL = ROOT / "examples" / "events.jsonl"

RULESET = """\
format: 1
name: api
revision: 3
filters:
  - id: health-checks
    on: [transaction]
    when: {transaction: ["*/health"]}
    drop: true
  - id: http-exceptions
    when: {error.type: "*.HTTPException"}
    drop: true
  - id: never-matches
    when: {logger: nobody.uses.this}
    drop: true
grouping:
  - id: integrity
    when: {error.type: sqlalchemy.exc.IntegrityError}
    fingerprint: [database-error, integrity]
    title: "Database Error: {{ error.value }}"
"""

SAMPLING = """\
format: 1
name: sampled
filters:
  - id: half-of-errors
    when: {level: error}
    sample: 0.5
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def ruleset_path(tmp_path: Path) -> str:
    return str(write(tmp_path, "api.yaml", RULESET))


def example_events() -> list[dict]:
    return [json.loads(line) for line in EVENTS_JSONL.read_text().splitlines() if line.strip()]


def main_exception_type(event: dict) -> str | None:
    values = (event.get("exception") or {}).get("values") or []
    return values[-1].get("type") if values else None


def expected_outcomes() -> dict[str, int]:
    """What RULESET does to the sample events, worked out from the events themselves."""
    events = example_events()
    health = sum(e.get("type") == "transaction" and e.get("transaction", "").endswith("/health") for e in events)
    http = sum(main_exception_type(e) == "HTTPException" for e in events)
    integrity = sum(
        any(v.get("module") == "sqlalchemy.exc" and v.get("type") == "IntegrityError"
            for v in (e.get("exception") or {}).get("values", [])) for e in events)
    return {"events": len(events), "health": health, "http": http, "integrity": integrity}


def test_summary_only_shows_what_was_dropped_and_regrouped(ruleset_path: str, capsys: pytest.CaptureFixture) -> None:
    expected = expected_outcomes()
    assert expected["health"] >= 1 and expected["http"] >= 1 and expected["integrity"] >= 1
    assert main(["apply", ruleset_path, str(EVENTS_JSONL), "--summary-only"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    dropped = expected["health"] + expected["http"]
    assert f"{expected['events']} events in" in out
    assert f": {expected['events'] - dropped} kept, {dropped} dropped, 0 sampled out" in out
    assert f"Dropped: {dropped} events" in out
    assert re.search(rf"^\s+{expected['health']}\s+health-checks\s+e\.g\. /health$", out, re.M)
    assert re.search(rf"^\s+{expected['http']}\s+http-exceptions\s+e\.g\. HTTPException: ", out, re.M)
    assert re.search(rf"^\s+{expected['integrity']}\s+integrity$", out, re.M)
    assert re.search(rf"^\s+{expected['integrity']}\s+database-error, integrity$", out, re.M)
    assert "Database Error: (sqlite3.IntegrityError)" in out
    assert "Rules that never fired (1): never-matches" in out
    assert captured.err == ""  # no progress bar when stderr is not a terminal


def test_events_go_to_stdout_exactly_as_the_hooks_return_them(ruleset_path: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["apply", ruleset_path, str(EVENTS_JSONL)]) == 0
    captured = capsys.readouterr()
    written = [json.loads(line) for line in captured.out.splitlines()]
    ruleset = load_ruleset(ruleset_path)
    hooked = [ruleset.before_send(copy.deepcopy(e), {}) for e in example_events()]
    assert written == [e for e in hooked if e is not None]
    assert "rules-engine apply: ruleset api@3" in captured.err  # the summary moves to stderr


def test_output_file_and_summary_on_stdout(ruleset_path: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out_file = tmp_path / "processed.jsonl"
    assert main(["apply", ruleset_path, str(EVENTS_JSONL), "-o", str(out_file)]) == 0
    captured = capsys.readouterr()
    assert "Dropped:" in captured.out and captured.err == ""
    written = [json.loads(line) for line in out_file.read_text().splitlines()]
    expected = expected_outcomes()
    assert len(written) == expected["events"] - expected["health"] - expected["http"]
    assert all(e["tags"]["ruleset"] == "api@3" for e in written)
    assert not any(main_exception_type(e) == "HTTPException" for e in written)


def test_directories_json_lists_and_jsonl_give_the_same_results(ruleset_path: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture) -> None:
    def summary_of(*sources: str) -> dict:
        assert main(["apply", ruleset_path, *sources, "--summary-only", "--format", "json"]) == 0
        return json.loads(capsys.readouterr().out)

    from_jsonl = summary_of(str(EVENTS_JSONL))
    from_dir = summary_of(str(EVENTS_DIR))
    as_list = tmp_path / "export.json"
    as_list.write_text(json.dumps(example_events(), indent=2))
    from_list = summary_of(str(as_list))
    assert from_jsonl == from_dir == from_list
    assert from_jsonl["events_in"] == expected_outcomes()["events"]
    assert from_jsonl["dropped_by_rule"] == {"health-checks": 1, "http-exceptions": 1}
    assert from_jsonl["never_fired"] == ["never-matches"]


def test_unreadable_entries_are_reported_and_the_rest_processed(ruleset_path: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    lines = EVENTS_JSONL.read_text().splitlines()
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("\n".join([lines[0], '{"event_id": "cut short', "[1, 2]", *lines[1:]]) + "\n")
    assert main(["apply", ruleset_path, str(damaged), "--summary-only"]) == 1
    captured = capsys.readouterr()
    assert f"{damaged}:2: invalid JSON" in captured.err
    assert f"{damaged}:3: expected an event (a JSON object), got a list" in captured.err
    assert f"{len(lines)} events in" in captured.out and "2 unreadable" in captured.out


def test_checkins_pass_through_untouched(ruleset_path: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    checkin = {"type": "check_in", "check_in_id": "abc", "monitor_slug": "nightly", "status": "ok"}
    source = tmp_path / "checkin.json"
    source.write_text(json.dumps(checkin))
    assert main(["apply", ruleset_path, str(source)]) == 0
    assert json.loads(capsys.readouterr().out) == checkin


def test_sampling_is_reproducible_per_seed(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ruleset = str(write(tmp_path, "sampled.yaml", SAMPLING))
    errors = sum(e.get("level") == "error" for e in example_events())

    def run(seed: int) -> tuple[str, dict]:
        assert main(["apply", ruleset, str(EVENTS_JSONL), "--seed", str(seed), "-o", str(tmp_path / "o.jsonl"),
                     "--format", "json"]) == 0
        return (tmp_path / "o.jsonl").read_text(), json.loads(capsys.readouterr().out)

    first, summary = run(1)
    again, _ = run(1)
    assert first == again
    sampled = summary["sampled_out"]
    assert summary["sampled_out_by_rule"] == ({"half-of-errors": sampled} if sampled else {})
    assert summary["matched_by_rule"]["half-of-errors"] == errors
    assert summary["kept"] == summary["events_in"] - sampled
    outcomes = {run(seed)[1]["sampled_out"] for seed in range(8)}
    assert len(outcomes) > 1  # the seed changes the draws


def test_usage_errors(ruleset_path: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["apply", ruleset_path, str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["apply", ruleset_path, "-", "-"]) == 2
    bad = write(tmp_path, "bad.yaml", "format: 1\nname: x\nfilters: [{id: a, sample: 2}]\n")
    assert main(["apply", str(bad), str(EVENTS_JSONL)]) == 1
    assert f"{bad}:3:" in capsys.readouterr().err


def test_stdin_through_python_dash_m(ruleset_path: str) -> None:
    done = subprocess.run([sys.executable, "-m", "rules_engine", "apply", ruleset_path, "-"],
                          input=EVENTS_JSONL.read_text(), capture_output=True, text=True, cwd=ROOT,
                          timeout=child_python.TIMEOUT)
    assert done.returncode == 0, done.stderr
    expected = expected_outcomes()
    assert len(done.stdout.splitlines()) == expected["events"] - expected["health"] - expected["http"]
    assert "Dropped: 2 events" in done.stderr


# ---------------------------------------------------------------------------- streaming


class CountingStream(io.StringIO):
    """A text stream that records how much has been read from it."""

    def __init__(self, text: str):
        super().__init__(text)
        self.chars_read = 0

    def read(self, size: int | None = -1) -> str:
        chunk = super().read(size)
        self.chars_read += len(chunk)
        return chunk

    def __next__(self) -> str:
        line = super().__next__()
        self.chars_read += len(line)
        return line


def big_export(megabytes: float) -> list[dict]:
    """Copies of the smallest sample event adding up to about ``megabytes`` of JSON."""
    template = min(example_events(), key=lambda e: len(json.dumps(e)))
    count = int(megabytes * 1_000_000 / len(json.dumps(template))) + 1
    return [{**template, "event_id": f"{n:032x}"} for n in range(count)]


@pytest.mark.parametrize("shape", ["list", "pretty", "jsonl"])
def test_inputs_are_read_one_event_at_a_time(shape: str) -> None:
    events = big_export(3)  # many read buffers long
    if shape == "list":
        text = json.dumps(events)
    elif shape == "pretty":
        text = "\n".join(json.dumps(e, indent=2) for e in events)
    else:
        text = "\n".join(json.dumps(e) for e in events) + "\n"
    stream = CountingStream(text)
    reader = read_json_lines(stream, "x") if shape == "jsonl" else read_stream(stream, "x")
    first = next(reader)
    assert isinstance(first, InputEvent) and first.event == events[0]
    assert stream.chars_read < len(text) / 20  # the rest of the export has not been read
    rest = list(reader)
    assert [e.event["event_id"] for e in rest] == [e["event_id"] for e in events[1:]]
    assert stream.chars_read == len(text)


def test_the_stream_reader_keeps_line_numbers_and_stops_at_broken_json() -> None:
    text = '{"a": 1}\n\n{"b":\n 2}\n{"c": oops}\n{"d": 4}\n'
    entries = list(read_stream(io.StringIO(text), "in"))
    assert [type(e) for e in entries] == [InputEvent, InputEvent, BadInput]
    assert [e.where for e in entries[:2]] == ["in:1", "in:3"]
    assert entries[2].where == "in:5" and "the rest of the input is skipped" in entries[2].message


def test_on_a_terminal_the_summary_is_coloured_and_no_events_are_printed(ruleset_path: str) -> None:
    import os
    import pty

    primary, secondary = pty.openpty()
    try:
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        done = subprocess.run([sys.executable, "-m", "rules_engine", "apply", ruleset_path, str(EVENTS_JSONL)],
                              stdout=secondary, stderr=secondary, cwd=ROOT, timeout=child_python.TIMEOUT, env=env)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closed once the child exited
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
    text = b"".join(chunks).decode()
    assert done.returncode == 0
    assert "\033[1mDropped: 2 events\033[0m" in text
    assert '"event_id"' not in text  # the processed events were not dumped on the terminal
