"""Time processing functions over events with pyperf, excluding the cost of preparing their input.

Scrubbers change events in place, so every call gets its own fresh copy. A pass over the copies
is timed only after they are all made, so the figures are the processing alone (the cost of
``copy.deepcopy`` is measured separately, as a contender of its own). As with ``timeit``, the
garbage collector is paused while the clock runs: otherwise its scans of the waiting copies
would be charged to whichever contender happened to trigger them.

The clock is the CPU time of the measuring thread (:func:`time.thread_time`), not the wall
clock. Every contender runs synchronously in the calling thread, so on an idle machine the two
agree; on a shared one the wall clock also counts the time the process waits for a core, which
no number of repeats filters out when the load is steady (with two cores and a few busy
neighbours, the best of 7 wall-clock samples came out 30-45% high and the median/best spread
reached 1.5-2.4x; the thread's CPU time stayed within a few percent of quiet-machine figures,
spread 1.05-1.2x).

Every measurement becomes a :class:`pyperf.Benchmark` with one run: the loop-calibration passes
are its warmups, the samples its values, and pyperf's ``loops`` / ``inner_loops`` metadata are
the copies of each event and the events per pass, so values read as seconds per event. Saved
together as a :class:`pyperf.BenchmarkSuite`, they can be read with ``python3 -m pyperf stats``,
``hist``, ``show --metadata`` or compared across runs with ``python3 -m pyperf compare_to``.

Why the samples are taken here rather than by ``pyperf.Runner``: the Runner measures one
function at a time, each in a series of fresh worker processes (20 by default). Every worker
would rebuild the corpus and the contenders (a few seconds), which for ~45 benchmarks, Relay's
slow contender and 1 MB events adds up to far more than minutes; and contenders measured one
after the other each catch different bursts of load on a shared machine, so their ratios drift.
:func:`interleaved` instead takes the samples round-robin, one of every contender per round, in
one process; ratios use each contender's best sample (the least disturbed), the median beside.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyperf


@dataclass(frozen=True)
class Timing:
    """Seconds per event of one pyperf benchmark: the best and the median of its samples."""

    benchmark: pyperf.Benchmark

    @property
    def name(self) -> str:
        return self.benchmark.get_name()

    @property
    def best(self) -> float:
        return min(self.benchmark.get_values())

    @property
    def median(self) -> float:
        return statistics.median(self.benchmark.get_values())


def timing_of(
    name: str,
    values: list[float],
    *,
    loops: int,
    inner_loops: int = 1,
    warmups: Iterable[tuple[int, float]] = (),
    metadata: dict[str, Any] | None = None,
) -> Timing:
    """A one-run pyperf benchmark from samples in seconds per call (or per event)."""
    run = pyperf.Run(
        values,
        warmups=list(warmups) or None,
        metadata={
            "name": name,
            "unit": "second",
            "timer": CLOCK_DESCRIPTION,
            "loops": loops,
            "inner_loops": inner_loops,
            **(metadata or {}),
        },
    )
    return Timing(pyperf.Benchmark([run]))


#: What the samples are measured with (see the module's docstring), recorded in pyperf's metadata.
CLOCK = time.thread_time
CLOCK_DESCRIPTION = "time.thread_time(): CPU time of the measuring thread"


def seconds_per_call(call: Callable[[Any], Any], items: Sequence[Any]) -> float:
    """Call ``call`` on each item in turn, with the collector paused; CPU seconds per call."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        start = CLOCK()
        for item in items:
            call(item)
        elapsed = CLOCK() - start
    finally:
        if collecting:
            gc.enable()
    return elapsed / len(items)


class Measurement:
    """One contender on one set of events, calibrated so a sample lasts at least ``min_seconds``."""

    def __init__(
        self,
        name: str,
        run: Callable[[Any], Any],
        prepare: Callable[[dict], Any],
        events: list[dict],
        *,
        min_seconds: float,
        max_loops: int = 1_000,
        metadata: dict[str, Any] | None = None,
    ):
        self.name = name
        self.metadata = metadata or {}
        self._run, self._prepare, self._events = run, prepare, events
        self.loops = 1
        self.warmups: list[tuple[int, float]] = []
        self.values: list[float] = []
        self._calibrate(min_seconds, max_loops)

    def _timed_pass(self) -> float:
        """Seconds per event over ``loops`` fresh copies of every event (copies made beforehand)."""
        batch = [self._prepare(event) for _ in range(self.loops) for event in self._events]
        return seconds_per_call(self._run, batch)  # the batch is freed on return, untimed

    def _calibrate(self, min_seconds: float, max_loops: int) -> None:
        """Raise the copies per event until a pass lasts ``min_seconds``; the passes on the way
        are kept as pyperf warmups.

        Each step extrapolates from the last pass with a 10% margin, so a pass usually reaches the
        target at the second try without overshooting it much (every sample costs that long)."""
        while True:
            per_event = self._timed_pass()
            self.warmups.append((self.loops, per_event))
            elapsed = per_event * self.loops * len(self._events)
            if elapsed >= min_seconds or self.loops >= max_loops:
                return
            wanted = math.ceil(self.loops * 1.1 * min_seconds / max(elapsed, 1e-9))
            self.loops = min(max_loops, max(self.loops + 1, wanted))

    def sample(self) -> None:
        self.values.append(self._timed_pass())

    def timing(self) -> Timing:
        return timing_of(
            self.name,
            self.values,
            loops=self.loops,
            inner_loops=len(self._events),
            warmups=self.warmups,
            metadata=self.metadata,
        )


def interleaved(measurements: list[Measurement], repeats: int) -> list[Timing]:
    """``repeats`` samples of every measurement, taken round-robin so load bursts hit all alike."""
    for _ in range(repeats):
        for measurement in measurements:
            measurement.sample()
    return [measurement.timing() for measurement in measurements]


def suite_of(timings: Iterable[Timing]) -> pyperf.BenchmarkSuite:
    return pyperf.BenchmarkSuite([timing.benchmark for timing in timings])
