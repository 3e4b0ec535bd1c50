"""Where a ruleset's time goes on the corpus: cProfile of its hooks, top functions.

python3 benchmarks/profile_ruleset.py [--ruleset rulesets/default.yaml] [--passes 200] [--top 25]
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.contenders import DEFAULT_RULESET, hook_runner  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ruleset", default=str(DEFAULT_RULESET))
    parser.add_argument("--passes", type=int, default=200, help="times the corpus is processed")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    args = parser.parse_args(argv)

    from rules_engine import load_ruleset
    from tests.corpus import build_corpus

    ruleset = load_ruleset(args.ruleset)
    corpus = build_corpus()
    events = corpus.events
    hints = {event["event_id"]: hint for event, hint in zip(events, corpus.hints)}
    run = hook_runner(ruleset.before_send, ruleset.before_send_transaction, hints)
    batch = [copy.deepcopy(event) for _ in range(args.passes) for event in events]
    # The collector is paused as in the benchmark: with the whole batch of copies alive, its scans
    # would be charged to whichever function happens to allocate when one is due.
    gc.collect()
    gc.disable()
    profiler = cProfile.Profile()
    profiler.enable()
    for event in batch:
        run(event)
    profiler.disable()
    gc.enable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats(args.sort)
    print(f"{len(batch)} events ({args.passes} passes over {len(events)}), sorted by {args.sort}")
    stats.print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
