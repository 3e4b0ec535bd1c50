"""Rendering shared by ``test``, ``explain``, ``apply`` and ``diff``: colours, titles, diffs.

Colour is used only when the output is a terminal (or the user asks for it with
``--color``) and never when ``NO_COLOR`` is set, so piped output and files stay plain.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
from typing import IO, Any, Callable, Iterable, Iterator

# ---------------------------------------------------------------------------- colour

_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36",
          "bold": "1", "dim": "2"}

from ..sentry_event import exception_values, log_message, main_exception


class Style:
    """Wraps text in ANSI colour codes when enabled; returns it unchanged otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def paint(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles or not text:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"

    def red(self, text: str) -> str:
        return self.paint(text, "red")

    def green(self, text: str) -> str:
        return self.paint(text, "green")

    def yellow(self, text: str) -> str:
        return self.paint(text, "yellow")

    def cyan(self, text: str) -> str:
        return self.paint(text, "cyan")

    def bold(self, text: str) -> str:
        return self.paint(text, "bold")

    def dim(self, text: str) -> str:
        return self.paint(text, "dim")


def style_for(stream: IO[str], color: str = "auto") -> Style:
    """The style for ``stream``: ``color`` is ``always``, ``never`` or ``auto`` (a terminal, no NO_COLOR)."""
    if color == "always":
        return Style(True)
    if color == "never" or os.environ.get("NO_COLOR"):
        return Style(False)
    isatty = getattr(stream, "isatty", None)
    return Style(bool(isatty and isatty()))


def add_color_argument(parser: Any) -> None:
    """``--color`` / ``--no-color`` on a sub-command parser; by default colour follows the terminal."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--color", dest="color", action="store_const", const="always", default="auto",
                       help="colour the output even when it is not a terminal")
    group.add_argument("--no-color", dest="color", action="store_const", const="never",
                       help="never colour the output (NO_COLOR in the environment does the same)")


def quiet_runtime_logs() -> None:
    """Keep the hooks' failure logs (with tracebacks) out of command output.

    The commands report failures themselves, in the rule trace and the summaries; an
    application that configures logging still gets the records.
    """
    logger = logging.getLogger("rules_engine")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


# ---------------------------------------------------------------------------- Sentry's view

TITLE_MAX = 100


def sentry_title(event: dict | None) -> str | None:
    """The title Sentry shows for an event in its issue list.

    A top-level ``title`` wins (Sentry keeps a custom title); otherwise errors read
    ``"{type}: {value}"`` of the main (last) exception, the value's first line cut at
    100 characters; messages their log message; transactions their name.
    """
    if not isinstance(event, dict):
        return None
    if isinstance(event.get("title"), str):
        return event["title"]
    if event.get("type") == "transaction":
        return event.get("transaction") or "<unlabeled transaction>"
    if exception_values(event):
        main = main_exception(event) or {}
        kind = main.get("type") or "Error"
        value = main.get("value")
        if not isinstance(value, str) or not value.strip():
            return str(kind)
        return f"{kind}: {_truncate(value.strip().splitlines()[0])}"
    message = (log_message(event) or "").strip()
    if message:
        return _truncate(message.splitlines()[0])
    return "<unlabeled event>"


def _truncate(text: str) -> str:
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 3] + "..."


def event_summary(event: dict | None) -> dict[str, Any]:
    """The parts of a processed event a reviewer compares: title, fingerprint, level, tags."""
    if event is None:
        return {}
    return {
        "title": sentry_title(event),
        "fingerprint": event.get("fingerprint"),
        "level": event.get("level"),
        "tags": tags_of(event),
    }


def tags_of(event: dict | None) -> dict[str, Any]:
    """Tags as a mapping, whether the event holds a mapping or ``[key, value]`` pairs."""
    raw = event.get("tags") if isinstance(event, dict) else None
    if isinstance(raw, dict):
        return dict(raw)
    if isinstance(raw, list):
        return {p[0]: p[1] for p in raw if isinstance(p, (list, tuple)) and len(p) == 2}
    return {}


#: Readable names for where in an event a redaction happened, by path prefix (most specific first).
_AREAS = (
    ("exception.values.*.stacktrace.frames.*.vars", "frame variables"),
    ("exception.values.*.stacktrace.frames.*.pre_context", "source context"),
    ("exception.values.*.stacktrace.frames.*.context_line", "source context"),
    ("exception.values.*.stacktrace.frames.*.post_context", "source context"),
    ("exception.values.*.value", "exception messages"),
    ("threads.values.*.stacktrace.frames.*.vars", "frame variables"),
    ("logentry", "log messages"),
    ("message", "log messages"),
    ("breadcrumbs", "breadcrumbs"),
    ("spans", "spans"),
    ("request.data", "request body"),
    ("request.headers", "request headers"),
    ("request.cookies", "request cookies"),
    ("request.query_string", "query strings"),
    ("request.url", "URLs"),
    ("request.env", "request environment"),
    ("user", "user"),
    ("extra", "extra"),
    ("contexts", "contexts"),
    ("tags", "tags"),
    ("fingerprint", "fingerprint"),
)


def area_of(path: str) -> str:
    """The part of the event a redacted field belongs to ("request headers", "frame variables"...)."""
    for prefix, area in _AREAS:
        if path == prefix or path.startswith(prefix + "."):
            return area
    return path.split(".", 1)[0]


def redacted_fields(event: dict | None) -> Iterator[tuple[str, str]]:
    """``(path, rule id)`` for every redaction remark in the event's ``_meta``.

    ``_meta`` mirrors the event's tree; a node's ``""`` entry holds Relay-style remarks
    ``[rule_id, type, start, end]``. List indexes in paths become ``*`` so that one field of
    many exceptions or frames counts as one place.
    """
    meta = event.get("_meta") if isinstance(event, dict) else None
    stack: list[tuple[tuple[str, ...], Any]] = [((), meta)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key == "":
                remarks = value.get("rem") if isinstance(value, dict) else None
                for remark in remarks if isinstance(remarks, list) else ():
                    if isinstance(remark, list) and remark and isinstance(remark[0], str):
                        yield ".".join(path) or "(event)", remark[0]
            else:
                stack.append((path + ("*" if str(key).isdigit() else str(key),), value))


# ---------------------------------------------------------------------------- text of values


def to_json(value: Any, *, indent: int | None = 2) -> str:
    """Stable JSON text (sorted keys, non-ASCII kept); anything unserialisable is shown with repr."""
    return json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False, default=repr)


def short(value: Any, limit: int = 120) -> str:
    """A one-line rendering of a value, cut at ``limit`` characters."""
    text = value if isinstance(value, str) else to_json(value, indent=None)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def iter_strings(node: Any) -> Iterator[str]:
    """Every key and scalar leaf of a JSON-like tree, as text."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                yield str(key)
                stack.append(value)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif item is not None:
            yield item if isinstance(item, str) else to_json(item, indent=None)


def contains_text(node: Any, needle: str) -> bool:
    """Whether ``needle`` occurs in any key or leaf of ``node`` (numbers compared as written)."""
    return any(needle in text for text in iter_strings(node))


def paths_containing(node: Any, needle: str, limit: int = 3) -> list[str]:
    """Dotted paths (``exception.values.0.value``) of up to ``limit`` keys or leaves holding ``needle``."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", node)]
    while stack and len(found) < limit:
        path, item = stack.pop()
        if isinstance(item, dict):
            for key, value in reversed(list(item.items())):
                child = f"{path}.{key}" if path else str(key)
                if needle in str(key):
                    found.append(child + " (key)")
                stack.append((child, value))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{path}.{i}" if path else str(i), v) for i, v in reversed(list(enumerate(item))))
        elif item is not None:
            text = item if isinstance(item, str) else to_json(item, indent=None)
            if needle in text:
                found.append(path or "(the value)")
    return found[:limit]


# ---------------------------------------------------------------------------- diffs


def unified_diff(before: Any, after: Any, style: Style, *, before_name: str = "before",
                 after_name: str = "after", context: int = 3) -> list[str]:
    """A unified diff of two JSON-like values (as indented JSON), coloured when ``style`` is on."""
    old = to_json(before).splitlines() if before is not None else []
    new = to_json(after).splitlines() if after is not None else []
    lines = difflib.unified_diff(old, new, before_name, after_name, n=context, lineterm="")
    return [_colour_diff_line(line, style) for line in lines]


def _colour_diff_line(line: str, style: Style) -> str:
    if line.startswith(("+++", "---")):
        return style.bold(line)
    if line.startswith("+"):
        return style.green(line)
    if line.startswith("-"):
        return style.red(line)
    if line.startswith("@@"):
        return style.cyan(line)
    return line


def expected_actual_diff(expected: Any, actual: Any, style: Style) -> list[str]:
    """Lines showing an expected value against the actual one; a line diff for structured values."""
    if isinstance(expected, (dict, list)) and isinstance(actual, (dict, list)):
        lines = unified_diff(expected, actual, style, before_name="expected", after_name="actual", context=2)
        return lines[2:]  # the file header adds nothing here
    return [style.green(f"expected: {short(expected, 400)}"), style.red(f"actual:   {short(actual, 400)}")]


# ---------------------------------------------------------------------------- tables


def counts_table(rows: Iterable[tuple[str, int]], *, indent: str = "  ", limit: int | None = None,
                 note: Callable[[str], str] | None = None) -> list[str]:
    """Right-aligned counts before their labels, largest first, ``limit`` rows at most.

    ``note(label)`` adds text after a label (labels are then padded to line the notes up).
    """
    ordered = sorted(rows, key=lambda row: (-row[1], row[0]))
    shown = ordered if limit is None else ordered[:limit]
    width = max((len(str(count)) for _, count in shown), default=1)
    label_width = max((len(label) for label, _ in shown), default=0) if note else 0
    lines = []
    for label, count in shown:
        extra = note(label) if note else ""
        lines.append(f"{indent}{count:>{width}}  {label.ljust(label_width) if extra else label}{extra}".rstrip())
    if limit is not None and len(ordered) > limit:
        lines.append(f"{indent}{'':>{width}}  ... {len(ordered) - limit} more")
    return lines


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    return f"{count} {noun if count == 1 else (plural_noun or noun + 's')}"


# ---------------------------------------------------------------------------- apply summary

#: Distinct titles/fingerprints counted before the rest are lumped together, so a huge export
#: with unique titles cannot grow the summary without bound.
MAX_DISTINCT = 10_000
_OTHER = "(other)"


class BoundedCounter:
    """Counts keys, folding new keys into ``(other)`` once ``limit`` distinct keys are held."""

    def __init__(self, limit: int = MAX_DISTINCT):
        self.limit = limit
        self.counts: dict[str, int] = {}

    def add(self, key: str, amount: int = 1) -> None:
        if key not in self.counts and len(self.counts) >= self.limit:
            key = _OTHER
        self.counts[key] = self.counts.get(key, 0) + amount

    def top(self, limit: int) -> list[tuple[str, int]]:
        return sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))[:limit]

    def __len__(self) -> int:
        return len(self.counts)


class ApplySummary:
    """What a ruleset did to a stream of events, accumulated one explanation at a time."""

    def __init__(self, rule_ids: dict[str, list[str]], sample_rules: Iterable[str] = (),
                 live_only: dict[str, list[str]] | None = None):
        self.rule_ids = rule_ids  # phase -> ids, in file order
        self.sample_rules = frozenset(sample_rules)
        #: rule id -> the ``exc.*`` fields it needs: offline these rules cannot be judged
        self.live_only = live_only or {}
        #: exception classes whose module is not imported: base classes and import names unknown
        self.unresolved_classes = BoundedCounter()
        self.events_in = 0
        self.unreadable = 0
        self.passed_through = 0  # check-ins and other types the hooks leave alone
        self.kinds: dict[str, int] = {}
        self.kept = 0
        self.dropped: dict[str, int] = {}
        self.sampled_out: dict[str, int] = {}
        self.matched: dict[str, int] = {}
        self.redactions: dict[str, int] = {}
        self.events_scrubbed = 0
        self.regrouped = 0
        self.examples: dict[str, str] = {}  # rule id -> title of the first event it acted on
        self.redacted_paths: dict[str, BoundedCounter] = {}  # scrub rule id -> fields it redacted
        self.redacted_areas: dict[str, dict[str, int]] = {}  # scrub rule id -> area -> redactions
        self.scrub_failures = 0
        self.fingerprints = BoundedCounter()
        self.titles = BoundedCounter()

    def add(self, kind: str, explanation: Any) -> None:
        self.events_in += 1
        _bump(self.kinds, kind)
        before_title = sentry_title(explanation.before) or ""
        grouped = False
        for trace in explanation.rules:
            if trace.phase == "scrub" and trace.rule_id == "scrub" and trace.matched:
                self.scrub_failures += 1  # the runtime's own entry for a failed scrub step
            if trace.matched and trace.phase != "scrub":
                _bump(self.matched, trace.rule_id)
                self.examples.setdefault(trace.rule_id, before_title)
                grouped = grouped or trace.phase == "grouping"
        if explanation.after is None:
            decider = next((t.rule_id for t in explanation.rules if t.phase == "filter" and t.matched),
                           explanation.dropped_by or "?")
            _bump(self.sampled_out if explanation.sampled_out else self.dropped, explanation.dropped_by or decider)
            return
        self.kept += 1
        self.regrouped += grouped
        if explanation.redactions:
            self.events_scrubbed += 1
            for key, count in explanation.redactions.items():
                _bump(self.redactions, key, count)
            for path, rule in redacted_fields(explanation.after):
                self.redacted_paths.setdefault(rule, BoundedCounter(1000)).add(path)
                _bump(self.redacted_areas.setdefault(rule, {}), area_of(path))
        if kind in ("error", "transaction"):  # what has a title and a fingerprint
            self.titles.add(sentry_title(explanation.after) or "")
            fingerprint = explanation.after.get("fingerprint")
            if fingerprint:
                self.fingerprints.add(", ".join(str(part) for part in fingerprint))

    def add_unresolved(self, class_names: Iterable[str]) -> None:
        for name in class_names:
            self.unresolved_classes.add(name)

    def add_passed_through(self) -> None:
        self.events_in += 1
        self.kept += 1
        self.passed_through += 1

    @property
    def never_fired(self) -> list[str]:
        fired = set(self.matched) | {key.split("/", 1)[0] for key in self.redactions}
        return [rule for ids in self.rule_ids.values() for rule in ids if rule not in fired and rule not in self.live_only]

    @property
    def not_judged_offline(self) -> dict[str, list[str]]:
        """Rules that test or render ``exc.*`` and never matched: offline they cannot."""
        return {rule: fields for rule, fields in self.live_only.items() if rule not in self.matched}

    def to_dict(self, top: int = 10) -> dict:
        return {
            "events_in": self.events_in,
            "kept": self.kept,
            "dropped": sum(self.dropped.values()),
            "sampled_out": sum(self.sampled_out.values()),
            "unreadable": self.unreadable,
            "passed_through": self.passed_through,
            "kinds": self.kinds,
            "dropped_by_rule": self.dropped,
            "sampled_out_by_rule": self.sampled_out,
            "matched_by_rule": self.matched,
            "redactions": self.redactions,
            "redacted_fields": {rule: dict(counter.top(top)) for rule, counter in sorted(self.redacted_paths.items())},
            "events_scrubbed": self.events_scrubbed,
            "scrub_failures": self.scrub_failures,
            "redacted_areas": self.redacted_areas,
            "regrouped": self.regrouped,
            "top_fingerprints": [{"fingerprint": k, "events": v} for k, v in self.fingerprints.top(top)],
            "top_titles": [{"title": k, "events": v} for k, v in self.titles.top(top)],
            "never_fired": self.never_fired,
            "not_judged_offline": self.not_judged_offline,
            "unresolved_classes": [{"class": k, "events": v} for k, v in self.unresolved_classes.top(top)],
        }

    def render(self, style: Style, *, top: int = 10) -> list[str]:
        """The summary a person reads: what was dropped, scrubbed and regrouped, at a glance."""
        dropped, sampled = sum(self.dropped.values()), sum(self.sampled_out.values())
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(self.kinds.items()))
        head = (f"{style.bold(plural(self.events_in, 'event'))} in"
                + (f" ({kinds})" if kinds else "") + f": {style.green(f'{self.kept} kept')}, "
                + f"{style.red(f'{dropped} dropped') if dropped else '0 dropped'}, "
                + f"{style.yellow(f'{sampled} sampled out') if sampled else '0 sampled out'}")
        if self.unreadable:
            head += f", {style.red(f'{self.unreadable} unreadable')}"
        lines = [head]
        lines.extend(self._section(style, "Dropped", dropped, self.dropped, with_examples=True))
        if sampled or self.sample_rules:
            lines.extend(self._section(style, "Sampled out", sampled, self.sampled_out, with_examples=True))
        lines.extend(self._scrubbed(style))
        grouping = {rule: self.matched.get(rule, 0) for rule in self.rule_ids.get("grouping", [])
                    if self.matched.get(rule)}
        lines.extend(self._section(style, "Regrouped", self.regrouped, grouping, with_examples=False))
        if grouping and len(self.fingerprints):
            lines.append(f"  {style.dim('fingerprints:')}")
            lines.extend(counts_table(self.fingerprints.top(top), indent="    "))
        if len(self.titles):
            lines.append("")
            lines.append(style.bold(f"Titles of kept events (top {min(top, len(self.titles))} of {len(self.titles)})"))
            lines.extend(counts_table([(short(t, 100), n) for t, n in self.titles.top(top)]))
        never = self.never_fired
        lines.append("")
        if never:
            lines.append(style.bold(f"Rules that never fired ({len(never)}): ") + ", ".join(never))
        else:
            lines.append(style.bold("Every rule fired at least once."))
        lines.extend(self._offline_gaps(style, top))
        return lines

    def _offline_gaps(self, style: Style, top: int) -> list[str]:
        """What could not be judged from the payload alone, and why."""
        lines = []
        judged = self.not_judged_offline
        if judged:
            lines.append(style.bold(f"Rules not judged offline ({len(judged)}): ")
                         + ", ".join(f"{rule} ({', '.join(fields)})" for rule, fields in judged.items()))
            lines.append("  exc.* reads the live exception, which only the hook has; test these rules with case "
                         "files, whose hint (exc_type, exc_attrs) builds one")
        if len(self.unresolved_classes):
            lines.append(style.bold(f"Exception classes not resolved offline ({len(self.unresolved_classes)}): ")
                         + ", ".join(f"{name} ({n})" for name, n in self.unresolved_classes.top(top)))
            lines.append("  rules naming their base classes or import names did not match them; "
                         "--import imports their modules")
        return lines

    def _section(self, style: Style, title: str, total: int, by_rule: dict[str, int], *,
                 with_examples: bool) -> list[str]:
        if not total:
            return ["", style.bold(f"{title}: none")]
        lines = ["", style.bold(f"{title}: {plural(total, 'event')}")]

        def example(rule: str) -> str:
            seen = self.examples.get(rule) if with_examples else None
            return style.dim(f"   e.g. {short(seen, 70)}") if seen else ""

        lines.extend(counts_table(list(by_rule.items()), note=example))
        return lines

    def _scrubbed(self, style: Style) -> list[str]:
        per_rule = {key: count for key, count in self.redactions.items() if "/" not in key}
        if not per_rule:
            return ["", style.bold("Scrubbed: nothing")]
        total = sum(per_rule.values())
        lines = ["", style.bold(f"Scrubbed: {plural(total, 'value')} in {plural(self.events_scrubbed, 'event')}")]

        def detectors(rule: str) -> str:
            found = sorted(((key.split("/", 1)[1], count) for key, count in self.redactions.items()
                            if key.startswith(rule + "/")), key=lambda item: (-item[1], item[0]))
            detail = ", ".join(f"{name} {count}" for name, count in found)
            return style.dim(f"   ({detail})") if detail else ""

        lines.extend(counts_table(list(per_rule.items()), note=detectors))
        if self.redacted_areas:
            lines.append(f"  {style.dim('where:')}")
            width = max(len(rule) for rule in self.redacted_areas)
            for rule, areas in sorted(self.redacted_areas.items()):
                ordered = sorted(areas.items(), key=lambda item: (-item[1], item[0]))
                shown = ", ".join(f"{area} {count}" for area, count in ordered[:4])
                more = f", +{len(ordered) - 4} more places" if len(ordered) > 4 else ""
                lines.append(f"    {rule.ljust(width)}  {shown}{more}")
        if self.scrub_failures:
            lines.append(style.red(f"  scrubbing failed on {plural(self.scrub_failures, 'event')} "
                                   "(handled by options.on_error)"))
        return lines


def _bump(counter: dict[str, int], key: str, amount: int = 1) -> None:
    counter[key] = counter.get(key, 0) + amount
