"""Every channel sentry-sdk sends through — logs, metrics, streamed spans, AI spans, feedback —
with a real client, the default ruleset installed by ``sentry_options()`` and a capturing
transport: planted secrets of several kinds never arrive, the useful values do."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

import sentry_sdk
from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.integration import RulesEngineIntegration
from rules_engine.runtime.reloading import load_ruleset
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.testing.capture import capture_transport
from tests.corpus.values import CARD_NUMBER, EMAIL_LOG, GITHUB_TOKEN, JWT, LOG_PASSWORD, OPENAI_KEY, STRIPE_KEY

SECRETS = {"password": LOG_PASSWORD, "github": GITHUB_TOKEN, "card": CARD_NUMBER, "email": EMAIL_LOG,
           "jwt": JWT, "stripe": STRIPE_KEY, "openai": OPENAI_KEY}


def leaked(sent) -> list[str]:
    text = json.dumps(sent, default=str)
    return [kind for kind, secret in SECRETS.items() if secret in text]


@pytest.fixture(scope="module")
def default() -> Ruleset:
    return load_ruleset("rulesets/default.yaml")


def compiled(text: str) -> Ruleset:
    return Ruleset.from_loaded(load_model_from_text(text, "channels.yaml"))


def attribute(item: dict, name: str):
    """An attribute as sentry-sdk puts it on the wire: ``{"value": ..., "type": ...}``."""
    return item["attributes"][name]["value"]


# ---------------------------------------------------------------------- logs


def test_stdlib_logging_records_arrive_scrubbed(default):
    with capture_transport(enable_logs=True, **default.sentry_options()) as sent:
        logging.getLogger("shop.auth").warning(
            "login failed for order %s password=%s token=%s jwt=%s", 12345, LOG_PASSWORD, GITHUB_TOKEN, JWT)
        logging.getLogger("shop.billing").error("charged card %s for %s", CARD_NUMBER, EMAIL_LOG)
    logs = sent.items["log"]
    assert len(logs) == 2 and leaked(logs) == []
    auth, billing = logs
    assert auth["body"].startswith("login failed for order 12345 password=[Filtered]")
    assert attribute(auth, "sentry.message.parameter.0") == 12345  # useful values stay
    assert attribute(auth, "logger.name") == "shop.auth" and auth["level"] == "warn"
    assert attribute(billing, "sentry.message.template") == "charged card %s for %s"


def test_sentry_logger_with_named_parameters_arrives_scrubbed(default):
    with capture_transport(enable_logs=True, **default.sentry_options()) as sent:
        sentry_sdk.logger.info("charging card {card} of {customer} for order {order}",
                               card=CARD_NUMBER, customer=EMAIL_LOG, order="ORD-12345")
        sentry_sdk.logger.error("webhook secret={secret} rejected", secret=STRIPE_KEY,
                                attributes={"user.api_token": OPENAI_KEY, "cart.items": 3})
    charge, webhook = sent.items["log"]
    assert leaked(sent.items) == []
    assert attribute(charge, "sentry.message.parameter.order") == "ORD-12345"
    assert "ORD-12345" in charge["body"] and attribute(charge, "sentry.message.template").startswith("charging card {card}")
    assert attribute(webhook, "sentry.message.parameter.secret") == "[Filtered]"
    assert attribute(webhook, "cart.items") == 3


def test_log_filters_drop_by_level_logger_and_message():
    ruleset = compiled("""\
format: 1
name: logs
filters:
  - {id: quiet-debug, on: [log], when: {level: debug}, drop: true}
  - {id: noisy-lib, on: [log], when: {logger: "vendor.*"}, drop: true}
  - {id: heartbeats, on: [log], when: {message: "heartbeat*"}, drop: true}
  - {id: errors-only-for-errors, when: {level: info}, drop: true}
