"""Where a Sentry event payload keeps what several stages read: its exceptions, the main
exception, and its log message.

Interfaces may be sent as ``{"values": [...]}`` or as a bare list, and the log message as
``logentry`` or the older ``message`` (a string or ``{"formatted": ...}``); these helpers accept
every shape and never raise on a malformed one.
"""

from __future__ import annotations

from typing import Any


def values_of(container: Any) -> list:
    """The ``values`` list of an interface that may also be sent as a bare list."""
    if isinstance(container, dict):
        container = container.get("values")
    return container if isinstance(container, list) else []


def exception_values(event: dict) -> list:
    """The exception chain, oldest first (the main exception is the last)."""
    return values_of(event.get("exception"))


def main_exception(event: dict) -> dict | None:
    """The exception Sentry titles and groups an error by: the last of the chain."""
    values = exception_values(event)
    return values[-1] if values and isinstance(values[-1], dict) else None


def log_message(event: dict) -> str | None:
    """``logentry.formatted``, else ``logentry.message``, else ``message``; None when there is none."""
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        for key in ("formatted", "message"):
            text = logentry.get(key)
            if isinstance(text, str) and text:
                return text
    message = event.get("message")
    if isinstance(message, dict):  # the SDK's older "message": {"formatted": ...} shape
        message = message.get("formatted") or message.get("message")
    return message if isinstance(message, str) and message else None
