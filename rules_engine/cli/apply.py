"""``rules-engine apply RULESET EVENTS...``: run a ruleset over stored events.

Events stream through one at a time (constant memory, whatever the size of the
export); the processed ones are written as JSON Lines, and a summary tells what
was dropped, sampled out, scrubbed and regrouped, and which rules never fired.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import IO, Any, Callable

from ..runtime.ruleset import kind_of
from . import load_rulesets, report_missing_inputs
from .event_input import BadInput, iter_events
from .offline import ModuleImporter, add_import_option, rules_needing_live_exceptions, unresolved_classes
from .report import (
    ApplySummary,
    add_color_argument,
    quiet_runtime_logs,
    style_for,
    to_json,
)



def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "apply",
        help="run a ruleset over stored events and summarise what it did",
        description="Run a ruleset over events: JSON files (one event or a list), directories of them, "
        "or JSON Lines (.jsonl, or - for stdin), streamed in constant memory. Processed events are written "
        "as JSON Lines (to stdout, or to -o OUT); the summary goes to stderr when events go to stdout.",
    )
    parser.add_argument("ruleset", metavar="RULESET", help="ruleset file or builtin:NAME@VERSION")
    parser.add_argument("events", nargs="+", metavar="EVENTS", help="event files, directories, or - for stdin")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="write processed events to this JSON Lines file (- for stdout). Without it, events go "
                        "to stdout when stdout is a pipe or a file; on a terminal only the summary is shown")
    parser.add_argument("--summary-only", action="store_true", help="print only the summary, not the events")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="summary format")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="titles and fingerprints listed (default 10)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the sample rules' draws; each event's draw depends only on the seed and "
                        "its position, so runs are reproducible (default 0)")
    add_import_option(parser)
    add_color_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    quiet_runtime_logs()
    if report_missing_inputs("apply", args.events):
        return 2
    if args.events.count("-") > 1:
        print("rules-engine apply: standard input (-) can be read only once", file=sys.stderr)
        return 2
    loaded = load_rulesets(args.ruleset)
    if loaded is None:
        return 1
    (ruleset,) = loaded
    out, close_out = _event_output(args)
    summary_stream = sys.stderr if out is sys.stdout else sys.stdout
    summary = ApplySummary(rule_ids_by_phase(ruleset), [r.id for r in ruleset.model.filters if r.sample is not None],
                           rules_needing_live_exceptions(ruleset.model))
    importer = ModuleImporter("apply", args.import_modules)
    progress = Progress(sys.stderr)
    try:
        for entry in iter_events(args.events):
            if isinstance(entry, BadInput):
                summary.unreadable += 1
                progress.clear()
                print(f"rules-engine apply: {entry}", file=sys.stderr)
                continue
            importer.prepare(entry.event)
            summary.add_unresolved(unresolved_classes(entry.event))
            processed = apply_one(ruleset, entry.event, summary, seeded_draw(args.seed, summary.events_in))
            if processed is not None and out is not None:
                out.write(json.dumps(processed, ensure_ascii=False, separators=(",", ":"), default=repr) + "\n")
            progress.tick(summary.events_in)
    finally:
        progress.clear()
        if close_out:
            out.close()
    _print_summary(args, ruleset, summary, summary_stream)
    return 1 if summary.unreadable else 0


def apply_one(ruleset: Any, event: dict, summary: ApplySummary, draw: Callable[[], float]) -> dict | None:
    """Process one event as the hooks would, recording what each rule did; the output or None."""
    kind = kind_of(event)
    if kind is None:  # a check-in: passes through untouched, as in before_send
        summary.add_passed_through()
        return event
    ruleset.draw = draw
    explanation = ruleset.explain(event, None, kind=kind)
    summary.add(kind, explanation)
    return explanation.after


def seeded_draw(seed: int, position: int) -> Callable[[], float]:
    """Sampling draws for the event at ``position``: the same seed and position give the same draws,
    so two rulesets (``diff``) or two runs see each event sampled alike."""
    return random.Random(f"{seed}:{position}").random


def rule_ids_by_phase(ruleset: Any) -> dict[str, list[str]]:
    model = ruleset.model
    return {
        "filter": [rule.id for rule in model.filters],
        "grouping": [rule.id for rule in model.grouping],
        "scrub": [rule.id for rule in model.scrub.rules],
    }


def _event_output(args: argparse.Namespace) -> tuple[IO[str] | None, bool]:
    """Where processed events go: ``-o OUT``, or stdout when it is a pipe or a file.

    On a terminal, thousands of JSON lines would bury the summary, so without ``-o``
    only the summary is shown there (``-o -`` forces the events onto the terminal).
    """
    if args.summary_only:
        return None, False
    if args.output == "-":
        return sys.stdout, False
    if args.output:
        return open(args.output, "w", encoding="utf-8"), True
    if _is_terminal(sys.stdout):
        return None, False
    return sys.stdout, False


def _is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _print_summary(args: argparse.Namespace, ruleset: Any, summary: ApplySummary, stream: IO[str]) -> None:
    if args.format == "json":
        data = {"ruleset": f"{ruleset.name}@{ruleset.revision}", **summary.to_dict(top=args.top)}
        print(to_json(data), file=stream)
        return
    style = style_for(stream, args.color)
    source = ", ".join(args.events)
    print(f"{style.bold('rules-engine apply')}: ruleset {ruleset.name}@{ruleset.revision} on {source}", file=stream)
    for line in summary.render(style, top=args.top):
        print(line, file=stream)


class Progress:
    """A one-line event counter on a terminal's stderr, redrawn a few times a second; silent otherwise."""

    INTERVAL = 0.2

    def __init__(self, stream: IO[str]):
        isatty = getattr(stream, "isatty", None)
        self.stream = stream
        self.enabled = bool(isatty and isatty())
        self.started = time.monotonic()
        self.next_draw = self.started + self.INTERVAL
        self.shown = False

    def tick(self, count: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now < self.next_draw:
            return
        self.next_draw = now + self.INTERVAL
        rate = count / max(now - self.started, 1e-9)
        self.stream.write(f"\r{count:,} events ({rate:,.0f}/s)")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False
