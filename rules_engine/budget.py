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

The budget's :func:`clock` leaves out the garbage collector's pauses. A full collection walks every
object of the process, so its length is set by the application's heap, not by the event: in a large
process a collection that happens to run during a hook takes hundreds of milliseconds, and an
event over budget for that reason would be lost for nothing. Every other pause still counts (the
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
    """How long the garbage collector has run in this process, in all (a ``gc.callbacks`` entry:
    a collection holds the GIL from its start to its stop, so the two calls always pair up)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started: float | None = None

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.total += time.perf_counter() - self._started
            self._started = None


_collector_pauses = _CollectorPauses()
gc.callbacks.append(_collector_pauses)


def clock() -> float:
    """Seconds on the budget's clock: ``time.perf_counter()`` without the collector's pauses."""
    return time.perf_counter() - _collector_pauses.total


def start(max_ms: float) -> Token:
    """Start the budget of one event; give the token to :func:`end`."""
    return _deadline.set(clock() + max_ms / 1000.0)


def end(token: Token) -> None:
    _deadline.reset(token)


def deadline() -> float:
    """When the current event's budget runs out (:func:`clock` time; infinite outside one)."""
    return _deadline.get()


def check() -> None:
    """Raise :class:`OverBudget` when the current event's budget has run out."""
    if clock() > _deadline.get():
        raise OverBudget("processing the event took longer than limits.max_ms")
