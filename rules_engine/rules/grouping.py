"""Grouping rules: fingerprint, title, tags, level, contexts and rename. The first matching rule wins.

Sentry has no "title" field a client can set: its server derives an error's title from
the main (last) exception as ``"{type}: {value}"`` (first line of the value) and a message's
from ``logentry.formatted``, and it recomputes ``title`` and ``metadata`` for every event, so
a top-level ``title`` key sent by a client is not what the issue list shows. A ``title``
action therefore rewrites what the title is built from:

* errors: the rendered text is split at the first ``": "`` into the main exception's ``type``
  and ``value`` (no ``": "``: all of it becomes the type and the value is emptied); the
  exception's ``module`` is removed so the type is shown as written. The original type,
  value and module are kept in the ``original_exception`` context.
* messages: ``logentry.formatted`` and ``logentry.message`` become the rendered text; the
  original log entry is kept in the ``original_message`` context.

``rename`` sets the ``transaction`` of a transaction or an error (``"{{ request.method }}
{{ route }}"``) and marks its ``transaction_info.source`` as ``custom``, as sentry-sdk does for a
name set in code.

Rules read the event as it arrived: every matching rule's templates are rendered against the
unchanged event, then the actions are applied in rule order (a later ``continue`` rule's tags
are set after an earlier rule's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..conditions.event_view import EventView
from ..model import models
from .filters import RuleCondition
from .templates import Template, compile_template

#: Sentry rejects tag values longer than this; they are cut to fit after scrubbing (a secret cut
#: in half before scrubbing could no longer be recognised, and its first half would be sent).
MAX_TAG_VALUE_LENGTH = 200

from ..sentry_event import main_exception


@dataclass
class Changes:
    """What one grouping rule renders for one event, before it is applied."""

    rule_id: str
    fingerprint: list[str] | None = None
    title: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    level: str | None = None
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    rename: str | None = None


@dataclass(frozen=True)
class GroupingRule:
    position: int
    id: str
    condition: RuleCondition
    fingerprint: tuple[Template, ...] | None
    title: Template | None
    tags: tuple[tuple[str, Template], ...]
    level: str | None
    contexts: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    continue_: bool
    rename: Template | None = None

    def render(self, view: EventView) -> Changes:
        changes = Changes(self.id, level=self.level)
        if self.fingerprint is not None:
            changes.fingerprint = [item.render(view) for item in self.fingerprint]
        if self.title is not None:
            changes.title = self.title.render(view)
        for key, template in self.tags:
            changes.tags[key] = template.render(view)
        for name, entries in self.contexts:
            changes.contexts[name] = {key: _render_value(value, view) for key, value in entries}
        if self.rename is not None:
            changes.rename = self.rename.render(view)
        return changes


def _render_value(value: Any, view: EventView) -> Any:
    if isinstance(value, Template):
        return value.render_value(view)
    if isinstance(value, dict):
        return {k: _render_value(v, view) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_value(v, view) for v in value]
    return value


def _compile_value(value: Any) -> Any:
    """Strings inside contexts are templates; other JSON values are kept as they are."""
    if isinstance(value, str):
        return compile_template(value)
    if isinstance(value, dict):
        return {k: _compile_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compile_value(v) for v in value]
    return value


def compile_grouping(position: int, rule: models.GroupingRule, condition: RuleCondition) -> GroupingRule:
    """Compile a grouping rule's templates (raises ``TemplateError`` for a bad one)."""
    fingerprint = (
        tuple(compile_template(item, fingerprint_item=True) for item in rule.fingerprint)
        if rule.fingerprint is not None
        else None
    )
    contexts = tuple(
        (name, tuple((key, _compile_value(value)) for key, value in entries.items()))
        for name, entries in (rule.contexts or {}).items()
    )
    return GroupingRule(
        position=position,
        id=rule.id,
        condition=condition,
        fingerprint=fingerprint,
        title=compile_template(rule.title) if rule.title is not None else None,
        tags=tuple((key, compile_template(value)) for key, value in (rule.tags or {}).items()),
        level=rule.level,
        contexts=contexts,
        continue_=rule.continue_,
        rename=compile_template(rule.rename) if rule.rename is not None else None,
    )


# ---------------------------------------------------------------------- applying


def apply_changes(event: dict, changes: Changes, *, describe: bool = True) -> list[str]:
    """Apply rendered changes to the event in place; return a description of each change
    (for explain; the hooks pass ``describe=False`` and get an empty list)."""
    done: list[str] = []
    if changes.fingerprint is not None:
        event["fingerprint"] = list(changes.fingerprint)
        if describe:
            done.append(f"fingerprint = {changes.fingerprint!r}")
    if changes.title is not None:
        title_change = _apply_title(event, changes.title)
        if describe:
            done.append(title_change)
    if changes.tags:
        tags = tags_dict(event)
        tags.update(changes.tags)
        if describe:
            done.extend(f"tags.{key} = {value!r}" for key, value in changes.tags.items())
    if changes.level is not None:
        event["level"] = changes.level
        if describe:
            done.append(f"level = {changes.level!r}")
    for name, values in changes.contexts.items():
        contexts = event.get("contexts")
        if not isinstance(contexts, dict):
            contexts = event["contexts"] = {}
        target = contexts.get(name)
        if not isinstance(target, dict):
            target = contexts[name] = {}
        target.update(values)
        if describe:
            done.append(f"contexts.{name} = {target!r}")
    if changes.rename is not None:
        event["transaction"] = changes.rename
        info = event.get("transaction_info")
        if not isinstance(info, dict):
            info = event["transaction_info"] = {}
        info["source"] = "custom"
        if describe:
            done.append(f"transaction = {changes.rename!r}")
    return done


def cut_tag_values(event: dict) -> None:
    """Cut string tag values (a mapping, or ``[key, value]`` pairs) to the length Sentry accepts;
    run after scrubbing."""
    tags = event.get("tags")
    entries = tags.items() if isinstance(tags, dict) else enumerate(tags) if isinstance(tags, list) else ()
    for key, value in list(entries):
        if isinstance(value, str) and len(value) > MAX_TAG_VALUE_LENGTH:
            tags[key] = value[:MAX_TAG_VALUE_LENGTH]
        elif isinstance(value, list) and len(value) == 2 and isinstance(value[1], str):
            value[1] = value[1][:MAX_TAG_VALUE_LENGTH]


def tags_dict(event: dict) -> dict:
    """The event's tags as a mapping (a ``[key, value]`` pair list is converted in place)."""
    tags = event.get("tags")
    if isinstance(tags, dict):
        return tags
    converted: dict = {}
    if isinstance(tags, list):
        for pair in tags:
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                converted[pair[0]] = pair[1]
    event["tags"] = converted
    return converted


def _apply_title(event: dict, title: str) -> str:
    main = main_exception(event)
    contexts = event.get("contexts")
    if not isinstance(contexts, dict):
        contexts = event["contexts"] = {}
    if main is not None:
        contexts.setdefault(
            "original_exception",
            {"type": main.get("type"), "value": main.get("value"), "module": main.get("module")},
        )
        new_type, separator, new_value = title.partition(": ")
        main["type"] = new_type
        main["value"] = new_value if separator else ""
        main.pop("module", None)
        return f"title = {title!r} (exception type {new_type!r}, value {main['value']!r})"
    logentry = event.get("logentry")
    original = dict(logentry) if isinstance(logentry, dict) else {"message": event.get("message")}
    contexts.setdefault("original_message", original)
    event["logentry"] = {"message": title, "formatted": title}
    if isinstance(event.get("message"), str):
        event["message"] = title
    return f"title = {title!r} (log message)"
