"""What long strings of unusual text cost the default ruleset's scrubber, in each engine.

    python3 benchmarks/bench_hostile.py [--rounds 5]

Event text a scrubber never met decides its worst case: a hex dump, a base64 blob, random
printable characters, digits with separators. Each event here holds 50 strings of 2,000
characters of one such kind under ``extra`` (100 KB); each is scrubbed by the C engine, by pure
Python, and walked bare (the floor). A scrubber whose prefilter slows down on such text drops
the event once it passes ``limits.max_ms`` (the time limit is lifted here to measure it).
Prints the best milliseconds per event over the rounds, and microseconds per KB of its text.
"""

from __future__ import annotations

import argparse
import base64
import copy
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.contenders import DEFAULT_RULESET, walk  # noqa: E402
from rules_engine.load.loader import load_model  # noqa: E402
from rules_engine.scrub import accelerator_available, compile_scrubber  # noqa: E402

STRINGS, LENGTH = 50, 2000


def kinds(rng: random.Random) -> dict:
    return {
        "hex": lambda: "".join(rng.choice("0123456789abcdef") for _ in range(LENGTH)),
        "base64": lambda: base64.b64encode(rng.randbytes(LENGTH * 3 // 4)).decode(),
        "digits and separators": lambda: "".join(rng.choice("0123456789 -.:/") for _ in range(LENGTH)),
        "printable": lambda: "".join(chr(rng.randrange(32, 127)) for _ in range(LENGTH)),
        "words": lambda: " ".join(rng.choice(["user", "id", "value", "request", "error", "at", "line"])
                                  for _ in range(LENGTH // 5)),
    }


def best_ms(run, event: dict, rounds: int) -> float:
    run(copy.deepcopy(event))  # warm: what a process that has scrubbed before pays
    best = float("inf")
    for _ in range(rounds):
        fresh = copy.deepcopy(event)
        start = time.perf_counter()
        run(fresh)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    loaded = load_model(DEFAULT_RULESET)
    loaded.model.options.limits.max_ms = 3_600_000.0
    engines = ["on", "off"] if accelerator_available() else ["off"]
    scrubbers = {engine: compile_scrubber(loaded.model.scrub, loaded.model.options, loaded.hash_key,
                                          accelerator=engine) for engine in engines}
    for kind, make in kinds(random.Random(7)).items():
        # a new event per kind (each string new text for the automata, as in a real process)
        event = {"event_id": "0" * 32, "extra": {f"value_{number}": make() for number in range(STRINGS)}}
        kilobytes = STRINGS * LENGTH / 1000
        print(f"{kind} ({STRINGS} x {LENGTH} characters)")
        for name, run in [("walk", walk)] + [(f"scrub ({scrubber.accelerator})", scrubber.scrub_event)
                                             for scrubber in scrubbers.values()]:
            took = best_ms(run, event, args.rounds)
            print(f"  {name:14s} {took:9.2f} ms  {took * 1000 / kilobytes:9.1f} µs/KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
