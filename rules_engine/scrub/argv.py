"""Values that follow a secret flag in an argv list held by a frame variable.

sentry-sdk serializes a list variable as a list of ``repr()`` strings, one per item, so
``["deploy", "--api-token", "s3cr3t"]`` reaches the scrubber as three separate strings and no
text detector sees the flag next to its value. This pass runs before the walk, for rules that use
the ``argv_secret`` detector (or ``mysql_password_flag``), over the lists in frame variables: the
item after a secret flag (``--password``, ``--api-token``, ``-token``...) and the joined
``-p<password>`` of mysql-like clients are redacted with the rule's redaction. It runs the same
way whichever walk follows (C or Python), so results never depend on the engine.
"""

from __future__ import annotations

import re
from typing import Any, Callable

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

Redact = Callable[[str], str]


def redact_argv_values(event: dict, redact_flag_value: Redact | None, redact_joined: Redact | None) -> int:
    """Redact in place; the number of values redacted. Whatever is not shaped like an event
    is left to the walk, which fails it as it fails any malformed event."""
    if not isinstance(event, dict):
        return 0
    count = 0
    for frames in _frame_lists(event):
        for frame in frames:
            variables = frame.get("vars") if isinstance(frame, dict) else None
            if isinstance(variables, dict):
                for value in variables.values():
                    if type(value) is list:  # a list variable (argv, a command, popenargs)
                        count += _redact_lists(value, redact_flag_value, redact_joined, 0)
    for section in ("extra", "contexts"):  # task arguments (Celery's celery-job), job payloads
        count += _redact_lists(event.get(section), redact_flag_value, redact_joined, 0)
    return count


def _frame_lists(event: dict):
    for section in ("exception", "threads"):
        container = event.get(section)
        values = container.get("values") if isinstance(container, dict) else None
        for value in values if isinstance(values, list) else ():
            stacktrace = value.get("stacktrace") if isinstance(value, dict) else None
            frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
            if isinstance(frames, list):
                yield frames


#: Lists nested deeper than this (a list of commands holds lists) are not looked into, nor
#: dicts below the first level (Celery's ``celery-job`` holds ``args``): argv lists sit near the
#: top of a variable, and the pass runs on every event.
_MAX_NESTING = 3
_MAX_DICT_NESTING = 1


def _redact_lists(value: Any, flag_value: Redact | None, joined: Redact | None, depth: int) -> int:
    """The lists in ``value`` (a dict's values, nested lists), each read as an argv list."""
    if depth > _MAX_NESTING:
        return 0
    if isinstance(value, dict):
        if depth > _MAX_DICT_NESTING:
            return 0
        return sum(
            _redact_lists(item, flag_value, joined, depth + 1)
            for item in value.values() if isinstance(item, (list, dict))
        )
    if not isinstance(value, list):
        return 0
    if not any(type(item) is str for item in value):
        return sum(_redact_lists(item, flag_value, joined, depth + 1) for item in value if isinstance(item, (list, dict)))
    count = 0
    mysql = joined is not None and bool(value) and isinstance(value[0], str) and _MYSQL_CLIENT.fullmatch(_unquoted(value[0]))
    for index, item in enumerate(value):
        if not isinstance(item, str):
            count += _redact_lists(item, flag_value, joined, depth + 1)
        elif flag_value is not None and index + 1 < len(value) and _SECRET_FLAG.fullmatch(_unquoted(item)):
            following = value[index + 1]
            if isinstance(following, str) and not _unquoted(following).startswith("-"):
                value[index + 1] = _redact_unquoted(following, flag_value, 0)
                count += 1
        elif mysql:
            match = _JOINED_PASSWORD.fullmatch(_unquoted(item))
            if match is not None:
                value[index] = _redact_unquoted(item, joined, match.start("secret"))
                count += 1
    return count


def _unquoted(item: str) -> str:
    match = _REPR.fullmatch(item)
    return item if match is None else match.group(3)


def _redact_unquoted(item: str, redact: Redact, skip: int) -> str:
    """``item`` with what its repr's quotes hold redacted from ``skip`` characters on
    (``'value'`` -> ``'[Filtered]'``, ``'-pvalue'`` -> ``'-p[Filtered]'``)."""
    match = _REPR.fullmatch(item)
    if match is None:
        return item[:skip] + redact(item[skip:])
    inside = match.group(3)
    return match.group(1) + inside[:skip] + redact(inside[skip:]) + match.group(2)
