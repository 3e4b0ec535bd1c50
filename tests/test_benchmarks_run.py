"""The benchmark still runs end to end on a tiny input and reports every contender.

Not a timing test: figures are only checked to be there; the leak accounting is checked to
tell a do-nothing walk (leaks everything) from real scrubbers (leak less).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyperf

from tests import child_python

ROOT = Path(__file__).resolve().parent.parent
ALWAYS_MEASURED = (
    "walk",
    "deepcopy",
    "sdk-event-scrubber",
    "sdk-event-scrubber-recursive",
    "hand-written-hook",
    "relay-pii-strip",
    "relay-pii-strip-core",
)
RULESET_ROWS = ("default-ruleset", "filters-grouping-ruleset")


def _rows(markdown: str) -> dict[str, list[str]]:
    rows = {}
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0] in ALWAYS_MEASURED + RULESET_ROWS:
            rows[cells[0]] = cells[1:]
    return rows


def test_tiny_benchmark_run_writes_the_table_the_plot_and_the_pyperf_suite(tmp_path):
    out, plot = tmp_path / "results.md", tmp_path / "scaling.png"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--tiny", "--out", str(out), "--plot", str(plot)],
        capture_output=True,
        text=True,
        timeout=child_python.TIMEOUT,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    markdown = out.read_text(encoding="utf-8")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for heading in ("## Machine", "## Targets", "## Cost versus event size", "## Cost versus rule count", "round trip"):
        assert heading in markdown
    assert re.search(r"CPU: .+", markdown) and "sentry-sdk" in markdown

    rows = _rows(markdown)
    assert set(rows) == set(ALWAYS_MEASURED + RULESET_ROWS)
    for name in ALWAYS_MEASURED:
        median = rows[name][0].replace(",", "")
        assert float(median) > 0, (name, rows[name])
    for name in RULESET_ROWS:  # measured, or said plainly why not (never a made-up figure)
        assert rows[name][0].startswith("missing:") or float(rows[name][0].replace(",", "")) > 0

    def leaked(name: str) -> tuple[int, int]:
        found, total = rows[name][4].split("/")
        return int(found), int(total)

    walk_leaks, secrets = leaked("walk")
    assert walk_leaks == secrets > 0  # a walk changes nothing: every plant is still there
    assert leaked("sdk-event-scrubber-recursive")[0] < secrets
    assert leaked("hand-written-hook")[0] < leaked("sdk-event-scrubber-recursive")[0]
    assert leaked("relay-pii-strip")[0] < secrets

    suite = pyperf.BenchmarkSuite.load(str(tmp_path / "results.json"))  # written next to --out
    names = set(suite.get_benchmark_names())
    assert {f"corpus/{name}" for name in ALWAYS_MEASURED} <= names
    assert any(name.startswith("event-size/") for name in names)
    assert any(name.startswith("rule-count/") for name in names)
    assert "capture-exception/sdk-defaults" in names
    walk = suite.get_benchmark("corpus/walk")
    assert walk.get_metadata()["leaked_secrets"] == walk_leaks  # the same run as the table
    assert all(value > 0 for value in walk.get_values())
