"""Measure rules-engine against its anchors on real sentry-sdk events; write a report and a plot.

    python3 benchmarks/run.py                 # full run (2-3 minutes)
    python3 benchmarks/run.py --quick         # fewer repeats and points (~30 s)
    python3 benchmarks/run.py --tiny --out /tmp/results.md --plot /tmp/scaling.png   # smoke run
    python3 -m pyperf stats benchmarks/results.json                                  # every sample

Contenders (see benchmarks/contenders.py): the default ruleset, a filters+grouping-only
ruleset, a bare recursive walk (the floor), copy.deepcopy, sentry-sdk's EventScrubber (default
and recursive), a hand-written before_send, and Relay's pii_strip_event. Each is timed on the
same corpus (tests/corpus) with a fresh copy per call, and its output is searched for the
planted secrets. Then: cost versus event size and versus rule count, and the whole
capture_exception round trip with and without the default ruleset.

Timing is pyperf's (see benchmarks/timing.py): every measurement is a pyperf benchmark, and the
whole run is saved as a pyperf suite next to the report (results.json beside results.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import contenders as contenders_module  # noqa: E402
from benchmarks import report, scaling  # noqa: E402
from benchmarks.contenders import Contender  # noqa: E402
from benchmarks.timing import Measurement, Timing, interleaved, suite_of  # noqa: E402


@dataclass(frozen=True)
class Mode:
    name: str
    #: samples per contender on the corpus, and the CPU seconds each sample lasts at least
    repeats: int
    min_seconds: float
    #: the same for each point of the scaling curves (they show a trend, not a headline ratio)
    curve_repeats: int
    curve_min_seconds: float
    sizes_kb: tuple[int, ...]
    rule_counts: tuple[int, ...]
    capture_repeats: int
    capture_number: int


MODES = {
    "full": Mode(
        "full",
        repeats=7,
        min_seconds=0.1,
        curve_repeats=5,
        curve_min_seconds=0.1,
        sizes_kb=(1, 4, 16, 64, 256, 1024),
        rule_counts=(10, 30, 100, 300, 1000),
        capture_repeats=7,
        capture_number=200,
    ),
    "quick": Mode(
        "quick",
        repeats=5,
        min_seconds=0.05,
        curve_repeats=3,
        curve_min_seconds=0.05,
        sizes_kb=(1, 16, 256, 1024),
        rule_counts=(10, 100, 1000),
        capture_repeats=5,
        capture_number=50,
    ),
    "tiny": Mode(
        "tiny",
        repeats=2,
        min_seconds=0.001,
        curve_repeats=2,
        curve_min_seconds=0.001,
        sizes_kb=(1, 8),
        rule_counts=(10, 20),
        capture_repeats=2,
        capture_number=3,
    ),
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


def leak_metadata(result: report.ContenderResult) -> dict[str, int | str]:
    """The leak accounting of a contender, carried into its pyperf benchmark's metadata."""
    described = {"description": result.description} if result.description else {}
    return {
        **described,
        "leaked_secrets": result.leaks,
        "planted_secrets": result.secrets,
        "kept_values": result.kept,
        "useful_values": result.keep_total,
        "dropped_events": result.dropped,
    }


def measure_contenders(contenders: list[Contender], corpus, mode: Mode) -> list[report.ContenderResult]:
    results = [leak_check(contender, corpus) for contender in contenders]
    timed = [(result, contender) for result, contender in zip(results, contenders) if contender.available]
    measurements = [
        Measurement(
            f"corpus/{contender.name}",
            contender.run,
            contender.prepare,
            corpus.events,
            min_seconds=mode.min_seconds,
            metadata=leak_metadata(result),
        )
        for result, contender in timed
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
        # The wrapper lives in a scratch directory: extending a file outside it needs the opt-in.
        roots = [os.environ.get("RULES_ENGINE_EXTENDS_ROOTS"), str(source.parent)]
        os.environ["RULES_ENGINE_EXTENDS_ROOTS"] = os.pathsep.join(root for root in roots if root)
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
    sized = scaling.sized_events(corpus.events, list(mode.sizes_kb))
    for target_kb, (size, event) in zip(mode.sizes_kb, sized):
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
            Measurement(
                f"event-size/{target_kb}KB/{name}",
                by_name[name].run,
                by_name[name].prepare,
                [event],
                min_seconds=mode.curve_min_seconds,
                metadata={"event_bytes": size},
            )
            for name in runnable
        ]
        for name, timing in zip(runnable, interleaved(measurements, mode.curve_repeats)):
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
        Measurement(
            f"rule-count/{point.rules}",
            contender.run,
            contender.prepare,
            corpus.events,
            min_seconds=mode.curve_min_seconds,
        )
        for point, contender in loaded
    ]
    for (point, _), timing in zip(loaded, interleaved(measurements, mode.curve_repeats)):
        point.timing = timing
    return points


def measure_roundtrip(default: Contender, mode: Mode) -> tuple[dict, str]:
    from benchmarks.roundtrip import time_captures

    variants: dict[str, dict] = {"sdk defaults": {}}
    label = "sdk defaults + default ruleset"
    if default.available:
        variants[label] = default.extra["ruleset"].sentry_options()
    timings: dict[str, Timing | None] = dict(
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

    started = time.perf_counter()

    def progress(step: str) -> None:
        print(f"  {time.perf_counter() - started:4.0f} s  {step} ...", file=sys.stderr, flush=True)

    corpus = build_corpus()
    hints = hints_by_event_id(corpus)
    contenders = contenders_module.all_contenders(default_ruleset, hints)
    by_name = {contender.name: contender for contender in contenders}
    progress("contenders on the corpus")
    measured = measure_contenders(contenders, corpus, mode)
    progress("event sizes")
    with tempfile.TemporaryDirectory() as directory:
        by_name[SIZE_RULESET] = unbounded_ruleset(default_ruleset, Path(directory), hints)
        sizes = measure_sizes(by_name, corpus, mode)
    largest = scaling.sized_events(corpus.events, [max(mode.sizes_kb)])[0]
    stock = by_name["default-ruleset"]
    stock_drops_largest = stock.available and stock.output(stock.run(stock.prepare(largest[1])), None) is None
    progress("rule counts")
    rule_counts = measure_rule_counts(corpus, mode, hints)
    progress("capture_exception round trip")
    roundtrip, roundtrip_missing = measure_roundtrip(by_name["default-ruleset"], mode)
    progress("done; writing")
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
    parser.add_argument("--json", type=Path, help="pyperf suite of every sample (default: next to --out, as .json)")
    parser.add_argument("--ruleset", default=str(contenders_module.DEFAULT_RULESET), help="the ruleset to measure")
    args = parser.parse_args(argv)
    mode = MODES["tiny" if args.tiny else "quick" if args.quick else "full"]

    pyperf_json = args.json or args.out.with_suffix(".json")

    results = run(mode, Path(args.ruleset) if not args.ruleset.startswith("builtin:") else args.ruleset)
    command = "python3 benchmarks/run.py" + {"full": "", "quick": " --quick", "tiny": " --tiny"}[mode.name]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.markdown(results, command, _shown(pyperf_json)), encoding="utf-8")
    report.plot(results, args.plot)
    suite_of(results.timings()).dump(str(pyperf_json), compact=False, replace=True)
    print(f"wrote {args.out}, {args.plot} and {pyperf_json}", file=sys.stderr)
    for claim, verdict in report.targets(results):
        print(f"{claim}: {verdict}")
    return 0


def _shown(path: Path) -> str:
    """``path`` as the report should name it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
