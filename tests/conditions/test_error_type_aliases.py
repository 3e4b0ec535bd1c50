"""``error.type`` matches a class by every name it answers to: the bare name, the dotted name
sentry-sdk reports (``type(exc).__module__`` + ``__qualname__``), the names it is importable as
(``pydantic.ValidationError`` for ``pydantic_core._pydantic_core.ValidationError``), and the same
for each base class.

The exceptions are real: raised by pydantic, Starlette/FastAPI, Django, SQLAlchemy and requests,
captured by a real sentry-sdk client whose ``before_send`` is the ruleset's.
"""

from __future__ import annotations

import socket

import pytest
import requests
import sentry_sdk
import sqlalchemy
from django.http import Http404
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

from rules_engine.capture import capture_events
from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.ruleset import Ruleset


def dropping(*names: str) -> Ruleset:
    """A ruleset with one filter that drops exceptions of ``names``."""
    listed = ", ".join(f'"{name}"' for name in names)
    text = f"format: 1\nname: aliases\nfilters:\n  - id: by-name\n    when: {{error.type: [{listed}]}}\n    drop: true\n"
    return Ruleset.from_loaded(load_model_from_text(text))


class Item(BaseModel):
    price: int


def raise_pydantic() -> None:
    Item.model_validate({"price": "not a number"})


def raise_http404() -> None:
    raise Http404("no such page")


def raise_sqlalchemy() -> None:
    engine = sqlalchemy.create_engine("sqlite://")
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text("SELECT * FROM missing_table"))


def raise_requests() -> None:
    with socket.socket() as sock:  # a port nothing listens on: the connection is refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    requests.get(f"http://127.0.0.1:{port}/", timeout=2)


def captured(raiser) -> tuple[dict, BaseException]:
    """The event a real sentry-sdk client makes of the exception ``raiser`` raises (no hooks)."""
    with capture_events() as events:
        try:
            raiser()
        except Exception as exc:  # noqa: BLE001 - any of the libraries' exceptions
            sentry_sdk.capture_exception(exc)
            raised = exc
    assert len(events) == 1
    return events[0], raised


#: (what raises, names users write that must match, the name sentry-sdk reports)
CASES = [
    (raise_pydantic, ["pydantic.ValidationError", "pydantic_core.ValidationError", "ValueError"],
     "pydantic_core._pydantic_core.ValidationError"),
    (raise_http404, ["django.http.Http404", "django.http.response.Http404", "Http404"],
     "django.http.response.Http404"),
    (raise_sqlalchemy, ["sqlalchemy.exc.OperationalError", "sqlalchemy.exc.DBAPIError", "sqlalchemy.exc.*"],
     "sqlalchemy.exc.OperationalError"),
    (raise_requests, ["requests.ConnectionError", "requests.RequestException", "requests.exceptions.ConnectionError",
                      "OSError"],
     "requests.exceptions.ConnectionError"),
]


@pytest.mark.parametrize(("raiser", "names", "reported"), CASES, ids=lambda c: getattr(c, "__name__", None))
def test_a_live_exception_matches_every_name_it_is_importable_as(raiser, names, reported):
    event, _ = captured(raiser)
    main = event["exception"]["values"][-1]
    assert f"{main['module']}.{main['type']}" == reported  # what sentry-sdk really reports
    for name in names:
        rules = dropping(name)
        with capture_events(**rules.sentry_options()) as events:
            try:
                raiser()
            except Exception as exc:  # noqa: BLE001
                sentry_sdk.capture_exception(exc)
        assert events == [], f"{name} should match {reported}"
        assert rules.stats()["dropped"] == {"by-name": 1}


@pytest.mark.parametrize(("raiser", "names", "reported"), CASES, ids=lambda c: getattr(c, "__name__", None))
def test_a_stored_event_matches_the_same_names_when_its_module_is_imported(raiser, names, reported):
    event, _ = captured(raiser)  # as read back from an export: no hint, no live exception
    for name in names:
        assert dropping(name).before_send(event, {}) is None, f"{name} should match the stored {reported}"


@pytest.mark.parametrize("name", ["pydantic.BaseModel", "pydantic.ValidationErrors", "requests.Timeout",
                                  "django.core.exceptions.*", "sqlalchemy.exc.IntegrityError"])
def test_names_of_other_classes_do_not_match(name):
    for raiser, _, _ in CASES:
        event, _ = captured(raiser)
        assert dropping(name).before_send(event, {}) is not None


def test_an_unhandled_pydantic_error_in_a_fastapi_handler_is_dropped_by_the_bundled_ruleset():
    from tests.load.test_loader_bundled_rulesets import ruleset

    app = FastAPI()

    @app.get("/price")
    def price():
        return Item.model_validate({"price": "abc"})

    rules = ruleset("fastapi.yaml")
    with capture_events(integrations=[StarletteIntegration(), FastApiIntegration()], **rules.sentry_options()) as events:
        TestClient(app, raise_server_exceptions=False).get("/price")
    assert [e for e in events if e.get("type") != "transaction"] == []
    assert rules.stats()["dropped"] == {"validation-errors": 1}


def test_a_class_re_exported_by_a_module_a_rule_names_answers_to_that_name():
    """fastapi re-exports starlette's exceptions module's classes under its own names; a rule
    naming ``fastapi.HTTPException`` matches the subclass FastAPI raises, and a rule naming
    starlette's class matches it as a base."""
    from fastapi import HTTPException

    for name in ["fastapi.HTTPException", "starlette.exceptions.HTTPException"]:
        rules = dropping(name)
        with capture_events(**rules.sentry_options()) as events:
            try:
                raise HTTPException(status_code=404)
            except HTTPException as exc:
                sentry_sdk.capture_exception(exc)
        assert events == [], name
