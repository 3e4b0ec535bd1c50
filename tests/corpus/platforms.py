"""A fifth corpus: real events from platforms and clients no other corpus uses - Bottle and
Litestar apps, Dramatiq and RQ jobs run in-process, the asyncpg, PyMySQL, Elasticsearch, Kafka
(kafka-python), Azure Blob Storage, Vault (hvac), gRPC and websockets clients failing against a
closed local port, google-auth loading a service account, PyJWT, and text shapes users log: prose
credentials in log lines ("login failed for user bob with password ...", "using token ..."),
``.htpasswd`` lines (apr1 and SHA hashes), an OpenVPN profile with its inline
``<auth-user-pass>``, PHP PDO and JDBC connection strings, MongoDB shell ``db.auth()`` and
``db.createUser()`` calls, Java ``.properties``, a Kafka JAAS line and a Kubernetes Secret.

Secrets sit where these libraries really put them: a form field and a session header in Bottle's
request, an Azure SAS signature in Litestar's query string and a client secret in its JSON body,
a Kafka client configuration in a Dramatiq message's arguments, an Azure connection string and a
webhook secret in an RQ job's arguments, the userinfo of asyncpg's DSN, PyMySQL's ``password``
argument, the Elasticsearch client's ``api_key`` (and the ``ApiKey`` header it builds), the SASL
password of kafka-python's producer, the ``AccountKey`` of an Azure connection string (and the
``SharedKey`` signature the SDK computes from it), a service account's ``private_key``, a Vault
token, a JWT and the key that signed it, gRPC call metadata, a websocket URL's userinfo.

``capture_platforms(planted=True)`` runs every scenario once under a real sentry-sdk client (its
scrubber off) and returns a :class:`~tests.corpus.model.Corpus`; with ``planted=False`` every secret
is replaced by a harmless word of the same role, for counting what a ruleset redacts in events that
hold no secret at all.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Callable

import sentry_sdk

from .lineserver import closed_port
from .model import Corpus
from .planting import Recorder, Secret, capture_planted

logger = logging.getLogger("shop.platforms")
logger.setLevel(logging.INFO)  # as the shop configures it: its info lines become breadcrumbs

#: The planted secrets (every one fake): name -> (detector or "key", value), as in
#: :data:`tests.corpus.frameworks.SECRETS`.
SECRETS: dict[str, tuple[str, str]] = {
    "bottle_form_passwd": ("key", "BtlPasswd-4471"),
    "bottle_session_token": ("key", "BtlSessTok-8830qz"),
    "litestar_sas_sig": ("azure_sas_signature", "Xk9mT2wLp8ZrB4nYdQ3v5SHx8vQ2mN5pL9zR3wT7yK0%3D"),
    "litestar_client_secret": ("key", "LtsClientSecret-2291"),
    "dramatiq_sasl_password": ("key", "DrmSaslPw-6642"),
    "rq_azure_account_key": ("azure_storage_key",
                             "Rq7kQ2pLmWx9Rt4Vn8Bc3Dy6Ef1Gh5Jk0Lq2Mr7Ns4Pt9Uv3Wx8Yz1Ab6Cd2Ef7Gh3Jk9Lm4Np6Qr8St0Uv2Wx=="),
    "rq_webhook_secret": ("key", "RqWhSecret-7730"),
    "asyncpg_dsn_password": ("url_userinfo", "ApgDsnPw-5521"),
    "pymysql_password": ("key", "PyMyPw-3318qz"),
    "es_api_key": ("key", "EsApiKey-9Xk2mT7wLp"),
    "es_basic_password": ("key", "EsBasicPw-4420"),
    "kafka_sasl_password": ("key", "KfkSaslPw-1123"),
    "azure_account_key": ("azure_storage_key",
                          "Az7kQ2pLmWx9Rt4Vn8Bc3Dy6Ef1Gh5Jk0Lq2Mr7Ns4Pt9Uv3Wx8Yz1Ab6Cd2Ef7Gh3Jk9Lm4Np6Qr8St0Uv2Wx=="),
    "gcp_private_key": ("key", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDk8sGcpKey5521"),
    "vault_token": ("key", "s.Vx8kQ2pLmW9rT4nB6cD1fG5h"),
    "jwt_signing_key": ("key", "JwtSignKey-7Hq2Lm9Xv4pQ8rT3wZ6yB1c"),
    "grpc_bearer": ("bearer", "GrpcBearer-5Hk2wQ9vLm7x"),
    "grpc_api_key": ("key", "GrpcApiKey-8812qz"),
    "websocket_userinfo": ("url_userinfo", "WsUserPw-6620"),
    "prose_password": ("prose_credential", "ProsePw-2209x"),
    "prose_token": ("prose_credential", "ProseTok-9Xv2Lq7m"),
    "htpasswd_apr1": ("md5_crypt_hash", "$apr1$Qx7pL2mN$kT9vQ2mX7pL4rW8zN1bF5."),
    "htpasswd_sha": ("htpasswd_sha1_hash", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="),
    "openvpn_inline_password": ("openvpn_auth_user_pass", "OvpnPw-5512qz"),
    "pdo_dsn_password": ("secret_assignment", "PdoDsnPw-8830"),
    "pdo_argument_password": ("pdo_password_argument", "PdoArgPw-3391"),
    "jdbc_password": ("secret_assignment", "JdbcPw-6617x"),
    "mongo_shell_auth": ("mongo_shell_password", "MongoShPw-7781"),
    "mongo_create_user_pwd": ("secret_assignment", "MongoPwd-4420"),
    "spring_password": ("secret_assignment", "SpringPw-7731"),
    "kafka_jaas_password": ("secret_assignment", "JaasPw-6642x"),
    "k8s_secret_password": ("key", "SzhzRGJQdy01NTIxcXo="),
    "k8s_tls_key": ("private_key_base64_pem", "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lH"),
}

#: Secrets computed from planted ones, as a library encodes them: name -> what it is.
DERIVED: dict[str, str] = {
    "es_api_key_header": "the base64 id:key the Elasticsearch client sends as its ApiKey header for es_api_key",
    "es_basic_header": "the base64 Basic credentials the Elasticsearch client sends for es_basic_password",
    "pyjwt_token": "the JWT PyJWT signs with jwt_signing_key (jwt_token)",
}


def capture_platforms(planted: bool = True) -> Corpus:
    """Run every scenario once; the events with their plants and kept values."""
    return capture_planted(SCENARIOS, SECRETS, _integrations, planted)


def _integrations() -> list:
    from sentry_sdk.integrations.asyncpg import AsyncPGIntegration
    from sentry_sdk.integrations.bottle import BottleIntegration
    from sentry_sdk.integrations.dramatiq import DramatiqIntegration
    from sentry_sdk.integrations.grpc import GRPCIntegration
    from sentry_sdk.integrations.litestar import LitestarIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    return [BottleIntegration(), LitestarIntegration(), DramatiqIntegration(), RqIntegration(), AsyncPGIntegration(),
            GRPCIntegration()]


# --------------------------------------------------------------------------- web frameworks


def bottle_login(rec: Recorder, secret: Secret) -> None:
    import bottle
    from werkzeug.test import Client

    app = bottle.Bottle()

    @app.post("/account/login")
    def login():
        raise PermissionError(f"login refused for {bottle.request.forms.get('login')} (tenant 4471)")

    try:
        Client(app).post("/account/login", data={"login": "ann.k", "passwd": secret("bottle_form_passwd"), "remember": "1"},
                         headers={"X-Session-Token": secret("bottle_session_token")})
    except PermissionError:
        pass  # werkzeug's client re-raises what Bottle hands start_response; the integration reported it
    rec.keep_value("login refused for ann.k (tenant 4471)", "the exception message")
    rec.keep_value("/account/login", "the request path")


def litestar_export(rec: Recorder, secret: Secret) -> None:
    from litestar import Litestar, post
    from litestar.params import JSONBody
    from litestar.testing import TestClient

    @post("/exports/azure")
    async def export(data: JSONBody[dict]) -> None:
        raise ValueError(f"export of {data['container']} refused for tenant 4471")

    sas = f"sv=2024-11-04&ss=b&srt=co&sp=rl&se=2026-12-31T00:00:00Z&sig={secret('litestar_sas_sig')}"
    with TestClient(Litestar([export])) as client:
        client.post(f"/exports/azure?{sas}", json={"container": "invoices", "clientSecret": secret("litestar_client_secret")})
    rec.keep_value("export of invoices refused for tenant 4471", "the exception message")
    rec.keep_value("se=2026-12-31T00:00:00Z", "the SAS expiry")


# --------------------------------------------------------------------------- task queues


def dramatiq_publish(rec: Recorder, secret: Secret) -> None:
    import dramatiq
    from dramatiq.brokers.stub import StubBroker

    broker = StubBroker()
    dramatiq.set_broker(broker)

    @dramatiq.actor(max_retries=0, broker=broker)
    def publish_order(topic, config):
        raise ConnectionError(f"no broker reachable for topic {topic}")

    publish_order.send("orders.created", {"bootstrap.servers": "kafka.internal:9093", "security.protocol": "SASL_SSL",
                                          "sasl.mechanisms": "PLAIN", "sasl.username": "shop",
                                          "sasl.password": secret("dramatiq_sasl_password")})
    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    try:
        broker.join(publish_order.queue_name, fail_fast=False)
        worker.join()
    finally:
        worker.stop()
    rec.keep_value("no broker reachable for topic orders.created", "the exception message")
    rec.keep_value("kafka.internal:9093", "the bootstrap servers")


def sync_blobs(container, connection_string, *, webhook_secret=None, attempts=1):
    """An RQ job (found by its dotted name): the connection string and the secret stay in the job's arguments."""
    raise PermissionError(f"blob sync of {container} refused after {attempts} attempt")


