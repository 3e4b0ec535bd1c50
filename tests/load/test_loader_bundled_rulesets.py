"""The example rulesets under ``rulesets/`` do what their comments say.

FastAPI events come from a real app and a real sentry-sdk client; the Django and Celery rulesets
are exercised the same way in ``test_loader_bundled_django.py`` and ``test_loader_bundled_celery.py``.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import sentry_sdk
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
from sqlalchemy.exc import OperationalError

from rules_engine.load.loader import load_model
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.testing.capture import capture_events

RULESETS = Path(__file__).resolve().parents[2] / "rulesets"


def ruleset(name: str) -> Ruleset:
    return Ruleset.from_loaded(load_model(RULESETS / name))


# --------------------------------------------------------------------------- FastAPI, real events


@pytest.fixture(scope="module")
def fastapi_app():
    app = FastAPI()

    @app.get("/items/{status}")
    def item(status: int):
        try:
            raise HTTPException(status_code=status, detail="nope")
        except HTTPException as exc:
            sentry_sdk.capture_exception(exc)
        return {"ok": True}

    @app.get("/api/health")
    def health():
        return {"ok": True}

    @app.get("/orders")
    def orders():
        try:
            raise OperationalError("SELECT 1", {}, ConnectionError("could not connect to server: Connection refused"))
        except OperationalError as exc:
            sentry_sdk.capture_exception(exc)
        return {"ok": True}

    return app


def run_fastapi(app, path: str, rules: Ruleset) -> list[dict]:
    integrations = [StarletteIntegration(), FastApiIntegration()]
    with capture_events(traces_sample_rate=1.0, **rules.sentry_options(integrations=integrations)) as events:
        TestClient(app).get(path)
    return events


def test_fastapi_drops_client_errors_but_keeps_auth_failures(fastapi_app):
    rules = ruleset("fastapi.yaml")
    not_found = [e for e in run_fastapi(fastapi_app, "/items/404", rules) if e.get("type") != "transaction"]
    forbidden = [e for e in run_fastapi(fastapi_app, "/items/403", rules) if e.get("type") != "transaction"]
    assert not_found == []
    assert len(forbidden) == 1
    assert forbidden[0]["exception"]["values"][-1]["type"] == "HTTPException"
    assert rules.stats()["dropped"].get("client-errors") == 1


def test_fastapi_drops_health_check_transactions(fastapi_app):
    rules = ruleset("fastapi.yaml")
    transactions = [e for e in run_fastapi(fastapi_app, "/api/health", rules) if e.get("type") == "transaction"]
    kept = [e for e in run_fastapi(fastapi_app, "/items/403", rules) if e.get("type") == "transaction"]
    assert transactions == []
    assert [t["transaction"] for t in kept] == ["/items/{status}"]


def test_fastapi_groups_database_outages(fastapi_app):
    events = [e for e in run_fastapi(fastapi_app, "/orders", ruleset("fastapi.yaml")) if e.get("type") != "transaction"]
    assert len(events) == 1
    event = events[0]
    assert event["fingerprint"] == ["database-error", "connection"]
    assert event["tags"]["error_group"] == "database_error"
    main = event["exception"]["values"][-1]
    assert f"{main['type']}: {main['value']}".startswith("Database Error: ")
    assert "could not connect to server" in main["value"]


# --------------------------------------------------------------------------- personal data


EXAMPLE_EVENTS = Path(__file__).resolve().parents[2] / "examples" / "events.jsonl"
# Independent of the engine's detectors: plain shapes of the addresses planted in the samples.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
IPV6 = re.compile(r"\b2001:db8:[0-9a-f:]+")


def personal_data_in(events: list[dict]) -> set[str]:
    # Package versions ("modules") can look like IPv4 addresses and are kept on purpose.
    text = json.dumps([{key: value for key, value in event.items() if key != "modules"} for event in events])
    return set(EMAIL.findall(text)) | set(IPV4.findall(text)) | set(IPV6.findall(text))


@pytest.mark.parametrize("name", ["default.yaml", "fastapi.yaml", "django.yaml", "celery.yaml"])
def test_every_bundled_ruleset_keeps_personal_data_in_the_process(name):
    assert "personal-data@" in " ".join(load_model(RULESETS / name).model.extends)
    rules = ruleset(name)
    raw_events = [json.loads(line) for line in EXAMPLE_EVENTS.read_text(encoding="utf-8").splitlines()]
    planted = personal_data_in(raw_events)
    assert len(planted) >= 3  # the samples do carry e-mail and IP addresses
    kept = [rules.process(copy.deepcopy(event)) for event in raw_events]
    leaked = personal_data_in([event for event in kept if event is not None])
    assert leaked == set()
    redactions = rules.stats()["redactions"]
    # the e-mail detector of the pack version the ruleset extends
    assert redactions.get("personal-data/email", 0) + redactions.get("personal-data/email_address", 0) >= 1
