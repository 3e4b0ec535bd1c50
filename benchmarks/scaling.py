"""Inputs for the scaling curves: real events grown to a target size, rulesets of N rules."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

KB = 1024


def _size(node: Any) -> int:
    return len(json.dumps(node, ensure_ascii=False))


def _main_exception(event: dict) -> dict:
    return event["exception"]["values"][-1]


def small_base_event(event: dict) -> dict:
    """A real error event cut down to its essentials: one frame, no module list, short SDK info."""
    base = copy.deepcopy(event)
    base.pop("modules", None)
    base["sdk"] = {key: base["sdk"][key] for key in ("name", "version")}
    base["contexts"] = {key: value for key, value in base.get("contexts", {}).items() if key == "trace"}
    base.pop("breadcrumbs", None)
    exception = _main_exception(base)
    frames = exception["stacktrace"]["frames"][-1:]
    for frame in frames:
        for key in ("pre_context", "post_context"):
            frame.pop(key, None)
    exception["stacktrace"]["frames"] = frames
    base["exception"]["values"] = [exception]
    base["breadcrumbs"] = {"values": []}
    return base


def growth_pool(events: list[dict]) -> tuple[list[dict], list[dict]]:
    """Real frames (with their variables) and real breadcrumbs found in ``events``."""
    frames = [
        frame
        for event in events
        for value in event.get("exception", {}).get("values", [])
        for frame in (value.get("stacktrace") or {}).get("frames", [])
    ]
    crumbs = [crumb for event in events for crumb in (event.get("breadcrumbs") or {}).get("values", [])]
    return frames, crumbs


def grow_event(base: dict, frames: list[dict], crumbs: list[dict], target_bytes: int) -> dict:
    """``base`` with real frames and breadcrumbs appended (two frames per breadcrumb) until it
    serializes to at least ``target_bytes``."""
    event = copy.deepcopy(base)
    size = _size(event)
    stack = _main_exception(event)["stacktrace"]["frames"]
    trail = event["breadcrumbs"]["values"]
    frame_cycle, crumb_cycle = itertools.cycle(frames), itertools.cycle(crumbs)
    pattern = itertools.cycle(("frame", "frame", "crumb"))
    while size < target_bytes:
        kind = next(pattern)
        item = copy.deepcopy(next(frame_cycle) if kind == "frame" or not crumbs else next(crumb_cycle))
        (stack if "function" in item else trail).insert(0, item)  # older frames come first
        size += _size(item) + 1
    return event


def sized_events(events: list[dict], targets_kb: list[int]) -> list[tuple[int, dict]]:
    """(actual size in bytes, event) for each target size, grown from the smallest real error."""
    bases = [small_base_event(event) for event in events if event.get("exception")]
    base = min(bases, key=_size)
    frames, crumbs = growth_pool(events)
    grown = [grow_event(base, frames, crumbs, target * KB) for target in targets_kb]
    return [(_size(event), event) for event in grown]


# --------------------------------------------------------------------------- rule count


def generated_ruleset(rule_count: int) -> str:
    """YAML of a ruleset with ``rule_count`` rules: 40% filters, 30% grouping, 30% scrub.

    Each rule tests values of its own, as a large real ruleset's do, so few of them match any
    one event; the scrub rules mix key globs and user patterns, plus one detector rule.
    """
    filters = max(1, rule_count * 4 // 10)
    grouping = max(1, rule_count * 3 // 10)
    scrub = max(1, rule_count - filters - grouping)
    lines = ["format: 1", f"name: bench-{rule_count}-rules", "revision: 1", "filters:"]
    for i in range(filters):
        if i % 2:
            lines += [
                f"  - id: drop-route-{i}",
                "    on: [transaction]",
                f'    when: {{transaction: "/internal/v{i}/*"}}',
                "    drop: true",
            ]
        else:
            lines += [
                f"  - id: drop-error-{i}",
                f'    when: {{error.type: "app.errors.Noise{i}Error"}}',
                "    drop: true",
            ]
    lines.append("grouping:")
    for i in range(grouping):
        lines += [
            f"  - id: group-{i}",
            f'    when: {{error.type: "app.errors.Domain{i}Error", error.value: "*case {i}*"}}',
            f'    fingerprint: [domain-{i}, "{{{{ error.type }}}}"]',
            f"    tags: {{domain: d{i}}}",
        ]
    lines += [
        "scrub:",
        "  rules:",
        "    - id: detect-secrets",
        "      detect: [creditcard, email, jwt, bearer, aws_access_key]",
        "      redact: filter",
    ]
    for i in range(scrub - 1):
        if i % 2:
            lines += [f"    - id: key-{i}", f'      keys: ["custom_secret_{i}*"]', "      redact: filter"]
        else:
            lines += [f"    - id: pattern-{i}", f"      pattern: 'CUST{i:04d}-[0-9]{{6}}'", "      redact: hash"]
    return "\n".join(lines) + "\n"