def rq_job(rec: Recorder, secret: Secret) -> None:
    import fakeredis
    import rq

    connection = fakeredis.FakeStrictRedis()
    queue = rq.Queue("shop", connection=connection)
    conn_str = (f"DefaultEndpointsProtocol=https;AccountName=shopstore;AccountKey={secret('rq_azure_account_key')};"
                "EndpointSuffix=core.windows.net")
    queue.enqueue(sync_blobs, "invoices", conn_str, webhook_secret=secret("rq_webhook_secret"), attempts=1)
    rq.SimpleWorker([queue], connection=connection).work(burst=True)
    rec.keep_value("blob sync of invoices refused after 1 attempt", "the exception message")
    rec.keep_value("AccountName=shopstore", "the storage account")


# --------------------------------------------------------------------------- database and search clients


def asyncpg_connect(rec: Recorder, secret: Secret) -> None:
    import asyncpg

    async def run() -> None:
        await asyncpg.connect(f"postgresql://shop:{secret('asyncpg_dsn_password')}@127.0.0.1:{closed_port()}/shop",
                              timeout=1)

    try:
        asyncio.run(run())
    except OSError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("shop", "the database user")


def pymysql_connect(rec: Recorder, secret: Secret) -> None:
    import pymysql

    try:
        pymysql.connect(host="127.0.0.1", port=closed_port(), user="shop", password=secret("pymysql_password"),
                        database="shop", connect_timeout=1)
    except pymysql.err.OperationalError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("Can't connect to MySQL server", "the driver's error")


