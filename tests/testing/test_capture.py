"""The capturing transport: what a block sends is all there when the block ends."""

from __future__ import annotations

import threading
import time

import sentry_sdk

from rules_engine.testing.capture import capture_transport


def test_a_batch_a_thread_is_handing_over_arrives_before_the_capture_ends():
    """sentry-sdk's batching thread takes a batch out of its buffer, then hands it to the
    transport; a capture that ends in between (its flush finds the buffer empty) still gets it."""
    handing_over = threading.Event()
    with capture_transport(enable_logs=True) as sent:
        batcher = sentry_sdk.get_client().log_batcher
        hand_over = batcher._capture_func

        def slowly(envelope):
            if threading.current_thread() is not threading.main_thread():
                handing_over.set()
                time.sleep(0.5)
            hand_over(envelope)

        batcher._capture_func = slowly
        sentry_sdk.logger.info("hello")
        batcher._flush_event.set()  # what a full buffer or the batching interval does
        assert handing_over.wait(10)
    assert [log["body"] for log in sent.items["log"]] == ["hello"]


def test_a_capture_ends_its_clients_threads():
    """Each client starts threads (a session flusher, a health monitor, batchers); a suite or a
    script that captures thousands of times must not keep thousands of them alive."""
    before = set(threading.enumerate())
    with capture_transport(release="shop@1", enable_logs=True) as sent:
        sentry_sdk.capture_message("hello")
        sentry_sdk.logger.info("hello")
        client = sentry_sdk.get_client()
        started = set(threading.enumerate()) - before
    assert started, "the client started no thread: nothing to check"
    assert client.transport is None  # closed
    # The health monitor sleeps 10 s between checks and ends at its next check; the others end
    # as soon as their client is closed.
    assert client.monitor is None or not client.monitor._running
    monitor_thread = getattr(client.monitor, "_thread", None)
    still_working = [thread for thread in started if thread.is_alive() and thread is not monitor_thread]
    for thread in still_working:
        thread.join(5)
    assert not [thread for thread in still_working if thread.is_alive()]
    assert [event["message"] for event in sent.events] == ["hello"]
