"""Measure rules-engine against its anchors on real sentry-sdk events; write a report and a plot.

    python3 benchmarks/run.py                 # full run (a few minutes)
    python3 benchmarks/run.py --quick         # fewer repeats and points
    python3 benchmarks/run.py --tiny --out /tmp/results.md --plot /tmp/scaling.png   # smoke run

Contenders (see benchmarks/contenders.py): the default ruleset, a filters+grouping-only
ruleset, a bare recursive walk (the floor), copy.deepcopy, sentry-sdk's EventScrubber (default
and recursive), a hand-written before_send, and Relay's pii_strip_event. Each is timed on the
same corpus (tests/corpus) with a fresh copy per call, and its output is searched for the
planted secrets. Then: cost versus event size and versus rule count, and the whole
capture_exception round trip with and without the default ruleset.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import contenders as contenders_module  # noqa: E402
from benchmarks import report, scaling  # noqa: E402
from benchmarks.contenders import Contender  # noqa: E402
from benchmarks.timing import Measurement, interleaved  # noqa: E402


@dataclass(frozen=True)
class Mode:
    name: str
    repeats: int
    min_seconds: float
    sizes_kb: tuple[int, ...]
    rule_counts: tuple[int, ...]
    capture_repeats: int
    capture_number: int


MODES = {
    "full": Mode("full", 7, 0.2, (1, 4, 16, 64, 256, 1024), (10, 30, 100, 300, 1000), 7, 200),
    "quick": Mode("quick", 5, 0.05, (1, 16, 256, 1024), (10, 100, 1000), 5, 50),
    "tiny": Mode("tiny", 2, 0.001, (1, 8), (10, 20), 2, 3),
}

#: The default ruleset with its limits raised (see :func:`unbounded_ruleset`), for the size curve.
SIZE_RULESET = "default-ruleset-unbounded"
#: The contenders drawn on the size curves (the others are flat copies or variants of these).
SIZE_CONTENDERS = (SIZE_RULESET, "walk", "sdk-event-scrubber-recursive", "hand-written-hook", "relay-pii-strip")


def outputs_of(contender: Contender, events: list[dict]) -> list[dict | None]:
    """What each event becomes after ``contender`` (``None`` when dropped)."""
    results = []
    for event in events:
        prepared = contender.prepare(event)
        results.append(contender.output(contender.run(prepared), prepared))
    return results


def leak_check(contender: Contender, corpus) -> report.ContenderResult:
    """Run ``contender`` once over the corpus and count what leaked, what was kept, what was dropped."""
    result = report.ContenderResult(contender.name, contender.description, missing=contender.missing)
    result.secrets, result.keep_total = len(corpus.secrets), len(corpus.keep)
    if not contender.available:
        return result
    outputs = outputs_of(contender, corpus.events)
    leaks = corpus.leaks(outputs)
    kept, lost = corpus.kept(outputs)
    result.leaks, result.leaked_kinds = len(leaks), sorted({secret.kind for secret in leaks})
    result.kept, result.keep_total = len(kept), len(kept) + len(lost)
    result.dropped = sum(output is None for output in outputs)
    return result


def measure_contenders(contenders: list[Contender], corpus, mode: Mode) -> list[report.ContenderResult]:
    results = [leak_check(contender, corpus) for contender in contenders]
    timed = [(result, contender) for result, contender in zip(results, contenders) if contender.available]
    measurements = [
        Measurement(contender.run, contender.prepare, corpus.events, min_seconds=mode.min_seconds)
        for _, contender in timed
    ]
    for (result, _), timing in zip(timed, interleaved(measurements, mode.repeats)):
        result.timing = timing
    return results


def unbounded_ruleset(source: Path | str, directory: Path, hints: dict[str, dict]) -> Contender:
    """``source`` extended with limits high enough that no event of the size curve hits them.

    The default limits (``limits.max_ms``: 250) fail closed on the largest events; the size curve
    is about how cost grows, so it measures the same rules with room to finish.
    """
    if not str(source).startswith("builtin:"):
        source = Path(source).resolve()
        if not source.exists():
            return contenders_module.ruleset_contender(SIZE_RULESET, "", source, hints)
    path = directory / "unbounded.yaml"
    path.write_text(
        "format: 1\nname: default-unbounded\nrevision: 1\n"
        f"extends: [{json.dumps(str(source))}]\n"
        "options:\n  limits: {max_ms: 600000, max_nodes: 100000000, max_depth: 10000}\n",
        encoding="utf-8",
    )
    return contenders_module.ruleset_contender(SIZE_RULESET, "", path, hints)


def measure_sizes(by_name: dict[str, Contender], corpus, mode: Mode) -> list[report.SizePoint]:
    points = []
    for size, event in scaling.sized_events(corpus.events, list(mode.sizes_kb)):
        point = report.SizePoint(size, {name: None for name in SIZE_CONTENDERS})
        runnable = []
        for name in SIZE_CONTENDERS:
            contender = by_name[name]
            if not contender.available:
                continue
            prepared = contender.prepare(event)
            if contender.output(contender.run(prepared), prepared) is None:
                point.dropped_by.append(name)  # e.g. a limit was hit: timing a drop would flatter it
                continue
            runnable.append(name)
        measurements = [
            Measurement(by_name[name].run, by_name[name].prepare, [event], min_seconds=mode.min_seconds)
            for name in runnable
        ]
        for name, timing in zip(runnable, interleaved(measurements, mode.repeats)):
            point.per_contender[name] = timing
        points.append(point)
    return points


def measure_rule_counts(corpus, mode: Mode, hints: dict[str, dict]) -> list[report.RuleCountPoint]:
    points = []
    loaded = []
    with tempfile.TemporaryDirectory() as directory:
        for count in mode.rule_counts:
            path = Path(directory) / f"rules-{count}.yaml"
            path.write_text(scaling.generated_ruleset(count), encoding="utf-8")
            contender = contenders_module.ruleset_contender(f"rules-{count}", f"{count} rules", path, hints)
            point = report.RuleCountPoint(count, None, contender.missing)
            points.append(point)
            if contender.available:
                loaded.append((point, contender))
    measurements = [
        Measurement(contender.run, contender.prepare, corpus.events, min_seconds=mode.min_seconds)
        for _, contender in loaded
    ]
    for (point, _), timing in zip(loaded, interleaved(measurements, mode.repeats)):
        point.timing = timing
    return points


def measure_roundtrip(default: Contender, mode: Mode) -> tuple[dict, str]:
    from benchmarks.roundtrip import time_captures

    variants: dict[str, dict] = {"sdk defaults": {}}
    label = "sdk defaults + default ruleset"
    if default.available:
        variants[label] = default.extra["ruleset"].sentry_options()
    timings: dict[str, tuple[float, float] | None] = dict(
        time_captures(variants, repeats=mode.capture_repeats, number=mode.capture_number)
    )
    if not default.available:
        timings[label] = None
    return timings, default.missing


def hints_by_event_id(corpus) -> dict[str, dict]:
    """The hints sentry-sdk gave ``before_send`` at capture time (live exceptions), by event id."""
    return {event["event_id"]: hint for event, hint in zip(corpus.events, corpus.hints)}


def run(mode: Mode, default_ruleset: Path | str) -> report.Results:
    from tests.corpus import build_corpus, serialize

    corpus = build_corpus()
    hints = hints_by_event_id(corpus)
    contenders = contenders_module.all_contenders(default_ruleset, hints)
    by_name = {contender.name: contender for contender in contenders}
    print("  contenders on the corpus ...", file=sys.stderr, flush=True)
    measured = measure_contenders(contenders, corpus, mode)
    print("  event sizes ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as directory:
        by_name[SIZE_RULESET] = unbounded_ruleset(default_ruleset, Path(directory), hints)
        sizes = measure_sizes(by_name, corpus, mode)
    largest = scaling.sized_events(corpus.events, [max(mode.sizes_kb)])[0]
    stock = by_name["default-ruleset"]
    stock_drops_largest = stock.available and stock.output(stock.run(stock.prepare(largest[1])), None) is None
    print("  rule counts ...", file=sys.stderr, flush=True)
    rule_counts = measure_rule_counts(corpus, mode, hints)
    print("  capture_exception round trip ...", file=sys.stderr, flush=True)
    roundtrip, roundtrip_missing = measure_roundtrip(by_name["default-ruleset"], mode)
    return report.Results(
        mode=mode.name,
        event_count=len(corpus.events),
        corpus_bytes=len(serialize(corpus.events)),
        contenders=measured,
        sizes=sizes,
        rule_counts=rule_counts,
        roundtrip=roundtrip,
        roundtrip_missing=roundtrip_missing,
        largest_dropped_by_limits=largest[0] if stock_drops_largest else 0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark rules-engine against its anchors on real events.")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="fewer repeats and scaling points")
    size.add_argument("--tiny", action="store_true", help="a smoke run of seconds (CI)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md", help="markdown report")
    parser.add_argument(
        "--plot", type=Path, default=ROOT / "benchmarks" / "scaling.png", help="PNG of the scaling curves"
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON")
    parser.add_argument("--ruleset", default=str(contenders_module.DEFAULT_RULESET), help="the ruleset to measure")
    args = parser.parse_args(argv)
    mode = MODES["tiny" if args.tiny else "quick" if args.quick else "full"]

    results = run(mode, Path(args.ruleset) if not args.ruleset.startswith("builtin:") else args.ruleset)
    command = "python3 benchmarks/run.py" + {"full": "", "quick": " --quick", "tiny": " --tiny"}[mode.name]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.markdown(results, command), encoding="utf-8")
    report.plot(results, args.plot)
    if args.json:
        args.json.write_text(json.dumps(_jsonable(results), indent=2), encoding="utf-8")
    print(f"wrote {args.out} and {args.plot}", file=sys.stderr)
    for claim, verdict in report.targets(results):
        print(f"{claim}: {verdict}")
    return 0


def _jsonable(value):
    import dataclasses

    if dataclasses.is_dataclass(value):
        return {key: _jsonable(item) for key, item in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


if __name__ == "__main__":
    raise SystemExit(main())
