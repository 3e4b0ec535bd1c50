"""Fail-closed output: what is sent instead of an event that could not be scrubbed (``on_error: send_filtered``)."""

from __future__ import annotations

import math
from typing import Any

# ---------------------------------------------------------------------- fail-closed output

FILTERED = "[Filtered]"

#: Top-level keys kept as they are when an event is sent filtered: they carry no user data
#: and Sentry needs them to accept the event.
_STRUCTURAL_KEYS = frozenset({"event_id", "timestamp", "start_timestamp", "type", "platform", "level"})


def filtered_copy(event: dict) -> dict:
    """A copy of the event with every string and number leaf replaced by ``[Filtered]``, except
    the structural top-level keys Sentry needs (event id, timestamps, type, level) when they are
    plain JSON values. Keys that JSON cannot hold are dropped, so the copy is always sendable
    (a cycle raises ``RecursionError``: the caller drops the event)."""
    copied: dict = {}
    for key, value in event.items():
        if type(key) is not str:
            continue
        if key in _STRUCTURAL_KEYS and _plain_json_scalar(value):
            copied[key] = value
        else:
            copied[key] = _filter_leaves(value)
    return copied


def _plain_json_scalar(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int)):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _filter_leaves(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _filter_leaves(value) for key, value in node.items() if type(key) is str}
    if isinstance(node, (list, tuple)):
        return [_filter_leaves(value) for value in node]
    if isinstance(node, bool) or node is None:
        return node
    return FILTERED