def elasticsearch_search(rec: Recorder, secret: Secret) -> None:
    import elastic_transport
    import elasticsearch

    api_key = secret("es_api_key")
    secret.derived("key", base64.b64encode(f"shop-search:{api_key}".encode()).decode(), "es_api_key_header")
    password = secret("es_basic_password")
    secret.derived("basic_auth", base64.b64encode(f"elastic:{password}".encode()).decode(), "es_basic_header")
    port = closed_port()
    clients = [elasticsearch.Elasticsearch(f"http://127.0.0.1:{port}", api_key=("shop-search", api_key),
                                           request_timeout=0.5, max_retries=0),
               elasticsearch.Elasticsearch(f"http://127.0.0.1:{port}", basic_auth=("elastic", password),
                                           request_timeout=0.5, max_retries=0)]
    for client in clients:
        try:
            client.search(index="products", query={"match": {"title": "lamp"}})
        except elastic_transport.ConnectionError as error:
            sentry_sdk.capture_exception(error)
    rec.keep_value("products", "the index")


def kafka_produce(rec: Recorder, secret: Secret) -> None:
    import kafka
    import kafka.errors

    # The producer empties the configs it was given before it fails; the settings the shop
    # passes it stay in this frame.
    settings = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "shop",
                "sasl_plain_password": secret("kafka_sasl_password")}
    try:
        kafka.KafkaProducer(bootstrap_servers=f"127.0.0.1:{closed_port()}", bootstrap_timeout_ms=300,
                            request_timeout_ms=300, **settings)
    except kafka.errors.KafkaError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("SCRAM-SHA-512", "the SASL mechanism")


