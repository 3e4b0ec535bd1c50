"""The YAML blocks of the README sections on channels, the ``sdk`` section and hand-written
``before_send`` patterns: each one loads and validates as part of a ruleset, and each pattern of
"From your hand-written before_send" does what its text says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.exceptions import HTTPException

from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.ruleset import Ruleset

README = Path(__file__).parents[2] / "README.md"
SECTIONS = ("Logs, metrics, spans and feedback", "Decisions before an event exists: the `sdk` section",
            "From your hand-written `before_send`")


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def yaml_blocks(title: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", section(title), re.DOTALL)


def compiled(block: str) -> Ruleset:
    return Ruleset.from_loaded(load_model_from_text(block, "README.md"))


@pytest.mark.parametrize("title", SECTIONS)
def test_every_block_loads_as_a_ruleset(title):
    blocks = yaml_blocks(title)
    assert blocks, f"no yaml block under {title!r}"
    for block in blocks:
        compiled(block)  # raises RulesetError with file:line:col on any problem


def pattern(rule_id: str) -> Ruleset:
    """The ruleset of the hand-written-before_send block that defines ``rule_id``."""
    [block] = [b for b in yaml_blocks(SECTIONS[2]) if re.search(rf"\bid: {re.escape(rule_id)}\b", b)]
    return compiled(block)


def http_error(status: int) -> tuple[dict, dict]:
    error = HTTPException(status_code=status)
    event = {"exception": {"values": [{"type": "HTTPException", "module": "starlette.exceptions",
                                       "value": str(status)}]}}
    return event, {"exc_info": (HTTPException, error, None)}


def test_client_errors_rate_limits_and_validation_errors():
    ruleset = pattern("client-errors")
    ruleset.draw = lambda: 0.5  # a sample of 0.01 keeps none at this draw
    kept = [status for status in (400, 401, 403, 404, 429, 500) if ruleset.before_send(*http_error(status))]
    assert kept == [401, 403, 500]
    validation = {"exception": {"values": [{"type": "RequestValidationError", "module": "fastapi.exceptions"}]}}
    assert ruleset.before_send(validation, {}) is None


def test_health_checks_are_dropped_and_never_sampled():
    ruleset = pattern("health-checks")
    assert ruleset.before_send_transaction({"type": "transaction", "transaction": "/api/health"}, {}) is None
    sampler = ruleset.sentry_options()["traces_sampler"]
    assert sampler({"transaction_context": {"name": "/api/health"}, "parent_sampled": True}) == 0
    assert sampler({"transaction_context": {"name": "/api/orders"}}) == 1.0


def test_header_and_parameter_scrubbing():
    ruleset = pattern("auth-headers")
    event = {"message": "x", "request": {
        "headers": {"Authorization": "Bearer abc", "X-Api-Key": "k-123", "Accept": "text/html"},
        "query_string": "page=2&access_token=t-456", "url": "https://shop.example/a?signature=s-789"}}
    sent = ruleset.before_send(event, {})
    text = repr(sent["request"])
    assert not any(secret in text for secret in ("abc", "k-123", "t-456", "s-789"))
    assert sent["request"]["headers"]["Accept"] == "text/html" and "page=2" in sent["request"]["query_string"]


def test_titles():
    ruleset = pattern("db-connection")
    event = {"exception": {"values": [{"type": "OperationalError", "module": "sqlalchemy.exc",
                                       "value": "connection refused"}]}}
    main = ruleset.before_send(event, {})["exception"]["values"][-1]
    assert (main["type"], main["value"]) == ("Database Error", "connection refused")


def test_error_location():
    ruleset = pattern("error-location")
    frame = {"function": "charge", "module": "shop.payments", "filename": "shop/payments.py", "lineno": 42,
             "in_app": True}
    event = {"exception": {"values": [{"type": "ValueError", "value": "x", "stacktrace": {"frames": [frame]}}]}}
    location = ruleset.before_send(event, {})["contexts"]["error_location"]
    assert location == {"function": "charge", "module": "shop.payments", "file": "shop/payments.py", "line": 42}


def test_slow_request_tags():
    ruleset = pattern("slow-requests")
    slow = {"type": "transaction", "transaction": "/report", "start_timestamp": 100.0, "timestamp": 103.5}
    fast = {"type": "transaction", "transaction": "/home", "start_timestamp": 100.0, "timestamp": 100.2}
    assert ruleset.before_send_transaction(slow, {})["tags"]["slow_request"] == "true"
    assert "slow_request" not in ruleset.before_send_transaction(fast, {}).get("tags", {})


def test_transaction_names():
    ruleset = pattern("method-and-route")
    event = {"type": "transaction", "transaction": "/orders/{id}", "transaction_info": {"source": "route"},
             "request": {"method": "POST"}}
    assert ruleset.before_send_transaction(event, {})["transaction"] == "POST /orders/{id}"


def test_per_environment_sampling(monkeypatch):
    ruleset = pattern("staging")
    options = ruleset.sentry_options()
    assert options["sample_rate"] == 1.0
    sampler = options["traces_sampler"]
    for environment, rate in (("production", 0.1), ("staging", 0.5), ("development", 1.0)):
        monkeypatch.setattr("rules_engine.runtime.sdk_options._client_options", lambda: {"environment": environment})
        assert sampler({"transaction_context": {"name": "/home"}}) == rate