""")
    with capture_transport(enable_logs=True, **ruleset.sentry_options()) as sent:
        sentry_sdk.logger.debug("cache miss for {key}", key="a")
        sentry_sdk.logger.trace("very fine detail")
        logging.getLogger("vendor.client").warning("retrying")
        sentry_sdk.logger.info("heartbeat {n}", n=1)
        sentry_sdk.logger.info("order {id} shipped", id=7)  # info, but an error filter does not see logs
    assert [log["body"] for log in sent.items["log"]] == ["order 7 shipped"]
    assert ruleset.stats()["dropped"] == {"quiet-debug": 2, "noisy-lib": 1, "heartbeats": 1}


# ---------------------------------------------------------------------- metrics


def test_metrics_arrive_with_name_value_and_scrubbed_attributes(default):
    with capture_transport(**default.sentry_options()) as sent:
        sentry_sdk.metrics.count("checkout.completed", 1, attributes={
            "card": CARD_NUMBER, "customer.email": EMAIL_LOG, "plan": "pro", "auth_token": GITHUB_TOKEN})
        sentry_sdk.metrics.distribution("checkout.duration", 182.5, unit="millisecond",
                                        attributes={"note": f"retried with password={LOG_PASSWORD}"})
        sentry_sdk.metrics.gauge("queue.depth", 4, attributes={"queue": "emails"})
    metrics = sent.items["metric"]
    assert leaked(metrics) == []
    assert [(m["name"], m["value"]) for m in metrics] == [
        ("checkout.completed", 1), ("checkout.duration", 182.5), ("queue.depth", 4)]
    assert attribute(metrics[0], "plan") == "pro" and attribute(metrics[2], "queue") == "emails"


def test_metric_filters():
    ruleset = compiled("format: 1\nname: m\nfilters: [{id: staging-metrics, on: [metric], when: {environment: staging}, drop: true}]\n")
    with capture_transport(environment="staging", **ruleset.sentry_options()) as sent:
        sentry_sdk.metrics.count("signup", 1)
    assert sent.items["metric"] == []
    with capture_transport(environment="production", **ruleset.sentry_options()) as sent:
        sentry_sdk.metrics.count("signup", 1)
    assert [m["name"] for m in sent.items["metric"]] == ["signup"]


# ---------------------------------------------------------------------- spans


def test_streamed_spans_arrive_scrubbed(default):
    options = default.sentry_options(traces_sample_rate=1.0, trace_lifecycle="stream")
    assert "before_send_span" in options
    with capture_transport(**options) as sent:
        with sentry_sdk.traces.start_span(name="POST /checkout") as segment:
            segment.set_attribute("http.request.header.authorization", f"Bearer {JWT}")
            with sentry_sdk.traces.start_span(name=f"charge card {CARD_NUMBER}") as child:
                child.set_attribute("db.query.text", f"UPDATE users SET email='{EMAIL_LOG}' WHERE id=8812")
                child.set_attribute("payment.provider_key", STRIPE_KEY)
                child.set_attribute("order.id", 12345)
    spans = sent.items["span"]
    assert len(spans) == 2 and leaked(spans) == []
    names = {span["name"] for span in spans}
    assert "POST /checkout" in names and "charge card [Filtered]" in names
    child = next(span for span in spans if span["name"].startswith("charge"))
    assert attribute(child, "order.id") == 12345 and "WHERE id=8812" in attribute(child, "db.query.text")


def test_span_hook_is_only_installed_when_spans_stream(default):
    assert "before_send_span" not in default.sentry_options()
    assert "before_send_span" in default.sentry_options(_experiments={"trace_lifecycle": "stream"})


# ---------------------------------------------------------------------- AI monitoring


def fake_llm(request: httpx.Request) -> httpx.Response:
    """An OpenAI-compatible endpoint that answers with a completion holding a card number."""
    return httpx.Response(200, json={
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": f"The card {CARD_NUMBER} of {EMAIL_LOG} is on file."}}],
        "usage": {"prompt_tokens": 21, "completion_tokens": 12, "total_tokens": 33},
    })


@pytest.mark.parametrize("lifecycle", ["static", "stream"])
def test_ai_integration_spans_arrive_scrubbed(default, lifecycle):
    import openai
    from sentry_sdk.integrations.openai import OpenAIIntegration

    client = openai.OpenAI(api_key="sk-test", base_url="http://llm.invalid/v1",
                           http_client=httpx.Client(transport=httpx.MockTransport(fake_llm)))
    options = default.sentry_options(integrations=[OpenAIIntegration(include_prompts=True)],
                                     traces_sample_rate=1.0, trace_lifecycle=lifecycle)
    prompt = f"Reset my password={LOG_PASSWORD}; my GitHub token is {GITHUB_TOKEN}. Summarise order 12345."
    with capture_transport(send_default_pii=True, **options) as sent:
        root = (sentry_sdk.start_transaction(name="support-bot") if lifecycle == "static"
                else sentry_sdk.traces.start_span(name="support-bot"))
        with root:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
    spans = [span for span in sent.items["span"] if span["attributes"].get("sentry.op", {}).get("value") == "gen_ai.chat"]
    assert len(spans) == 1 and leaked(sent.items) == [] and leaked(sent.events) == []
    chat = spans[0]
    assert "Summarise order 12345" in attribute(chat, "gen_ai.request.messages")  # the prompt is still readable
    assert "is on file" in attribute(chat, "gen_ai.response.text")
    assert attribute(chat, "gen_ai.usage.total_tokens") == 33 and attribute(chat, "gen_ai.request.model") == "gpt-4o-mini"


# ---------------------------------------------------------------------- feedback


def send_feedback(message: str, email: str, name: str) -> None:
    """User feedback as sentry-sdk sends it: ``capture_feedback`` where this SDK has it, else the
    event of type ``feedback`` the other SDKs send."""
    capture = getattr(sentry_sdk, "capture_feedback", None)
    if capture is not None:
        capture(message=message, contact_email=email, name=name)
        return
    sentry_sdk.capture_event({"type": "feedback", "level": "info", "contexts": {"feedback": {
        "message": message, "contact_email": email, "name": name, "source": "api"}}})


def test_feedback_is_scrubbed_and_keeps_the_contact_address(default):
    with capture_transport(**default.sentry_options()) as sent:
        send_feedback(f"Checkout broke after I typed my card {CARD_NUMBER} and password={LOG_PASSWORD}",
                      "dana@shop-example.com", "Dana")
    [feedback] = sent.events
    assert feedback["type"] == "feedback" and leaked(feedback) == []
    assert feedback["contexts"]["feedback"]["contact_email"] == "dana@shop-example.com"
    assert feedback["contexts"]["feedback"]["message"].startswith("Checkout broke after I typed my card")


def test_a_scrub_rule_naming_the_contact_address_removes_it():
    ruleset = compiled("""\
