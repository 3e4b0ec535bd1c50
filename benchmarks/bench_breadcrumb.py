"""What a ruleset adds to recording a breadcrumb: ``sentry_sdk.add_breadcrumb`` with and without it.

    python3 benchmarks/bench_breadcrumb.py [--rounds 40] [--calls 2000]
    RULES_ENGINE_ACCELERATOR=off python3 benchmarks/bench_breadcrumb.py   # pure Python

An app records breadcrumbs far more often than it sends events, so their hook is the hot path.
Each contender is a real sentry-sdk client with a capturing transport; the same realistic
breadcrumbs (HTTP calls, queries, log lines, clicks) are recorded through ``add_breadcrumb``:

- ``add_breadcrumb alone``: no ``before_breadcrumb`` (the floor, and the ratios' base);
- ``no-op hook``: a ``before_breadcrumb`` that returns the breadcrumb (what sentry-sdk itself
  spends calling any hook);
- ``default ruleset``: ``rulesets/default.yaml`` installed by ``sentry_options()``;
- ``django ruleset``: ``rulesets/django.yaml``, whose ``on: [breadcrumb]`` filters run per call.

Contenders take turns within every round (so a change in machine load hits them alike), the
clock is the thread's CPU time, and each prints its best and median microseconds per call over
the rounds with the ratio of the best to ``add_breadcrumb alone``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sentry_sdk  # noqa: E402

from rules_engine import load_ruleset  # noqa: E402
from rules_engine.scrub.prefilter import accelerator_choice, accelerators_built  # noqa: E402
from rules_engine.testing.capture import CAPTURE_DSN, CapturingTransport  # noqa: E402

#: Breadcrumbs as integrations record them (the SDK adds the timestamp and type).
CRUMBS: list[dict[str, Any]] = [
    {"type": "http", "category": "httplib",
     "data": {"method": "GET", "url": "https://api.example.com/v1/items", "http.query": "page=2",
              "status_code": 200, "reason": "OK"}},
    {"category": "query", "message": "SELECT id, email FROM users WHERE id = %s",
     "data": {"db.system": "postgresql", "db.params": [42]}},
    {"category": "shop.payments", "level": "info", "message": "charge accepted for order 1234"},
    {"category": "redis", "message": "GET session:9f2c", "data": {"db.operation": "GET"}},
    {"category": "ui.click", "message": "button#checkout"},
]


def clients() -> dict[str, sentry_sdk.Client]:
    base = {"dsn": CAPTURE_DSN, "default_integrations": False, "transport": CapturingTransport()}
    default = load_ruleset(ROOT / "rulesets" / "default.yaml")
    django = load_ruleset(ROOT / "rulesets" / "django.yaml")
    return {
        "add_breadcrumb alone": sentry_sdk.Client(**base),
        "no-op hook": sentry_sdk.Client(**base, before_breadcrumb=lambda crumb, hint: crumb),
        "default ruleset": sentry_sdk.Client(**default.sentry_options(**base)),
        "django ruleset": sentry_sdk.Client(**django.sentry_options(**base)),
    }


def per_call(client: sentry_sdk.Client, calls: int) -> float:
    """Microseconds of thread CPU time per ``add_breadcrumb`` with ``client`` installed."""
    scope = sentry_sdk.get_isolation_scope()
    sentry_sdk.get_global_scope().set_client(client)
    scope.clear_breadcrumbs()
    add: Callable[..., None] = sentry_sdk.add_breadcrumb
    crumbs = CRUMBS * (calls // len(CRUMBS))
    start = time.thread_time()
    for crumb in crumbs:
        add(crumb)
    return (time.thread_time() - start) / len(crumbs) * 1e6


def measure(contenders: dict[str, sentry_sdk.Client], rounds: int, calls: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for name, client in contenders.items():  # warm up: memos, the buffer at its bound
        per_call(client, calls)
    for _ in range(rounds):
        for name, client in contenders.items():
            samples[name].append(per_call(client, calls))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    engine = "Python walk and prefilter" if accelerator_choice(None) == "off" else accelerators_built()
    print(f"sentry-sdk {sentry_sdk.VERSION}, scrubber engine: {engine}")
    previous = sentry_sdk.get_client()
    with sentry_sdk.isolation_scope():
        try:
            samples = measure(clients(), args.rounds, args.calls)
        finally:
            sentry_sdk.get_global_scope().set_client(previous)
    floor = min(samples["add_breadcrumb alone"])
    for name, values in samples.items():
        best = min(values)
        print(f"  {name:22s} best {best:6.2f} us  median {statistics.median(values):6.2f} us  {best / floor:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
