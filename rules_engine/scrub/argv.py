"""Values that follow a secret flag in an argv list held by a frame variable.

sentry-sdk serializes a list variable as a list of ``repr()`` strings, one per item, so
``["deploy", "--api-token", "s3cr3t"]`` reaches the scrubber as three separate strings and no
text detector sees the flag next to its value. This pass runs before the walk, for rules that use
the ``argv_secret`` detector (or ``mysql_password_flag``), over the lists in frame variables: the
item after a secret flag (``--password``, ``--api-token``, ``-token``..., and the short password
flags of the clients that define one: ``ldapsearch -w``, ``sqlcmd -P``...) and the joined
``-p<password>`` of mysql-like clients are found here, and the scrubber redacts them with the
rule's redaction and records them in ``_meta`` like every other redaction. It runs the same way
whichever walk follows (C or Python), so results never depend on the engine.

Like the walk, it reads containers by their exact type (``type(x) is dict``): a subclass may say
anything about its items (an ``items()`` that never ends), and is left to the walk, which reads
it bounded. A list is read through a copy (``ArgvSecret.seen``); the scrubber checks the list
still holds those items before it writes, and once more after the walk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from .redactions import FILTERED

#: A flag naming a secret, as one argv item.
_SECRET_FLAG = re.compile(
    r"--?[A-Za-z0-9-]{0,30}(?:password|passwd|pass|pwd|secret|token|api-?key|apikey|access-?key|"
    r"private-?key|client-secret|auth)",
    re.IGNORECASE,
)
#: The quotes of a repr'd item: sentry-sdk sends a list variable as the repr of each item.
_REPR = re.compile(r"""([bu]?(['"]))(.*)\2""", re.DOTALL)
#: ``-p<password>`` as one item, in a list whose command is a mysql-like client.
_JOINED_PASSWORD = re.compile(r"-p(?P<secret>[^\s-].*)", re.DOTALL)
_MYSQL_CLIENT = re.compile(r"(?:.*/)?(?:mysql|mysqldump|mysqladmin|mariadb)")

#: Short flags that take a password in the clients that define them, and only there (``-p`` is a
#: port in ``docker run`` and ``ldapsearch``): the client (its program name, the subcommand
#: after it where one is needed) -> its password flags. The same clients and flags as the
#: ``tool_password_flag`` detector reads in text.
_CLIENT_PASSWORD_FLAGS: tuple[tuple[re.Pattern, frozenset[str]], ...] = tuple(
    (re.compile(client), frozenset(flags)) for client, flags in (
        (r"(?:docker|podman) login", ("-p",)),
        (r"(?:sqlcmd|bcp|osql)", ("-P",)),
        (r"ldap(?:search|modify|add|delete|whoami|passwd|compare|modrdn)", ("-w",)),
        (r"snmp(?:walk|get|getnext|set|bulkwalk|bulkget|table|trap)", ("-A", "-X")),
        (r"redis-cli", ("-a",)),
        (r"mongo(?:sh|dump|restore|export|import)?", ("-p",)),
    ))


def _client_password_flags(seen: list) -> frozenset[str]:
    """The password flags of the client an argv list runs (``seen[0]``, with its subcommand)."""
    if not seen or type(seen[0]) is not str:
        return frozenset()
    program = _unquoted(seen[0]).rsplit("/", 1)[-1]
    command = f"{program} {_unquoted(seen[1])}" if len(seen) > 1 and type(seen[1]) is str else program
    for client, flags in _CLIENT_PASSWORD_FLAGS:
        if client.fullmatch(program) or client.fullmatch(command):
            return flags
    return frozenset()


#: The detectors this pass stands for.
FLAG_VALUE, JOINED_PASSWORD = "argv_secret", "mysql_password_flag"


@dataclass(frozen=True)
class ArgvSecret:
    """A secret in one argv item: ``items[index][start:end]``. ``path`` is the list's path in the
    event as the walk writes paths (``(parent path, key)`` links from ``None``, the root)."""

    items: list
    #: the list's items as they were read: the scrubber writes only while ``items`` still holds them
    seen: list
    index: int
    path: Any
    start: int
    end: int
    detector: str


def find_argv_secrets(event: dict, flag_values: bool, joined: bool) -> list[ArgvSecret]:
    """The secrets of argv lists in ``event``: items after a secret flag (``flag_values``), and
    joined ``-p<password>`` items of mysql-like clients (``joined``). Whatever is not shaped like
    an event is left to the walk, which fails it as it fails any malformed event."""
    found: list[ArgvSecret] = []
    if type(event) is not dict:
        return found
    for frames, frames_path in frame_lists(event):
        for position, frame in enumerate(frames):
            variables = frame.get("vars") if type(frame) is dict else None
            if type(variables) is dict:
                vars_path = ((frames_path, position), "vars")
                for name, value in variables.items():
                    if type(value) is list and type(name) is str:  # a list variable (argv, a command)
                        _find_in(value, (vars_path, name), flag_values, joined, 0, found)
    for section in ("extra", "contexts"):  # task arguments (Celery's celery-job), job payloads
        _find_in(event.get(section), (None, section), flag_values, joined, 0, found)
    return found


def frame_lists(event: dict) -> Iterator[tuple[list, Any]]:
    """Each stack's list of frames, with its path."""
    for section in ("exception", "threads"):
        container = event.get(section)
        values = container.get("values") if type(container) is dict else None
        for index, value in enumerate(values if type(values) is list else ()):
            stacktrace = value.get("stacktrace") if type(value) is dict else None
            frames = stacktrace.get("frames") if type(stacktrace) is dict else None
            if type(frames) is list:
                yield frames, (((((None, section), "values"), index), "stacktrace"), "frames")


#: Lists nested deeper than this (a list of commands holds lists) are not looked into, nor
#: dicts below the first level (Celery's ``celery-job`` holds ``args``): argv lists sit near the
#: top of a variable, and the pass runs on every event.
_MAX_NESTING = 3
_MAX_DICT_NESTING = 1


def _find_in(value: Any, path: Any, flag_values: bool, joined: bool, depth: int, found: list) -> None:
    """The lists in ``value`` (a dict's values, nested lists), each read as an argv list."""
    if depth > _MAX_NESTING:
        return
    if type(value) is dict:
        if depth <= _MAX_DICT_NESTING:
            for key, item in value.items():
                # (a key that is not exactly a str is the walk's to fail, before any selector reads it)
                if type(item) in (list, dict) and type(key) is str:
                    _find_in(item, (path, key), flag_values, joined, depth + 1, found)
        return
    if type(value) is not list:
        return
    seen = value.copy()
    client = None  # (whether a mysql-like client, its password flags): read at the list's first flag
    for index, item in enumerate(seen):
        if type(item) is not str:
            if type(item) in (list, dict):
                _find_in(item, (path, index), flag_values, joined, depth + 1, found)
            continue
        if "-" not in item[:_FLAG_STARTS_BY]:
            continue  # neither a flag nor a joined password: both start with "-" inside the quotes
        if client is None:
            client = (joined and type(seen[0]) is str and _MYSQL_CLIENT.fullmatch(_unquoted(seen[0])) is not None,
                      _client_password_flags(seen) if flag_values else frozenset())
        mysql, client_flags = client
        if flag_values and index + 1 < len(seen) and (_SECRET_FLAG.fullmatch(_unquoted(item))
                                                        or _unquoted(item) in client_flags):
            following = seen[index + 1]
            if type(following) is str and not _unquoted(following).startswith("-"):
                _add(found, value, seen, index + 1, path, 0, FLAG_VALUE)
        elif mysql:
            match = _JOINED_PASSWORD.fullmatch(_unquoted(item))
            if match is not None:
                _add(found, value, seen, index, path, match.start("secret"), JOINED_PASSWORD)


#: A flag's "-" is within this many characters of an item's start: after a repr's quote and its
#: ``b``/``u`` prefix at most (see ``_REPR``).
_FLAG_STARTS_BY = 3


def _add(found: list, items: list, seen: list, index: int, path: Any, skip: int, detector: str) -> None:
    """The secret of ``seen[index]``: what its repr's quotes hold from ``skip`` characters on
    (``'value'`` -> ``value``, ``'-pvalue'`` -> ``value``); nothing when it is already redacted."""
    item = seen[index]
    match = _REPR.fullmatch(item)
    start, end = (0, len(item)) if match is None else match.span(3)
    start += skip
    if end > start and item[start:end] != FILTERED:
        found.append(ArgvSecret(items, seen, index, path, start, end, detector))


def _unquoted(item: str) -> str:
    match = _REPR.fullmatch(item)
    return item if match is None else match.group(3)
