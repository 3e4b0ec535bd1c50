"""A second corpus: real events from frameworks and clients the first corpus does not use
(Django, Flask, aiohttp, Celery, httpx, requests, boto3 with botocore stubbed, psycopg, redis,
subprocess, graphql-core, pydantic, Jinja2, SQLAlchemy), with secrets planted in the shapes
real code leaks them in: the next item of an argv list, a ``-p<password>`` flag, pydantic's
echoed ``input_value``, config lines of other languages inside strings, key names in other
languages, vendor headers, environment-variable names, OAuth query parameters, provider tokens,
card numbers with no-break spaces, lower-case IBANs, non-ASCII e-mail addresses, SSNs with
spaces, international phone numbers.

``capture_frameworks(planted=True)`` runs every scenario once under a real sentry-sdk client (its
scrubber off) and returns a :class:`~tests.corpus.model.Corpus`; with ``planted=False`` every
secret is replaced by a harmless word of the same role, for counting what a ruleset redacts in
events that hold no secret at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
from typing import Callable

import sentry_sdk

from .model import Corpus
from .planting import Recorder, Secret, capture_planted

logger = logging.getLogger("shop.frameworks")

#: The planted secrets (every one fake): name -> (detector or "key", value). A detector name says
#: what must find it by content; "key" that it sits under a sensitive key name.
SECRETS: dict[str, tuple[str, str]] = {
    "django_passwort": ("key", "Geheim-Wort-7731"),
    "django_mot_de_passe": ("key", "MotSecret-2291x"),
    "django_signing_key": ("key", "k9#Lq2!vT8@wZr5^Yp3&Xn7*Bm4$Cd6"),
    "django_insecure_key": ("django_insecure_secret_key", "django-insecure-5v#9k!2wq@z8m$1x7^r3p&l6t*y0u4i(e=n_b+c)"),
    "flask_x_api_key": ("key", "xak-live-99c8e1f0b7a6"),
    "flask_ini_api_key": ("secret_assignment", "ini-4f7c9e2b1d8a6035"),
    "flask_php_token": ("secret_assignment", "php-tok-63b1a9e4c7d2"),
    "flask_makefile_token": ("secret_assignment", "mk-tok-1e5a8c3f7b9d"),
    "flask_github_token": ("github_token_checked", "ghp_5Xv1BqTlwRhM8cYk2NeA7dUz0FjPs3GoIiWt0Q3v5S"),
    "flask_sentry_token": ("sentry_user_token", "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"),
    "flask_card_nbsp": ("payment_card", "4539\u00a01488\u00a00343\u00a06467"),
    "flask_brace_password": ("secret_assignment", "pa{ss}wo{rd}-55"),
    "aiohttp_oauth_code": ("oauth_query_param", "4/0AeanS0Zq8mXvY2pKtW"),
    "aiohttp_oauth_state": ("oauth_query_param", "st-8d1c6b4a2f"),
    "aiohttp_gitlab_token": ("gitlab_token", "glpat-Qx3vK9mT2wLp8ZrB4nYd"),
    "aiohttp_apim_key": ("key", "8f14e45fceea167a5a36dedd4bea2543"),
    "celery_api_token_argv": ("argv_secret", "cel-api-7Hq2Lm9Xv4"),
    "celery_fernet_key": ("key", "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg="),
    "httpx_access_token": ("oauth_query_param", "at-2b9e7c4d1f6a8035"),
    "httpx_slack_token": ("slack_bot_token", "xoxb-2048163512-4096327024-Rk8sTq3LmW9xZp2VbN7cYh4D"),
    "requests_api_key_query": ("key", "rq-key-5c8e1a9f3b7d"),
    "requests_userinfo_password": ("url_userinfo", "Us3rInf0Pw-81"),
    "boto_secret_access_key": ("key", "Hx8vQ2mN5pL9zR3wT7yK1bF4cJ6dG0sA2eV8uXqW"),
    "boto_session_token": ("aws_session_token", "IQoJb3JpZ2luX2VjEPz//////////wEaCXVzLWVhc3QtMSJHMEUCIQDx7Lq2vN9mP4kR8sT1wY5zA3bC6dE0fG2hJ7kL9mN1pQ=="),
    "psycopg_url_password": ("url_userinfo", "PgUrlPw-4471"),
    "psycopg_kwarg_password": ("key", "PgKwPw-8823"),
    "redis_url_password": ("url_userinfo", "RdsPw-6619"),
    "subprocess_mysql_p": ("mysql_password_flag", "MyP4ss-3391"),
    "subprocess_password_argv": ("argv_secret", "argv-pw-7720"),
    "subprocess_pgpassword": ("password_env_assignment", "PgEnvPw-5518"),
    "graphql_inline_password": ("secret_assignment", "GqlInl-Pw-9042"),
    "graphql_variable_password": ("key", "GqlVar-Pw-1187"),
    "pydantic_input_value": ("pydantic_input_value", "hunter2-short"),
    "pydantic_api_key": ("pydantic_input_value", "pk-abc-123"),
    "jinja_api_token": ("key", "jj-api-tok-4401"),
    "jinja_toml_password": ("secret_assignment", "TomlPw-6632"),
    "jinja_go_var": ("go_var_secret", "go-var-key-9981"),
    "sqlalchemy_param_password": ("key", "SqlParamPw-2244"),
    "unicode_parol": ("key", "ParolSecret-1010"),
    "xml_password": ("secret_xml_element", "XmlPw-3344"),
    "iban_lower": ("iban_code", "nl91abna0417164300"),
    "email_non_ascii": ("email_address", "jürgen.müller@beispiel.de"),
    "ssn_spaces": ("us_ssn_any", "536 22 8726"),
    "phone_international": ("phone_number", "+44 20 7946 0958"),
    "stripe_restricted_key": ("stripe_secret_key", "rk_live_51HqLyjWDarjtT1zdp7dcXpTk8hG2q"),
    "telegram_in_url": ("telegram_bot_token", "7214589630:AAHx9tQ2mV5kR8zL3pW7yN1bF4cJ6dG0sAe"),
    "database_url_password": ("url_userinfo", "DbUrlPw-7788"),
    "pass_equals": ("key", "PassEq-4455"),
    "sendgrid_key": ("sendgrid_key", "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"),
    "bcrypt_hash": ("bcrypt_hash", "$2b$12$KIXQJpL9zR3wT7yK1bF4cO6dG0sA2eV8uXqWy1oHx8vQ2mN5pL9zR"),
}


def capture_frameworks(planted: bool = True) -> Corpus:
    """Run every scenario once; the events with their plants and kept values."""
    return capture_planted(SCENARIOS, SECRETS, _integrations, planted)


def _integrations() -> list:
    from sentry_sdk.integrations.aiohttp import AioHttpIntegration
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.httpx import HttpxIntegration
    from sentry_sdk.integrations.redis import RedisIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration

    return [DjangoIntegration(), FlaskIntegration(), AioHttpIntegration(), CeleryIntegration(),
            HttpxIntegration(), RedisIntegration(), SqlalchemyIntegration()]


# --------------------------------------------------------------------------- Django


def django_signup(rec: Recorder, secret: Secret) -> None:
    from django.conf import settings
    from django.test import Client, override_settings

    _configure_django()
    passwort, mot_de_passe = secret("django_passwort"), secret("django_mot_de_passe")
    signing_key, insecure = secret("django_signing_key"), secret("django_insecure_key")
    urls = _django_urls(signing_key, insecure)
    rec.keep_value("signup rejected for ann.k", "the exception message")
    rec.keep_value("/signup/", "the request path")
    with override_settings(ROOT_URLCONF=urls, DEBUG=False, ALLOWED_HOSTS=["*"]):
        client = Client(raise_request_exception=False)
        client.post("/signup/", {"username": "ann.k", "passwort": passwort, "mot_de_passe": mot_de_passe})
    assert settings.configured


def _configure_django() -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(SECRET_KEY="not-a-secret-" * 4, INSTALLED_APPS=[], DATABASES={},
                           LOGGING_CONFIG=None, USE_TZ=True, ROOT_URLCONF=__name__)
    if not django.apps.apps.ready:
        django.setup(set_prefix=False)


def _django_urls(signing_key: str, insecure: str):
    import types

    from django.urls import path

    def signup(request):
        key = signing_key  # as django.core.signing keeps SECRET_KEY: in a local named key
        fallback_secret = insecure
        raise PermissionError(f"signup rejected for {request.POST['username']}")

    module = types.ModuleType("frameworks_django_urls")
    module.urlpatterns = [path("signup/", signup)]
    return module


# --------------------------------------------------------------------------- Flask


def flask_webhook(rec: Recorder, secret: Secret) -> None:
    import flask

    app = flask.Flask("frameworks_flask")
    ini = f"[stripe]\napi_key = {secret('flask_ini_api_key')}\nretries = 3\n"
    php = f"""$config = ["token" => "{secret('flask_php_token')}", "region" => "eu"];"""
    makefile = f'DEPLOY_TOKEN ?= "{secret("flask_makefile_token")}"'
    github, sentry_token = secret("flask_github_token"), secret("flask_sentry_token")
    card = secret("flask_card_nbsp")

    @app.post("/hooks/payments")
    def payments():
        config_text = ini
        legacy = php
        logger.warning("deploy config: %s; publish with %s", makefile, github)
        sentry_sdk.add_breadcrumb(category="config", message=f"loaded password={secret('flask_brace_password')} from vault")
        raise ValueError(f"webhook rejected: card {card} declined, token {sentry_token} revoked")

    rec.keep_value("webhook rejected", "the exception message")
    rec.keep_value("/hooks/payments", "the transaction")
    app.test_client().post("/hooks/payments", json={"event": "charge.failed", "amount": 1299},
                           headers={"X-Api-Key": secret("flask_x_api_key")})


# --------------------------------------------------------------------------- aiohttp


def aiohttp_oauth(rec: Recorder, secret: Secret) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    gitlab = secret("aiohttp_gitlab_token")

    async def callback(request):
        provider_token = gitlab
        raise RuntimeError("oauth exchange failed with status 502")

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/oauth/callback", callback)
        async with TestClient(TestServer(app)) as client:
            await client.get("/oauth/callback", params={"code": secret("aiohttp_oauth_code"),
                                                        "state": secret("aiohttp_oauth_state")},
                             headers={"Ocp-Apim-Subscription-Key": secret("aiohttp_apim_key")})

    rec.keep_value("oauth exchange failed with status 502", "the exception message")
    asyncio.run(run())


# --------------------------------------------------------------------------- Celery


def celery_task(rec: Recorder, secret: Secret) -> None:
    from celery import Celery

    app = Celery("frameworks_celery", broker="memory://", backend="cache+memory://")
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False

    @app.task(name="shop.deploy")
    def deploy(argv, env):
        raise RuntimeError(f"deploy step failed: {len(argv)} arguments")

    rec.keep_value("shop.deploy", "the task name")
    deploy.delay(["deploy", "--api-token", secret("celery_api_token_argv"), "--region", "eu-west-1"],
                 {"FERNET_KEY": secret("celery_fernet_key"), "LOG_LEVEL": "info"})


# --------------------------------------------------------------------------- HTTP clients


def http_clients(rec: Recorder, secret: Secret) -> None:
    import httpx
    import requests

    def reply(request):
        return httpx.Response(401, json={"error": "invalid_token"})

    slack = secret("httpx_slack_token")
    with httpx.Client(transport=httpx.MockTransport(reply)) as client:
        response = client.get("https://api.shop.test/v2/me", params={"access_token": secret("httpx_access_token")},
                              headers={"X-Slack-Token": "see body"}, )
    with contextlib.suppress(httpx.HTTPStatusError):
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as error:
            note = f"retry with {slack}"
            sentry_sdk.capture_exception(error)
    try:
        requests.get(f"http://svc:{secret('requests_userinfo_password')}@127.0.0.1:9/items",
                     params={"api_key": secret("requests_api_key_query")}, timeout=0.5)
    except requests.RequestException as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("401 Unauthorized", "the httpx status")


# --------------------------------------------------------------------------- boto3


def boto3_upload(rec: Recorder, secret: Secret) -> None:
    import boto3
    from botocore.stub import Stubber

    aws_secret = secret("boto_secret_access_key")
    session_token = secret("boto_session_token")
    client = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="AKIAQ3EGRS5PHZKXW7VN",
                          aws_secret_access_key=aws_secret, aws_session_token=session_token)
    with Stubber(client) as stubber:
        stubber.add_client_error("put_object", service_error_code="AccessDenied", service_message="Access Denied",
                                 http_status_code=403)
        try:
            credentials_line = f"export AWS_SESSION_TOKEN={session_token}"
            client.put_object(Bucket="shop-invoices", Key="2026/11/inv-1042.pdf", Body=b"%PDF")
        except client.exceptions.ClientError as error:
            sentry_sdk.capture_exception(error)
    rec.keep_value("shop-invoices", "the bucket")


# --------------------------------------------------------------------------- databases


def database_clients(rec: Recorder, secret: Secret) -> None:
    import psycopg
    import redis
    import sqlalchemy

    try:
        psycopg.connect(f"postgresql://shop:{secret('psycopg_url_password')}@127.0.0.1:9/shop", connect_timeout=1)
    except psycopg.Error as error:
        sentry_sdk.capture_exception(error)
    try:
        psycopg.connect(host="127.0.0.1", port=9, user="shop", password=secret("psycopg_kwarg_password"),
                        connect_timeout=1)
    except psycopg.Error as error:
        sentry_sdk.capture_exception(error)
    cache_url = f"redis://:{secret('redis_url_password')}@127.0.0.1:9/0"  # as settings hold it
    try:
        redis.Redis.from_url(cache_url, socket_connect_timeout=0.5).ping()
    except redis.RedisError as error:
        sentry_sdk.capture_exception(error)
    engine = sqlalchemy.create_engine("sqlite://")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE accounts (login TEXT UNIQUE, password TEXT)")
        connection.exec_driver_sql("INSERT INTO accounts VALUES ('ann.k', 'x')")
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("INSERT INTO accounts VALUES (:login, :password)"),
                               {"login": "ann.k", "password": secret("sqlalchemy_param_password")})
    except sqlalchemy.exc.IntegrityError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("UNIQUE constraint failed: accounts.login", "the database error")


# --------------------------------------------------------------------------- subprocess


def subprocess_commands(rec: Recorder, secret: Secret) -> None:
    commands = [
        ["mysql", "-u", "root", f"-p{secret('subprocess_mysql_p')}", "-e", "select 1"],
        ["false", "--password", secret("subprocess_password_argv"), "--verbose"],
    ]
    for command in commands:
        try:
            subprocess.run(command, check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as error:
            sentry_sdk.capture_exception(error)
    try:
        subprocess.run(f"PGPASSWORD={secret('subprocess_pgpassword')} false -h db -U shop", shell=True, check=True)
    except subprocess.CalledProcessError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("returned non-zero exit status 1", "the exit status")


# --------------------------------------------------------------------------- graphql, pydantic, Jinja2


def graphql_login(rec: Recorder, secret: Secret) -> None:
    from graphql import build_schema, graphql_sync

    schema = build_schema("type Query { ok: Boolean }\ntype Mutation { login(email: String, password: String): Boolean }")

    def login(_info, email, password):
        raise PermissionError("login refused by policy")

    inline = f'mutation {{ login(email: "ann.k@shop.test", password: "{secret("graphql_inline_password")}") }}'
    with_variables = "mutation Login($password: String) { login(email: \"ann.k@shop.test\", password: $password) }"
    result = graphql_sync(schema, inline, root_value={"login": login})
    result.errors.extend(graphql_sync(schema, with_variables, root_value={"login": login},
                                      variable_values={"password": secret("graphql_variable_password")}).errors)
    for error in result.errors or ():
        sentry_sdk.capture_exception(error.original_error or error)
    rec.keep_value("login refused by policy", "the resolver's error")


def pydantic_settings(rec: Recorder, secret: Secret) -> None:
    import pydantic

    class Settings(pydantic.BaseModel):
        db_password: pydantic.constr(min_length=16)
        api_key: pydantic.constr(pattern=r"^sk_")

    try:
        Settings(db_password=secret("pydantic_input_value"), api_key=secret("pydantic_api_key"))
    except pydantic.ValidationError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("validation errors for Settings", "the error title")


def jinja_render(rec: Recorder, secret: Secret) -> None:
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    config = (f'[database]\npassword = "{secret("jinja_toml_password")}"\n'
              f'go = \'var apiKey string = "{secret("jinja_go_var")}"\'\n')
    try:
        env.from_string("Hello {{ user.first_name }}, {{ missing_value }}").render(
            user={"first_name": "Ann"}, api_token=secret("jinja_api_token"), config=config)
    except jinja2.UndefinedError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("'missing_value' is undefined", "the template error")


# --------------------------------------------------------------------------- personal data and keys


def personal_data(rec: Recorder, secret: Secret) -> None:
    sentry_sdk.set_extra("profile", {"пароль": secret("unicode_parol"), "locale": "ru"})
    sentry_sdk.set_extra("soap_request", f"<auth><user>ann</user><password>{secret('xml_password')}</password></auth>")
    sentry_sdk.set_extra("env", {"DATABASE_URL": f"postgres://shop:{secret('database_url_password')}@db/shop",
                                 "WORKERS": "4"})
    sentry_sdk.add_breadcrumb(category="form", message=f"payout account {secret('iban_lower')}",
                              data={"ssn_note": f"applicant {secret('ssn_spaces')} verified"})
    logger.error("welcome mail to %s bounced, call %s", secret("email_non_ascii"), secret("phone_international"))
    sentry_sdk.add_breadcrumb(category="http", data={"url": f"https://api.telegram.org/bot{secret('telegram_in_url')}/sendMessage", "method": "POST"})
    sentry_sdk.add_breadcrumb(category="query", message=f"ftp login pass={secret('pass_equals')}")
    sentry_sdk.set_context("billing", {"provider": "stripe", "restricted": secret("stripe_restricted_key"),
                                       "mailer": secret("sendgrid_key")})
    stored_hash = secret("bcrypt_hash")
    try:
        raise LookupError("no account for ann.k (order 104233)")
    except LookupError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("no account for ann.k (order 104233)", "the exception message")
    rec.keep_value("WORKERS", "a harmless setting")


SCENARIOS: dict[str, Callable[[Recorder, Secret], None]] = {
    "django_signup": django_signup,
    "flask_webhook": flask_webhook,
    "aiohttp_oauth": aiohttp_oauth,
    "celery_task": celery_task,
    "http_clients": http_clients,
    "boto3_upload": boto3_upload,
    "database_clients": database_clients,
    "subprocess_commands": subprocess_commands,
    "graphql_login": graphql_login,
    "pydantic_settings": pydantic_settings,
    "jinja_render": jinja_render,
    "personal_data": personal_data,
}
