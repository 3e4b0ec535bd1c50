"""JMESPath conditions with bounded cost.

A JMESPath expression is a program over the event. Two things bound what it may cost:

* **at load**, its size and how many copies of its input it can build: a multi-select
  (``[a, b]``, ``{x: a, y: b}``) of *n* items makes *n* references to what it selects, and
  multi-selects chained or nested multiply (``a.[@,@,@,@][]`` twelve times is 4**12 copies: minutes
  and gigabytes per event). The product of all multi-select widths must stay at most
  :data:`MAX_COPIES`, the expression at most :data:`MAX_LENGTH` characters and
  :data:`MAX_NODES` syntax nodes;
* **per event**, the time budget (``limits.max_ms``), checked at every node the interpreter
  visits: a projection or ``sort_by`` over a huge event is stopped there.
"""

from __future__ import annotations

from typing import Any, Callable

import jmespath
from jmespath import visitor

from .. import budget

MAX_LENGTH = 1000
MAX_NODES = 200
MAX_COPIES = 256
_MULTI_SELECTS = frozenset({"multi_select_list", "multi_select_dict"})


def cost_problem(expression: str) -> str | None:
    """Why a (valid) expression is refused as too costly, or None."""
    if len(expression) > MAX_LENGTH:
        return f"is {len(expression)} characters long (at most {MAX_LENGTH})"
    nodes, copies = 0, 1
    pending = [jmespath.compile(expression).parsed]
    while pending:
        node = pending.pop()
        nodes += 1
        if node["type"] in _MULTI_SELECTS:
            copies *= max(1, len(node["children"]))
        pending.extend(child for child in node["children"] if isinstance(child, dict))
    if nodes > MAX_NODES:
        return f"has {nodes} syntax nodes (at most {MAX_NODES})"
    if copies > MAX_COPIES:
        return (f"can build {copies} copies of what it selects with its multi-selects (at most "
                f"{MAX_COPIES}); select fewer values, or test them in separate conditions")
    return None


class _BudgetedInterpreter(visitor.TreeInterpreter):
    """The standard interpreter, checking the event's time budget every so many nodes."""

    _CHECK_EVERY = 128

    def __init__(self) -> None:
        super().__init__()
        self._visits = 0

    def visit(self, node: dict, *args: Any, **kwargs: Any) -> Any:
        self._visits += 1
        if not self._visits % self._CHECK_EVERY:
            budget.check()
        return super().visit(node, *args, **kwargs)


def compile_search(expression: str) -> Callable[[Any], Any]:
    """``value -> result`` of a (checked) expression, stopped by the event's time budget."""
    parsed = jmespath.compile(expression).parsed
    return lambda value: _BudgetedInterpreter().visit(parsed, value)
