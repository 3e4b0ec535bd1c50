"""Locals named by another local: a frame that handles a setting by its name.

``for env_var, setting in environment().items()`` holds the name of a setting in one local and its
value in another, and sentry-sdk sends the frame's variables as a dict of ``repr()`` strings:
``{"env_var": "'DB_PASSWORD'", "setting": "'<the password>'"}``. No key names the value, and the
loop's variables can be called anything, so no vocabulary of field names (:mod:`.pairs`) covers
them. What does say it is the frame itself: a local whose text is a name a key rule matches
(``'DB_PASSWORD'``, ``'api_key'``) marks the frame as handling that setting, and the value of the
setting is a local beside it.

Read before the walk, as route parameters are, the same way whichever walk follows: in a frame's
variables (``vars`` of each frame of each stack of ``exception`` and ``threads``), a local naming
(:func:`local_name`: a string whose text, out of its ``repr()`` quotes, reads as a name,
:func:`~.dictkeys.reads_as_a_name`) names the local defined right after it in the frame
(:func:`named_locals`), when that one holds text worth searching as a secret
(:func:`~.echoes.worth_searching`) that does not read as a name itself. The first key rule active
at the named local that matches its name redacts it whole, as a key's value: counted, written in
``_meta``, a known secret of the event. A local the walk redacts anyway (its own key, or the names
of a pair dict, decide it) is left to the walk.

Only the next local: sentry-sdk sends a frame's variables in the order the function defines them
(its arguments, then its locals as first assigned), and a name and its value are defined together
(``for name, value in``, ``name = ...; value = lookup(name)``). Every other local of the frame
would cost what a frame holding a field's name for other reasons (an OAuth call's
``grant_type = 'password'``, a form's ``field = 'password'``) sends beside it: its URL, its user's
name, its error message.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from .argv import frame_lists
from .dictkeys import reads_as_a_name
from .echoes import whole_value_secrets, worth_searching

#: Longer texts are no name a program chose.
MAX_NAME = 64
_QUOTES = ("'", '"')
#: A string literal of letters, ``_``, ``.`` and ``-`` (what a name may hold but its cases), in
#: the quotes of a ``str`` or ``bytes`` repr.
_NAME_LITERAL = re.compile(rf"""[bu]?(['"])((?:[^\W\d]|[.\-]){{1,{MAX_NAME}}})\1""")


def frame_variables(event: dict, sections: tuple[str, ...] = ("exception", "threads")
                    ) -> Iterator[tuple[dict, dict, Any]]:
    """Each frame of the stacks of ``sections`` in ``event``, with its variables (a dict whose keys
    are all exactly ``str``) and the path of the ``vars`` dict (parent links). Whatever is not
    shaped like an event is left to the walk."""
    if type(event) is not dict:
        return
    for frames, frames_path in frame_lists(event, sections):
        for position, frame in enumerate(frames):
            variables = frame.get("vars") if type(frame) is dict else None
            if type(variables) is dict and all(type(key) is str for key in variables):
                yield frame, variables, ((frames_path, position), "vars")


def local_text(value: str) -> str:
    """The text a string local stands for: what its ``repr()`` quotes hold, unescaped (a value
    that is no string literal stands for itself)."""
    return whole_value_secrets(value)[0] if value else value


def local_name(value: Any) -> str | None:
    """The name a local holds (``'DB_PASSWORD'`` -> ``DB_PASSWORD``), or None: a string literal
    (sentry-sdk sends a ``str`` as its ``repr()``; ``None``, ``True``, a number or an object's
    repr is no name) whose text reads as a name."""
    if type(value) is not str or len(value) > MAX_NAME + 3 or value[-1:] not in _QUOTES:
        return None
    literal = _NAME_LITERAL.fullmatch(value)  # (a name holds no escape: its text is what the quotes hold)
    text = literal.group(2) if literal is not None else None
    return text if text is not None and reads_as_a_name(text) else None


def named_locals(variables: dict, replacements: Iterable[str]) -> list[tuple[str, str]]:
    """``(key, name)`` of each local of a frame's ``variables`` that the local defined before it
    names: it holds a string worth searching that does not read as a name, and the local before
    it holds a name."""
    found = []
    name = None
    for key, value in variables.items():
        if name is not None and type(value) is str:
            text = local_text(value)
            if not reads_as_a_name(text) and worth_searching(text, replacements):
                found.append((key, name))
        name = local_name(value)
    return found
