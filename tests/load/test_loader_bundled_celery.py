"""``rulesets/celery.yaml`` on events from real Celery tasks and sentry-sdk's CeleryIntegration.

Tasks run eagerly (``task_always_eager``): ``Task.apply`` builds its tracer with
``celery.app.trace.build_tracer``, which CeleryIntegration patches, so each task runs inside the
integration's transaction and scope exactly as in a worker, and its failures are reported with
mechanism ``celery``, the task name as transaction and ``extra["celery-job"]`` holding the task's
args and kwargs.

What the real events show, and what the ruleset is built on:

* ``Retry`` (raised by ``task.retry()``) is never reported by the integration; once max_retries is
  reached, ``retry()`` raises ``MaxRetriesExceededError``, or re-raises ``exc=`` when given one.
* The integration reports a task's uncaught errors as unhandled (``handled: false``).
* A follow-up task published to a broker that is down fails with ``kombu.exceptions.OperationalError``.

Some shapes need a prefork worker. A soft time limit is raised by billiard's signal handler inside
the running task; here the task raises the same ``SoftTimeLimitExceeded`` itself, which the
integration sees the same way. ``WorkerLostError`` and ``TaskRevokedError`` arise in the worker's
main process, never inside the task: a lost worker is logged as an error on the
``celery.worker.request`` logger ("Task handler raised error: ..."), which the logging integration
reports; those two events are written by hand in that shape.
"""

from __future__ import annotations

import copy
from pathlib import Path

import sentry_sdk
from celery import Celery
from celery.exceptions import Retry, SoftTimeLimitExceeded
from sentry_sdk.integrations.celery import CeleryIntegration

from rules_engine.runtime.reloading import load_ruleset
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.testing.capture import capture_events

RULESETS = Path(__file__).resolve().parents[2] / "rulesets"
KEEP, SAMPLE_OUT = 0.0, 0.5  # sampling draws: below and above every sample rate of the ruleset

app = Celery("shop", broker="memory://")
app.conf.update(task_always_eager=True, task_eager_propagates=False, task_store_eager_result=False)

# Where follow-up work is published: a broker nobody listens on, refused at once.
downstream = Celery("downstream", broker="amqp://guest:guest@127.0.0.1:1//")
downstream.conf.update(broker_connection_retry=False, broker_connection_timeout=0.5,
                       broker_transport_options={"max_retries": 0, "interval_start": 0})


@app.task(name="shop.tasks.send_receipt", bind=True, max_retries=2)
def send_receipt(self, email, order_id):
    raise self.retry(exc=ConnectionResetError("SMTP server closed the connection"), countdown=0)


@app.task(name="shop.tasks.sync_stock", bind=True, max_retries=1)
def sync_stock(self, sku):
    raise self.retry(countdown=0)


@app.task(name="shop.tasks.refund", bind=True, max_retries=1)
def refund(self, order_id):
    try:
        raise self.retry(countdown=0)
    except Retry as exc:
        sentry_sdk.capture_exception(exc)
        raise


@app.task(name="shop.tasks.fetch_rates", bind=True, max_retries=1)
def fetch_rates(self, currency):
    try:
        raise TimeoutError("rates.example timed out after 5s")
    except TimeoutError as exc:
        sentry_sdk.capture_exception(exc)
        raise self.retry(exc=exc, countdown=0)


@app.task(name="shop.tasks.monthly_report")
def monthly_report():
    raise SoftTimeLimitExceeded()


@app.task(name="shop.tasks.fan_out")
def fan_out(order_id):
    downstream.send_task("warehouse.tasks.reserve", args=(order_id,), retry=False)


@app.task(name="shop.tasks.charge")
def charge(email, card, amount, note=""):
    raise ValueError("payment provider declined the charge")


@app.task(name="shop.tasks.heartbeat")
def heartbeat():
    return "ok"


INTEGRATION = CeleryIntegration()


