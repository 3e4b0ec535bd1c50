"""A route names the parts of a request's URL: ``/reset/{token}`` says the segment after
``/reset/`` is a token. Real transactions and errors from FastAPI and Flask (its ``url``
transaction style) with tracing on: the segment a sensitive parameter stands at is redacted in
``request.url`` (a transaction has no frame variables to name it otherwise), and, as a known secret,
wherever else it shows; other segments and routes that do not fit the URL stay."""

from __future__ import annotations

import functools
import json

import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.routes import route_parameters
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]

#: Secrets by name: the requests look them up, so no source line the SDK sends holds one.
SECRETS = {"reset": "Zr7-opaque-reset-4410", "invite": "Qm2-opaque-invite-9921", "file": "Kx5-opaque-file-3381"}


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.get("/reset/{token}")
    def reset(token: str):
        return {"ok": len(token)}

    @app.get("/users/{user_id}/invites/{invite_token}")
    def invite(user_id: int, invite_token: str):
        sentry_sdk.capture_message(f"invite for user {user_id} checked")
        return {"ok": True}

    return app


def flask_app():
    from flask import Flask

    app = Flask("routes")

    @app.get("/download/<string:api_key>/<path:name>")
    def download(api_key: str, name: str):
        return "ok"

    return app


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    with capture_events(traces_sample_rate=1.0, integrations=[StarletteIntegration(), FastApiIntegration()]) as events:
        client = TestClient(fastapi_app())
        client.get(f"/reset/{SECRETS['reset']}")
        client.get(f"/users/42/invites/{SECRETS['invite']}")
    with capture_events(traces_sample_rate=1.0, integrations=[FlaskIntegration(transaction_style="url")]) as more:
        flask_app().test_client().get(f"/download/{SECRETS['file']}/reports/2026/q4.csv")
    return (*events, *more)


@functools.lru_cache(maxsize=2)
def outputs(engine: str) -> list:
    return processed_events(default_ruleset(engine), captured())


def by_transaction(events, name: str, kind: str = "transaction") -> dict:
    return next(event for event in events if event.get("transaction") == name and event.get("type", "error") == kind)


def test_the_captured_events_hold_each_secret_in_the_url_beside_its_route():
    events = captured()
    assert by_transaction(events, "/reset/{token}")["request"]["url"].endswith("/reset/" + SECRETS["reset"])
    assert SECRETS["invite"] in by_transaction(events, "/users/{user_id}/invites/{invite_token}")["request"]["url"]
    assert SECRETS["invite"] in by_transaction(events, "/users/{user_id}/invites/{invite_token}", "error")["request"]["url"]
    assert SECRETS["file"] in by_transaction(events, "/download/<string:api_key>/<path:name>")["request"]["url"]


@pytest.mark.parametrize("engine", ENGINES)
def test_no_secret_a_route_names_is_sent(engine):
    text = json.dumps(outputs(engine))
    assert [name for name, value in SECRETS.items() if value in text] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_only_the_named_segments_go(engine):
    events = outputs(engine)
    assert by_transaction(events, "/reset/{token}")["request"]["url"] == "http://testserver/reset/[Filtered]"
    invite = by_transaction(events, "/users/{user_id}/invites/{invite_token}", "error")
    assert invite["request"]["url"] == "http://testserver/users/42/invites/[Filtered]"
    start = invite["request"]["url"].index("[Filtered]")
    original = len("http://testserver/users/42/invites/" + SECRETS["invite"])
    assert invite["_meta"]["request"]["url"] == {"": {"rem": [["secret-keys", "s", start, start + 10]],
                                                       "len": original}}
    download = by_transaction(events, "/download/<string:api_key>/<path:name>")
    assert download["request"]["url"] == "http://localhost/download/[Filtered]/reports/2026/q4.csv"


def test_both_engines_give_the_same_events():
    if len(ENGINES) < 2:
        pytest.skip("the C module was not built here: one engine only")
    assert outputs("on") == outputs("off")


@pytest.mark.parametrize(("route", "url", "expected"), [
    ("/reset/{token}", "https://a.example/reset/abc?x=1", [("token", "abc")]),
    ("/reset/{token}/", "https://a.example/reset/abc", [("token", "abc")]),
    ("GET /f/{rest:path}", "http://h/f/a/b/c", [("rest", "a/b/c")]),
    ("/u/<int:id>/<re('[a-z]+'):slug>.json", "/u/7/abc.json", [("id", "7"), ("slug", "abc")]),
    ("/reset/{token}", "https://a.example/other/abc", []),  # the route does not fit: nothing named
    ("/reset/{token}", "https://a.example/reset/a/b", []),  # a parameter holds no "/"
    ("/health", "https://a.example/health", []),
    ("reset", "https://a.example/reset/abc", []),  # an endpoint's name, no route
])
def test_route_parameters(route, url, expected):
    assert [(found.name, url[found.start : found.end]) for found in route_parameters(route, url)] == expected


def test_a_long_url_takes_linear_time():
    # Two parameters side by side in one segment: a backtracking matcher takes quadratic time.
    url = "https://a.example/x/" + "a" * 200_000 + "!"
    assert route_parameters("/x/{a}{b}", url) != [] and route_parameters("/x/{a}{b}.json", url) == []


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("named_values", [True, False])
def test_routes_are_read_with_named_values_only(engine, named_values):
    # A ruleset pinned to the 2026.11 packs (named_values off) scrubs as it did.
    scrub = models.Scrub.model_validate({"rules": [{"id": "keys", "keys": ["*token*"]}]})
    scrubber = compile_scrubber(scrub, models.Options(named_values=named_values), None, accelerator=engine)
    event = {"transaction": "/reset/{token}", "request": {"url": "https://a.example/reset/Zr7-opaque"}}
    counts = scrubber.scrub_event(event)
    assert event["request"]["url"] == ("https://a.example/reset/[Filtered]" if named_values
                                       else "https://a.example/reset/Zr7-opaque")
    assert counts == ({"keys": 1} if named_values else {})
