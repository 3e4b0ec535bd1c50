"""``rules-engine explain RULESET EVENT``: which rules fire on an event, why the others do not,
what each one changes, and the event before and after."""

from __future__ import annotations

import argparse
import json
import sys
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError

from ..runtime.ruleset import kind_of
from ..testing.casefile import (
    SAMPLING_DRAWS,
    HintError,
    HintSpec,
    build_hint,
    deciding_filter,
    trace_dict,
)
from . import load_rulesets
from .event_input import BadInput, InputNotFound, check_inputs, iter_events
from .offline import ModuleImporter, add_import_option
from .report import (
    Style,
    add_color_argument,
    quiet_runtime_logs,
    sentry_title,
    short,
    style_for,
    to_json,
    unified_diff,
)

_UNICODE = "utf" in (getattr(sys.stdout, "encoding", None) or "").lower()
MATCH_MARK, MISS_MARK = ("✓", "·") if _UNICODE else ("+", "-")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="show which rules match an event, why the others do not, and what changes",
        description="Trace one event through a ruleset: every rule with whether it matched (or the first "
        "condition that failed), what each matching rule changed, and a diff of the event before/after.",
    )
    parser.add_argument("ruleset", metavar="RULESET", help="ruleset file or builtin:NAME@VERSION")
    parser.add_argument("event", metavar="EVENT", help="event file (JSON or JSON Lines), or - for stdin")
    parser.add_argument("--index", type=int, default=1, metavar="N", help="explain the N-th event of EVENT (default 1)")
    parser.add_argument("--kind", choices=("error", "transaction", "breadcrumb", "log", "metric", "span"),
                        help="kind of event (default: from the event's 'type', or the shape of a log "
                        "record, metric or span as sentry-sdk produces it)")
    parser.add_argument("--hint", metavar="JSON",
                        help="the live exception to simulate, e.g. "
                        '\'{"exc_type": "app.Error", "exc_attrs": {"status_code": 404}}\'')
    parser.add_argument("--exc-type", action="append", metavar="CLASS",
                        help="class of the simulated exception (repeat to list its base classes)")
    parser.add_argument("--exc-attr", action="append", metavar="NAME=VALUE",
                        help="attribute of the simulated exception (VALUE read as JSON when it parses)")
    parser.add_argument("--sampling", choices=("keep", "drop", "random"), default="keep",
                        help="how sample rules decide: keep (default), drop, or random as in production")
    parser.add_argument("--no-diff", action="store_true", help="leave out the before/after diff")
    add_import_option(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    add_color_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    quiet_runtime_logs()
    try:
        spec = hint_spec(args)
        check_inputs([args.event])
    except (ValueError, InputNotFound) as exc:
        print(f"rules-engine explain: {exc}", file=sys.stderr)
        return 2
    loaded = load_rulesets(args.ruleset)
    if loaded is None:
        return 1
    (ruleset,) = loaded
    entry = _nth_event(args.event, args.index)
    if entry is None:
        print(f"rules-engine explain: {args.event} has fewer than {args.index} event(s)", file=sys.stderr)
        return 2
    if isinstance(entry, BadInput):
        print(f"rules-engine explain: {entry}", file=sys.stderr)
        return 1
    event = entry.event
    ModuleImporter("explain", args.import_modules).prepare(event)
    try:
        hint = build_hint(spec, event)
    except HintError as exc:
        print(f"rules-engine explain: {exc}", file=sys.stderr)
        return 2
    if args.sampling in SAMPLING_DRAWS:
        ruleset.draw = SAMPLING_DRAWS[args.sampling]
    kind = args.kind or kind_of(event) or "error"
    explanation = ruleset.explain(event, hint, kind=kind)
    if args.format == "json":
        print(to_json(_json_report(args, entry.where, kind, spec, explanation)))
    else:
        style = style_for(sys.stdout, args.color)
        for line in render(ruleset, entry.where, kind, explanation, style, diff=not args.no_diff):
            print(line)
    return 0


def hint_spec(args: argparse.Namespace) -> HintSpec | None:
    """The simulated exception from ``--hint``, ``--exc-type`` and ``--exc-attr`` (ValueError when invalid)."""
    raw: dict[str, Any] = {}
    if args.hint:
        try:
            raw = json.loads(args.hint)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--hint is not valid JSON: {exc.msg}") from None
        if not isinstance(raw, dict):
            raise ValueError("--hint must be a JSON object with exc_type, exc_value and/or exc_attrs")
    if args.exc_type:
        raw["exc_type"] = args.exc_type if len(args.exc_type) > 1 else args.exc_type[0]
    for item in args.exc_attr or ():
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--exc-attr needs NAME=VALUE, got {item!r}")
        raw.setdefault("exc_attrs", {})[name] = _json_or_text(value)
    if not raw:
        return None
    try:
        return HintSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"invalid hint: {where}: {first['msg']}") from None


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _nth_event(source: str, index: int) -> Any:
    for position, entry in enumerate(iter_events([source]), start=1):
        if position == index:
            return entry
    return None


