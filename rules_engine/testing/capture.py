"""Record the events sentry-sdk would send, with a real client and an in-memory transport.

Used to produce real event shapes for tests, sample files and benchmarks::

    with capture_events(integrations=[FlaskIntegration()]) as events:
        app.test_client().get("/boom")
    events[0]["exception"]["values"][-1]["type"]

The SDK's own scrubber is off by default (``raw=True``) so what is captured is
what a ``before_send`` hook really receives when the SDK does not scrub first.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from typing import Any, Iterator

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

CAPTURE_DSN = "https://public@sentry.invalid/1"


#: Envelope item types that hold a batch ``{"version": 2, "items": [...]}``, by the name
#: :attr:`CapturingTransport.items` files their items under.
BATCHED_ITEM_TYPES = {"log": "log", "trace_metric": "metric", "span": "span"}


class CapturingTransport(Transport):
    """A transport that keeps everything it is given instead of sending it: events and
    transactions in :attr:`events`, log records, metrics and streamed spans (as sentry-sdk
    puts them on the wire) in ``items["log"]``, ``items["metric"]`` and ``items["span"]``,
    every other envelope item's JSON in ``items[<item type>]``, and each envelope as the bytes
    a real transport would send in :attr:`wire` (attachments included)."""

    def __init__(self, options: dict[str, Any] | None = None):
        super().__init__(options)
        self.events: list[dict[str, Any]] = []
        self.items: dict[str, list[Any]] = {name: [] for name in BATCHED_ITEM_TYPES.values()}
        self.wire: list[bytes] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.wire.append(envelope.serialize())
        for item in envelope.items:
            payload = item.payload.json
            if payload is None:
                continue
            if item.type in ("event", "transaction"):
                self.events.append(payload)
            elif item.type in BATCHED_ITEM_TYPES and isinstance(payload, dict):
                self.items[BATCHED_ITEM_TYPES[item.type]].extend(payload.get("items") or [])
            else:
                self.items.setdefault(item.type, []).append(payload)

    def flush(self, timeout: float, callback: Any = None) -> None:  # nothing is buffered
        return None

    def kill(self) -> None:
        return None


@contextlib.contextmanager
def capture_events(*, raw: bool = True, **init_options: Any) -> Iterator[list[dict[str, Any]]]:
    """Initialise sentry-sdk with a capturing transport; yield the list events are appended to.

    ``init_options`` go to ``sentry_sdk.init`` (integrations, before_send, traces_sample_rate...).
    The client is closed (its threads end) and the previous one restored on exit.
    """
    with capture_transport(raw=raw, **init_options) as transport:
        yield transport.events


@contextlib.contextmanager
def capture_transport(*, raw: bool = True, **init_options: Any) -> Iterator[CapturingTransport]:
    """Like :func:`capture_events`, yielding the transport itself: its ``items`` hold the log
    records, metrics and streamed spans, complete once the block has ended (sentry-sdk batches
    them and the exit flushes)::

        with capture_transport(enable_logs=True) as sent:
            sentry_sdk.logger.info("charging card {card}", card=card)
        sent.items["log"][0]["body"]
    """
    transport = CapturingTransport()
    options: dict[str, Any] = {
        "dsn": CAPTURE_DSN,
        "transport": transport,
        "default_integrations": True,
        "auto_enabling_integrations": False,
        "send_default_pii": raw,
        "include_local_variables": True,
        "max_request_body_size": "always",
    }
    if raw:
        options["event_scrubber"] = _NoScrubber()
    if "data_collection" in init_options:  # sentry-sdk reads one or the other
        options.pop("send_default_pii")
    options.update(init_options)
    previous = sentry_sdk.get_client()
    with warnings.catch_warnings():
        # Newer SDKs deprecate send_default_pii in favour of data_collection; it still works and
        # is the option every supported 2.x release understands.
        warnings.filterwarnings("ignore", message=".*send_default_pii.*", category=DeprecationWarning)
        sentry_sdk.init(**options)
    client = sentry_sdk.get_client()
    try:
        yield transport
    finally:
        sentry_sdk.flush()
        _stop_batchers(client)
        # Ends the client's other threads (session flusher, health monitor): a test suite or a
        # script that captures thousands of times would otherwise keep thousands of them alive.
        client.close()
        sentry_sdk.get_global_scope().set_client(previous)


def _stop_batchers(client: Any) -> None:
    """Stop the client's batching threads (logs, metrics, streamed spans) and wait for them, then
    flush what is left. A thread may have taken a batch out of its buffer without having handed
    it to the transport yet: ``flush`` then finds the buffer empty and returns at once, and the
    batch would arrive after the block has ended."""
    for batcher in getattr(client, "_batchers", ()):
        thread = getattr(batcher, "_flusher", None)
        batcher.kill()
        if isinstance(thread, threading.Thread) and thread is not threading.current_thread():
            thread.join(timeout=_BATCHER_STOP_SECONDS)
        batcher.flush()


#: How long the end of a capture waits for a batching thread to hand over its batch.
_BATCHER_STOP_SECONDS = 10.0


class _NoScrubber:
    """Stands in for sentry-sdk's EventScrubber to capture events as the app produced them."""

    def scrub_event(self, event: dict[str, Any]) -> None:
        return None
