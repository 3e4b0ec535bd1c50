"""Drive the shop apps under a real sentry-sdk client and record what was planted where.

Each scenario is a function taking a :class:`Recorder`; it exercises real integrations (FastAPI
through Starlette's TestClient, Flask's test client, SQLAlchemy on SQLite, logging, HTTPX) and
declares the secrets it planted and the values that must survive. The recorder notes which events
each scenario produced, so a plant can be checked against the events it belongs to.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import sentry_sdk
import sqlalchemy

from tests.corpus import shop_jobs, values

from .model import Kept, Planted

SDK_OPTIONS: dict[str, Any] = {
    "send_default_pii": True,
    "include_local_variables": True,
    "traces_sample_rate": 1.0,
    "release": values.RELEASE,
    "environment": "production",
    "server_name": "shop-web-1",
}


@dataclass
class Recorder:
    """Collects plants and kept values, tagging each with the running scenario."""

    events: list[dict[str, Any]] = field(repr=False)
    # Scenarios' frames hold the recorder: its repr must not carry the secrets planted so far
    # (and the values to keep) into every later event.
    secrets: list[Planted] = field(default_factory=list, repr=False)
    keep: list[Kept] = field(default_factory=list, repr=False)
    scenarios: dict[str, list[int]] = field(default_factory=dict)
    #: event_id -> the hint sentry-sdk passed to before_send (live exc_info, log_record...)
    hints_by_id: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    current: str = ""

    def remember_hint(self, event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        """A pass-through ``before_send`` keeping the hint, so hooks can be replayed as the SDK calls them."""
        self.hints_by_id[event["event_id"]] = dict(hint or {})
        return event

    def hints(self) -> list[dict[str, Any]]:
        """Hints aligned with ``events`` (empty for transactions, which get none with a live exception)."""
        return [self.hints_by_id.get(event["event_id"], {}) for event in self.events]

    def plant(self, kind: str, value: str, where: str) -> None:
        self.secrets.append(Planted(kind=kind, value=value, where=where, scenario=self.current))

    def keep_value(self, value: Any, where: str, path: tuple[str | int, ...] = ()) -> None:
        self.keep.append(Kept(value=value, where=where, scenario=self.current, path=path))

    def run(self, name: str, scenario: Callable[["Recorder"], None]) -> None:
        self.current = name
        first = len(self.events)
        with sentry_sdk.isolation_scope() as scope:
            # A forked scope inherits the breadcrumbs of whatever ran before in this process;
            # each scenario's events must hold its own breadcrumbs only.
            scope.clear_breadcrumbs()
            sentry_sdk.get_current_scope().clear_breadcrumbs()
            scenario(self)
        self.scenarios[name] = list(range(first, len(self.events)))


# --------------------------------------------------------------------------- FastAPI


def fastapi_checkout_error(rec: Recorder, client: Any) -> None:
    sentry_sdk.set_user({"id": values.USER_ID, "email": values.EMAIL_USER})
    sentry_sdk.set_extra("authored_by", values.AUTHORED_BY)
    sentry_sdk.set_extra("sessions_total", values.SESSIONS_TOTAL)
    sentry_sdk.set_extra("request_id", values.REQUEST_UUID)
    sentry_sdk.set_tag("order_id", str(values.ORDER_ID))
    client.post(
        f"/api/orders/{values.ORDER_ID}/checkout?token={values.QUERY_TOKEN}&page=2",
        json={
            "email": values.EMAIL_BODY,
            "password": values.BODY_PASSWORD,
            "card": {"number": values.CARD_NUMBER, "exp": "12/29"},
            "note": f"customer SSN {values.SSN} verified by phone",
            "order_id": values.ORDER_ID,
            "token_count": values.TOKEN_COUNT,
            "max_tokens": values.MAX_TOKENS,
        },
        headers={
            "Authorization": f"Bearer {values.BEARER_TOKEN}",
            "Cookie": f"session_id={values.SESSION_COOKIE}; theme=dark",
            "X-Api-Key": values.API_KEY_HEADER,
            "X-Forwarded-For": values.IPV6,
            "User-Agent": values.USER_AGENT,
        },
    )
    rec.plant(
        "bearer",
        values.BEARER_TOKEN,
        "FastAPI request header Authorization: Bearer (and the ASGI scope's header pairs in frame vars)",
    )
    rec.plant("key", values.SESSION_COOKIE, "FastAPI Cookie header session_id (request.cookies and headers)")
    rec.plant("key", values.API_KEY_HEADER, "FastAPI request header X-Api-Key")
    rec.plant("key", values.QUERY_TOKEN, "FastAPI query string ?token=...&page=2")
    rec.plant("key", values.BODY_PASSWORD, "FastAPI JSON body field password (request.data, frame var body)")
    rec.plant("key", values.CVV, "frame var payment['cvv'] in the checkout handler")
    rec.plant("creditcard", values.CARD_NUMBER, "FastAPI JSON body card.number, with spaces (request.data, frame vars)")
    rec.plant("email", values.EMAIL_BODY, "FastAPI JSON body email and the exception message")
    rec.plant("email", values.EMAIL_USER, "user.email set on the scope")
    rec.plant("us_ssn", values.SSN, "FastAPI JSON body note (free text)")
    rec.plant("ipv4", values.IPV4, "exception message of PaymentDeclined")
    rec.plant("ipv6", values.IPV6, "FastAPI request header X-Forwarded-For")
    rec.plant("iban", values.IBAN, "frame var payout['account'] in charge_card")
    rec.plant("stripe_key", values.STRIPE_KEY, "frame var stripe_credential_line in charge_card")
    rec.plant("url_userinfo", values.URL_PASSWORD, "frame var database_url (postgresql://user:pass@host)")
    rec.plant("password_pair", values.FREE_TEXT_PASSWORD, "'password=...' inside the exception message")
    rec.keep_value(values.USER_AGENT, "FastAPI request header User-Agent", ("request", "headers", "user-agent"))
    rec.keep_value(f"/api/orders/{values.ORDER_ID}/checkout", "request URL path", ("request", "url"))
    rec.keep_value("checkout_order", "function name of the handler frame")
    rec.keep_value("charge_card", "function name of the raising frame")
    rec.keep_value("tests.corpus.shop_api", "module name of the in-app frames")
    rec.keep_value(values.ORDER_ID, "JSON body order_id", ("request", "data", "order_id"))
    rec.keep_value(values.TOKEN_COUNT, "JSON body token_count", ("request", "data", "token_count"))
    rec.keep_value(values.MAX_TOKENS, "JSON body max_tokens", ("request", "data", "max_tokens"))
    rec.keep_value(values.AUTHORED_BY, "extra authored_by", ("extra", "authored_by"))
    rec.keep_value(values.SESSIONS_TOTAL, "extra sessions_total", ("extra", "sessions_total"))
    rec.keep_value(values.USER_ID, "user.id", ("user", "id"))
    rec.keep_value(values.REQUEST_UUID, "extra request_id (a UUID)", ("extra", "request_id"))
    rec.keep_value(values.RELEASE_VERSION, "release version", ("release",))
    rec.keep_value(str(values.ORDER_ID), "tag order_id", ("tags", "order_id"))
    transaction = rec.events[-1]
    rec.keep_value(transaction["start_timestamp"], "transaction start timestamp", ("start_timestamp",))


def fastapi_not_found(rec: Recorder, client: Any) -> None:
    client.get("/api/items/999", headers={"Authorization": f"Basic {values.BASIC_CREDENTIALS}"})
    rec.plant("basic_auth", values.BASIC_CREDENTIALS, "FastAPI request header Authorization: Basic on a 404")
    rec.keep_value("/api/items/999", "request URL path of the 404", ("request", "url"))


def fastapi_health_check(rec: Recorder, client: Any) -> None:
    client.get("/health", headers={"User-Agent": "kube-probe/1.29"})
    rec.keep_value("kube-probe/1.29", "health-check user agent", ("request", "headers", "user-agent"))


def fastapi_daily_report(rec: Recorder, client: Any) -> None:
    client.get("/api/reports/daily")
    rec.plant("email", values.EMAIL_SQL, "db span description: SQL literal")
    rec.plant("key", values.SPAN_ACCESS_TOKEN, "http span URL query ?access_token=...")
    rec.plant("google_api_key", values.GOOGLE_API_KEY, "http span URL query &key=AIza...")
    rec.keep_value("/api/reports/daily", "transaction name", ("transaction",))


def fastapi_client() -> Any:
    """A TestClient over a freshly built app (routes must be made after ``sentry_sdk.init``)."""
    from starlette.testclient import TestClient

    from tests.corpus import shop_api

    return TestClient(shop_api.create_app(), raise_server_exceptions=False)


# --------------------------------------------------------------------------- Flask


def flask_login_error(rec: Recorder) -> None:
    from tests.corpus import shop_admin

    client = shop_admin.create_app().test_client()
    client.set_cookie("session", values.FLASK_SESSION_COOKIE)
    client.post(
        "/login",
        data={"username": "bob", "password": values.FORM_PASSWORD, "remember": "1"},
        environ_base={"REMOTE_ADDR": values.IPV4_CLIENT},
    )
    rec.plant("key", values.FORM_PASSWORD, "Flask form body field password")
    rec.plant("key", values.FLASK_SESSION_COOKIE, "Flask session cookie")
    rec.plant("ipv4", values.IPV4_CLIENT, "user.ip_address from the WSGI REMOTE_ADDR")
    rec.plant("github_token", values.GITHUB_TOKEN, "frame var deploy_note in verify_login")
    rec.keep_value("verify_login", "function name of the raising frame")
    rec.keep_value("/login", "request URL path", ("request", "url"))


# --------------------------------------------------------------------------- SQLAlchemy, logging, chains


def sqlalchemy_integrity_error(rec: Recorder) -> None:
    shop_jobs.run_job(shop_jobs.register_customer, sqlalchemy.create_engine("sqlite://"))
    rec.plant("sql_params", values.SQL_PARAM_SECRET, "SQLAlchemy IntegrityError message [parameters: (...)]")
    rec.plant("sql_params", values.SSN, "SQLAlchemy IntegrityError message [parameters: (...)], an SSN")
    rec.keep_value("register_customer", "function name of the in-app frame")


def logging_failed_login(rec: Recorder) -> None:
    shop_jobs.audit_failed_login(values.EMAIL_LOG, values.LOG_PASSWORD)
    rec.plant("email", values.EMAIL_LOG, "log message params (logentry) via the logging integration")
    rec.plant("password_pair", values.LOG_PASSWORD, "log message 'password=%s' param")
    rec.plant("slack_token", values.SLACK_TOKEN, "logging breadcrumb message")
    rec.plant("jwt", values.JWT, "manual breadcrumb message 'Authorization: Bearer <jwt>'")
    rec.plant("openai_key", values.OPENAI_KEY, "breadcrumb data client=OpenAI(api_key=...)")
    rec.plant("url_userinfo", values.CRUMB_URL_PASSWORD, "http breadcrumb data.url https://user:pass@host/...")
    rec.plant("key", values.CRUMB_API_KEY, "http breadcrumb URL query ?api_key=... (httpx and hand-made)")
    # The auth breadcrumb comes second, after the logging breadcrumb of the Slack alert.
    rec.keep_value(values.MAX_TOKENS, "breadcrumb data max_tokens", ("breadcrumbs", "values", 1, "data", "max_tokens"))
    rec.keep_value("shop.auth", "logger name", ("logger",))


def chained_config_error(rec: Recorder) -> None:
    shop_jobs.run_job(shop_jobs.load_signing_config)
    rec.plant("pem_private_key", values.PEM_BODY, "outer exception message (raise ... from ...)")
    rec.plant("aws_access_key", values.AWS_ACCESS_KEY, "inner (cause) exception message")
    rec.plant("jwt", values.JWT, "inner (cause) exception message")
    rec.plant("openai_key", values.OPENAI_KEY, "frame var llm_client")
    rec.keep_value("load_signing_config", "function name of the raising frame")


FASTAPI_SCENARIOS: tuple[Callable[[Recorder, Any], None], ...] = (
    fastapi_checkout_error,
    fastapi_not_found,
    fastapi_health_check,
    fastapi_daily_report,
)
SCENARIOS: tuple[Callable[[Recorder], None], ...] = (
    flask_login_error,
    sqlalchemy_integrity_error,
    logging_failed_login,
    chained_config_error,
)


def integrations() -> list[Any]:
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.httpx import HttpxIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration

    # 404s are reported too, as many teams configure, so filters have client errors to drop.
    failed = {404, *range(500, 600)}
    return [
        StarletteIntegration(failed_request_status_codes=failed),
        FastApiIntegration(failed_request_status_codes=failed),
        FlaskIntegration(),
        SqlalchemyIntegration(),
        HttpxIntegration(),
        LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
    ]


def capture_all() -> Recorder:
    from rules_engine.testing.capture import capture_events

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # framework deprecation notices are not about the events
        recorder = Recorder([])
        with capture_events(integrations=integrations(), before_send=recorder.remember_hint, **SDK_OPTIONS) as events:
            recorder.events = events
            client = fastapi_client()
            for http_scenario in FASTAPI_SCENARIOS:
                recorder.run(http_scenario.__name__, lambda rec, run=http_scenario: run(rec, client))
            for scenario in SCENARIOS:
                recorder.run(scenario.__name__, scenario)
    return recorder
