"""The prefilter's anchor scan alone: microseconds per corpus event, in C and in Python.

    python3 benchmarks/bench_scan.py [--rounds 20] [--baseline path/to/_prefilter.so]

The default ruleset scrubs every event of the bundled corpus once while the texts its prefilter
is asked about are recorded (the strings of each event, as the walk collects them). Then the C
``AnchorScanner`` and the ``PythonScanner`` built from the same arguments scan those texts, taking
turns within every round (so a change in machine load hits both alike); the clock is the thread's
CPU time. Printed: the best and median microseconds per event over the rounds, characters per
event, nanoseconds per character of the best, and the ratio of the two scans. ``--baseline``
adds the C scan of another build of ``_prefilter.c`` (say, of an earlier commit), so that a
change is measured against it in the same run.
"""

from __future__ import annotations

import argparse
import copy
import importlib.machinery
import importlib.util
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rules_engine import load_ruleset  # noqa: E402
from rules_engine.scrub import prefilter  # noqa: E402
from tests.corpus import build_corpus  # noqa: E402


def scanned_texts() -> tuple[list[list[str]], tuple]:
    """The texts the default ruleset's prefilter scans per corpus event, and its scanner arguments."""
    ruleset = load_ruleset(str(ROOT / "rulesets" / "default.yaml"))
    scrubber = ruleset._scrubber
    recorded: list[list[str]] = []
    original = prefilter.Prefilter.candidates

    def recording(self, texts):
        recorded.append(list(texts))
        return original(self, texts)

    prefilter.Prefilter.candidates = recording
    try:
        for event in build_corpus().events:
            scrubber.scrub_event(copy.deepcopy(event))
    finally:
        prefilter.Prefilter.candidates = original
    return recorded, scrubber._prefilter.scanner_arguments


def load_build(path: str):
    """The ``AnchorScanner`` of another build of the C module."""
    loader = importlib.machinery.ExtensionFileLoader("rules_engine.scrub._prefilter", path)
    spec = importlib.util.spec_from_file_location("rules_engine.scrub._prefilter", path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module.AnchorScanner


def time_scan(scan, events: list[list[str]]) -> float:
    """CPU seconds for one scan of every event's texts."""
    start = time.thread_time()
    for texts in events:
        scan(texts)
    return time.thread_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--baseline", help="another build of the C module, timed alongside")
    options = parser.parse_args()
    events, arguments = scanned_texts()
    contenders = {"python": prefilter.PythonScanner(*arguments)}
    if prefilter.CAnchorScanner is not None:
        contenders["c"] = prefilter.CAnchorScanner(*arguments)
    if options.baseline:
        contenders["baseline"] = load_build(options.baseline)(*arguments)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(options.rounds):
        for name, scanner in contenders.items():
            times[name].append(time_scan(scanner.scan, events) / len(events) * 1e6)
    strings = sum(map(len, events)) / len(events)
    chars = sum(len(text) for texts in events for text in texts) / len(events)
    print(f"{len(events)} events, {strings:.0f} strings and {chars:.0f} characters per event")
    for name, samples in times.items():
        best = min(samples)
        print(f"{name:>7}: best {best:8.1f} µs/event  median {statistics.median(samples):8.1f}"
              f"  {best * 1000 / chars:6.2f} ns/char")
    for name in ("c", "baseline"):
        if name in times:
            print(f"python / {name}: {min(times['python']) / min(times[name]):.1f}x")
    if "c" in times and "baseline" in times:
        print(f"baseline / c: {min(times['baseline']) / min(times['c']):.1f}x")


if __name__ == "__main__":
    main()
