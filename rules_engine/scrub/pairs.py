"""Pair dicts: a dict whose value field is named by a sibling field.

Kubernetes and ECS environment lists (``{"name": "DB_PASSWORD", "value": ...}``), HAR headers,
cookies and query parameters, AWS tags (``{"Key": ..., "Value": ...}``), SSM parameters,
CloudFormation's ``ParameterKey``/``ParameterValue``, Elastic Beanstalk's ``OptionName``/``Value``,
OpenAPI and GraphQL parameter lists and form-field lists all hold a value whose key is another
field's text. The walks decide such a value as if it also sat under each of those names: a key
rule matching the value field's own key *or* a name redacts it whole, the first such rule in
ruleset order. What the fields are is data (:data:`NAME_FIELDS`, :data:`VALUE_FIELDS`), never
a case per shape.

* A dict is a pair when it holds a value field and a name field whose value is a ``str`` (a str
  subclass counts as its text). A name of any other type names nothing.
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
first value field.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .rule import lowest_bit

#: Fields whose text names a sibling value: Kubernetes/ECS/HAR/OpenAPI ``name``, tags' ``key``,
#: form lists' ``field``, ``header``, ``variable``, ``param``/``parameter``, CloudFormation's
#: ``ParameterKey``, Elastic Beanstalk's ``OptionName`` (SSM's and AWS tags' capitalised
#: ``Name`` and ``Key`` are spellings of the first two).
NAME_FIELDS = ("name", "key", "field", "header", "variable", "param", "parameter", "ParameterKey", "OptionName")

#: Fields holding the value a sibling names: ``value`` (``Value`` in AWS's shapes), ``values``
#: (a multi-valued form field or filter), CloudFormation's ``ParameterValue`` and Azure
#: container groups' ``secureValue``.
VALUE_FIELDS = ("value", "values", "ParameterValue", "secureValue")


def spellings(fields: Iterable[str]) -> frozenset[str]:
    """Each field name as written, in lower case, in upper case and with its first letter's
    case swapped."""
    found = set()
    for field in fields:
        found |= {field, field.lower(), field.upper(), field[0].swapcase() + field[1:]}
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
        field = key if type(key) is str else exact_key(key)
        if field in PAIR_NAMES:
            names.append(value if kind is str else str.__str__(value))
    return names


class Pairs:
    """What :class:`~.walk.Run` does with pairs: a ``[name, value]`` list's value is visited under
    its name; a pair dict's names are read once per dict (when the walk meets its first value
    field), and checked again after its walk. A run holds the scrubber and the walk's methods
    used here."""

    scrubber: Any
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
        list of the event too, walked through a copy (its value may be redacted by index)."""
        if type(pair) is tuple:
            pair = self.replace(container, index, list(pair))
        try:  # one read of both items: what the pair held then is what is walked and checked
            name, value = pair
        except ValueError:
            name = None
        if type(name) is not str:  # no longer the pair the caller saw
            self.changed()
        if state is not None:
            state, active, allowed = self.step(state, active, name)
            if allowed:
                self.check_subtree(value, depth + 1)
                self.pair_unchanged(pair, name, value)
                return
        pair_path = (path, index)
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