# --------------------------------------------------------------------------- cloud and secret stores


def azure_blob(rec: Recorder, secret: Secret) -> None:
    import azure.core.exceptions
    from azure.storage.blob import BlobServiceClient

    conn_str = (f"DefaultEndpointsProtocol=http;AccountName=shopstore;AccountKey={secret('azure_account_key')};"
                f"BlobEndpoint=http://127.0.0.1:{closed_port()}/shopstore;")
    client = BlobServiceClient.from_connection_string(conn_str, retry_total=0, connection_timeout=0.5)
    try:
        client.get_container_client("invoices").download_blob("2026/12/inv-1042.pdf").readall()
    except azure.core.exceptions.AzureError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("inv-1042.pdf", "the blob name")


def google_service_account(rec: Recorder, secret: Secret) -> None:
    from google.oauth2 import service_account

    pem = ("-----BEGIN PRIVATE KEY-----\n" + secret("gcp_private_key")
           + "\nAvoP2Wx7zK9dF3hJ5lN8qR2tV4xZ6bD0fH2jL4nP6rT8vX0zB2dF4hJ6lN8qR0tV\n-----END PRIVATE KEY-----\n")
    info = {"type": "service_account", "project_id": "shop-prod-4471", "private_key_id": "4f1c9e2b",
            "private_key": pem, "client_email": "exporter@shop-prod-4471.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token"}
    try:
        service_account.Credentials.from_service_account_info(info)
    except ValueError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("shop-prod-4471", "the project")


def vault_read(rec: Recorder, secret: Secret) -> None:
    import hvac
    import requests

    client = hvac.Client(url=f"http://127.0.0.1:{closed_port()}", token=secret("vault_token"), timeout=0.5)
    try:
        client.secrets.kv.v2.read_secret_version(path="shop/db", raise_on_deleted_version=True)
    except requests.exceptions.ConnectionError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("shop/db", "the secret's path")


def pyjwt_tokens(rec: Recorder, secret: Secret) -> None:
    import warnings

    import jwt
    import jwt.warnings

    key = secret("jwt_signing_key")
    with warnings.catch_warnings():
        # The harmless word standing for the key when nothing is planted is shorter than PyJWT advises.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        token = jwt.encode({"sub": "ann.k", "scope": "orders:write", "aud": "shop-api"}, key, algorithm="HS256")
        secret.derived("jwt_token", token, "pyjwt_token")
        try:
            jwt.decode(token, key, algorithms=["HS256"], audience="billing-api")
        except jwt.InvalidAudienceError as error:
            sentry_sdk.capture_exception(error)
    rec.keep_value("Audience doesn't match", "the library's error")


# --------------------------------------------------------------------------- RPC and websockets


def grpc_call(rec: Recorder, secret: Secret) -> None:
    import grpc

    with grpc.insecure_channel(f"127.0.0.1:{closed_port()}") as channel:
        get_order = channel.unary_unary("/shop.Orders/Get", request_serializer=lambda body: body,
                                        response_deserializer=lambda body: body)
        try:
            get_order(b'{"order_id": 104233}', timeout=0.5,
                      metadata=(("authorization", f"Bearer {secret('grpc_bearer')}"),
                                ("x-api-key", secret("grpc_api_key")), ("x-tenant", "4471")))
        except grpc.RpcError as error:
            sentry_sdk.capture_exception(error)
    rec.keep_value("/shop.Orders/Get", "the method")


def websocket_feed(rec: Recorder, secret: Secret) -> None:
    from websockets.sync.client import connect

    try:
        connect(f"ws://feed:{secret('websocket_userinfo')}@127.0.0.1:{closed_port()}/orders?tenant=4471", open_timeout=0.5)
    except OSError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("tenant=4471", "a harmless query parameter")


# --------------------------------------------------------------------------- text shapes users log


