"""Log message templates: their placeholders, and the key each positional parameter is the value of.

``logger.error("login password=%s", secret)`` sends the template and the parameters apart
(``logentry.message`` and ``logentry.params``): the parameter list has no key names, but the
template names the key before each placeholder. The scrubber redacts such a parameter as the
value of that key; the log channels count placeholders the same way to name their attributes.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

#: A printf or str.format placeholder in a log message template (a ``%(name)s`` name of at most
#: 128 characters: unbounded, ``"%(" * 100_000`` takes quadratic time to find nothing).
PLACEHOLDER = re.compile(r"%(?:\([^)]{0,128}+\))?[#0 +-]*\d*(?:\.\d+)?[a-zA-Z%]|\{[^{}]*\}")
#: The key a placeholder is the value of: "password=%s", "token: {}", "'secret': %r", and in
#: prose the word just before it, "with credentials %s". It is looked for in the
#: :data:`KEY_WINDOW` characters before the placeholder only: searched from the start of the
#: template for every placeholder, it took minutes on a long one.
KEY_BEFORE = re.compile(r"([A-Za-z_][\w.-]{0,127})(?:['\"]?[ \t]{0,16}[:=][ \t]{0,16}['\"]?|[ \t]{1,16})\Z")
KEY_WINDOW = 1 + 128 + 1 + 16 + 1 + 16 + 1
_TIME_CHECK_EVERY = 64


def keys_of_parameters(template: str, check_time: Callable[[], None] = lambda: None) -> Iterator[tuple[int, str]]:
    """``(position, key)`` of each placeholder (``%%`` is none) with a key named before it;
    ``check_time`` is called every few placeholders (a template may hold many)."""
    position = 0
    for match in PLACEHOLDER.finditer(template):
        if match.group() == "%%":
            continue
        if not position % _TIME_CHECK_EVERY:
            check_time()
        before = KEY_BEFORE.search(template, max(0, match.start() - KEY_WINDOW), match.start())
        if before is not None:
            yield position, before.group(1)
        position += 1
