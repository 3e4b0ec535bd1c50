"""What the scrubber's run does about an event changed while it is scrubbed (by another thread, or
by code the walk runs, such as an unusual value's methods).

A dict or a list is walked through a copy taken when the walk enters it: another thread that adds
and removes keys or items meanwhile, keeping the size, cannot make the walk skip or repeat an
entry. Afterwards a dict must still hold the same keys, and a list the same items, in the same
order, as the copy; if not, the run fails closed (:class:`EventChanged`) rather than let entries
it never saw be sent. A list is checked once more after the redactions are written, if it
received one: they are written by index, and an item moved to another index in between would be
sent as it was while the redaction meant for it overwrote a neighbour. ``_walker.c`` does the
same checks in C (``unchanged``, ``list_holds``, ``check_written_lists``)."""

from __future__ import annotations

from operator import is_not
from typing import Any

from ..errors import RulesEngineError


class EventChanged(RulesEngineError, RuntimeError):
    """A dict or list of the event changed while it was scrubbed (another thread changed it): what
    was scrubbed is not what would be sent."""


class ChangeChecks:
    """The checks of :class:`~.walk.Run` against its copies. A run holds ``lists`` (each list
    walked, then its copy, flat) and ``replaced`` (``id(list) -> (list, {index: item})``: the
    items the run put in a list itself, a tuple as a list, a subclass as its plain form, a
    redaction)."""

    lists: list
    replaced: dict[int, tuple[list, dict[int, Any]]]

    def unchanged(self, node: dict | list, copy: dict | list) -> None:
        """Raise :class:`EventChanged` unless ``node`` still holds what ``copy`` holds, in order:
        a dict the same key objects, a list the same item objects (or, where the walk itself
        replaced one, its replacement)."""
        if len(node) != len(copy) or any(map(is_not, node, copy)):
            if type(node) is not list or not self.only_replaced(node, copy):
                self.changed()

    def list_unchanged(self, node: list, copy: list) -> None:
        """:meth:`unchanged` for a list the walk read through ``copy``; remembers both."""
        if len(node) != len(copy) or any(map(is_not, node, copy)):
            if not self.only_replaced(node, copy):
                self.changed()
        self.lists.extend((node, copy))

    def pair_unchanged(self, pair: list, name: str, value) -> None:
        """:meth:`list_unchanged` for a ``[name, value]`` pair the walk read as ``name`` and
        ``value`` (its two items compared as they are: no copy); remembers it with what it held."""
        if len(pair) != 2 or pair[0] is not name or pair[1] is not value:
            if not self.only_replaced(pair, [name, value]):
                self.changed()
        # as a list, like every copy: the C walk, which hands some pairs to this walk, reads them
        self.lists.extend((pair, [name, value]))

    def check_written_lists(self) -> None:
        """Check again each list that received a redaction, now that all are written."""
        replaced = self.replaced
        if replaced:
            pairs = iter(self.lists)
            for node, copy in zip(pairs, pairs):
                if id(node) in replaced:
                    self.unchanged(node, copy)

    def only_replaced(self, node: list, copy: list) -> bool:
        """Whether ``node`` holds ``copy``'s items except where the run put items of its own."""
        found = self.replaced.get(id(node))
        if found is None or len(node) != len(copy):
            return False
        expected = copy.copy()
        for index, item in found[1].items():
            if index >= len(expected):
                return False
            expected[index] = item
        return not any(map(is_not, node, expected))

    def replace(self, container, key, value):
        """Put ``value`` (the plain form of what the walk read there, or its redaction) at
        ``container[key]``, and return it; a list remembers that the run put it there."""
        container[key] = value
        if type(container) is list:
            found = self.replaced.get(id(container))
            if found is None:
                found = self.replaced[id(container)] = (container, {})
            found[1][key] = value
        return value

    def changed(self) -> None:
        raise EventChanged("a dict or list of the event changed while it was scrubbed")