# ---------------------------------------------------------------------------- rendering


def render(ruleset: Any, where: str, kind: str, explanation: Any, style: Style, *, diff: bool = True) -> list[str]:
    """The human-readable trace: the rules phase by phase, the outcome, and the diff."""
    lines = [
        f"{style.bold('explain')} {where} ({kind}: {short(sentry_title(explanation.before) or '', 90)})",
        f"ruleset {ruleset.name}@{ruleset.revision}" + (f" ({ruleset.path})" if getattr(ruleset, "path", None) else ""),
    ]
    phase = None
    traces = _with_unevaluated(ruleset, kind, explanation)
    width = max((len(t.rule_id) for t in traces), default=0)
    for trace in traces:
        if trace.phase != phase:
            phase = trace.phase
            lines.append("")
            lines.append(style.bold(phase))
        mark = style.green(MATCH_MARK) if trace.matched else style.dim(MISS_MARK)
        rule = trace.rule_id.ljust(width)
        # Long reasons list every name they saw; the JSON output keeps them whole.
        text = f"  {mark} {style.bold(rule) if trace.matched else rule}  {short(trace.reason, 140)}"
        lines.append(text if trace.matched else style.dim(text))
        for change in trace.changes:
            lines.append(f"      {' ' * width}{style.yellow(short(change, 160))}")
    if not traces:
        lines.append("")
        lines.append(style.dim("(the ruleset has no rules for this kind of event)"))
    lines.append("")
    lines.extend(_outcome(explanation, style))
    if diff and explanation.after is not None:
        lines.append("")
        # The _meta remarks repeat what the scrub lines above say; --format json keeps them.
        after = {key: value for key, value in explanation.after.items() if key != "_meta"}
        changed = unified_diff(explanation.before, after, style)
        lines.extend(changed if changed else [style.dim("(the event is unchanged)")])
    return lines


def _with_unevaluated(ruleset: Any, kind: str, explanation: Any) -> list[Any]:
    """The trace, plus the rules a dropped event never reached, so every rule of the file is accounted for."""
    if explanation.after is not None:
        return list(explanation.rules)
    traced = {(t.phase, t.rule_id) for t in explanation.rules}
    model = ruleset.model
    applicable = [("filter", r.id) for r in model.filters if kind in r.on]
    if kind != "breadcrumb":
        applicable += [("grouping", r.id) for r in model.grouping if kind in r.on]
    applicable += [("scrub", r.id) for r in model.scrub.rules]
    missing = [SimpleNamespace(phase=phase, rule_id=rule_id, matched=False, changes=[],
                               reason="not evaluated: the event was dropped")
               for phase, rule_id in applicable if (phase, rule_id) not in traced]
    return list(explanation.rules) + missing


def _outcome(explanation: Any, style: Style) -> list[str]:
    decider = deciding_filter(explanation)
    if explanation.after is None:
        how = "SAMPLED OUT" if explanation.sampled_out else "DROPPED"
        return [f"result: {style.paint(how, 'red', 'bold')}" + (f" by {decider}" if decider else "")]
    lines = [f"result: {style.paint('KEPT', 'green', 'bold')}", f"  title:       {sentry_title(explanation.after)}"]
    fingerprint = explanation.after.get("fingerprint")
    if fingerprint:
        lines.append(f"  fingerprint: {short(fingerprint)}")
    if explanation.redactions:
        counts = ", ".join(f"{key}: {count}" for key, count in sorted(explanation.redactions.items()) if "/" not in key)
        lines.append(f"  redactions:  {counts}")
    return lines


def _json_report(args: argparse.Namespace, where: str, kind: str, spec: HintSpec | None, explanation: Any) -> dict:
    return {
        "ruleset": args.ruleset,
        "event": where,
        "kind": kind,
        "hint": spec.model_dump(exclude_none=True) if spec is not None else None,
        **trace_dict(explanation),
        "decided_by": deciding_filter(explanation),
        "title": sentry_title(explanation.after),
        "before": explanation.before,
        "after": explanation.after,
        "diff": unified_diff(explanation.before, explanation.after, Style(False)) if explanation.after else [],
    }
