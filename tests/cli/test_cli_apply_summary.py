"""The ``apply`` summary on the secure default ruleset and the bundled events (the README's first command)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

from rules_engine import load_ruleset
from rules_engine.cli import main
from rules_engine.cli.report import area_of, redacted_fields
from tests import child_python

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "rulesets" / "default.yaml"
EVENTS_JSONL = ROOT / "examples" / "events.jsonl"
#: Every secret planted in the bundled events carries this marker (any case).
PLANTED = re.compile(r"qz7", re.IGNORECASE)


def example_events() -> list[dict]:
    return [json.loads(line) for line in EVENTS_JSONL.read_text().splitlines() if line.strip()]


def remarks_per_rule(event: dict) -> dict[str, int]:
    counts: dict[str, int] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "" and isinstance(value, dict):
                    for remark in value.get("rem", []):
                        counts[remark[0]] = counts.get(remark[0], 0) + 1
                else:
                    walk(value)

    walk(event.get("_meta", {}))
    return counts


def test_the_first_command_shows_drops_scrubs_and_grouping_at_a_glance(tmp_path: Path) -> None:
    out_file = tmp_path / "out.jsonl"
    done = subprocess.run([sys.executable, "-m", "rules_engine", "apply", str(DEFAULT), str(EVENTS_JSONL),
                           "-o", str(out_file)], capture_output=True, text=True, cwd=ROOT,
                          timeout=child_python.TIMEOUT)
    assert done.returncode == 0, done.stderr
    summary = done.stdout
    events = example_events()
    health = [e for e in events if e.get("type") == "transaction" and e["transaction"].endswith("/health")]
    assert f"{len(events)} events in" in summary
    assert re.search(rf"^Dropped: {len(health)} events?$", summary, re.M)
    assert re.search(r"^\s+\d+\s+health-checks\s+e\.g\. /health$", summary, re.M)
    assert re.search(r"^Scrubbed: \d+ values in \d+ events$", summary, re.M)
    assert "  where:" in summary and "request headers" in summary
    assert re.search(r"^Regrouped: ", summary, re.M)
    assert "Titles of kept events" in summary and "Rules that never fired" in summary

    written = out_file.read_text()
    assert len(written.splitlines()) == len(events) - len(health)
    assert PLANTED.findall(EVENTS_JSONL.read_text())  # the input really holds the planted secrets
    assert PLANTED.findall(written) == []  # and none of them comes out


def test_the_json_summary_agrees_with_the_hooks_own_statistics(capsys) -> None:
    assert main(["apply", str(DEFAULT), str(EVENTS_JSONL), "--summary-only", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)

    ruleset = load_ruleset(str(DEFAULT))
    outputs = [ruleset.before_send(copy.deepcopy(e), {}) for e in example_events()]
    stats = ruleset.stats()
    assert summary["redactions"] == stats["redactions"]
    assert summary["dropped_by_rule"] == stats["dropped"]
    assert summary["matched_by_rule"] == stats["matched"]
    kept = [o for o in outputs if o is not None]
    assert summary["kept"] == len(kept)
    assert summary["events_scrubbed"] == sum(bool(remarks_per_rule(o)) for o in kept)

    # Every _meta remark is counted once, in the area of the event it was made in.
    per_rule: dict[str, int] = {}
    for output in kept:
        for rule, count in remarks_per_rule(output).items():
            per_rule[rule] = per_rule.get(rule, 0) + count
    assert {rule: sum(areas.values()) for rule, areas in summary["redacted_areas"].items()} == per_rule
    never = set(summary["never_fired"])
    assert not never & set(stats["matched"]) and not never & set(per_rule)


def test_redacted_fields_name_the_place_and_the_rule() -> None:
    frame_var = {"pw": {"": {"rem": [["secret-keys", "s"]]}}}
    event = {"_meta": {
        "request": {"headers": {"authorization": {"": {"rem": [["secret-keys", "s", 0, 10]], "len": 30}}}},
        "exception": {"values": {"0": {"value": {"": {"rem": [["cards", "m", 4, 20], ["emails", "s", 30, 40]]}},
                                       "stacktrace": {"frames": {"3": {"vars": frame_var}}}}}},
    }}
    found = sorted(redacted_fields(event))
    assert found == [
        ("exception.values.*.stacktrace.frames.*.vars.pw", "secret-keys"),
        ("exception.values.*.value", "cards"),
        ("exception.values.*.value", "emails"),
        ("request.headers.authorization", "secret-keys"),
    ]
    assert [area_of(path) for path, _ in found] == [
        "frame variables", "exception messages", "exception messages", "request headers"]
    assert list(redacted_fields({"message": "no meta"})) == []