def run_tasks(rules: Ruleset, *calls: tuple, draw: float = SAMPLE_OUT) -> tuple[list[dict], list[dict]]:
    """Run ``(task, args, kwargs)`` calls; return (events sent, events as the SDK built them)."""
    raw: list[dict] = []

    def record(event, hint):
        raw.append(copy.deepcopy(event))
        return event

    rules.draw = lambda: draw
    options = rules.sentry_options(before_send=record, before_send_transaction=record, integrations=[INTEGRATION])
    with capture_events(traces_sample_rate=1.0, **options) as events:
        for task, args, kwargs in calls:
            task.apply_async(args, kwargs)
    return events, raw


def celery_rules() -> Ruleset:
    return load_ruleset(RULESETS / "celery.yaml")


def errors(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get("type") != "transaction"]


def main_exception(event: dict) -> dict:
    return event["exception"]["values"][-1]


# --------------------------------------------------------------------------- filters


def test_retries_are_not_reported_and_the_final_failure_is():
    rules = celery_rules()
    events, raw = run_tasks(rules, (send_receipt, ("ana@example.com", 42), {}))
    assert [main_exception(e)["type"] for e in errors(raw)] == ["ConnectionResetError"]
    [event] = errors(events)
    assert main_exception(event)["mechanism"] == {"type": "celery", "handled": False}
    assert event["transaction"] == "shop.tasks.send_receipt"


def test_retries_reported_by_the_task_itself_are_dropped():
    rules = celery_rules()
    events, raw = run_tasks(rules, (refund, (7,), {}))
    assert "Retry" in [main_exception(e)["type"] for e in errors(raw)]
    assert all(main_exception(e)["type"] != "Retry" for e in errors(events))
    assert rules.stats()["dropped"]["task-retries"] >= 1


def test_handled_timeouts_are_sampled_and_unhandled_ones_kept():
    rules = celery_rules()
    events, raw = run_tasks(rules, (fetch_rates, ("EUR",), {}))
    handled = [e for e in errors(raw) if main_exception(e)["mechanism"]["handled"]]
    unhandled = [e for e in errors(raw) if not main_exception(e)["mechanism"]["handled"]]
    assert handled and unhandled  # reported by the task before each retry; the last one raised
    assert [main_exception(e)["mechanism"]["handled"] for e in errors(events)] == [False]
    assert rules.stats()["sampled_out"]["flaky-network"] == len(handled)

    # When the draw keeps them, every report is sent (and the SDK's dedupe then skips the re-raised
    # exception it has just sent).
    kept, raw = run_tasks(celery_rules(), (fetch_rates, ("EUR",), {}), draw=KEEP)
    handled_kept = [e for e in errors(kept) if main_exception(e)["mechanism"]["handled"]]
    assert len(handled_kept) == len(handled)
    assert len(errors(kept)) == len(errors(raw))


def test_heartbeat_transactions_are_sampled():
    events, raw = run_tasks(celery_rules(), (heartbeat, (), {}), (charge, ("a@b.example", "x", 1), {}))
    sent = [e["transaction"] for e in events if e.get("type") == "transaction"]
    assert [e["transaction"] for e in raw if e.get("type") == "transaction"] == ["shop.tasks.heartbeat",
                                                                                  "shop.tasks.charge"]
    assert sent == ["shop.tasks.charge"]
    kept, _ = run_tasks(celery_rules(), (heartbeat, (), {}), draw=KEEP)
    assert [e["transaction"] for e in kept] == ["shop.tasks.heartbeat"]


# --------------------------------------------------------------------------- grouping


def test_tasks_that_give_up_are_one_issue_per_task():
    events, raw = run_tasks(celery_rules(), (sync_stock, ("SKU-1",), {}), (sync_stock, ("SKU-2",), {}))
    assert [main_exception(e)["type"] for e in errors(raw)] == ["MaxRetriesExceededError"] * 2
    assert len({main_exception(e)["value"] for e in errors(raw)}) == 2  # each names its task id and args
    gave_up = errors(events)
    assert len(gave_up) == 2
    for event in gave_up:
        assert event["fingerprint"] == ["max-retries-exceeded", "shop.tasks.sync_stock"]
        assert event["tags"]["error_group"] == "task_retries"
        main = main_exception(event)
        assert f"{main['type']}: {main['value']}" == "Task gave up after retries: shop.tasks.sync_stock"


