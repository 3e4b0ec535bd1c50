"""``rules-engine diff OLD NEW EVENTS...``: what a ruleset change does to real events.

Every event goes through both rulesets (sample rules draw the same numbers for
the same event under both, so only a changed rule changes a sampling outcome).
Per event, the differences that matter in review are listed — kept/dropped,
fingerprint, title, level, tags, redactions — followed by a summary. A diff is
information, not a failure: the exit code is 0 unless the input is unreadable (1),
``--exit-code`` was given and an event changed (1), or the command is misused (2).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from ..runtime.ruleset import kind_of
from ..testing.casefile import deciding_filter
from . import load_rulesets, report_missing_inputs
from .apply import rule_ids_by_phase, seeded_draw
from .event_input import BadInput, iter_events
from .report import (
    Style,
    add_color_argument,
    event_summary,
    plural,
    quiet_runtime_logs,
    sentry_title,
    short,
    style_for,
    unified_diff,
)

#: The tag every processed event carries (ruleset=<name>@<revision>); it differs between any two revisions.
REVISION_TAG = "ruleset"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="show what changes for a set of events between two rulesets",
        description="Run events through two rulesets (e.g. two revisions of one file) and show, per event, "
        "what changes: kept/dropped, fingerprint, title, level, tags and redactions; then a summary.",
    )
    parser.add_argument("old", metavar="OLD", help="the ruleset before the change")
    parser.add_argument("new", metavar="NEW", help="the ruleset after the change")
    parser.add_argument("events", nargs="+", metavar="EVENTS", help="event files, directories, or - for stdin")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text, or json: one JSON object per changed event, then one with the summary")
    parser.add_argument("--limit", type=int, default=50, metavar="N",
                        help="changed events listed in text output (default 50; the summary counts them all)")
    parser.add_argument("--show-diff", action="store_true",
                        help="also print a diff of the two outputs of each changed event")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample rules' draws (default 0)")
    parser.add_argument("--exit-code", action="store_true",
                        help="exit 1 when any event changes (like git diff --exit-code), to gate a change in CI")
    add_color_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    quiet_runtime_logs()
    if report_missing_inputs("diff", args.events):
        return 2
    loaded = load_rulesets(args.old, args.new)
    if loaded is None:
        return 1
    old, new = loaded
    style = style_for(sys.stdout, args.color)
    summary = DiffSummary()
    if args.format == "text":
        for line in _header(old, new, style):
            print(line)
    for entry in iter_events(args.events):
        if isinstance(entry, BadInput):
            summary.unreadable += 1
            print(f"rules-engine diff: {entry}", file=sys.stderr)
            continue
        # Draws follow the event's position among readable events, as in ``apply``.
        change = compare(old, new, entry.event, seeded_draw(args.seed, summary.events))
        change.where = entry.where
        summary.add(change)
        if change.changes:
            _emit(args, change, summary, style)
    if args.format == "json":
        print(json.dumps({"summary": summary.to_dict()}, ensure_ascii=False))
    else:
        for line in summary.render(style, args.limit):
            print(line)
    return 1 if summary.unreadable or (args.exit_code and summary.changed) else 0


# ---------------------------------------------------------------------------- comparing one event


@dataclass
class Outcome:
    """What one ruleset made of one event."""

    fate: str  # "kept" | "dropped" | "sampled out"
    rule: str | None  # the filter rule that decided
    summary: dict[str, Any]  # title, fingerprint, level, tags of the output
    redactions: dict[str, int]
    output: dict | None

    def describe(self) -> str:
        return self.fate + (f" by {self.rule}" if self.rule and self.fate != "kept" else "")

    def to_dict(self) -> dict:
        return {"fate": self.fate, "rule": self.rule, **self.summary, "redactions": self.redactions}


@dataclass
class EventChange:
    where: str
    title: str
    old: Outcome
    new: Outcome
    changes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"event": self.where, "title": self.title, "changes": self.changes,
                "old": self.old.to_dict(), "new": self.new.to_dict()}


def compare(old: Any, new: Any, event: dict, draw: Any) -> EventChange:
    """Run ``event`` through both rulesets (with the same sampling draws) and list what differs."""
    title = sentry_title(event) or ""
    kind = kind_of(event)
    if kind is None:  # a check-in: passed through untouched by both
        untouched = Outcome("kept", None, event_summary(event), {}, event)
        return EventChange("", title, untouched, untouched)
    draws = _SharedDraws(draw)
    before, after = _outcome(old, event, kind, draws.replay()), _outcome(new, event, kind, draws.replay())
    change = EventChange("", title, before, after)
    change.changes = _differences(before, after)
    return change


def _outcome(ruleset: Any, event: dict, kind: str, draw: Any) -> Outcome:
    ruleset.draw = draw
    explanation = ruleset.explain(event, None, kind=kind)
    output = explanation.after
    fate = "kept" if output is not None else ("sampled out" if explanation.sampled_out else "dropped")
    summary = event_summary(output)
    if summary:
        summary["tags"] = {k: v for k, v in summary["tags"].items() if k != REVISION_TAG}
    return Outcome(fate, deciding_filter(explanation), summary, dict(explanation.redactions), output)


class _SharedDraws:
    """One event's sampling draws, replayed from the start for each ruleset it runs through,
    so an unchanged sample rule decides alike under both."""

    def __init__(self, source: Any):
        self._source = source
        self._values: list[float] = []

    def replay(self) -> Any:
        position = 0

        def draw() -> float:
            nonlocal position
            if position == len(self._values):
                self._values.append(self._source())
            position += 1
            return self._values[position - 1]

        return draw


def _differences(old: Outcome, new: Outcome) -> list[str]:
    if old.fate != new.fate or (old.fate != "kept" and old.rule != new.rule):
        return [f"{old.describe()} → {new.describe()}"]
    if old.fate != "kept":
        return []
    changes = []
    for key in ("title", "fingerprint", "level"):
        if old.summary.get(key) != new.summary.get(key):
            changes.append(f"{key}: {_show(old.summary.get(key))} → {_show(new.summary.get(key))}")
    old_tags, new_tags = old.summary.get("tags", {}), new.summary.get("tags", {})
    for tag in sorted(set(old_tags) | set(new_tags)):
        if old_tags.get(tag) != new_tags.get(tag):
            changes.append(f"tags.{tag}: {_show(old_tags.get(tag))} → {_show(new_tags.get(tag))}")
    for key in sorted(set(old.redactions) | set(new.redactions)):
        if "/" not in key and old.redactions.get(key, 0) != new.redactions.get(key, 0):
            changes.append(f"redactions by {key}: {old.redactions.get(key, 0)} → {new.redactions.get(key, 0)}")
    if not changes and _without_revision_tag(old.output) != _without_revision_tag(new.output):
        changes.append("other changes in the event (see --show-diff)")
    return changes


def _without_revision_tag(event: dict | None) -> Any:
    if not isinstance(event, dict) or not isinstance(event.get("tags"), dict):
        return event
    return {**event, "tags": {k: v for k, v in event["tags"].items() if k != REVISION_TAG}}


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    return short(value, 110)


# ---------------------------------------------------------------------------- summary


class DiffSummary:
    """Counts of changes over all events, by kind of change and by rule."""

    def __init__(self) -> None:
        self.events = 0
        self.changed = 0
        self.unreadable = 0
        self.listed = 0
        self.transitions: dict[str, int] = {}  # "kept → dropped" -> count
        self.by_rule: dict[str, int] = {}  # "dropped by X" / "sampled out by X" newly deciding -> count
        self.fields: dict[str, int] = {}  # "title", "fingerprint", "level", "tags.x" -> events changed
        self.redactions_gained: dict[str, int] = {}
        self.redactions_lost: dict[str, int] = {}

    def add(self, change: EventChange) -> None:
        self.events += 1
        if not change.changes:
            return
        self.changed += 1
        old, new = change.old, change.new
        if old.fate != new.fate or (old.fate != "kept" and old.rule != new.rule):
            key = f"{old.fate} → {new.fate}"
            self.transitions[key] = self.transitions.get(key, 0) + 1
            if new.fate != "kept":
                self.by_rule[new.describe()] = self.by_rule.get(new.describe(), 0) + 1
            return
        for text in change.changes:
            name = text.split(":", 1)[0]
            if not name.startswith("redactions") and not name.startswith("other"):
                self.fields[name] = self.fields.get(name, 0) + 1
        for key in set(old.redactions) | set(new.redactions):
            delta = new.redactions.get(key, 0) - old.redactions.get(key, 0)
            target = self.redactions_gained if delta > 0 else self.redactions_lost
            if delta:
                target[key] = target.get(key, 0) + abs(delta)

    def to_dict(self) -> dict:
        return {
            "events": self.events,
            "changed": self.changed,
            "unchanged": self.events - self.changed,
            "unreadable": self.unreadable,
            "fate_changes": self.transitions,
            "newly_decided_by": self.by_rule,
            "field_changes": self.fields,
            "redactions_gained": self.redactions_gained,
            "redactions_lost": self.redactions_lost,
        }

    def render(self, style: Style, limit: int) -> list[str]:
        lines = [""]
        if self.changed > self.listed:
            lines.append(style.dim(f"({self.changed - self.listed} more changed events not listed; --limit)"))
        head = (f"{style.bold(plural(self.events, 'event'))} compared: "
                f"{style.yellow(f'{self.changed} changed') if self.changed else '0 changed'}, "
                f"{self.events - self.changed} unchanged")
        if self.unreadable:
            head += f", {style.red(f'{self.unreadable} unreadable')}"
        lines.append(head)
        for key, count in sorted(self.transitions.items(), key=lambda item: -item[1]):
            lines.append(f"  {key}: {count}")
        for key, count in sorted(self.by_rule.items(), key=lambda item: -item[1]):
            lines.append(style.dim(f"    {key}: {count}"))
        for key, count in sorted(self.fields.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {key} changed: {plural(count, 'event')}")
        for label, counts in (("redactions gained", self.redactions_gained), ("redactions lost", self.redactions_lost)):
            per_rule = {k: v for k, v in counts.items() if "/" not in k}
            if per_rule:
                lines.append(f"  {label}: " + ", ".join(f"{k} {v}" for k, v in sorted(per_rule.items())))
        return lines


# ---------------------------------------------------------------------------- output


def _header(old: Any, new: Any, style: Style) -> list[str]:
    lines = [f"{style.bold('rules-engine diff')}: {old.name}@{old.revision} → {new.name}@{new.revision}"]
    old_ids, new_ids = rule_ids_by_phase(old), rule_ids_by_phase(new)
    for phase in old_ids:
        added = [r for r in new_ids[phase] if r not in old_ids[phase]]
        removed = [r for r in old_ids[phase] if r not in new_ids[phase]]
        if added:
            lines.append(style.green(f"  {phase} rules added: {', '.join(added)}"))
        if removed:
            lines.append(style.red(f"  {phase} rules removed: {', '.join(removed)}"))
    return lines


def _emit(args: argparse.Namespace, change: EventChange, summary: DiffSummary, style: Style) -> None:
    if args.format == "json":
        print(json.dumps(change.to_dict(), ensure_ascii=False, default=repr))
        return
    if summary.listed >= args.limit:
        return
    summary.listed += 1
    print("")
    print(f"{style.bold(change.where)}  {short(change.title, 80)}")
    for text in change.changes:
        for line in _wrap_change(text):
            print(f"  {_colour_change(line, style)}")
    if args.show_diff:
        for line in unified_diff(change.old.output, change.new.output, style, before_name="old", after_name="new"):
            print(f"    {line}")


def _wrap_change(text: str, width: int = 100) -> list[str]:
    """A long ``key: old → new`` change split over lines, old and new one below the other."""
    name, sep, rest = text.partition(": ")
    old, arrow, new = rest.partition(" → ")
    if len(text) <= width or not sep or not arrow:
        return [text]
    return [f"{name}:", f"    {old}", f"  → {new}"]


def _colour_change(text: str, style: Style) -> str:
    if "→ dropped" in text or "→ sampled out" in text:
        return style.red(text)
    if text.startswith(("dropped", "sampled out")) and "→ kept" in text:
        return style.green(text)
    return style.yellow(text)
