"""Per-event cost of filters + grouping with 10 vs 1,000 rules, and load+compile of 1,000 rules.

Rules are indexed by the literal ``error.type`` / ``transaction`` / ``logger`` they require, so
an event only pays for the rules that could match it. This benchmark measures that on a
typical real error event: a SQLAlchemy ``OperationalError`` raised inside a FastAPI route and
captured by a real sentry-sdk client (exception chain, frames, request, breadcrumbs).

Rulesets (same shape at both sizes, generated):

* ``indexed``: every rule requires a literal error type, transaction or logger (the way most
  rules are written: one rule per known error / route / logger), and the same 4 rules with
  globs in both sizes (always evaluated) and one grouping rule that matches the event;
* ``unindexed`` (worst case): every rule tests only ``error.value`` globs, so none can be
  skipped by the index.

Run: ``python3 benchmarks/bench_rule_count.py`` (``--quick`` for fewer repeats). The ratios
are measured in the same run; compare them, not the absolute times, across machines.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sqlalchemy as sa  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sentry_sdk.integrations.fastapi import FastApiIntegration  # noqa: E402
from sentry_sdk.integrations.starlette import StarletteIntegration  # noqa: E402

from rules_engine.capture import capture_events  # noqa: E402
from rules_engine.event_view import EventView  # noqa: E402
from rules_engine.runtime import Ruleset, load_ruleset  # noqa: E402

try:
    from rules_engine.loader import load_model_from_text
except ImportError:  # pragma: no cover - the loader is part of the package
    load_model_from_text = None


def real_error_event() -> tuple[dict, dict]:
    """A SQLAlchemy error from a FastAPI route, as sentry-sdk hands it to before_send."""
    captured: list[tuple[dict, dict]] = []

    def keep(event, hint):
        captured.append((copy.deepcopy(event), dict(hint)))
        return None

    app = FastAPI()
    engine = sa.create_engine("sqlite://")

    @app.get("/orders/{order_id}")
    def order(order_id: int):
        import logging

        logging.getLogger("shop.orders").info("loading order %s", order_id)
        with engine.connect() as connection:
            connection.execute(sa.text(f"SELECT * FROM orders WHERE id = {order_id}"))

    with capture_events(integrations=[StarletteIntegration(), FastApiIntegration()], before_send=keep):
        TestClient(app, raise_server_exceptions=False).get("/orders/7", headers={"X-Request-Id": "abc"})
    errors = [c for c in captured if "exception" in c[0]]
    return errors[0]


def ruleset_yaml(count: int, kind: str) -> str:
    lines = ["format: 1", f"name: bench-{kind}-{count}", "revision: 1", "filters:"]
    filters = count // 2
    grouping = count - filters
    for i in range(filters):
        lines += _rule(i, kind, "drop: true")
    lines.append("grouping:")
    for i in range(grouping - 1):
        lines += _rule(filters + i, kind, "tags: {team: 't%d'}" % i)
    lines += [
        "  - id: db-errors",
        "    when: {error.type: sqlalchemy.exc.OperationalError, error.value: '*no such table*'}",
        "    fingerprint: [database-error, '{{ error.type }}']",
        "    tags: {error_group: database_error}",
    ]
    return "\n".join(lines) + "\n"


#: Positions of the rules written with globs (unindexable); identical at 10 and 1,000 rules.
GLOB_RULES = frozenset({1, 3, 6, 8})


def _rule(i: int, kind: str, action: str) -> list[str]:
    if kind == "unindexed":
        when = "{error.value: '*marker-%d*'}" % i
    elif i in GLOB_RULES:  # the same few glob rules in every size: evaluated for every event
        when = "{error.type: '*Timeout%dError', error.value: '*retry*'}" % i
    else:
        when = [
            "{error.type: app.errors.Error%d}" % i,
            "{transaction: {equals: '/route%d/{id}'}}" % i,
            "{logger: 'svc%d.worker', level: error}" % i,
            "{error.type: [app.errors.A%d, app.errors.B%d], error.value: '*x*'}" % (i, i),
        ][i % 4]
    return [f"  - id: r{i}", f"    when: {when}", f"    {action}"]


def compile_text(text: str) -> Ruleset:
    if load_model_from_text is not None:
        return Ruleset.from_loaded(load_model_from_text(text))
    from ruamel.yaml import YAML

    from rules_engine import models

    return Ruleset.from_model(models.Ruleset.model_validate(YAML(typ="safe").load(text)))


def filters_and_grouping(ruleset: Ruleset, event: dict, hint: dict):
    """One event through filters + grouping, as the hooks run them: a fresh event view, the
    filter phase, the grouping phase (actions applied). Scrubbing has its own benchmarks."""
    work = copy.deepcopy(event)  # the actions are idempotent, so one copy serves every call
    assert ruleset.before_send(copy.deepcopy(event), hint) is not None

    def run() -> None:
        view = EventView(work, hint, "error")
        ruleset._filter(view, "error")
        ruleset._group(view, "error", work)

    return run


def per_event_seconds(runs: dict, number: int, repeat: int) -> dict:
    """Min per-call time of each run; the runs are interleaved so machine noise hits all alike."""
    best = {key: float("inf") for key in runs}
    for _ in range(repeat):
        for key, run in runs.items():
            best[key] = min(best[key], timeit.timeit(run, number=number) / number)
    return best


def load_compile_seconds(text: str, repeat: int) -> tuple[float, float, float]:
    """Min over repeats of: load_ruleset(path) end to end, the file load + validation alone
    (``loader.load_model``) and the compile alone (``Ruleset.from_loaded``)."""
    from rules_engine.loader import load_model

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "rules.yaml")
        with open(path, "w") as handle:
            handle.write(text)
        total = load = compile_ = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            load_ruleset(path)
            total = min(total, time.perf_counter() - start)
            start = time.perf_counter()
            loaded = load_model(path)
            load = min(load, time.perf_counter() - start)
            start = time.perf_counter()
            Ruleset.from_loaded(loaded)
            compile_ = min(compile_, time.perf_counter() - start)
        return total, load, compile_


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    number, repeat = (500, 3) if args.quick else (3000, 7)

    event, hint = real_error_event()
    runs = {("empty ruleset", 0): filters_and_grouping(compile_text("format: 1\nname: empty\n"), event, hint)}
    for kind in ("indexed", "unindexed"):
        for count in (10, 1000):
            runs[kind, count] = filters_and_grouping(compile_text(ruleset_yaml(count, kind)), event, hint)
    results = per_event_seconds(runs, number, repeat)
    print(f"event: {event['exception']['values'][-1]['type']} with "
          f"{len(event['exception']['values'])} chained exceptions; min of {repeat} x {number} calls")
    for (kind, count), seconds in results.items():
        print(f"{count:5d} rules ({kind:13s})          {seconds * 1e6:8.2f} us/event")
    for kind in ("indexed", "unindexed"):
        ratio = results[kind, 1000] / results[kind, 10]
        print(f"ratio 1000/10 ({kind}):           {ratio:8.2f}x")
    total, load, compile_ = load_compile_seconds(ruleset_yaml(1000, "indexed"), repeat=3 if args.quick else 5)
    print(f"load_ruleset() of 1,000 rules:      {total * 1000:8.1f} ms")
    print(f"  of which YAML load + validation:  {load * 1000:8.1f} ms")
    print(f"  of which compile:                 {compile_ * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
