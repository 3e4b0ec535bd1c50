"""A Celery task's positional arguments, named by its signature: ``charge.delay("cus_1", token,
100)`` for ``def charge(customer, payment_method_token, amount)`` sends ``extra.celery-job.args`` =
``["cus_1", "...", 100]``, and the second is a token. Real transactions and errors of tasks run by a
real Celery app (eagerly, under the SDK's task wrapper, as a worker runs them) with tracing on:
the argument a sensitive parameter name stands for is redacted where it is sent, and, as a known
secret, wherever else it shows; other arguments, tasks no app of the process holds, and rulesets
without ``named_values`` stay as they were."""

from __future__ import annotations

import functools
import json
import sys

import pytest
import sentry_sdk
from celery import Celery
from sentry_sdk.integrations.celery import CeleryIntegration

from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.task_arguments import task_argument_names
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]

#: Secrets by name: the tasks are called with them looked up, so no source line the SDK sends holds one.
SECRETS = {"charge": "Ct6pM3" + "wQz8Lr2Xv5Hn", "refund": "Rf3kW8" + "pLz5Qm2Tv7Xc",
           "rotate": "Ro9tP4" + "zKm7Wq3Lx2Vb", "extra": "Ex5nT2" + "qWz8Lp4Km6Rd"}

#: The app of the tests' tasks: a worker's app lives as long as its process, and so does this one.
APP = Celery("task_arguments", broker="memory://", backend="cache+memory://")
APP.conf.task_always_eager = True  # run here, under the SDK's task wrapper


@APP.task
def charge(customer: str, payment_method_token: str, amount: int) -> int:
    # A payment provider's client, traced: the token stands in a URL's path, where no key names it.
    with sentry_sdk.start_span(op="http.client", name=f"GET https://pay.example/v1/methods/{payment_method_token}"):
        return amount


@APP.task
def refund(customer: str, payment_method_token: str, amount: int) -> int:
    raise RuntimeError(f"refund of {amount} refused")


@APP.task(bind=True)
def rotate(self, service: str, *api_tokens: str) -> int:
    return len(api_tokens)


def secret(name: str) -> str:
    return SECRETS[name]


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    with capture_events(integrations=[CeleryIntegration()], traces_sample_rate=1.0) as events:
        charge.delay("cus_1", secret("charge"), 100)
        refund.apply_async(args=("cus_2", secret("refund"), 5))
        rotate.delay("billing", secret("rotate"), secret("rotate") + "2")
    return tuple(events)


def by_task(events, name: str, kind: str | None = "transaction") -> dict:
    return next(event for event in events
                if event["extra"]["celery-job"]["task_name"].endswith(name) and event.get("type") == kind)


def test_the_captured_events_hold_each_argument_unnamed():
    events = captured()
    assert by_task(events, ".charge")["extra"]["celery-job"]["args"] == ["cus_1", secret("charge"), 100]
    assert by_task(events, ".refund")["extra"]["celery-job"]["args"] == ["cus_2", secret("refund"), 5]
    error = by_task(events, ".refund", kind=None)  # the error event of the failing task holds them too
    assert error["extra"]["celery-job"]["args"] == ["cus_2", secret("refund"), 5]
    assert by_task(events, ".rotate")["extra"]["celery-job"]["args"][1] == secret("rotate")


@pytest.mark.parametrize("engine", ENGINES)
def test_no_argument_a_sensitive_parameter_names_is_sent(engine):
    events = captured()
    sent = processed_events(default_ruleset(engine), events)
    text = json.dumps(sent)
    for name in ("charge", "refund", "rotate"):
        assert secret(name) not in text
    transaction = by_task(sent, ".charge")
    assert transaction["extra"]["celery-job"]["args"] == ["cus_1", "[Filtered]", 100]
    assert transaction["_meta"]["extra"]["celery-job"]["args"] == {
        "1": {"": {"rem": [["secret-keys", "s", 0, 10]], "len": len(secret("charge"))}}}
    # The span of the provider's client echoes the argument: redacted as a known secret.
    (span,) = [span for span in transaction["spans"] if span["op"] == "http.client"]
    assert span["description"] == "GET https://pay.example/v1/methods/[Filtered]"
    assert by_task(sent, ".refund", kind=None)["extra"]["celery-job"]["args"] == ["cus_2", "[Filtered]", 5]
    # *api_tokens names every argument after the ones named before it; a bound task's self is none.
    assert by_task(sent, ".rotate")["extra"]["celery-job"]["args"] == ["billing", "[Filtered]", "[Filtered]"]


@pytest.mark.parametrize("engine", ENGINES)
def test_both_engines_send_the_same(engine):
    events = captured()
    assert processed_events(default_ruleset(engine), events) == processed_events(default_ruleset("off"), events)


def job_event(task_name: str, args: list) -> dict:
    return {"type": "transaction", "transaction": task_name,
            "extra": {"celery-job": {"task_name": task_name, "args": args, "kwargs": {}}}}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("named_values", [True, False])
