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
