"""What offline commands (``apply``, ``explain``, ``test``) cannot know that the live hook can.

Live, sentry-sdk hands the hook the exception itself (``hint["exc_info"]``): its base classes,
the names it is importable as, and its attributes (``exc.*``). Offline an event is only its
payload. Two things close the gap, and this module says what stays open:

* ``--import`` imports the modules an event's exceptions name (``exception.values[].module``),
  so their classes resolve as they would live (base classes, import names). It is opt-in because
  importing runs the module's code; a module that cannot be imported is reported once, with why.
* ``exc.*`` conditions need the live exception's attributes, which no payload holds: rules using
  them are listed as not judged offline rather than as rules that never fired.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Iterable

from ..conditions.exception_names import NotImportable, import_module_of, modules_of_event, reported_class
from ..conditions.syntax import And, FieldTest, Not, Or, parse_condition
from ..sentry_event import exception_values

LIVE_ONLY_PREFIX = "exc."


def add_import_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--import", dest="import_modules", action="store_true",
        help="import the modules the events' exceptions name, so their base classes match as they do live "
             "(runs those modules' code)",
    )


class ModuleImporter:
    """``--import``: each module an event names is imported once; a failure is reported once."""

    def __init__(self, command: str, enabled: bool):
        self.command = command
        self.enabled = enabled
        self._tried: set[str] = set()

    def prepare(self, event: Any) -> None:
        if not self.enabled:
            return
        for module in modules_of_event(event):
            if module in self._tried:
                continue
            self._tried.add(module)
            try:
                import_module_of(module)
            except NotImportable as exc:
                print(f"rules-engine {self.command}: --import: {exc}; classes of {module} are matched by "
                      "their reported names only", file=sys.stderr)


def unresolved_classes(event: Any) -> list[str]:
    """The dotted names of an event's exception classes that cannot be resolved in this process
    (their module is not imported): their base classes and import names are not matched."""
    names = []
    for value in exception_values(event) if isinstance(event, dict) else []:
        if not isinstance(value, dict):
            continue
        module, bare = value.get("module"), value.get("type")
        if isinstance(module, str) and module and isinstance(bare, str) and reported_class(module, bare) is None:
            names.append(f"{module}.{bare}")
    return names


def live_only_fields(rule: Any) -> list[str]:
    """The ``exc.*`` fields a filter or grouping rule's conditions test."""
    fields: dict[str, None] = {}
    for condition in (getattr(rule, "when", None), getattr(rule, "unless", None)):
        if isinstance(condition, dict):
            fields.update(dict.fromkeys(f for f in _fields(parse_condition(condition)) if f.startswith(LIVE_ONLY_PREFIX)))
    return list(fields)


def _fields(node: Any) -> Iterable[str]:
    if isinstance(node, FieldTest):
        yield node.field
    elif isinstance(node, (And, Or)):
        for child in node.children:
            yield from _fields(child)
    elif isinstance(node, Not):
        yield from _fields(node.child)


def rules_needing_live_exceptions(model: Any) -> dict[str, list[str]]:
    """Rule id -> the ``exc.*`` fields it tests, for the filters and grouping rules that test any."""
    found = {}
    for rule in [*model.filters, *model.grouping]:
        fields = live_only_fields(rule)
        if fields:
            found[rule.id] = fields
    return found
