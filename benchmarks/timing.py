"""Time processing functions over events, excluding the cost of preparing their input.

Scrubbers change events in place, so every call gets its own fresh copy. Copies are made by a
``timeit`` setup step before the clock starts, so the figures are the processing alone (the cost
of ``copy.deepcopy`` is measured separately, as a contender of its own).

On a shared machine, load comes in bursts; contenders measured one after the other would each
catch different bursts. :func:`interleaved` therefore takes the repeats round-robin, one sample
of every contender per round, and ratios are taken from the best sample of each (the run least
disturbed), with the median reported beside it.
"""

from __future__ import annotations

import statistics
import timeit
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Timing:
    """Seconds per event: the median and the best of the repeats."""

    median: float
    best: float
    repeats: int
    loops: int


class Measurement:
    """One contender on one set of events, calibrated so a sample lasts at least ``min_seconds``."""

    def __init__(
        self,
        run: Callable[[Any], Any],
        prepare: Callable[[dict], Any],
        events: list[dict],
        *,
        min_seconds: float,
        max_loops: int = 1_000,
    ):
        self.events = events
        self.loops = 1
        self.samples: list[float] = []
        self._batch: list[Any] = []

        def setup() -> None:
            self._batch[:] = [prepare(event) for _ in range(self.loops) for event in events]

        def one_pass() -> None:
            for item in self._batch:
                run(item)

        self._timer = timeit.Timer(one_pass, setup=setup)
        elapsed = self._timer.timeit(number=1)
        while elapsed < min_seconds and self.loops < max_loops:
            self.loops = min(max_loops, max(self.loops * 2, int(self.loops * min_seconds / max(elapsed, 1e-9))))
            elapsed = self._timer.timeit(number=1)
        self._batch.clear()

    def sample(self) -> None:
        seconds = self._timer.timeit(number=1)
        self._batch.clear()  # free the copies between samples
        self.samples.append(seconds / (self.loops * len(self.events)))

    def timing(self) -> Timing:
        return Timing(
            median=statistics.median(self.samples), best=min(self.samples), repeats=len(self.samples), loops=self.loops
        )


def interleaved(measurements: list[Measurement], repeats: int) -> list[Timing]:
    for _ in range(repeats):
        for measurement in measurements:
            measurement.sample()
    return [measurement.timing() for measurement in measurements]


def time_per_event(
    run: Callable[[Any], Any], prepare: Callable[[dict], Any], events: list[dict], *, repeats: int, min_seconds: float
) -> Timing:
    """A single contender timed on its own."""
    return interleaved([Measurement(run, prepare, events, min_seconds=min_seconds)], repeats)[0]
