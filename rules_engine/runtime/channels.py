"""The channels sentry-sdk sends besides events: log records, trace metrics and streamed spans.

sentry-sdk 2.x hands each of these items to a hook of its own (``before_send_log``,
``before_send_metric``, ``before_send_span``), in shapes unlike an event's::

    log     {"severity_text", "severity_number", "body", "attributes", "time_unix_nano", ...}
    metric  {"name", "type", "value", "unit", "attributes", "timestamp", ...}
    span    {"name", "status", "attributes", "trace_id", "span_id", "start_timestamp", ...}

Attributes are a flat mapping whose keys are dotted names (``logger.name``,
``sentry.message.parameter.card``, ``gen_ai.request.messages``).

The ruleset's filters and scrub rules were written for events, so each item is shown to them
as an event-shaped *view* (:func:`log_view`...) and scrubbed through an event-shaped *proxy*
whose containers are the item's own: a log's body and template become ``logentry.formatted``
and ``logentry.message`` with the template's parameters as ``logentry.params``, so the rule that
makes ``"password=%s"``'s parameter a password in an event does the same for a log record. After
the scrub the proxy's values are written back into the item.

Logs and metrics can be dropped (``None``); a streamed span cannot (sentry-sdk keeps the span
when the hook returns ``None`` or raises, and only takes the ``name`` and ``attributes`` of what
it returns), so a span whose scrub fails goes out with every value replaced.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from ..conditions.event_view import EventView
from ..errors import UnsendableValue
from ..rules.filters import DROP, KEEP
from ..scrub import FILTERED
from ..scrub.logtemplate import PLACEHOLDER
from .stats import Tally, count

#: The item kinds of these channels, as ``on:`` names them.
LOG, METRIC, SPAN = "log", "metric", "span"
KINDS = (LOG, METRIC, SPAN)

TEMPLATE = "sentry.message.template"
PARAMETER = "sentry.message.parameter."

#: OpenTelemetry severity names (what ``severity_text`` holds) as Sentry event levels, so one
#: ``level:`` test reads the same for events and logs.
_LEVELS = {
    "trace": "debug", "debug": "debug", "info": "info", "warn": "warning", "warning": "warning",
    "error": "error", "fatal": "fatal", "critical": "fatal",
}


def attributes_of(item: dict) -> dict:
    """The item's attributes mapping, created when the SDK sent none (so it can be written)."""
    attributes = item.get("attributes")
    if not isinstance(attributes, dict):
        attributes = item["attributes"] = {}
    return attributes


# ---------------------------------------------------------------------- views for filters


def log_view(log: dict) -> dict:
    """The event-shaped mapping filters read for a log record: ``level``, ``logger``, ``message``,
    ``environment``, ``release`` as for events, plus ``log.level``, ``log.body`` and
    ``attributes.<name>``."""
    attributes = log.get("attributes") if isinstance(log.get("attributes"), dict) else {}
    severity = log.get("severity_text")
    body = log.get("body")
    return {
        "level": _LEVELS.get(severity.lower(), severity) if isinstance(severity, str) else None,
        "logger": attributes.get("logger.name"),
        "logentry": {"formatted": body},
        "environment": attributes.get("sentry.environment"),
        "release": attributes.get("sentry.release"),
        "log": {"level": severity, "body": body},
        "attributes": attributes,
    }


def metric_view(metric: dict) -> dict:
    """The event-shaped mapping filters read for a metric: ``metric.name``, ``metric.type``,
    ``metric.unit``, ``environment``, ``release`` and ``attributes.<name>``."""
    attributes = metric.get("attributes") if isinstance(metric.get("attributes"), dict) else {}
    return {
        "environment": attributes.get("sentry.environment"),
        "release": attributes.get("sentry.release"),
        "metric": {key: metric.get(key) for key in ("name", "type", "unit")},
        "attributes": attributes,
    }


VIEWS: dict[str, Callable[[dict], dict]] = {LOG: log_view, METRIC: metric_view}


def filter_view(item: dict, hint: dict | None, kind: str) -> EventView:
    return EventView(VIEWS[kind](item), hint, kind)


# ---------------------------------------------------------------------- proxies for the scrub


class Proxy:
    """An event-shaped mapping over one item, and how to write its scrubbed values back."""

    def __init__(self, event: dict, write_back: Callable[[], None]):
        self.event = event
        self.write_back = write_back


