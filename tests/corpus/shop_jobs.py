"""Background code of the shop: a database write, a login audit log, a configuration loader."""

from __future__ import annotations

import logging
from typing import Any, Callable

import httpx
import sentry_sdk
import sqlalchemy

from tests.corpus import values

logger = logging.getLogger("shop.auth")
logger.setLevel(logging.INFO)
logger.addHandler(logging.NullHandler())  # a library logger: records reach Sentry, not stderr


def run_job(job: Callable[..., Any], *args: Any) -> None:
    """Run a background job the way workers do: report its failure and carry on."""
    try:
        job(*args)
    except Exception:
        sentry_sdk.capture_exception()


def _artifact_transport(request: httpx.Request) -> httpx.Response:
    return httpx.Response(201, json={"stored": True})


def register_customer(engine: sqlalchemy.Engine) -> None:
    """Insert the same customer twice: SQLite raises an IntegrityError carrying the parameters."""
    metadata = sqlalchemy.MetaData()
    customers = sqlalchemy.Table(
        "customers",
        metadata,
        sqlalchemy.Column("email", sqlalchemy.String, unique=True),
        sqlalchemy.Column("api_secret", sqlalchemy.String),
        sqlalchemy.Column("ssn", sqlalchemy.String),
    )
    metadata.create_all(engine)
    row = {"email": values.EMAIL_SQL, "api_secret": values.SQL_PARAM_SECRET, "ssn": values.SSN}
    with engine.begin() as connection:
        connection.execute(customers.insert(), row)
        connection.execute(customers.insert(), row)


def audit_failed_login(email: str, password: str) -> None:
    """Log the way application code often does: the secret goes into the message itself."""
    logger.info("posting login alert to slack with token %s", values.SLACK_TOKEN)
    sentry_sdk.add_breadcrumb(
        category="auth",
        message=f"Authorization: Bearer {values.JWT}",
        data={"client": f"OpenAI(api_key={values.OPENAI_KEY!r})", "max_tokens": values.MAX_TOKENS},
        level="info",
    )
    with httpx.Client(transport=httpx.MockTransport(_artifact_transport)) as client:
        client.post(values.CRUMB_URL, content=b"{}")
    # A hand-rolled HTTP client records its own breadcrumb, with the URL as configured.
    sentry_sdk.add_breadcrumb(
        type="http", category="deploy", data={"method": "POST", "url": values.CRUMB_URL, "status_code": 201}
    )
    logger.error("login failed for %s with password=%s", email, password)


class ConfigError(Exception):
    """The service configuration could not be loaded."""


def _read_credentials() -> dict:
    raise KeyError(f"AWS access key {values.AWS_ACCESS_KEY} rejected for session {values.JWT}")


def load_signing_config() -> dict:
    """Chained failure: the outer message carries a PEM key, the inner one an AWS key and a JWT."""
    llm_client = f"OpenAI(api_key={values.OPENAI_KEY!r}, max_tokens={values.MAX_TOKENS})"  # noqa: F841 (a local the SDK captures)
    try:
        return _read_credentials()
    except KeyError as error:
        raise ConfigError(f"could not load signing key {values.PEM_PRIVATE_KEY}") from error