format: 1
name: strict
scrub:
  rules:
    - {id: no-contact, keys: [contact_email], in: [contexts.feedback], redact: remove}
""")
    with capture_transport(**ruleset.sentry_options()) as sent:
        send_feedback("the page is slow", "dana@shop-example.com", "Dana")
    [feedback] = sent.events
    assert "contact_email" not in feedback["contexts"]["feedback"]
    assert feedback["contexts"]["feedback"]["message"] == "the page is slow"


# ---------------------------------------------------------------------- the integration


def test_the_integration_installs_the_same_channel_hooks(default):
    with capture_transport(enable_logs=True, traces_sample_rate=1.0, trace_lifecycle="stream",
                           integrations=[RulesEngineIntegration(default)]) as sent:
        sentry_sdk.logger.warning("token={token}", token=GITHUB_TOKEN)
        sentry_sdk.metrics.count("logins", 1, attributes={"password": LOG_PASSWORD})
        with sentry_sdk.traces.start_span(name=f"notify {EMAIL_LOG}"):
            pass
    assert len(sent.items["log"]) == 1 and len(sent.items["metric"]) == 1 and len(sent.items["span"]) == 1
    assert leaked(sent.items) == []


# ---------------------------------------------------------------------- fail closed


HOSTILE = [
    None, [], "text", 42,
    {"body": CARD_NUMBER, "attributes": None},
    {"body": None, "severity_text": ["warn"], "attributes": {"k": float("nan")}},
    {"name": {"nested": CARD_NUMBER}, "attributes": {"password": LOG_PASSWORD, 3: "int key"}},
    {"body": b"bytes " + CARD_NUMBER.encode(), "attributes": {"sentry.message.template": 7}},
    {"body": "x", "attributes": {"sentry.message.template": "a=%s %(b)s {c} {} {0!r:>4} %%",
                                 "sentry.message.parameter.0": CARD_NUMBER, "sentry.message.parameter.c": JWT}},
    {"name": "n", "unit": CARD_NUMBER, "status": f"password={LOG_PASSWORD}", "a_later_field": {"k": JWT}},
]


@pytest.mark.parametrize("item", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("hook", ["before_send_log", "before_send_metric", "before_send_span"])
def test_channel_hooks_never_raise_and_never_let_a_secret_out(default, hook, item):
    result = getattr(default, hook)(item, {})
    if hook == "before_send_span":
        assert isinstance(result, dict) and "name" in result  # a span cannot be dropped
    assert leaked(result) == []
    json.dumps(result, allow_nan=False)  # what is sent is sendable


def test_a_parameter_named_by_its_template_is_redacted_in_its_attribute(default):
    log = {"body": "password=x user=bob", "severity_text": "info", "attributes": {
        "sentry.message.template": "password={pw} user={user}",
        "sentry.message.parameter.pw": LOG_PASSWORD, "sentry.message.parameter.user": "bob"}}
    sent = default.before_send_log(log, {})
    assert sent["attributes"]["sentry.message.parameter.pw"] == "[Filtered]"
    assert sent["attributes"]["sentry.message.parameter.user"] == "bob"


def test_a_failing_scrub_drops_a_log_and_filters_a_span():
    ruleset = compiled("format: 1\nname: tiny\noptions: {limits: {max_nodes: 3}}\n"
                       "scrub: {rules: [{id: pw, keys: ['*password*']}]}\n")
    log = {"body": "hello", "severity_text": "info", "attributes": {f"a{i}": f"v{i}" for i in range(10)}}
    assert ruleset.before_send_log(log, {}) is None
    span = {"name": "GET /", "attributes": {f"a{i}": f"v{i}" for i in range(10)}, "status": "ok",
            "span_id": "abcdef0123456789", "start_timestamp": 1.5}
    sent = ruleset.before_send_span(span, {})
    assert sent["name"] == "[Filtered]" and set(sent["attributes"].values()) == {"[Filtered]"}
    assert (sent["span_id"], sent["start_timestamp"]) == ("abcdef0123456789", 1.5)


def test_a_filter_cannot_apply_to_spans():
    from rules_engine.errors import RulesetError

    with pytest.raises(RulesetError) as caught:
        compiled("format: 1\nname: x\nfilters:\n  - id: no-spans\n    on: [span]\n    drop: true\n")
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == ("channels.yaml", 4)
    assert "cannot apply to 'span'" in problem.message


def test_a_reloading_ruleset_installs_the_channel_hooks_too(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("format: 1\nname: live\nscrub: {rules: [{id: cards, detect: [creditcard]}]}\n")
    handle = load_ruleset(path, reload=60)
    with capture_transport(enable_logs=True, **handle.sentry_options()) as sent:
        sentry_sdk.logger.info("card {card}", card=CARD_NUMBER)
        sentry_sdk.metrics.count("paid", 1, attributes={"card": CARD_NUMBER})
    assert leaked(sent.items) == [] and len(sent.items["log"]) == 1 and len(sent.items["metric"]) == 1