#: Keys of an item holding the trace's ids: hex strings with nothing to scrub.
_ID_KEYS = frozenset({"trace_id", "span_id", "parent_span_id"})
_HEX = re.compile(r"[0-9a-fA-F]{1,64}")


def _carries_nothing(key: str, value: Any) -> bool:
    """Numbers (timestamps, values, severity numbers) and hex ids need no scrubbing; every other
    field is scrubbed, including fields a later sentry-sdk may add."""
    if value is None or isinstance(value, (bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)  # NaN and infinity cannot be sent: the scrub fails them closed
    return key in _ID_KEYS and isinstance(value, str) and _HEX.fullmatch(value) is not None


def _rest_of(item: dict, handled: tuple[str, ...]) -> dict:
    """The item's fields other than ``handled`` that may carry data."""
    return {key: value for key, value in item.items()
            if key not in handled and not (type(key) is str and _carries_nothing(key, value))}


def log_proxy(log: dict) -> Proxy:
    """The proxy of a log record: its body and template as ``logentry`` (with the template's
    parameters as ``logentry.params``), its attributes, and its other fields under ``log``."""
    attributes = attributes_of(log)
    template = attributes.get(TEMPLATE)
    names = parameter_names(template) if isinstance(template, str) else []
    originals = [attributes.get(name) for name in names]
    others = {key: value for key, value in attributes.items() if key != TEMPLATE}
    logentry: dict[str, Any] = {"formatted": log.get("body")}
    if isinstance(template, str):
        logentry["message"] = template
        logentry["params"] = list(originals)
    rest = _rest_of(log, ("body", "attributes"))
    event = {"logentry": logentry, "attributes": others, "log": rest}

    def write_back() -> None:
        log.update(rest)
        log["body"] = logentry["formatted"]
        fresh = dict(others)
        if "message" in logentry:
            fresh[TEMPLATE] = logentry["message"]
            # A parameter redacted where the template names its key (``password=%s``) is
            # redacted in its attribute too.
            for name, original, value in zip(names, originals, logentry["params"]):
                if value != original and name in fresh:
                    fresh[name] = value
        attributes.clear()
        attributes.update(fresh)

    return Proxy(event, write_back)


def named_item_proxy(section: str) -> Callable[[dict], Proxy]:
    """The proxy of a metric or span: its fields under ``<section>`` (``metric.name``,
    ``span.name``...) and its ``attributes``."""

    def proxy(item: dict) -> Proxy:
        attributes = attributes_of(item)
        rest = _rest_of(item, ("attributes",))
        event = {section: rest, "attributes": attributes}
        return Proxy(event, lambda: item.update(rest))

    return proxy


PROXIES: dict[str, Callable[[dict], Proxy]] = {
    LOG: log_proxy,
    METRIC: named_item_proxy("metric"),
    SPAN: named_item_proxy("span"),
}


def parameter_names(template: str) -> list[str]:
    """The attribute holding each placeholder's value, in the template's order, as the scrubber
    counts placeholders: ``%s`` and ``{}`` are positional (``sentry.message.parameter.0``...),
    ``%(name)s`` and ``{name}`` named (``sentry.message.parameter.name``)."""
    names = []
    for match in PLACEHOLDER.finditer(template):
        placeholder = match.group()
        if placeholder != "%%":
            names.append(PARAMETER + (_placeholder_name(placeholder) or str(len(names))))
    return names


def _placeholder_name(placeholder: str) -> str:
    """``name`` of ``%(name)s`` and of ``{name!r:>4}``; empty for a positional placeholder."""
    if placeholder.startswith("%("):
        return placeholder[2:placeholder.index(")")]
    if placeholder.startswith("{"):
        return placeholder[1:-1].split("!")[0].split(":")[0]
    return ""


# ---------------------------------------------------------------------- fail-closed output


def filtered_item(item: dict, kind: str) -> dict:
    """The item with every field that may carry data replaced: what goes out when scrubbing it
    failed and it cannot be dropped (a span) or ``on_error: send_filtered`` asks for it."""
    kept: dict[str, Any] = {}
    for key, value in item.items():
        if type(key) is not str:
            continue
        if key == "attributes" and isinstance(value, dict):
            kept[key] = {name: _filtered_leaf(leaf) for name, leaf in value.items() if type(name) is str}
        else:
            kept[key] = value if _carries_nothing(key, value) else FILTERED
    kept.setdefault("attributes", {})
    if kind == SPAN:
        kept["name"] = FILTERED  # sentry-sdk keeps the original span when the name is missing
    return kept


def _filtered_leaf(value: Any) -> Any:
    return value if isinstance(value, bool) or value is None else FILTERED


#: The name sentry-sdk gives a span that has none.
UNLABELED_SPAN = "<unlabeled span>"


# ---------------------------------------------------------------------- the pipeline


def process_item(ruleset: Any, item: Any, hint: dict | None, kind: str) -> dict | None:
    """Run ``ruleset`` over one log record, metric or span, in place. Never raises.

    Logs and metrics: the first matching ``on: [log]`` / ``on: [metric]`` filter decides, then
    the scrub. Spans: the scrub only (a span cannot be dropped). A failure anywhere drops a log
    or metric (or sends it filtered, with ``on_error: send_filtered``); a span goes out filtered.
    """
    if not isinstance(item, dict):
        ruleset._stats.add("internal_errors", "invalid_" + kind)
        return None if kind != SPAN else filtered_item({}, SPAN)
    try:
        return run(ruleset, item, hint, kind)
    except Exception:
        ruleset._stats.add("internal_errors", "runtime")
        return _failed_closed(ruleset, item, kind, ruleset._stats.tally())


def run(ruleset: Any, item: dict, hint: dict | None, kind: str, trace: Any = None) -> dict | None:
    """The pipeline of one item, written once: the hook runs it with no trace, explain with one
    (a :class:`~rules_engine.runtime.explain.Trace`)."""
    tally = ruleset._stats.tally() if trace is None else Tally()  # explain counts nothing
    count(tally.events, kind)
    if kind in VIEWS:
        rule, outcome = ruleset._filter(filter_view(item, hint, kind), kind, tally, trace)
        if rule is not None and outcome != KEEP:
            count(tally.dropped if outcome == DROP else tally.sampled_out, rule.id)
            if trace is not None:
                trace.stopped_by_filter(rule.id, outcome == DROP, {"scrub": list(ruleset._scrubber.rule_ids)})
            return None
    if kind == SPAN and item.get("is_segment") is True:
        _rename_segment(ruleset, item, hint, tally, trace)
    try:
        counts = scrub_item(ruleset._scrubber, item, kind)
    except Exception as exc:
        count(tally.internal_errors, "unsendable" if isinstance(exc, UnsendableValue) else "scrub")
        if trace is not None:
            trace.scrub_failed(exc, ruleset.options.on_error)
        return _failed_closed(ruleset, item, kind, tally)
    for key, amount in counts.items():
        count(tally.redactions, key, amount)
    if trace is not None:
        trace.scrubbed(ruleset._scrubber.rule_ids, counts)
    return item


def segment_view(span: dict) -> dict:
    """A streamed segment span (what a transaction is when spans stream) as the transaction event
    grouping rules read: ``transaction``, ``route``, ``request.method``, ``duration_ms``..."""
    attributes = span.get("attributes") if isinstance(span.get("attributes"), dict) else {}
    return {
        "type": "transaction",
        "transaction": span.get("name"),
        "transaction_info": {"source": attributes.get("sentry.segment.name.source")},
        "request": {"method": attributes.get("http.request.method"), "url": attributes.get("url.full")},
        "environment": attributes.get("sentry.environment"),
        "release": attributes.get("sentry.release"),
        "contexts": {"trace": {"op": attributes.get("sentry.op")}},
        "start_timestamp": span.get("start_timestamp"),
        "timestamp": span.get("end_timestamp"),
    }


def _rename_segment(ruleset: Any, span: dict, hint: dict | None, tally: Any, trace: Any) -> None:
    """Apply the transaction grouping rules' ``rename`` to a segment span: its name is the
    transaction's. Their other actions (fingerprint, title, tags...) have no place on a span."""
    view_event = segment_view(span)
    before = view_event["transaction"]
    ruleset._group(EventView(view_event, hint, "transaction"), "transaction", view_event, tally, trace)
    renamed = view_event.get("transaction")
    if renamed != before and isinstance(renamed, str):
        span["name"] = renamed
        attributes_of(span)["sentry.segment.name.source"] = "custom"


def scrub_item(scrubber: Any, item: dict, kind: str) -> dict[str, int]:
    """Scrub one item in place through its proxy; the redaction counts. Raises when scrubbing
    fails (the item must then not go out as it is)."""
    proxy = PROXIES[kind](item)
    counts = scrubber.scrub_event(proxy.event)
    proxy.write_back()
    if kind == SPAN and not isinstance(item.get("name"), str):
        item["name"] = UNLABELED_SPAN  # without a name sentry-sdk would send the span as it was
    return counts


def _failed_closed(ruleset: Any, item: dict, kind: str, tally: Any) -> dict | None:
    """What goes out when an item could not be scrubbed: nothing, or (a span, or with
    ``on_error: send_filtered``) the item with every field that may carry data replaced."""
    if kind != SPAN and ruleset.options.on_error != "send_filtered":
        count(tally.dropped, "scrub")
        return None
    try:
        return filtered_item(item, kind)
    except Exception:
        count(tally.dropped, "scrub")
        return None if kind != SPAN else filtered_item({}, SPAN)


# ---------------------------------------------------------------------- feedback


#: Where a user feedback event holds the address the user typed to be contacted at.
FEEDBACK_EMAIL = ("contexts", "feedback", "contact_email")
_PLAIN_EMAIL = re.compile(r"[^@\s\[\]]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def keeps_feedback_email(scrub: Any) -> bool:
    """The contact address of a feedback event is kept unless a scrub rule names it in ``in:``:
    the user typed it so that someone answers, and removing it defeats the feedback."""
    for rule in scrub.rules:
        for selector in rule.in_ or ():
            if selector.startswith("contexts.feedback"):
                return False
    return True


def take_feedback_email(event: dict) -> str | None:
    """The contact address of a feedback event when it is a plain e-mail address (anything else
    in that field is scrubbed like any other text)."""
    feedback = (event.get("contexts") or {}).get("feedback") if isinstance(event.get("contexts"), dict) else None
    email = feedback.get("contact_email") if isinstance(feedback, dict) else None
    return email if isinstance(email, str) and _PLAIN_EMAIL.fullmatch(email) else None


def restore_feedback_email(event: dict, email: str) -> None:
    event["contexts"]["feedback"]["contact_email"] = email
    meta = event.get("_meta")
    for key in FEEDBACK_EMAIL[:-1]:
        meta = meta.get(key) if isinstance(meta, dict) else None
    if isinstance(meta, dict):
        meta.pop(FEEDBACK_EMAIL[-1], None)


# ---------------------------------------------------------------------- stored items


_METRIC_TYPES = frozenset({"counter", "gauge", "distribution"})


def kind_of_item(obj: Any) -> str | None:
    """``log``, ``metric`` or ``span`` when ``obj`` has the shape sentry-sdk gives that item, in
    its hook or on the wire (an envelope item's ``items``); ``None`` for anything else."""
    if not isinstance(obj, dict) or "exception" in obj:
        return None
    if "body" in obj and ("severity_text" in obj or "level" in obj or "attributes" in obj):
        return LOG
    if obj.get("type") in _METRIC_TYPES and "name" in obj and "value" in obj:
        return METRIC
    if "span_id" in obj and "name" in obj and "type" not in obj and ("is_segment" in obj or "start_timestamp" in obj):
        return SPAN
    return None


def on_the_wire(item: dict) -> bool:
    """Whether the item's attributes are typed as sentry-sdk sends them: ``{"value", "type"}``."""
    attributes = item.get("attributes")
    return (isinstance(attributes, dict) and bool(attributes)
            and all(isinstance(v, dict) and set(v) == {"value", "type"} for v in attributes.values()))


def from_the_wire(item: dict) -> dict:
    """A wire-format item in the shape its hook receives (attribute values plain, a log's
    ``level`` as ``severity_text``)."""
    hooked = dict(item)
    hooked["attributes"] = {key: typed["value"] for key, typed in item["attributes"].items()}
    if "level" in hooked and "severity_text" not in hooked:
        hooked["severity_text"] = hooked.pop("level")
    return hooked


def to_the_wire(item: dict) -> dict:
    """The inverse of :func:`from_the_wire`, typing attributes as sentry-sdk does."""
    wired = dict(item)
    if "severity_text" in wired:
        wired["level"] = wired.pop("severity_text")
    attributes = item.get("attributes") if isinstance(item.get("attributes"), dict) else {}
    wired["attributes"] = {key: {"value": value, "type": _attribute_type(value)} for key, value in attributes.items()}
    return wired


def _attribute_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, (list, tuple)):
        return "array"
    return "string"
