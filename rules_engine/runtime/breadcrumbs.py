"""Breadcrumbs: filtered when they are recorded, scrubbed once, inside the event that carries them.

An app records breadcrumbs far more often than it sends events (every log line, query and HTTP
call), and sentry-sdk keeps them in a bounded buffer of the scope that never leaves the process
by itself. They leave only inside an event: sentry-sdk attaches the buffer to every error,
message and feedback event (transactions and check-ins get none), serializes the event, and
then hands it to ``before_send``, which scrubs the whole event, breadcrumbs included. So
``before_breadcrumb`` runs the cheap part, the ``on: [breadcrumb]`` filters, and the scrub runs
once per event sent instead of once per breadcrumb recorded. Every path out goes through a
hook that scrubs: an event dropped by a filter sends nothing, an event whose scrub fails is
dropped or sent filtered (``on_error``), and breadcrumbs an app put on a transaction (an event
processor) or a check-in (its own ``before_send``) are scrubbed there too. Log records, metrics,
spans and attachments are sent without the breadcrumb buffer.

``process`` and ``explain`` show a breadcrumb as it leaves the process: the filters, then the
scrub it gets inside the event that carries it (:func:`carrying_event`, :func:`carried_crumb`).
"""

from __future__ import annotations

from typing import Any

#: Where the scrub of a breadcrumb runs, as a trace of one breadcrumb says.
WHERE_SCRUBBED = "in before_send, inside the event that carries the breadcrumb"


def carrying_event(crumb: dict) -> dict:
    """An event carrying ``crumb`` as sentry-sdk hands it to ``before_send``: attached at
    ``breadcrumbs.values.0`` and serialized (``datetime`` timestamps become text, values deeper
    or longer than sentry-sdk keeps are cut, with their ``_meta``)."""
    from sentry_sdk.serializer import serialize

    return serialize({"breadcrumbs": {"values": [crumb]}})


def carried_crumb(event: dict, into: dict) -> dict | None:
    """The breadcrumb of :func:`carrying_event` after the scrub, written into ``into`` (in place),
    with the ``_meta`` remarks about it at its own root; ``None`` when the event lost it."""
    try:
        sent = event["breadcrumbs"]["values"][0]
    except (KeyError, IndexError, TypeError):
        return None
    meta = _dig(event.get("_meta"), ("breadcrumbs", "values", "0"))
    into.clear()
    into.update(sent)
    if meta:
        into["_meta"] = meta
    return into


def put_back(carrier: dict, event: dict) -> None:
    """Write the scrubbed ``breadcrumbs`` of ``carrier`` (and their ``_meta``) into ``event``."""
    event["breadcrumbs"] = carrier["breadcrumbs"]
    meta = _dig(carrier.get("_meta"), ("breadcrumbs",))
    if meta:
        existing = event.get("_meta")
        if not isinstance(existing, dict):
            existing = event["_meta"] = {}
        existing["breadcrumbs"] = meta


def _dig(node: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node
