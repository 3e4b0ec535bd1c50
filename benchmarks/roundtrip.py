"""The whole ``sentry_sdk.capture_exception`` path, with a transport that sends nothing.

Shows what a ruleset adds to what the SDK already costs per captured error: stack extraction,
local variables, scope data, serialization, the SDK's own scrubber, then the hooks.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.transport import Transport

from benchmarks.timing import Timing, seconds_per_call, timing_of
from tests.corpus import shop_api, values


class NoopTransport(Transport):
    def capture_envelope(self, envelope: Any) -> None:
        return None

    def flush(self, timeout: float, callback: Any = None) -> None:
        return None

    def kill(self) -> None:
        return None


def _failing_checkout(order_id: int) -> None:
    request_body = {"order_id": order_id, "email": values.EMAIL_BODY, "card": {"number": values.CARD_NUMBER}}
    headers = {"authorization": f"Bearer {values.BEARER_TOKEN}", "user-agent": values.USER_AGENT}  # noqa: F841
    shop_api.charge_card(request_body, request_body["email"])


def _capture_one() -> None:
    try:
        _failing_checkout(values.ORDER_ID)
    except Exception:
        sentry_sdk.capture_exception()


def _sample(hooks: dict[str, Any], number: int) -> tuple[float, float]:
    """Seconds per ``capture_exception`` with the SDK's defaults plus ``hooks``: (warm-up call,
    mean of ``number`` calls)."""
    previous = sentry_sdk.get_client()
    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1",
        transport=NoopTransport(),
        default_integrations=True,
        auto_enabling_integrations=False,
        **hooks,
    )
    try:
        with sentry_sdk.isolation_scope() as scope:
            scope.set_user({"id": values.USER_ID})
            scope.set_tag("order_id", str(values.ORDER_ID))
            warmup = seconds_per_call(lambda _: _capture_one(), range(1))
            return warmup, seconds_per_call(lambda _: _capture_one(), range(number))
    finally:
        sentry_sdk.get_global_scope().set_client(previous)


def time_captures(variants: dict[str, dict[str, Any]], *, repeats: int, number: int) -> dict[str, Timing]:
    """Seconds per call for each set of hooks (as pyperf benchmarks), sampled round-robin."""
    warmups: dict[str, list[tuple[int, float]]] = {label: [] for label in variants}
    samples: dict[str, list[float]] = {label: [] for label in variants}
    for _ in range(repeats):
        for label, hooks in variants.items():
            warmup, sample = _sample(hooks, number)
            warmups[label].append((1, warmup))
            samples[label].append(sample)
    return {
        label: timing_of(
            f"capture-exception/{label.replace(' + ', '+').replace(' ', '-')}",
            samples[label],
            loops=number,
            warmups=warmups[label],
        )
        for label in variants
    }
