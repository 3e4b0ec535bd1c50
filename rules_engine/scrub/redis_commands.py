"""Redis commands as text, their values named by the fields and keys they are stored under.

sentry-sdk's Redis integration describes each command it traces by its name and ``repr()``'d
arguments, in a span's description (and ``db.query.text``), a breadcrumb's message and a
pipeline's ``redis.commands``; with ``send_default_pii`` the values are there too::

    HSET 'user:42' 'api_key' '...' 'name' 'alice'
    SET 'user:42:api_token' '...' 'EX' 3600

A command says what its arguments are: HSET's are a key, then fields and values in turn; SET's
second is the value stored under its first, the key. What each command's arguments are is data
(:data:`FIELD_VALUE_COMMANDS`, :data:`KEY_VALUE_COMMANDS`), not code per command. A value is named
by its field or key, read as its last ``:``-separated segment (a key's last segment says what it
holds: ``user:42:api_token``), and :func:`find_redis_values` returns the span of each value whose
name the caller's ``decide`` calls sensitive: the inside of its quotes, or a bare token whole.

Only a text that starts with a command of the tables is read, as the SDK writes it: a sentence
that holds ``set`` is no command. Arguments are read as ``repr()`` writes them (either quote,
backslash escapes, a ``b`` prefix, bare numbers); reading stops at what ``repr()`` does not write
as one token (``<...>``, a container, a line break), since the arguments after it could no longer
be counted. A quoted argument never closed (the string cut to ``max_string_length``) runs to the
end of the text. Each character is read once: linear time on any text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

from .prefilter import Literal, Probe, heads_and_key_words

if TYPE_CHECKING:
    from .rule import Rule

#: Commands whose arguments are fields and values in turn, from the given argument on (HSET's key
#: comes first; MSET's pairs are keys and values).
FIELD_VALUE_COMMANDS = {"hset": 1, "hmset": 1, "hsetnx": 1, "mset": 0, "msetnx": 0}
#: Commands whose first argument, the key, names the values from the given argument on (to the
#: last given one, or to the end when None): SET's options come after its value, LPUSH's values
#: are all the rest.
KEY_VALUE_COMMANDS = {
    "set": (1, 1), "setnx": (1, 1), "getset": (1, 1), "append": (1, 1), "setex": (2, 2), "psetex": (2, 2),
    "setrange": (2, 2), "lset": (2, 2), "lpush": (1, None), "rpush": (1, None), "lpushx": (1, None),
    "rpushx": (1, None), "sadd": (1, None),
}
#: The prefilter's anchors: a command's name and the space after it, in any case.
_HEADS = tuple(Literal(name + " ", caseless=True) for name in sorted({*FIELD_VALUE_COMMANDS, *KEY_VALUE_COMMANDS}))
#: The command's name at the start of the text, and the space sentry-sdk writes after it (as the
#: prefilter's anchors hold it).
_COMMAND = re.compile(r"[ \t]*+([A-Za-z]{1,16}+)(?= )")
#: One argument after its spaces: ``repr()``'s quoted text (the quote not escaped inside it, the
#: token ending there), or a bare token (a number, ``None``) not opening a container or an object.
#: The quoted text's repetition is an atomic group, not ``*+``: the same match, but CPython 3.11.0
#: to 3.11.4 (Debian 12's python3 among them) mis-match a possessive repetition of a group whose
#: alternatives backtrack (CPython gh-106052), and never read such a value.
_ARGUMENT = re.compile(
    r"""[ \t]++(?:
          b?(?P<quote>['"])(?P<quoted>(?>(?:[^'"\\\n]++|\\[^\n]|(?!(?P=quote))['"])*))(?P=quote)(?=\s|$)
        | (?P<bare>[^\s'"<>()\[\]{}\\]\S*+)(?=\s|$) )""",
    re.VERBOSE,
)
#: A quoted argument that never closes: the rest of the text is its value.
_OPEN_QUOTED = re.compile(r"[ \t]++b?['\"]")
#: sentry-sdk sends at most 11 arguments: more are not read (a bound on the work per text).
_MAX_ARGUMENTS = 256


def find_redis_values(text: str, decide: Callable[[str], int]) -> list[tuple[int, int, int]]:
    """``(start, end, decision)`` of each value of the Redis command ``text`` whose field or key
    ``decide`` maps to a non-zero decision."""
    command = _COMMAND.match(text)
    if command is None:
        return []
    name = command.group(1).lower()
    pairs_from = FIELD_VALUE_COMMANDS.get(name)
    values = KEY_VALUE_COMMANDS.get(name)
    if pairs_from is None and values is None:
        return []
    arguments = _arguments(text, command.end())
    found = []
    for index, (start, end) in enumerate(arguments):
        if pairs_from is not None:
            if index < pairs_from or (index - pairs_from) % 2 == 0:
                continue
            named_by = arguments[index - 1]
        else:
            first, last = values
            if index < first or (last is not None and index > last):
                continue
            named_by = arguments[0]
        decision = decide(text[named_by[0] : named_by[1]].rpartition(":")[2])
        if decision and end > start:
            found.append((start, end, decision))
    return found


def _arguments(text: str, position: int) -> list[tuple[int, int]]:
    """The spans of the arguments from ``position`` on: inside the quotes of a quoted one."""
    spans = []
    while len(spans) < _MAX_ARGUMENTS:
        argument = _ARGUMENT.match(text, position)
        if argument is None:
            opened = _OPEN_QUOTED.match(text, position)
            if opened is not None and "\n" not in text[opened.end() :]:  # cut short: the rest is its value
                spans.append((opened.end(), len(text)))
            return spans
        group = "quoted" if argument.group("quote") else "bare"
        spans.append(argument.span(group))
        position = argument.end()
    return spans


def redis_values_probe(rules: list[Rule]) -> Probe:
    """A prefilter for the values of Redis commands under the key globs of ``rules``: a command's
    name, and a word of a key glob (see :func:`~.prefilter.heads_and_key_words`)."""
    return heads_and_key_words(_HEADS, rules)
