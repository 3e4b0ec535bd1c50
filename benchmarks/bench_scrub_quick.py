"""Quick scrubber-only timing on the corpus: bare walk vs the default ruleset's scrub section
(hyperscan and pure Python) vs Relay's pii_strip_event. Ratios come from the same run.

    python3 benchmarks/bench_scrub_quick.py [--repeats 100]

Prints the mean per event over the whole corpus, then the same for its smallest, median-sized
and largest event, each with its ratio to the bare walk (the floor: a recursive walk visiting
every node) and Relay's ratio to each scrubber.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.contenders import RELAY_DATASCRUBBING, walk  # noqa: E402
from rules_engine.load.loader import load_model
from rules_engine.scrub import accelerator_available, compile_scrubber
from tests.corpus import build_corpus  # noqa: E402

#: The pure-Python engine and Relay are slow; fewer rounds keep the run short.
SLOW = ("scrub (python)", "relay pii_strip_event")


def timed_batch(run, batch: list) -> float:
    """Microseconds per event to run ``run`` over fresh copies of ``batch``. The copies are made
    outside the timing and frozen out of the collector's sight (``gc.freeze``), so collections
    triggered by what a contender allocates still count, but not the scanning of the copies."""
    copies = [copy.deepcopy(event) for event in batch]
    gc.collect()
    gc.freeze()
    try:
        start = time.perf_counter()
        for event in copies:
            run(event)
        return (time.perf_counter() - start) / len(batch) * 1e6
    finally:
        gc.unfreeze()


def measure(runners: dict, events: list, repeats: int) -> dict[str, float]:
    """Median microseconds per event of each contender. Contenders take turns within every
    round, so a change in machine load affects them alike and the ratios stay fair; slow ones
    run in every tenth round only. A batch holds at least 40 events, so a single event is timed
    warm."""
    batch = events * max(1, 40 // len(events))
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for round_number in range(repeats):
        for name, run in runners.items():
            if name in SLOW and round_number % 10:
                continue
            samples[name].append(timed_batch(run, batch))
    return {name: statistics.median(values) for name, values in samples.items()}


def contenders() -> dict:
    loaded = load_model(ROOT / "rulesets" / "default.yaml")
    found = {"walk": walk}
    engines = ["on", "off"] if accelerator_available() else ["off"]
    for engine in engines:
        scrubber = compile_scrubber(loaded.model.scrub, loaded.model.options, loaded.hash_key, accelerator=engine)
        found[f"scrub ({scrubber.accelerator})"] = scrubber.scrub_event
    try:
        import sentry_relay
    except ImportError:
        return found
    config = sentry_relay.convert_datascrubbing_config(RELAY_DATASCRUBBING)
    found["relay pii_strip_event"] = lambda event: sentry_relay.pii_strip_event(config, event)
    return found


def report(title: str, events: list, runners: dict, repeats: int) -> None:
    size = statistics.mean(len(json.dumps(event)) for event in events) / 1024
    print(f"\n{title}: {len(events)} event(s), mean {size:.1f} KB")
    results = measure(runners, events, repeats)
    base = results["walk"]
    for name, micros in results.items():
        print(f"  {name:24s} {micros:9.1f} us/event   {micros / base:6.2f}x walk")
    relay = results.get("relay pii_strip_event")
    if relay:
        for name, micros in results.items():
            if name.startswith("scrub"):
                print(f"  relay / {name}: {relay / micros:.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=100, help="rounds per report (default 100)")
    args = parser.parse_args()
    events = build_corpus().events
    runners = contenders()
    for event in copy.deepcopy(events):  # warm the per-key and per-selector memos
        for run in runners.values():
            run(copy.deepcopy(event))
    report("corpus", events, runners, args.repeats)
    by_size = sorted(events, key=lambda event: len(json.dumps(event)))
    for title, event in (("smallest", by_size[0]), ("median", by_size[len(by_size) // 2]), ("largest", by_size[-1])):
        report(title, [event], runners, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
