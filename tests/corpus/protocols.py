"""A third corpus: real events from sources neither other corpus uses - the standard library's
SMTP, FTP and HTTP clients failing against a scripted local server, urllib3, Starlette without
FastAPI (form fields named in other ecosystems, cookies of other frameworks), the OpenAI client,
TOML and JSON errors over configuration text, Docker environment dumps and .env text, shell
command lines held as text, and values kept in namedtuples, dataclasses, bytes, bytearrays and
JSON nested in strings.

Secrets sit where these libraries really put them: the SASL PLAIN response (raw and base64) and
the ``PASS`` command in smtplib's and ftplib's frame variables, the raw request bytes http.client
builds (header lines inside a bytes repr), the port urllib reads out of a URL's userinfo
(``nonnumeric port: 'password@host'``), ``KEY=value`` environment lists, netrc lines,
``curl -u`` and ``-passin pass:`` arguments, URLs with IPv6 hosts, percent-encoded passwords and
OAuth tokens percent-encoded inside another URL's query, and key names other ecosystems use
(``pw``, ``passcode``, ``clave``, ``parol``, ``mima``, ``telefono``, ``connect.sid``,
``auth_tkt``, ``JWT_KEY``, ``HMAC_KEY``).

``capture_protocols(planted=True)`` runs every scenario once under a real sentry-sdk client (its
scrubber off) and returns a :class:`~tests.corpus.model.Corpus`; with ``planted=False`` every
secret is replaced by a harmless word of the same role, for counting what a ruleset redacts in
events that hold no secret at all.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import json
import logging
import subprocess
from typing import Callable

import sentry_sdk

from .lineserver import line_server
from .model import Corpus
from .planting import Recorder, Secret, capture_planted

logger = logging.getLogger("shop.protocols")
logger.setLevel(logging.INFO)  # as the shop configures it: its info lines become breadcrumbs

#: The planted secrets (every one fake): name -> (detector or "key", value), as in
#: :data:`tests.corpus.frameworks.SECRETS`.
SECRETS: dict[str, tuple[str, str]] = {
    "smtp_password": ("sasl_plain", "SmtpPw-5521xq"),
    "ftp_password": ("pass_command", "FtpPw-8812qz"),
    "urllib_userinfo": ("url_authority_password", "UrlLibPw-3390k"),
    "http_raw_token": ("key", "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"),
    "http_raw_cookie": ("key", "s%3AkT9vQ2mX7pL4.rW8zN1bF5cJ3dG6"),
    "starlette_passcode": ("key", "Pc-402913"),
    "starlette_clave": ("key", "ClaveSecreta-81"),
    "starlette_parol": ("key", "ParolTajny-27"),
    "starlette_mima": ("key", "MimaMiMa-6634"),
    "starlette_pw": ("key", "PwShort-5150"),
    "starlette_connect_sid": ("key", "s%3AxQ7vB2nM9kL4pR8w.Zt3yH6jD1fG5"),
    "starlette_auth_tkt": ("key", "a9c4e1f7b3d80562a9c4e1f7b3d80562ann.k!userid_type:int"),
    "starlette_nested_token": ("percent_encoded_query_secret", "AtNested-77x1q9Lw"),
    "starlette_dni": ("es_dni", "48151623L"),
    "openai_key": ("openai_project_key", "sk-proj-Qw3rTy7uIoP1aSdF9gHjK2lZxCvB4nMT3BlbkFJ5tYu8iOp0aSdF2gHjK6lZxCv"),
    "toml_token": ("secret_assignment", "TomlTok-99x1"),
    "urllib3_basic_auth": ("basic_auth", "Ul3Pw-7741mn"),
    "json_nested_secret": ("key", "NestedCs-5Hk2wQ9v"),
    "docker_hmac_key": ("key", "dkr-hmac-5d1e9b7a"),
    "env_jwt_key": ("key", "env-jwt-3f9a1c7e"),
    "docker_postgres_password": ("secret_assignment", "DockerPgPw-118"),
    "dotenv_app_key": ("secret_assignment", "base64:Qm9vbXNoYWthbGFrYWRhYmJyYQ=="),
    "netrc_password": ("netrc_password", "NetrcPw-6620"),
    "curl_user": ("user_password_flag", "CurlPw-7781"),
    "openssl_passin": ("argv_secret", "OsslPw-4420"),
    "namedtuple_pw": ("key", "NtPw-90210x"),
    "bytes_form_password": ("key", "BytesPw-3321"),
    "bytearray_api_key": ("key", "BaKey-6619qq"),
    "ipv6_url_password": ("url_userinfo", "V6Pw-5512"),
    "percent_url_password": ("url_password_only", "p%40ss%3AEnc-9"),
    "fragment_access_token": ("oauth_query_param", "FragAt-3k9Xq2Lm"),
    "escaped_pem_key": ("private_key_pem", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"),
    "log_credentials": ("key", "LdapBindPw-88"),
    "card_dots": ("payment_card", "4929.5260.1815.9081"),
    "iban_spaced": ("iban_code", "FR14 2004 1010 0505 0001 3M02 606"),
    "phone_national_key": ("phone_number_under_key", "06 12 34 56 78"),
    "pop3_password": ("key", "Pop3Pw-4471zq"),
    "xmlrpc_password": ("url_userinfo", "XmlRpcPw-2209"),
    "amqp_password": ("url_userinfo", "AmqpPw-8830"),
    "sqlite_update_password": ("secret_assignment", "SqlUpdPw-5561"),
    "json_ascii_contrasena": ("key", "Contraseña-Ñ-7781"),
    "json_ascii_mima": ("key", "密码-Mima-1123"),
    "logging_extra_pw": ("key", "LogExtraPw-6642"),
    "logging_dict_token": ("key", "LogDictTok-2291"),
    "cookie_remember_token": ("key", "RmbTok-9911aa"),
    "docker_auth": ("key", "ZGVwbG95OkRrckF1dGhQdy0zMw=="),
    "note_api_key": ("secret_assignment", "NoteKey-7730"),
    "email_percent": ("email_address", "ann.k%40shop.test"),
}

#: Secrets computed from planted ones, as a library encodes them: name -> what it is.
DERIVED: dict[str, str] = {
    "smtp_auth_plain": "the base64 SASL PLAIN response smtplib sends for smtp_password (sasl_plain_base64)",
    "urllib3_basic_header": "the base64 Basic credentials urllib3.make_headers builds for urllib3_basic_auth",
}


def capture_protocols(planted: bool = True) -> Corpus:
    """Run every scenario once; the events with their plants and kept values."""
    return capture_planted(SCENARIOS, SECRETS, _integrations, planted)


def _integrations() -> list:
    from sentry_sdk.integrations.starlette import StarletteIntegration

    return [StarletteIntegration()]


# --------------------------------------------------------------------------- mail and file transfer


def smtp_login(rec: Recorder, secret: Secret) -> None:
    import smtplib

    password = secret("smtp_password")
    secret.derived("sasl_plain_base64", base64.b64encode(f"\0ann@shop.test\0{password}".encode()).decode(), "smtp_auth_plain")
    replies = {"EHLO": "250-mail.shop.test\n250 AUTH PLAIN", "AUTH": "535 5.7.8 Authentication credentials invalid",
               "QUIT": "221 bye"}
    with line_server("220 mail.shop.test ESMTP", replies) as port:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.login("ann@shop.test", password)
        except smtplib.SMTPAuthenticationError as error:
            sentry_sdk.capture_exception(error)
    rec.keep_value("Authentication credentials invalid", "the server's reply")


def ftp_login(rec: Recorder, secret: Secret) -> None:
    import ftplib

    replies = {"USER": "331 Password required for shop", "PASS": "530 Login incorrect.", "QUIT": "221 bye"}
    with line_server("220 ftp.shop.test ready", replies) as port:
        ftp = ftplib.FTP(timeout=5)
        try:
            ftp.connect("127.0.0.1", port)
            ftp.login("shop", secret("ftp_password"))
        except ftplib.error_perm as error:
            sentry_sdk.capture_exception(error)
        finally:
            ftp.close()
    rec.keep_value("530 Login incorrect.", "the server's reply")


# --------------------------------------------------------------------------- HTTP clients


def http_client_requests(rec: Recorder, secret: Secret) -> None:
    import http.client
    import urllib.request

    import urllib3

    try:
        urllib.request.urlopen(f"http://svc:{secret('urllib_userinfo')}@127.0.0.1/status", timeout=1)
    except (OSError, http.client.InvalidURL) as error:
        sentry_sdk.capture_exception(error)
    pool = urllib3.PoolManager(retries=False, timeout=0.5)
    password = secret("urllib3_basic_auth")
    secret.derived("basic_auth", base64.b64encode(f"svc:{password}".encode()).decode(), "urllib3_basic_header")
    try:
        pool.request("GET", "http://127.0.0.1:9/v1/items?page=2", headers=urllib3.make_headers(basic_auth=f"svc:{password}"))
    except urllib3.exceptions.HTTPError as error:
        sentry_sdk.capture_exception(error)
    connection = http.client.HTTPConnection("127.0.0.1", 9, timeout=0.5)
    try:
        connection.request("POST", "/v1/orders", body=b'{"order_id": 104233}',
                           headers={"Authorization": f"Token {secret('http_raw_token')}",
                                    "Cookie": f"connect.sid={secret('http_raw_cookie')}",
                                    "Content-Type": "application/json"})
    except OSError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("/v1/orders", "the request path")
    rec.keep_value("104233", "the order id in the request body")


def starlette_signup(rec: Recorder, secret: Secret) -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def signup(request):
        form = await request.json()
        raise PermissionError(f"signup refused for {form['username']} (order 104233)")

    async def home(request):
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/signup", signup, methods=["POST"]), Route("/", home)])
    client = TestClient(app, raise_server_exceptions=False)
    nested = f"https://app.shop.test/cb?access_token={secret('starlette_nested_token')}&state=ok"
    client.cookies.set("connect.sid", secret("starlette_connect_sid"))
    client.cookies.set("auth_tkt", secret("starlette_auth_tkt"))
    client.post("/signup", params={"next": nested, "page": "2"},
                json={"username": "ann.k", "passcode": secret("starlette_passcode"), "clave": secret("starlette_clave"),
                      "parol": secret("starlette_parol"), "mima": secret("starlette_mima"), "pw": secret("starlette_pw"),
                      "dni": secret("starlette_dni"), "locale": "es", "order_id": 104233})
    rec.keep_value("signup refused for ann.k (order 104233)", "the exception message")
    rec.keep_value("/signup", "the request path")
    rec.keep_value(104233, "JSON body order_id", ("request", "data", "order_id"))
    rec.keep_value("ann.k", "JSON body username", ("request", "data", "username"))
    rec.keep_value("es", "JSON body locale", ("request", "data", "locale"))


def openai_unauthorized(rec: Recorder, secret: Secret) -> None:
    import httpx
    import openai

    def reply(request):
        return httpx.Response(401, json={"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}})

    provider_keys = {"openai": secret("openai_key"), "region": "eu"}  # as the settings hold them
    client = openai.OpenAI(api_key=provider_keys["openai"], base_url="https://llm.shop.test/v1", max_retries=0,
                           http_client=httpx.Client(transport=httpx.MockTransport(reply)))
    try:
        client.models.list()
    except openai.AuthenticationError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("invalid_api_key", "the error code")


# --------------------------------------------------------------------------- configuration and validation


def config_errors(rec: Recorder, secret: Secret) -> None:
    import tomllib

    source = f'[api]\ntoken = "{secret("toml_token")}"\nretries = 3\n[[broken\n'
    try:
        tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        sentry_sdk.capture_exception(error)
    inner = json.dumps({"auth": {"client_secret": secret("json_nested_secret"), "region": "eu"}})
    envelope = json.dumps({"source": "webhook", "body": json.dumps({"payload": inner})})
    try:
        json.loads(envelope)["body"]["payload"]
    except TypeError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("retries", "a harmless setting")


# --------------------------------------------------------------------------- environments and command lines


def environment_dumps(rec: Recorder, secret: Secret) -> None:
    docker_env = [f"POSTGRES_PASSWORD={secret('docker_postgres_password')}", f"HMAC_KEY={secret('docker_hmac_key')}",
                  "PATH=/usr/local/bin:/usr/bin", "TZ=Europe/Berlin"]
    sentry_sdk.set_context("docker", {"Config": {"Env": docker_env, "Image": "shop/web:1.42.0"}})
    sentry_sdk.set_extra("environ", {"SHOP_JWT_KEY": secret("env_jwt_key"), "LOG_LEVEL": "info"})
    sentry_sdk.set_extra("dotenv", f"APP_NAME=shop\nAPP_KEY={secret('dotenv_app_key')}\nAPP_DEBUG=false\n")
    sentry_sdk.set_extra("netrc", f"machine api.shop.test login ann password {secret('netrc_password')}\n")
    commands = [f"curl -fsS -u deploy:{secret('curl_user')} https://ci.shop.test/api/json",
                f"openssl pkcs12 -in shop.p12 -nokeys -passin pass:{secret('openssl_passin')}"]
    for command in commands:
        try:
            subprocess.run(f"false {command}", shell=True, check=True)
        except subprocess.CalledProcessError as error:
            sentry_sdk.capture_exception(error)
    rec.keep_value("shop/web:1.42.0", "the image name", ("contexts", "docker", "Config", "Image"))
    rec.keep_value("TZ=Europe/Berlin", "a harmless variable", ("contexts", "docker", "Config", "Env", 3))
    rec.keep_value("PATH=/usr/local/bin:/usr/bin", "a harmless variable", ("contexts", "docker", "Config", "Env", 2))
    rec.keep_value("info", "a harmless setting", ("extra", "environ", "LOG_LEVEL"))
    rec.keep_value("APP_DEBUG=false", "a harmless .env line")


# --------------------------------------------------------------------------- values in frame variables


Credentials = collections.namedtuple("Credentials", "user pw")


@dataclasses.dataclass
class Target:
    url: str
    retries: int = 3


def values_in_frames(rec: Recorder, secret: Secret) -> None:
    credentials = Credentials("ann.k", secret("namedtuple_pw"))
    body = f"grant_type=password&username=ann.k&password={secret('bytes_form_password')}".encode()
    buffer = bytearray(json.dumps({"api_key": secret("bytearray_api_key"), "page": 2}).encode())
    primary = Target(f"postgresql://shop:{secret('ipv6_url_password')}@[2001:db8::5]:5432/shop")
    cache = Target(f"redis://:{secret('percent_url_password')}@cache.internal:6379/0")
    redirect = f"https://app.shop.test/cb#access_token={secret('fragment_access_token')}&token_type=bearer&expires_in=3600"
    pem = ("-----BEGIN PRIVATE KEY-----\\n" + secret("escaped_pem_key")
           + "\\nAvoP2Wx7zK9dF3hJ5lN8qR2tV4xZ6bD0fH2jL4nP6rT8vX0zB2dF4hJ6lN8qR0tV\\n-----END PRIVATE KEY-----\\n")
    sentry_sdk.set_extra("service_account", '{"type": "service_account", "private_key": "' + pem + '"}')
    logger.info("refund to card %s, account %s", secret("card_dots"), secret("iban_spaced"))
    sentry_sdk.set_extra("contact", {"telefono": secret("phone_national_key"), "country": "FR"})
    try:
        raise ConnectionError(f"sync of {len(body)} bytes failed after {primary.retries} retries")
    except ConnectionError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("failed after 3 retries", "the exception message")
    rec.keep_value("FR", "a harmless field next to a phone number", ("extra", "contact", "country"))
    rec.keep_value("'ann.k'", "the user of a namedtuple holding a password")


def ldap_bind_log(rec: Recorder, secret: Secret) -> None:
    """A log line naming its secret in prose before the placeholder ("with credentials %s"): the
    template tells which parameter it is. (Its breadcrumb, in a later event, keeps only the
    formatted message.)"""
    logger.error("LDAP bind as %s with credentials %s failed", "cn=admin,dc=shop,dc=test", secret("log_credentials"))
    rec.keep_value("cn=admin,dc=shop,dc=test", "the bind DN", ("logentry", "params", 0))


# --------------------------------------------------------------------------- more clients and text shapes


def pop3_login(rec: Recorder, secret: Secret) -> None:
    import poplib

    replies = {"USER": "+OK send PASS", "PASS": "-ERR [AUTH] invalid credentials", "QUIT": "+OK bye"}
    with line_server("+OK pop.shop.test ready", replies) as port:
        try:
            mailbox = poplib.POP3("127.0.0.1", port, timeout=5)
            mailbox.user("ann.k")
            mailbox.pass_(secret("pop3_password"))
        except poplib.error_proto as error:
            sentry_sdk.capture_exception(error)
    rec.keep_value("invalid credentials", "the server's reply")


def xmlrpc_call(rec: Recorder, secret: Secret) -> None:
    import xmlrpc.client

    replies = {"POST": "HTTP/1.0 401 Unauthorized\nContent-Length: 0\n"}
    with line_server("", replies) as port:
        proxy = xmlrpc.client.ServerProxy(f"http://erp:{secret('xmlrpc_password')}@127.0.0.1:{port}/RPC2")
        try:
            proxy.orders.sync(104233)
        except xmlrpc.client.ProtocolError as error:
            sentry_sdk.capture_exception(error)
    rec.keep_value("401", "the status")


def amqp_connect(rec: Recorder, secret: Secret) -> None:
    import kombu

    with kombu.Connection(f"amqp://shop:{secret('amqp_password')}@127.0.0.1:9//", connect_timeout=0.5) as connection:
        try:
            connection.ensure_connection(max_retries=1)
        except Exception as error:  # kombu raises the transport's error, whichever it is
            sentry_sdk.capture_exception(error)
    rec.keep_value("ensure_connection", "the failing call")


def sqlite_statements(rec: Recorder, secret: Secret) -> None:
    import sqlite3

    connection = sqlite3.connect(":memory:")
    statement = f"UPDATE accounts SET password = '{secret('sqlite_update_password')}' WHERE login = 'ann.k'"
    try:
        connection.execute(statement)
    except sqlite3.OperationalError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("no such table: accounts", "the database error")


def text_shapes(rec: Recorder, secret: Secret) -> None:
    from http.cookies import SimpleCookie

    profile = json.dumps({"usuario": "ann.k", "contraseña": secret("json_ascii_contrasena"), "密码": secret("json_ascii_mima")})
    cookie = SimpleCookie()
    cookie["remember_token"] = secret("cookie_remember_token")
    cookie["theme"] = "dark"
    set_cookie = cookie.output()  # the headers a response sends
    docker_config = json.dumps({"auths": {"registry.shop.test": {"auth": secret("docker_auth")}}})
    logger.warning("profile sync failed", extra={"pw": secret("logging_extra_pw"), "attempt": 3})
    logger.warning("upstream refused: %r", {"headers": {"X-Auth-Token": secret("logging_dict_token")}, "status": 403})
    sentry_sdk.set_extra("invite", f"https://shop.test/join?email={secret('email_percent')}&team=ops")
    try:
        error = RuntimeError("registry push failed (attempt 3)")
        error.add_note(f"retry with api_key={secret('note_api_key')}")
        raise error
    except RuntimeError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("registry push failed (attempt 3)", "the exception message")
    rec.keep_value("registry.shop.test", "the registry")
    rec.keep_value("team=ops", "a harmless query parameter")


SCENARIOS: dict[str, Callable[[Recorder, Secret], None]] = {
    "smtp_login": smtp_login,
    "ftp_login": ftp_login,
    "http_client_requests": http_client_requests,
    "starlette_signup": starlette_signup,
    "openai_unauthorized": openai_unauthorized,
    "config_errors": config_errors,
    "environment_dumps": environment_dumps,
    "values_in_frames": values_in_frames,
    "ldap_bind_log": ldap_bind_log,
    "pop3_login": pop3_login,
    "xmlrpc_call": xmlrpc_call,
    "amqp_connect": amqp_connect,
    "sqlite_statements": sqlite_statements,
    "text_shapes": text_shapes,
}
