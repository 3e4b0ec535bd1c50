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


class LogEntries:
    """The part of :class:`~.walk.Run` that redacts a log entry's positional parameters by the keys
    its template names (both walks: the entry is found after the walk)."""

    whole: list
    texts: list[str]
    slots: list

    def redact_log_entry(self, event: dict, place: tuple[str, ...]) -> None:
        """The log entry at ``place``, unless it (or what holds it) is redacted whole already.
        Most events have none (though most have ``contexts``): that is found first, and only then
        are the values queued whole searched, once, for any step of the way to it."""
        container, path = event, None
        holders = []  # (container, key) of each step down to the log entry
        for step in place:
            child = container.get(step)
            if type(child) is not dict:
                return
            holders.append((container, step))
            container, path = child, (path, step)
        for queued, key, _, _ in self.whole:
            for holder, step in holders:
                if queued is holder and key == step:
                    return
        self.redact_log_params(container, path)

    def redact_log_params(self, logentry: dict, logentry_path) -> None:
        """Positional log parameters are values of the keys the template names before them:
        ``"login password=%s"`` makes its parameter a password even though the parameter list
        has no key names."""
        template, params = logentry.get("message"), logentry.get("params")
        if type(template) is not str or type(params) is not list or not params:
            return
        active = self.scrubber._everywhere
        path = (logentry_path, "params")
        copy = params.copy()
        for position, key in keys_of_parameters(template, self.check_time):
            if position >= len(copy):
                break
            rule_index = self.scrubber._sensitive_text_key(key, active)
            if rule_index is not None and type(copy[position]) not in (dict, list):
                self.redact_all(params, position, copy[position], path, None, active, rule_index, 2)
                self.forget_texts(params, position)
        self.list_unchanged(params, copy)

    def forget_texts(self, container, key) -> None:
        """Leave the strings the walk collected from ``container[key]`` unscanned: the value is
        redacted whole, and a redaction of part of its text written over it would restore the
        rest."""
        slots = self.slots
        for index in range(len(self.texts)):
            if slots[4 * index] is container and slots[4 * index + 1] == key:
                self.texts[index] = ""