def test_time_limits_are_one_warning_issue_per_task():
    events, raw = run_tasks(celery_rules(), (monthly_report, (), {}))
    [sdk_event] = errors(raw)
    assert sdk_event["fingerprint"] == ["celery", "SoftTimeLimitExceeded", "shop.tasks.monthly_report"]
    [event] = errors(events)
    assert event["fingerprint"] == ["time-limit", "shop.tasks.monthly_report"]
    assert event["level"] == "warning"
    assert event["tags"]["error_group"] == "time_limit"
    main = main_exception(event)
    assert f"{main['type']}: {main['value']}" == "Task over its time limit: shop.tasks.monthly_report"


def test_broker_outages_are_one_issue():
    events, raw = run_tasks(celery_rules(), (fan_out, (7,), {}))
    [sdk_event] = errors(raw)
    assert (main_exception(sdk_event)["module"], main_exception(sdk_event)["type"]) == (
        "kombu.exceptions", "OperationalError")
    [event] = errors(events)
    assert event["fingerprint"] == ["broker-error", "connection"]
    assert event["tags"]["error_group"] == "broker_error"
    assert event["tags"]["broker_error_type"].endswith("OperationalError")
    main = main_exception(event)
    assert f"{main['type']}: {main['value']}" == f"Broker Error: {main_exception(sdk_event)['value']}"


def exception_event(module: str, type_name: str, value: str, **extra) -> dict:
    """An error event as sentry-sdk's logging integration builds it for a logged exception."""
    return {
        "platform": "python",
        "level": "error",
        "exception": {"values": [{"module": module, "type": type_name, "value": value,
                                  "mechanism": {"type": "logging", "handled": True}}]},
        **extra,
    }


def live(dotted: str, message: str = "") -> dict:
    """A hint holding a live exception whose class has the given dotted name."""
    module, name = dotted.rsplit(".", 1)
    cls = type(name, (Exception,), {"__module__": module})
    return {"exc_info": (cls, cls(message), None)}


def test_worker_lost_and_revoked_tasks_from_the_worker_log():
    rules = celery_rules()
    lost = exception_event("billiard.exceptions", "WorkerLostError",
                           "Worker exited prematurely: signal 9 (SIGKILL).", logger="celery.worker.request")
    sent = rules.before_send(lost, live("billiard.exceptions.WorkerLostError"))
    assert sent["fingerprint"] == ["worker-lost"]
    assert sent["level"] == "fatal"
    revoked = exception_event("celery.exceptions", "TaskRevokedError", "revoked", logger="celery.worker.request")
    assert rules.before_send(revoked, live("celery.exceptions.TaskRevokedError")) is None


# --------------------------------------------------------------------------- scrubbing


def test_task_arguments_keep_their_shape_and_lose_customer_data():
    rules = celery_rules()
    card = "4111 1111 1111 1111"
    events, raw = run_tasks(rules, (charge, ("ana@example.com", card, 1999), {"note": f"paid with {card}"}))
    [sdk_event] = errors(raw)
    assert sdk_event["extra"]["celery-job"]["args"] == ["ana@example.com", card, 1999]
    [event] = errors(events)
    job = event["extra"]["celery-job"]
    assert job["task_name"] == "shop.tasks.charge"
    email, filtered_card, amount = job["args"]
    assert email == "[Filtered]"
    assert filtered_card == "[Filtered]"
    assert card not in repr(events) and "ana@example.com" not in repr(events)
    assert amount == 1999
    assert job["kwargs"]["note"].startswith("paid with ") and card not in job["kwargs"]["note"]
    redactions = rules.stats()["redactions"]
    assert redactions["personal-data/email"] >= 1
    assert redactions["payment-values/creditcard"] >= 1
