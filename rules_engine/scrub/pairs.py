"""Pairs: values whose key is written elsewhere. A ``[name, value]`` list's value is visited under
its name (:meth:`Pairs.visit_pair`); a pair dict's value field is named by a sibling field.

Kubernetes and ECS environment lists (``{"name": "DB_PASSWORD", "value": ...}``), HAR headers,
cookies and query parameters, AWS tags (``{"Key": ..., "Value": ...}``), SSM parameters,
CloudFormation's ``ParameterKey``/``ParameterValue``, Elastic Beanstalk's ``OptionName``/``Value``,
OpenAPI and GraphQL parameter lists and form-field lists all hold a value whose key is another
field's text. The walks decide such a value as if it also sat under each of those names: a key
rule matching the value field's own key *or* a name redacts it whole, the first such rule in
ruleset order. What the fields are is data (:data:`NAME_FIELDS`, :data:`VALUE_FIELDS`), never
a case per shape.

* A dict is a pair when it holds a value field and a name field whose value is a ``str`` (a str
  subclass counts as its text). A name of any other type names nothing. The event itself is no
  pair (its top-level fields are the SDK's).
* Every value field of a pair is decided by every name it holds; other fields (a HAR cookie's
  ``path``, ``domain``, ``httpOnly``, Beanstalk's ``Namespace``, SSM's ``Type``) are walked as
  their own keys, and so are the name fields themselves (their text is searched like any other).
* Field names match as written, in lower case, in upper case, and with the first letter's case
  swapped (``ParameterKey``, ``parameterkey``, ``PARAMETERKEY``, ``parameterKey``); other mixed
  cases are not field names.
* Selectors (``in:``, ``allow:``) step over the value's real path (``env.0.value``): a pair
  dict's value has a key of its own, which is what Sentry shows; the name only adds keys to the
  key rules' decision, taken among the rules active at that path. (A ``[name, value]`` list pair
  has no key for its value, so there its name is also the selector's step.)

A value field never counts as a harmless key in the walks' fast paths (``Run.walk_dict``): a dict
holding one is always looked at key by key, and the names are read once, when the walk meets its
first value field (the C walk reads them in Python, and only for a dict holding a name field).
After the dict's walk they are read again: a name changed meanwhile fails the run closed, as a
changed key does (:mod:`.changes`).

Pair dicts written as text (:func:`find_pairs_in_text`: the ``repr()`` sentry-sdk sends of a
container nested deeper than it walks, JSON text) are found by the exact pass with keys inside
text, ``INSERT`` values and Redis commands' values (:func:`with_named_values`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .rule import lowest_bit
from .redis_commands import find_redis_values
from .sqlinsert import find_insert_values

#: Fields whose text names a sibling value: Kubernetes/ECS/HAR/OpenAPI ``name``, tags' ``key``,
#: form lists' ``field``, ``header``, ``variable``, ``param``/``parameter``, CloudFormation's
#: ``ParameterKey``, Elastic Beanstalk's ``OptionName`` (SSM's and AWS tags' capitalised
#: ``Name`` and ``Key`` are spellings of the first two); and a frame's loop variables over a
#: dict's items, a row's columns or an object's attributes (``for k, v in settings.items()``,
#: ``for column, value in zip(columns, row)``, ``for attr in dir(obj)``), which sentry-sdk sends
#: as the frame's variables, a dict like any other.
NAME_FIELDS = ("name", "key", "field", "header", "variable", "param", "parameter", "ParameterKey", "OptionName",
               "k", "var", "attr", "option", "opt", "setting", "column", "col", "prop")

#: Fields holding the value a sibling names: ``value`` (``Value`` in AWS's shapes), ``values``
#: (a multi-valued form field or filter), CloudFormation's ``ParameterValue`` and Azure
#: container groups' ``secureValue``; the loop variables ``v`` and ``val``.
VALUE_FIELDS = ("value", "values", "ParameterValue", "secureValue", "v", "val")


def spellings(fields: Iterable[str]) -> frozenset[str]:
    """Each field name as written, in lower case, in upper case and with its first letter's
    case swapped."""
    found = set()
    for written in fields:
        found |= {written, written.lower(), written.upper(), written[0].swapcase() + written[1:]}
    return frozenset(found)


#: The spellings the walks compare exact ``str`` keys with.
PAIR_NAMES = spellings(NAME_FIELDS)
PAIR_VALUES = spellings(VALUE_FIELDS)


def pair_names(fields: dict, exact_key: Callable[[object], str]) -> list[str]:
    """The names a dict's value fields are known by: the text of each name field holding a
    ``str`` (none when the dict is no pair). ``fields`` is the walk's copy of the dict; a key
    that is not exactly a ``str`` is read as ``exact_key`` reads it (its text, or it raises)."""
    if fields.keys().isdisjoint(PAIR_NAMES) and all(type(key) is str for key in fields):
        return []  # no name field: the usual dict holding a value field (an exception)
    names = []
    for key, value in fields.items():
        kind = type(value)
        if kind is not str and not issubclass(kind, str):
            continue
        text = key if type(key) is str else exact_key(key)
        if text in PAIR_NAMES:
            names.append(value if kind is str else str.__str__(value))
    return names


def lone_pair_name(items: list) -> str | None:
    """The name of a lone pair, or None: a list of two items whose first is a str that reads as a
    key's name (a word of letters, digits, ``_``, ``-``, ``.`` and ``:``, at most
    :data:`_MAX_LONE_NAME` long, maybe in the quotes of its ``repr()``), and which is not an item
    of a list (those are pairs of their list), names its second item as a key names its value:
    ``for item in settings.items()``, ``parts = line.split("=", 1)`` in a frame. (A sentence or a
    source line is no name: two lines of a frame's context are no pair.)"""
    if len(items) == 2 and type(items[0]) is str and _KEY_NAME.fullmatch(items[0]) is not None:
        return items[0]
    return None


def no_lone_pair(items: list) -> None:
    """:func:`lone_pair_name` where lone pairs are not read (without ``options.named_values``)."""
    return None


_MAX_LONE_NAME = 64
_KEY_NAME = re.compile(rf"""(?:[bu](?=['"]))?(['"]?)[\w.:\-]{{1,{_MAX_LONE_NAME}}}\1""")


class Pairs:
    """What :class:`~.walk.Run` does with pairs: a ``[name, value]`` list's value is visited under
    its name; a pair dict's names are read once per dict (when the walk meets its first value
    field), and checked again after its walk. A run holds the scrubber and the walk's methods
    used here."""

    scrubber: Any
    texts: list[str]
    slots: list
    key_rules: bool
    exact_key: Callable[[object], str]
    changed: Callable[[], None]
    replace: Callable[..., Any]
    step: Callable[..., tuple]
    check_subtree: Callable[..., None]
    pair_unchanged: Callable[..., None]
    redact_all: Callable[..., None]
    place: Callable[..., None]

    def visit_pair(self, container, index, pair, path, state, active, depth) -> None:
        """A ``[name, value]`` pair (headers): the name is the key of the value. The pair is a
        list of the event too, walked through a copy (its value may be redacted by index). The
        name is a string of the event as well (a pair's first item can be any text: a list of
        ``(url, status)`` tuples), collected as the pair's first item."""
        if type(pair) is tuple:
            pair = self.replace(container, index, list(pair))
        try:  # one read of both items: what the pair held then is what is walked and checked
            name, value = pair
        except ValueError:
            name = None
        if type(name) is not str:  # no longer the pair the caller saw
            self.changed()
        pair_path = (path, index)
        self.texts.append(name)
        self.slots.extend((pair, 0, pair_path, active))
        if state is not None:
            state, active, allowed = self.step(state, active, name)
            if allowed:
                self.check_subtree(value, depth + 1)
                self.pair_unchanged(pair, name, value)
                return
        decision = self.scrubber._key_decision(name) & active if self.key_rules else 0
        if decision:
            self.redact_all(pair, 1, value, pair_path, state, active, lowest_bit(decision), depth + 1)
        else:
            self.place(pair, 1, value, pair_path, state, active, depth + 1)
        self.pair_unchanged(pair, name, value)

    def pair_decision(self, fields: dict) -> int:
        """The key rules matching a name of the pair dict read as ``fields`` (the walk's copy of
        it), as a bitmask, 0 when it is no pair: its value fields are decided by them too."""
        decision = 0
        if not self.scrubber._named_values:
            return decision
        decide = self.scrubber._key_decision
        for name in pair_names(fields, self.exact_key):
            decision |= decide(name)
        return decision

    def pair_dict_unchanged(self, node: dict, copy: dict, pair: int | None) -> None:
        """Raise :class:`~.changes.EventChanged` unless the dict ``node``, walked through ``copy``
        (its keys already checked), still holds the names its value fields were decided by, if
        they were read (``pair`` is not None): the same texts (the walk itself puts a str
        subclass's text in its place)."""
        if pair is not None and pair_names(node, self.exact_key) != pair_names(copy, self.exact_key):
            self.changed()


# ---------------------------------------------------------------- pair dicts inside text

#: What the reading of dict text stops at: quotes, brackets, colons and commas.
_TEXT_MARK = re.compile(r"""['"{}\[\]:,]""")
_CLOSING = {"{": "}", "[": "]"}
_MAX_NAME = 256


@dataclass
class _Level:
    """One open ``{...}`` or ``[...]`` of dict text: for a dict, its fields read so far."""

    opener: str
    start: int  # where its inside starts
    key: str | None = None  # the last quoted key, until its value is read
    value_start: int = -1  # where the current value starts (after its colon)
    value_span: tuple[int, int] | None = None  # the inside of the current value, when quoted or a container
    names: list[str] = field(default_factory=list)  # the texts of name fields holding a string
    values: list[tuple[int, int]] = field(default_factory=list)  # the spans of value fields


def find_pairs_in_text(text: str, decide: Callable[[str], int]) -> list[tuple[int, int, int]]:
    """``(start, end, decision)`` of the value fields of every pair dict written in ``text`` (a
    ``repr()`` or JSON text: sentry-sdk sends the containers of frame variables and extras
    nested deeper than it walks as their repr) whose names ``decide`` maps to a non-zero
    decision: the inside of a quoted value or of a container, else the bare value. A dict cut
    short (a string cut to ``max_string_length``) is read to the text's end."""
    found: list[tuple[int, int, int]] = []
    if "{" not in text:
        return found
    levels: list[_Level] = []
    position = 0
    while True:
        mark = _TEXT_MARK.search(text, position)
        if mark is None:
            break
        char, position = mark.group(), mark.start()
        level = levels[-1] if levels else None
        if char in "'\"":
            end = _quoted_text_end(text, position)
            if level is not None and level.opener == "{":
                _read_string(level, text, position, end)
            position = end
            continue
        if char in "{[":
            levels.append(_Level(char, position + 1))
        elif char in "}]":
            while levels and _CLOSING[levels[-1].opener] != char:  # an unclosed level inside
                _close_level(levels, text, position, decide, found)
            if levels:
                _close_level(levels, text, position, decide, found)
        elif level is not None and level.opener == "{":
            if char == ":" and level.key is not None and level.value_start < 0:
                level.value_start = position + 1
            elif char == ",":
                _end_value(level, text, position)
        position += 1
    while levels:  # cut short: what is open ends with the text
        _close_level(levels, text, len(text), decide, found)
    return found


def _quoted_text_end(text: str, start: int) -> int:
    """The index after the quote closing the string opening at ``start`` (backslash escapes
    stay inside), or the text's end."""
    quote, position = text[start], start + 1
    while True:
        end = text.find(quote, position)
        if end == -1:
            return len(text)
        backslashes = len(text[position:end]) - len(text[position:end].rstrip("\\"))
        if not backslashes % 2:
            return end + 1
        position = end + 1


def _read_string(level: _Level, text: str, start: int, end: int) -> None:
    """A quoted string of a dict: a key, or the value of the key before it."""
    if level.value_start < 0:
        level.key = text[start + 1 : end - 1] if end - start >= 2 else None
    elif level.value_span is None:
        closed = end - start >= 2 and text[end - 1] == text[start]
        level.value_span = (start + 1, end - 1 if closed else end)


def _end_value(level: _Level, text: str, end: int) -> None:
    """The value of ``level.key`` ends at ``end`` (a comma, the dict's end): remember it when the
    key is a name or value field."""
    key = level.key
    if key is not None and level.value_start >= 0:
        span = level.value_span
        if span is None:  # a bare value: 1234, True, None
            start, stop = level.value_start, end
            while start < stop and text[start].isspace():
                start += 1
            while stop > start and text[stop - 1].isspace():
                stop -= 1
            span = (start, stop)
        if key in PAIR_NAMES and level.value_span is not None and span[1] - span[0] <= _MAX_NAME:
            level.names.append(text[span[0] : span[1]])
        elif key in PAIR_VALUES and span[1] > span[0]:
            level.values.append(span)
    level.key, level.value_start, level.value_span = None, -1, None


def _close_level(levels: list[_Level], text: str, end: int, decide: Callable[[str], int], found: list) -> None:
    """Close the innermost level at ``end``: a pair dict's sensitive values are found; a
    container that is a value of the dict around it becomes that value."""
    level = levels.pop()
    if level.opener == "{":
        _end_value(level, text, end)
        decision = 0
        for name in level.names:
            decision |= decide(name)
        if decision:
            found.extend((start, stop, decision) for start, stop in level.values)
    if levels:
        outer = levels[-1]
        if outer.opener == "{" and outer.value_start >= 0 and outer.value_span is None:
            outer.value_span = (level.start, end)  # the inside of the container


def with_named_values(find_key_values: Callable) -> Callable[[str, Callable[[str], int]], list]:
    """``find_key_values`` (of :mod:`.keytext`, in Python or in C) that also finds the values a
    text names elsewhere: pair dicts written in it, the values of ``INSERT`` statements
    (:mod:`.sqlinsert`) and of Redis commands (:mod:`.redis_commands`). This is what the exact
    pass runs for keys inside text."""

    def find(text: str, decide: Callable[[str], int]) -> list[tuple[int, int, int]]:
        found = find_key_values(text, decide)
        named = find_pairs_in_text(text, decide) + find_insert_values(text, decide) + find_redis_values(text, decide)
        return found + named if named else found

    return find
