"""A fourth corpus: real events from services and frameworks no other corpus uses - Tornado and Falcon
apps, the MongoDB, SSH, AMQP (pika), LDAP and Oracle clients failing against a closed local port,
Huey tasks run in-process, a Strawberry GraphQL schema, and text shapes those services write: a
``.pgpass`` file, Redis ``AUTH`` commands as a client logs them, as ``MONITOR`` shows them and
packed in RESP, ``requirepass`` and ``masterauth`` settings, JSON inside a JSON string inside JSON
(escaped twice).

Secrets sit where these libraries really put them: an ``X-Auth-Token`` header and form fields in
Tornado's request, a Vault token header and a JSON body in Falcon's, the userinfo of a
``mongodb://`` URI in pymongo's frames (escaped, and unescaped where pymongo refuses it), the
``password=`` argument of paramiko's ``connect``, the ``amqp://`` URL of pika's ``URLParameters``,
ldap3's bind password, the ``user/password@host:port/service`` connect string of python-oracledb and
of a SQL*Plus command line, the short password flags of ldapsearch and sqlcmd, a Huey task's positional (a DSN) and keyword arguments, a Strawberry
mutation's password variable.

``capture_services(planted=True)`` runs every scenario once under a real sentry-sdk client (its
scrubber off) and returns a :class:`~tests.corpus.model.Corpus`; with ``planted=False`` every secret
is replaced by a harmless word of the same role, for counting what a ruleset redacts in events that
hold no secret at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
from typing import Callable

import sentry_sdk

from .lineserver import closed_port
from .model import Corpus
from .planting import Recorder, Secret, capture_planted

logger = logging.getLogger("shop.services")

#: The planted secrets (every one fake): name -> (detector or "key", value), as in
#: :data:`tests.corpus.frameworks.SECRETS`.
SECRETS: dict[str, tuple[str, str]] = {
    "tornado_auth_token": ("key", "TrnAuthTok-5521xq9"),
    "tornado_form_passphrase": ("key", "TrnPassPhrase-8812"),
    "tornado_cookie_session": ("key", "2|1:0|10:1765000000|7:session|12:YW5uLms=|9f8e7d6c5b4a"),
    "falcon_vault_token": ("key", "hvs.CAESIJx7Lq2vN9mP4kR8sT1wY5zA3bC6dE0fG2hJ7kL9mN1p"),
    "falcon_json_secret_key": ("key", "FlcSecretKey-3390k"),
    "falcon_query_apikey": ("key", "FlcApiKey-7741mn"),
    "mongo_uri_password": ("url_userinfo", "MongoPw-4471zq"),
    "mongo_unescaped_password": ("url_userinfo", "M0ngo@Unesc-2209"),
    "ssh_password": ("key", "SshPw-8830qq"),
    "pika_url_password": ("url_userinfo", "PikaPw-6642x"),
    "ldap_bind_password": ("key", "LdapPw-2291zz"),
    "oracle_easy_connect": ("key", "OraPw-5521qz"),
    "sqlplus_connect_string": ("oracle_connect_string", "SqlPlusPw-7731"),
    "ldapsearch_w": ("tool_password_flag", "LdapSearchPw-3391"),
    "sqlcmd_p": ("tool_password_flag", "SqlCmdPw-6617"),
    "huey_positional_dsn": ("url_userinfo", "HueyDsnPw-9911"),
    "huey_kwarg_token": ("key", "HueyKwTok-7730"),
    "strawberry_password": ("key", "StrawPw-1123qz"),
    "pgpass_password": ("pgpass_password", "PgPassFilePw-6620"),
    "redis_auth_log": ("redis_auth_command", "RedisAuthPw-7781"),
    "redis_monitor_auth": ("redis_auth_command", "RedisMonPw-4420"),
    "redis_resp_auth": ("redis_auth_command", "RedisRespPw-3318"),
    "redis_config_requirepass": ("redis_requirepass", "RedisReqPw-6671"),
    "redis_conf_masterauth": ("redis_requirepass", "RedisMstrPw-0921"),
    "json_twice_escaped": ("key", "TwiceEsc-5Hk2wQ9v"),
}


def capture_services(planted: bool = True) -> Corpus:
    """Run every scenario once; the events with their plants and kept values."""
    return capture_planted(SCENARIOS, SECRETS, _integrations, planted)


def _integrations() -> list:
    from sentry_sdk.integrations.falcon import FalconIntegration
    from sentry_sdk.integrations.huey import HueyIntegration
    from sentry_sdk.integrations.pymongo import PyMongoIntegration
    from sentry_sdk.integrations.strawberry import StrawberryIntegration
    from sentry_sdk.integrations.tornado import TornadoIntegration

    return [TornadoIntegration(), FalconIntegration(), PyMongoIntegration(), HueyIntegration(),
            StrawberryIntegration(async_execution=True)]


# --------------------------------------------------------------------------- web frameworks


def tornado_login(rec: Recorder, secret: Secret) -> None:
    import tornado.httpclient
    import tornado.web

    class Login(tornado.web.RequestHandler):
        def post(self):
            user = self.get_body_argument("username")
            raise PermissionError(f"login refused for {user} (tenant 4471)")

    async def run() -> None:
        app = tornado.web.Application([(r"/login", Login)])
        server = app.listen(0, address="127.0.0.1")
        port = next(iter(server._sockets.values())).getsockname()[1]
        client = tornado.httpclient.AsyncHTTPClient()
        body = f"username=ann.k&passphrase={secret('tornado_form_passphrase')}&remember=1"
        try:
            await client.fetch(f"http://127.0.0.1:{port}/login", method="POST", body=body, raise_error=False,
                               request_timeout=5,
                               headers={"X-Auth-Token": secret("tornado_auth_token"),
                                        "Cookie": f"session={secret('tornado_cookie_session')}; theme=dark"})
        finally:
            server.stop()
            client.close()

    asyncio.run(run())
    rec.keep_value("login refused for ann.k (tenant 4471)", "the exception message")
    rec.keep_value("/login", "the request path")


def falcon_webhook(rec: Recorder, secret: Secret) -> None:
    import falcon
    import falcon.testing

    class Hook:
        def on_post(self, req, resp):
            payload = req.get_media()
            raise ValueError(f"unknown event type {payload['event']!r} for repo 1042")

    app = falcon.App()
    app.add_route("/hooks/deploy", Hook())
    client = falcon.testing.TestClient(app)
    client.simulate_post("/hooks/deploy", params={"apikey": secret("falcon_query_apikey"), "page": "2"},
                         headers={"X-Vault-Token": secret("falcon_vault_token")},
                         json={"event": "deploy.finished", "secretKey": secret("falcon_json_secret_key"), "repo": 1042})
    rec.keep_value("unknown event type 'deploy.finished' for repo 1042", "the exception message")
    rec.keep_value("/hooks/deploy", "the request path")


# --------------------------------------------------------------------------- service clients


def mongo_connect(rec: Recorder, secret: Secret) -> None:
    import pymongo
    import pymongo.errors

    port = closed_port()
    uri = f"mongodb://shop:{secret('mongo_uri_password')}@127.0.0.1:{port}/shop?authSource=admin"
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=300, connectTimeoutMS=300)
    try:
        client.shop.orders.find_one({"order_id": 104233})
    except pymongo.errors.ServerSelectionTimeoutError as error:
        sentry_sdk.capture_exception(error)
    finally:
        client.close()
    try:
        pymongo.MongoClient(f"mongodb://shop:{secret('mongo_unescaped_password')}@127.0.0.1:{port}/shop", connect=False)
    except pymongo.errors.InvalidURI as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("authSource=admin", "a harmless URI option")


def ssh_connect(rec: Recorder, secret: Secret) -> None:
    import paramiko

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect("127.0.0.1", port=closed_port(), username="deploy", password=secret("ssh_password"), timeout=0.5,
                       allow_agent=False, look_for_keys=False)
    except (paramiko.SSHException, OSError) as error:
        sentry_sdk.capture_exception(error)
    finally:
        client.close()
    rec.keep_value("deploy", "the SSH user")


def amqp_connect(rec: Recorder, secret: Secret) -> None:
    import pika
    import pika.exceptions

    url = f"amqp://shop:{secret('pika_url_password')}@127.0.0.1:{closed_port()}/%2F?connection_attempts=1&socket_timeout=0.3"
    try:
        try:
            pika.BlockingConnection(pika.URLParameters(url))
        except pika.exceptions.AMQPConnectionError as error:
            raise ConnectionError("order events broker unavailable") from error
    except ConnectionError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("connection_attempts=1", "a harmless URL option")


def ldap_bind(rec: Recorder, secret: Secret) -> None:
    import ldap3
    import ldap3.core.exceptions

    server = ldap3.Server("127.0.0.1", port=closed_port(), connect_timeout=0.3)
    try:
        ldap3.Connection(server, user="cn=admin,dc=shop,dc=test", password=secret("ldap_bind_password"), auto_bind=True,
                         receive_timeout=0.3)
    except ldap3.core.exceptions.LDAPException as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("cn=admin,dc=shop,dc=test", "the bind DN")


def oracle_connect(rec: Recorder, secret: Secret) -> None:
    import oracledb

    try:
        oracledb.connect(f"shop/{secret('oracle_easy_connect')}@127.0.0.1:{closed_port()}/ORCLPDB1", tcp_connect_timeout=0.5)
    except oracledb.OperationalError as error:
        sentry_sdk.capture_exception(error)
    migration = ["sqlplus", "-S", f"shop/{secret('sqlplus_connect_string')}@//127.0.0.1:1521/ORCLPDB1", "@migrate.sql"]
    try:
        subprocess.run(migration, check=True, timeout=5)
    except (OSError, subprocess.CalledProcessError) as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("ORCLPDB1", "the service name")
    rec.keep_value("@migrate.sql", "the script SQL*Plus runs")


def directory_tools(rec: Recorder, secret: Secret) -> None:
    """Clients run as commands: their short password flags (ldapsearch -w, sqlcmd -P)."""
    command = ["ldapsearch", "-x", "-H", f"ldap://127.0.0.1:{closed_port()}", "-D", "cn=admin,dc=shop,dc=test",
               "-w", secret("ldapsearch_w"), "-b", "dc=shop,dc=test", "(uid=ann.k)"]
    logger.warning("nightly export: sqlcmd -S db.internal -U sa -P %s -Q 'EXEC export_orders'", secret("sqlcmd_p"))
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=5)
    except (OSError, subprocess.CalledProcessError) as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("(uid=ann.k)", "the search filter")
    rec.keep_value("EXEC export_orders", "the query sqlcmd runs")


# --------------------------------------------------------------------------- task queues and GraphQL


def huey_task(rec: Recorder, secret: Secret) -> None:
    from huey import MemoryHuey

    huey = MemoryHuey("shop", immediate=True)

    @huey.task()
    def sync_replica(account, dsn, *, api_token=None, region="eu"):
        raise ConnectionRefusedError(f"replica sync failed for {account} in {region}")

    sync_replica("svc-billing", f"postgresql://replicator:{secret('huey_positional_dsn')}@db-replica.internal:5432/shop",
                 api_token=secret("huey_kwarg_token"), region="eu")
    rec.keep_value("replica sync failed for svc-billing in eu", "the exception message")
    rec.keep_value("svc-billing", "the first positional argument", ("extra", "huey-job", "args", 0))


def strawberry_mutation(rec: Recorder, secret: Secret) -> None:
    import strawberry

    @strawberry.type
    class Query:
        @strawberry.field
        def health(self) -> str:
            return "ok"

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def change_password(self, login: str, password: str) -> bool:
            raise PermissionError(f"password change refused for {login}")

    from starlette.testclient import TestClient
    from strawberry.asgi import GraphQL

    client = TestClient(GraphQL(strawberry.Schema(query=Query, mutation=Mutation)), raise_server_exceptions=False)
    client.post("/graphql", json={
        "query": "mutation Change($login: String!, $pw: String!) { changePassword(login: $login, password: $pw) }",
        "variables": {"login": "ann.k", "pw": secret("strawberry_password")}, "operationName": "Change"})
    rec.keep_value("password change refused for ann.k", "the exception message")


# --------------------------------------------------------------------------- text shapes of services


def service_texts(rec: Recorder, secret: Secret) -> None:
    pgpass = f"# hostname:port:database:username:password\ndb.internal:5432:shop:shop_app:{secret('pgpass_password')}\n"
    logger.warning("redis command failed: AUTH shop_app %s (WRONGPASS)", secret("redis_auth_log"))
    sentry_sdk.add_breadcrumb(category="redis.monitor", level="info",
                              message=f'1765000000.123456 [0 10.0.0.7:51234] "AUTH" "{secret("redis_monitor_auth")}"')
    inner = json.dumps({"user": "ann.k", "password": secret("json_twice_escaped")})
    payload = json.dumps({"kind": "replay", "record": json.dumps({"body": inner, "attempt": 3})})
    sentry_sdk.set_extra("queue_message", payload)
    try:
        raise FileNotFoundError(f"no route to db.internal ({len(pgpass.splitlines())} .pgpass lines read)")
    except FileNotFoundError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("WRONGPASS", "the server's reply")
    rec.keep_value("db.internal:5432:shop:shop_app", "the .pgpass entry's host, port, database and user")
    rec.keep_value("replay", "a harmless field")


def redis_protocol(rec: Recorder, secret: Secret) -> None:
    """A small RESP client: the packed AUTH command in the frame that fails to send it; a
    replica's settings logged as the CONFIG SET it ran, and redis.conf text."""
    password = secret("redis_resp_auth").encode()
    packed = b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(password), password)
    logger.warning("replica setup: CONFIG SET requirepass %s", secret("redis_config_requirepass"))
    sentry_sdk.set_extra("redis_conf", f"bind 0.0.0.0\nport 6379\nmasterauth {secret('redis_conf_masterauth')}\nappendonly yes\n")
    try:
        with socket.create_connection(("127.0.0.1", closed_port()), timeout=0.5) as connection:
            connection.sendall(packed)
    except ConnectionRefusedError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("replica setup: CONFIG SET requirepass", "the log line before the password")
    rec.keep_value("appendonly yes", "a harmless setting")


SCENARIOS: dict[str, Callable[[Recorder, Secret], None]] = {
    "tornado_login": tornado_login,
    "falcon_webhook": falcon_webhook,
    "mongo_connect": mongo_connect,
    "ssh_connect": ssh_connect,
    "amqp_connect": amqp_connect,
    "ldap_bind": ldap_bind,
    "oracle_connect": oracle_connect,
    "directory_tools": directory_tools,
    "huey_task": huey_task,
    "strawberry_mutation": strawberry_mutation,
    "service_texts": service_texts,
    "redis_protocol": redis_protocol,
}