def prose_logs(rec: Recorder, secret: Secret) -> None:
    """Credentials written into sentences (not as key=value): the breadcrumbs keep the formatted text."""
    logger.info("login failed for user bob with password %s", secret("prose_password"))
    logger.info(f"using token {secret('prose_token')} for the billing API")
    logger.info("password is incorrect for user bob; reset your password at /account/reset")
    logger.info("token expired for user bob, refreshing")
    try:
        raise PermissionError("billing API refused the request (HTTP 401)")
    except PermissionError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("password is incorrect for user bob; reset your password at /account/reset", "ordinary prose")
    rec.keep_value("token expired for user bob, refreshing", "ordinary prose")
    rec.keep_value("login failed for user bob with password", "the log line before the password")


def config_files(rec: Recorder, secret: Secret) -> None:
    """Configuration files of other ecosystems, held as text: .htpasswd, an OpenVPN profile, Java
    properties, a Kubernetes Secret."""
    htpasswd = f"ann:{secret('htpasswd_apr1')}\nbob:{secret('htpasswd_sha')}\n"
    ovpn = (f"client\ndev tun\nproto udp\nremote vpn.shop.test 1194\n<auth-user-pass>\nann.k\n"
            f"{secret('openvpn_inline_password')}\n</auth-user-pass>\nverb 3\n")
    properties = (f"spring.datasource.url=jdbc:postgresql://db.internal:5432/shop\nspring.datasource.username=shop\n"
                  f"spring.datasource.password={secret('spring_password')}\n"
                  "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
                  f"username=\"shop\" password=\"{secret('kafka_jaas_password')}\";\nserver.port=8080\n")
    k8s_secret = (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-db\ntype: Opaque\ndata:\n"
                  f"  db-password: {secret('k8s_secret_password')}\n  tls.key: {secret('k8s_tls_key')}\n"
                  "  db-user: c2hvcA==\n")
    sentry_sdk.set_extra("htpasswd", htpasswd)
    sentry_sdk.set_extra("vpn_profile", ovpn)
    sentry_sdk.set_extra("application.properties", properties)
    sentry_sdk.set_extra("manifest", k8s_secret)
    try:
        raise RuntimeError("configuration check failed: 4 files, 1 error")
    except RuntimeError as error:
        sentry_sdk.capture_exception(error)
    rec.keep_value("remote vpn.shop.test 1194", "a harmless OpenVPN setting")
    rec.keep_value("spring.datasource.username=shop", "a harmless property")
    rec.keep_value("db-user: c2hvcA==", "a harmless Secret entry")


def connection_texts(rec: Recorder, secret: Secret) -> None:
    """Connection strings and shell calls of other languages, as a migration tool logs them."""
    logger.warning("legacy PHP bridge: new PDO('pgsql:host=db.internal;port=5432;dbname=shop;user=shop;password=%s')",
                   secret("pdo_dsn_password"))
    logger.warning('legacy PHP bridge: $db = new PDO("mysql:host=db.internal;dbname=shop", "shop", "%s");',
                   secret("pdo_argument_password"))
    logger.warning("reporting: jdbc:sqlserver://db.internal:1433;databaseName=shop;user=sa;password=%s;encrypt=true",
                   secret("jdbc_password"))
    logger.warning("mongosh bootstrap: use admin; db.auth('shop', '%s'); db.createUser({user: 'report', pwd: \"%s\", "
                   "roles: ['read']})", secret("mongo_shell_auth"), secret("mongo_create_user_pwd"))
    logger.error("migration of 3 databases failed")
    rec.keep_value("dbname=shop", "the database")
    rec.keep_value("databaseName=shop", "the database")
    rec.keep_value("roles: ['read']", "the new user's roles")


SCENARIOS: dict[str, Callable[[Recorder, Secret], None]] = {
    "bottle_login": bottle_login,
    "litestar_export": litestar_export,
    "dramatiq_publish": dramatiq_publish,
    "rq_job": rq_job,
    "asyncpg_connect": asyncpg_connect,
    "pymysql_connect": pymysql_connect,
    "elasticsearch_search": elasticsearch_search,
    "kafka_produce": kafka_produce,
    "azure_blob": azure_blob,
    "google_service_account": google_service_account,
    "vault_read": vault_read,
    "pyjwt_tokens": pyjwt_tokens,
    "grpc_call": grpc_call,
    "websocket_feed": websocket_feed,
    "prose_logs": prose_logs,
    "config_files": config_files,
    "connection_texts": connection_texts,
}