def test_task_arguments_are_named_with_named_values_only(engine, named_values):
    # A ruleset pinned to the 2026.11 packs (named_values off) scrubs as it did.
    scrub = models.Scrub.model_validate({"rules": [{"id": "keys", "keys": ["*token*"]}]})
    scrubber = compile_scrubber(scrub, models.Options(named_values=named_values), None, accelerator=engine)
    event = job_event(charge.name, ["cus_1", secret("extra"), 100])
    counts = scrubber.scrub_event(event)
    assert event["extra"]["celery-job"]["args"][1] == ("[Filtered]" if named_values else secret("extra"))
    assert counts == ({"keys": 1} if named_values else {})


@pytest.mark.parametrize("engine", ENGINES)
def test_the_rule_active_at_the_argument_redacts_it(engine):
    scrub = models.Scrub.model_validate({
        "allow": ["extra.celery-job.args.2"],
        "rules": [{"id": "job", "keys": ["customer", "amount"], "in": ["extra.celery-job"], "redact": "remove"},
                  {"id": "elsewhere", "keys": ["*token*"], "in": ["request"]}]})
    scrubber = compile_scrubber(scrub, models.Options(named_values=True), None, accelerator=engine)
    event = job_event(charge.name, ["cus_1", secret("extra"), 100])
    counts = scrubber.scrub_event(event)
    # customer removed (its place kept), the token left (no rule active there), amount allowed
    assert event["extra"]["celery-job"]["args"] == [None, secret("extra"), 100]
    assert event["_meta"]["extra"]["celery-job"]["args"] == {"0": {"": {"rem": [["job", "x"]]}}}
    assert counts == {"job": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_an_argument_holding_a_container_has_every_leaf_redacted(engine):
    # As a container under a sensitive key: every leaf (allow below still wins), dict keys kept.
    scrub = models.Scrub.model_validate({"allow": ["extra.celery-job.args.1.note"],
                                         "rules": [{"id": "keys", "keys": ["*token*"]}]})
    scrubber = compile_scrubber(scrub, models.Options(named_values=True), None, accelerator=engine)
    event = job_event(charge.name, [None, {"card": "c", "note": "n", "more": ("t", 4, None)}, True])
    counts = scrubber.scrub_event(event)
    assert event["extra"]["celery-job"]["args"] == [
        None, {"card": "[Filtered]", "note": "n", "more": ["[Filtered]", "[Filtered]", None]}, True]
    assert event["_meta"]["extra"]["celery-job"]["args"]["1"]["more"]["1"] == {
        "": {"rem": [["keys", "s", 0, 10]], "len": 1}}
    assert counts == {"keys": 3}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_container_a_remove_rule_names_is_removed_whole(engine):
    scrub = models.Scrub.model_validate({"rules": [{"id": "gone", "keys": ["*token*"], "redact": "remove"}]})
    scrubber = compile_scrubber(scrub, models.Options(named_values=True), None, accelerator=engine)
    event = job_event(charge.name, ["cus_1", ["a", "b"], 3])
    assert scrubber.scrub_event(event) == {"gone": 1}
    assert event["extra"]["celery-job"]["args"] == ["cus_1", None, 3]


def test_a_task_no_app_holds_names_nothing():
    assert task_argument_names(job_event("elsewhere.charge", ["a", "b"])) == (None, [])
    event = job_event(charge.name, ["a", "b", 1, "more"])
    assert task_argument_names(event) == (event["extra"]["celery-job"]["args"],
                                          ["customer", "payment_method_token", "amount"])
    filtered = {"extra": {"celery-job": {"task_name": charge.name, "args": "[Filtered]"}}}  # without send_default_pii
    assert task_argument_names(filtered) == (None, [])
    assert task_argument_names({"extra": "x"}) == (None, [])


def test_celery_is_never_imported(monkeypatch):
    # Without celery in sys.modules (an offline event, a process that runs no task), nothing is
    # looked up and nothing imported.
    for module in [name for name in sys.modules if name == "celery" or name.startswith("celery.")]:
        monkeypatch.delitem(sys.modules, module)
    assert task_argument_names(job_event(charge.name, ["a", "b", 1])) == (None, [])
    assert "celery" not in sys.modules and "celery._state" not in sys.modules


def test_a_task_whose_signature_cannot_be_read_names_nothing(monkeypatch):
    class Opaque:
        name = "task_arguments.opaque"

        @property
        def run(self):
            raise RuntimeError("no run here")

    monkeypatch.setitem(APP._tasks, Opaque.name, Opaque())
    assert task_argument_names(job_event(Opaque.name, ["a"])) == (None, [])
    monkeypatch.setitem(APP._tasks, Opaque.name, type("NotCallable", (), {"run": 3})())
    assert task_argument_names(job_event(Opaque.name, ["a"])) == (None, [])


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unknown_task_in_a_real_event_is_sent_as_it_was(engine):
    other = Celery("other", broker="memory://", backend="cache+memory://")
    other.conf.task_always_eager = True

    @other.task(name="other.charge")
    def charge_elsewhere(customer: str, payment_method_token: str) -> None:
        pass

    with capture_events(integrations=[CeleryIntegration()], traces_sample_rate=1.0) as events:
        charge_elsewhere.delay("cus_3", "not-a-secret-here")
    del other._tasks["other.charge"]  # the process that sent it is not this one
    (sent,) = processed_events(default_ruleset(engine), [e for e in events if e.get("type") == "transaction"])
    assert sent["extra"]["celery-job"]["args"] == ["cus_3", "not-a-secret-here"]
