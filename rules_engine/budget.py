"""The time budget of one event (``options.limits.max_ms``).

The runtime starts it when an event enters the pipeline; every step whose work grows with the
event or the ruleset checks it in its loops: the filter and grouping rules, the exceptions and
frames a condition tries (:data:`CHECK_EVERY` at a time), JMESPath conditions (at every node they
visit), the parts of a template and the placeholders a fingerprint's parameterizing finds, the
step before the scrub, the end of the scrubber's walk (bounded by ``max_nodes``), its exact pass,
the log-template analysis and the copying of subclass containers. An event over budget fails
closed (``on_error``), like a scrub failure, and counts under ``internal_errors["max_ms"]``.

The deadline lives in a context variable, so concurrent events in threads or tasks each have
their own, and code run outside a hook (``explain`` without limits, tests) has none.

The budget's :func:`clock` leaves out the garbage collector's pauses while an event is in a hook.
A full collection walks every object of the process, so its length is set by the application's
heap, not by the event: in a large process a collection that happens to run during a hook takes
hundreds of milliseconds, and an event over budget for that reason would be lost for nothing. Every other pause still counts (the
thread waiting for the GIL or for a core).
"""

from __future__ import annotations

import gc
import math
import time
from contextvars import ContextVar, Token

_deadline: ContextVar[float] = ContextVar("rules_engine_deadline", default=math.inf)


#: How many items of a loop whose length the event sets (frames, exceptions) run between checks:
#: a check costs about 0.1 µs, an item a matcher call or more.
CHECK_EVERY = 32


class OverBudget(RuntimeError):
    """An event took longer than ``limits.max_ms`` to process."""


class _CollectorPauses:
    """How long the garbage collector has run while an event was in a hook, in all.

    It is a ``gc.callbacks`` entry only while some event's budget runs (:meth:`watch`,
    :meth:`unwatch`): a callback costs every collection of the process a few microseconds, about
    1% of an allocation-heavy application's time, which nobody should pay between events. A
    collection holds the GIL from its start to its stop, so the two calls pair up; one seen only
    in part (the entry added or removed meanwhile) is not counted.

    Threads watch and unwatch without a lock (list operations are atomic under the GIL): when two
    race, the entry may stay out while an event runs, and its collections then count against its
    budget, as every pause did before; or stay in until the next event ends."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started: float | None = None
        self._watching: list[None] = []  # one item per budget running

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.total += time.perf_counter() - self._started
            self._started = None

    def watch(self) -> None:
        self._watching.append(None)
        if len(self._watching) == 1 and self not in gc.callbacks:
            self._started = None
            gc.callbacks.append(self)

    def unwatch(self) -> None:
        if self._watching:
            self._watching.pop()
        if not self._watching:
            try:
                gc.callbacks.remove(self)
            except ValueError:  # another thread's event removed it already
                pass


_collector_pauses = _CollectorPauses()


def clock() -> float:
    """Seconds on the budget's clock: ``time.perf_counter()`` without the collector's pauses."""
    return time.perf_counter() - _collector_pauses.total


def start(max_ms: float) -> Token:
    """Start the budget of one event; give the token to :func:`end`."""
    _collector_pauses.watch()
    return _deadline.set(clock() + max_ms / 1000.0)


def end(token: Token) -> None:
    _deadline.reset(token)
    _collector_pauses.unwatch()


def deadline() -> float:
    """When the current event's budget runs out (:func:`clock` time; infinite outside one)."""
    return _deadline.get()


def check() -> None:
    """Raise :class:`OverBudget` when the current event's budget has run out."""
    if clock() > _deadline.get():
        raise OverBudget("processing the event took longer than limits.max_ms")
