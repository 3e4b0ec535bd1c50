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
"""

from __future__ import annotations

import math
import time
from contextvars import ContextVar, Token

_deadline: ContextVar[float] = ContextVar("rules_engine_deadline", default=math.inf)


#: How many items of a loop whose length the event sets (frames, exceptions) run between checks:
#: a check costs about 0.1 µs, an item a matcher call or more.
CHECK_EVERY = 32


class OverBudget(RuntimeError):
    """An event took longer than ``limits.max_ms`` to process."""


def start(max_ms: float) -> Token:
    """Start the budget of one event; give the token to :func:`end`."""
    return _deadline.set(time.perf_counter() + max_ms / 1000.0)


def end(token: Token) -> None:
    _deadline.reset(token)


def deadline() -> float:
    """When the current event's budget runs out (``perf_counter`` time; infinite outside one)."""
    return _deadline.get()


def check() -> None:
    """Raise :class:`OverBudget` when the current event's budget has run out."""
    if time.perf_counter() > _deadline.get():
        raise OverBudget("processing the event took longer than limits.max_ms")
