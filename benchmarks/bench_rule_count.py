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

Run: ``python3 benchmarks/bench_rule_count.py`` (``--quick`` for fewer repeats; ``--json PATH``
saves every sample as a pyperf suite). Timing is pyperf's, as in ``benchmarks/run.py`` (see
``benchmarks/timing.py``). The ratios are measured in the same run; compare them, not the absolute
times, across machines.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import sqlalchemy as sa  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sentry_sdk.integrations.fastapi import FastApiIntegration  # noqa: E402
from sentry_sdk.integrations.starlette import StarletteIntegration  # noqa: E402

from benchmarks.timing import (  # noqa: E402
    CLOCK,
    Measurement,
    Timing,
    interleaved,
    suite_of,
    timing_of,
)
from rules_engine.conditions.event_view import EventView
from rules_engine.runtime.reloading import load_ruleset
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.testing.capture import capture_events

try:
    from rules_engine.load.loader import load_model_from_text
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

    from rules_engine.model import models

    return Ruleset.from_model(models.RulesetSpec.model_validate(YAML(typ="safe").load(text)))


def filters_and_grouping(ruleset: Ruleset, event: dict, hint: dict):
    """One event through filters + grouping, as the hooks run them: a fresh event view, the
    filter phase, the grouping phase (actions applied). Scrubbing has its own benchmarks.

    The returned function takes the event to work on; the actions are idempotent, so every call
    can share one copy (see :func:`shared_copy`)."""
    assert ruleset.before_send(copy.deepcopy(event), hint) is not None

    def run(work: dict) -> None:
        view = EventView(work, hint, "error")
        ruleset._filter(view, "error")
        ruleset._group(view, "error", work)

    return run


def per_event_timings(runs: dict, event: dict, min_seconds: float, repeat: int) -> dict[tuple[str, int], Timing]:
    """Each run timed on ``event``; the runs are sampled round-robin so machine noise hits all alike."""
    work = copy.deepcopy(event)

    def shared_copy(_: dict) -> dict:
        return work

    measurements = [
        Measurement(
            f"filters-grouping/{kind}/{count}-rules",
            run,
            shared_copy,
            [event],
            min_seconds=min_seconds,
            max_loops=100_000,  # no copies are made, so long passes cost no memory
        )
        for (kind, count), run in runs.items()
    ]
    return dict(zip(runs, interleaved(measurements, repeat)))


def load_compile_timings(text: str, repeat: int) -> dict[str, Timing]:
    """Seconds for: load_ruleset(path) end to end, the file load + validation alone
    (``loader.load_model``) and the compile alone (``Ruleset.from_loaded``), one sample per repeat."""
    from rules_engine.load.loader import load_model

    samples: dict[str, list[float]] = {"total": [], "load": [], "compile": []}
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "rules.yaml")
        with open(path, "w") as handle:
            handle.write(text)
        for _ in range(repeat):
            start = CLOCK()
            load_ruleset(path)
            samples["total"].append(CLOCK() - start)
            start = CLOCK()
            loaded = load_model(path)
            samples["load"].append(CLOCK() - start)
            start = CLOCK()
            Ruleset.from_loaded(loaded)
            samples["compile"].append(CLOCK() - start)
    return {part: timing_of(f"load-1000-rules/{part}", values, loops=1) for part, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", type=Path, help="save every sample as a pyperf suite")
    args = parser.parse_args(argv)
    min_seconds, repeat = (0.02, 3) if args.quick else (0.1, 7)

    event, hint = real_error_event()
    runs = {("empty ruleset", 0): filters_and_grouping(compile_text("format: 1\nname: empty\n"), event, hint)}
    for kind in ("indexed", "unindexed"):
        for count in (10, 1000):
            runs[kind, count] = filters_and_grouping(compile_text(ruleset_yaml(count, kind)), event, hint)
    results = per_event_timings(runs, event, min_seconds, repeat)
    print(
        f"event: {event['exception']['values'][-1]['type']} with "
        f"{len(event['exception']['values'])} chained exceptions; best of {repeat} interleaved samples"
    )
    for (kind, count), timing in results.items():
        print(f"{count:5d} rules ({kind:13s})          {timing.best * 1e6:8.2f} us/event")
    for kind in ("indexed", "unindexed"):
        ratio = results[kind, 1000].best / results[kind, 10].best
        print(f"ratio 1000/10 ({kind}):           {ratio:8.2f}x")
    loading = load_compile_timings(ruleset_yaml(1000, "indexed"), repeat=3 if args.quick else 5)
    print(f"load_ruleset() of 1,000 rules:      {loading['total'].best * 1000:8.1f} ms")
    print(f"  of which YAML load + validation:  {loading['load'].best * 1000:8.1f} ms")
    print(f"  of which compile:                 {loading['compile'].best * 1000:8.1f} ms")
    if args.json:
        suite_of([*results.values(), *loading.values()]).dump(str(args.json), compact=False, replace=True)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
