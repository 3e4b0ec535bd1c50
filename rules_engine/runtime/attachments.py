"""Attachments: the files sentry-sdk sends beside an event (``scope.add_attachment``: a log, a
config dump, a request body), handed to the hooks in ``hint["attachments"]`` and put into the
envelope after ``before_send`` returns, so a hook may replace or remove them.

``options.attachments`` says what leaves:

* ``keep``: every attachment, as it is (the rulesets of the 2026.11 packs, and the default).
* ``scrub``: an attachment that reads as UTF-8 text (given as bytes, as a function returning
  bytes, or as a file path, read up to ``limits.max_attachment_bytes``) is scrubbed with the
  event, in the same run, as the string ``attachments.N.text`` beside ``attachments.N.filename``
  (so ``in``/``allow`` can name it, and a secret of the event is an echo in the file and the other
  way round), and leaves redacted; one that is not text, is larger, or cannot be read is dropped,
  because nothing that was not scrubbed leaves. (The 2026.12 packs set it.)
* ``drop``: none leaves.

An event whose scrub fails loses its attachments with it, whatever ``on_error`` sends instead.
Each dropped attachment is counted in ``stats()["attachments_dropped"]`` by why."""

from __future__ import annotations

from typing import Any

from .stats import count

#: The event's field the texts are lent under while the event is scrubbed (Sentry's events have
#: no such field; an event that has one keeps it, and its attachments are dropped).
FIELD = "attachments"


def lend(event: dict, hint: Any, mode: str, max_bytes: int, dropped: dict[str, int]) -> list | None:
    """Apply ``mode`` to the hint's attachments; under ``scrub``, put the texts of those that read
    as text into ``event`` (``[{"filename", "text"}]`` under :data:`FIELD`) and return the
    attachments lent, in order (None when nothing is lent). The others are dropped, counted in
    ``dropped`` by why."""
    attached = hint.get("attachments") if type(hint) is dict else None
    if mode == "keep" or type(attached) is not list or not attached:
        return None
    if mode == "drop" or FIELD in event:
        count(dropped, "dropped" if mode == "drop" else "field_taken", len(attached))
        attached.clear()
        return None
    lent, texts = [], []
    for attachment in attached:
        text, why = _text_of(attachment, max_bytes)
        if text is None:
            count(dropped, why)
        else:
            lent.append(attachment)
            texts.append({"filename": attachment.filename, "text": text})
    attached[:] = lent
    if lent:
        event[FIELD] = texts
    return lent or None


def give_back(event: dict, hint: dict, lent: list | None, scrubbed: bool, dropped: dict[str, int]) -> None:
    """Take the lent texts out of ``event`` (and their ``_meta``) and put each scrubbed text back
    as its attachment's payload; when the scrub failed, drop every attachment."""
    if lent is None:
        return
    texts = event.pop(FIELD, None)
    meta = event.get("_meta")
    if type(meta) is dict:
        meta.pop(FIELD, None)
        if not meta:
            del event["_meta"]
    attached = hint["attachments"]
    if not scrubbed or type(texts) is not list or len(texts) != len(lent):
        count(dropped, "scrub_failed", len(attached))
        attached.clear()
        return
    kept = []
    for attachment, carried in zip(lent, texts):
        text = carried.get("text") if type(carried) is dict else None
        if type(text) is str:  # (a 'remove' rule took the text away: the file goes with it)
            kept.append(_with_payload(attachment, text))
        else:
            count(dropped, "removed")
    attached[:] = kept


def _text_of(attachment: Any, max_bytes: int) -> tuple[str | None, str]:
    """(the attachment's text, "") or (None, why it has none)."""
    try:
        payload = _payload(attachment, max_bytes)
        if type(attachment.filename) is not str:
            return None, "unreadable"
    except Exception:  # a file gone, a callable that fails, no attachment: it would not be sent either
        return None, "unreadable"
    if type(payload) is not bytes:
        return None, "unreadable"
    if len(payload) > max_bytes:
        return None, "too_large"
    try:
        return payload.decode("utf-8"), ""
    except UnicodeDecodeError:
        return None, "not_text"


def _payload(attachment: Any, max_bytes: int) -> Any:
    """The bytes sentry-sdk would send (at most ``max_bytes`` + 1 of a file)."""
    data = attachment.bytes
    if data is None:
        with open(attachment.path, "rb") as file:
            return file.read(max_bytes + 1)
    data = data() if callable(data) else data
    return bytes(data) if isinstance(data, (bytearray, memoryview)) else data


def _with_payload(attachment: Any, text: str) -> Any:
    """The attachment, its payload the scrubbed text (a new one: the scope keeps the original)."""
    from sentry_sdk.attachments import Attachment

    return Attachment(bytes=text.encode("utf-8"), filename=attachment.filename,
                      content_type=attachment.content_type, add_to_transactions=attachment.add_to_transactions)
