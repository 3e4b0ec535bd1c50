"""Leak classes an attacker's probe of the default ruleset found, in real events from a real
client, on both engines: a dict keyed by API keys, plural and short names of credentials, a route
parameter, loop variables named outside any vocabulary, namedtuple fields, the hex of a secret, a
Celery task's positional arguments, a password split off ``user:password``, a passphrase in a key
and a Redis hash field. Each test says the secret no longer leaves; what each scenario produces is
checked first: the secret is in the captured event, at the place the leak test looks."""

from __future__ import annotations

import collections
import functools
import json

import pytest
import sentry_sdk

from rules_engine.scrub import accelerator_available
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import capture_each, default_ruleset, frame_vars, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]

#: Secrets by name: the scenarios look them up, so no source line the SDK sends holds one. Most have
#: no provider's shape (an opaque token such as ``secrets.token_urlsafe`` makes): only where they
#: stand says they are secrets.
SECRETS = {
    "api_key_as_key": "Kq8vT2" + "xLm9Rw4Zp7Nc",
    "plural_tokens": "Tk4rW9" + "pQz2Lm7Xv3Hd",
    "route_token": "Rt7mQ2" + "zXw9Lp4Kv8Nc",
    "loop_setting": "Ev3nV4" + "rPw8Qz2Lm6Tk",
    "namedtuple_field": "Nt5pW7" + "qLz3Xm8Rv2Kd",
    "hex_of_secret_key": "Hx2kS9" + "eCr7Tq4Wm5Zp",
    "task_argument": "Ct6pM3" + "wQz8Lr2Xv5Hn",
    "creds_local": "Cr9dS4" + "vLm2Qx7Wp3Tz",
    "passphrase_key": "correct" + "-horse-battery-staple",
    "redis_hash_field": "Rh8wK2" + "pZq5Lm9Xv4Tc",
}


def secret(name: str) -> str:
    return SECRETS[name]


# ---------------------------------------------------------------------------------- the scenarios


def authenticate(header: str) -> None:
    # An API-key lookup table: the keys are the secrets, the values name their clients.
    api_keys = {secret("api_key_as_key"): "billing-service", "public-demo": "demo"}
    if header not in api_keys:
        raise PermissionError("unknown API key")


def revoke_all(user: str) -> None:
    api_tokens = [secret("plural_tokens")]
    raise RuntimeError(f"could not revoke {len(api_tokens)} tokens of {user}")


def environment() -> dict:
    return {"HOME": "/srv/app", "DB_PASSWORD": secret("loop_setting")}


def check_environment() -> None:
    """(The variables come from a call, so no frame holds the dict: only the loop's two variables,
    named outside the known vocabulary, hold the name and the value.)"""
    for env_var, setting in environment().items():
        if env_var.endswith("_PASSWORD") and len(setting) < 32:
            raise ValueError(f"{env_var} is too short")


DbCredentials = collections.namedtuple("DbCredentials", "user password host")


def connect(db: DbCredentials) -> None:
    raise ConnectionError(f"could not connect to {db.host}")


def sign_webhook(secret_key: bytes) -> None:
    key_hex = secret_key.hex()
    raise ValueError(f"signing key of {len(key_hex) // 2} bytes is too short")


def log_in(creds: str) -> None:
    user, _, _ = creds.partition(":")
    raise PermissionError(f"login refused for {user}")


def throttle(password: str) -> None:
    attempts = {"user:" + password: 3}
    raise PermissionError(f"too many attempts: {max(attempts.values())}")


def frame_scenarios() -> None:
    """(A function of its own: the frames of the exceptions captured here hold no event.)"""
    failing = [
        lambda: authenticate("Bearer nothing"),
        lambda: revoke_all("alice"),
        check_environment,
        lambda: connect(DbCredentials("app", secret("namedtuple_field"), "db.internal")),
        lambda: sign_webhook(secret("hex_of_secret_key").encode()),
        lambda: log_in("app:" + secret("creds_local")),
        lambda: throttle(secret("passphrase_key")),
    ]
    capture_each(failing)


def route_scenario() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()

    @app.get("/reset/{token}")
    def reset(token: str) -> dict:
        return {"reset": len(token) > 0}

    TestClient(app).get("/reset/" + secret("route_token"))


#: The scenarios' Celery apps: a worker's app lives as long as its process, and the scrubber finds
#: a task's signature through it.
CELERY_APPS: list = []


def task_scenario() -> None:
    from celery import Celery

    app = Celery("probe", broker="memory://", backend="cache+memory://")
    CELERY_APPS.append(app)
    app.conf.task_always_eager = True  # the task runs here, under the SDK's task wrapper, as a worker runs it

    @app.task
    def charge(customer: str, payment_method_token: str, amount: int) -> int:
        return amount

    charge.delay("cus_1", secret("task_argument"), 100)


def redis_scenario() -> None:
    import fakeredis

    store = fakeredis.FakeRedis()
    with sentry_sdk.start_transaction(name="issue-key", op="task"):
        store.hset("user:42", mapping={"api_key": secret("redis_hash_field"), "name": "alice"})


@functools.lru_cache(maxsize=1)
def frame_events() -> tuple:
    with capture_events() as events:
        frame_scenarios()
    return tuple(events)


@functools.lru_cache(maxsize=1)
def route_events() -> tuple:
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration

    with capture_events(integrations=[StarletteIntegration(), FastApiIntegration()], traces_sample_rate=1.0) as events:
        route_scenario()
    return tuple(event for event in events if event.get("type") == "transaction")


@functools.lru_cache(maxsize=1)
def task_events() -> tuple:
    from sentry_sdk.integrations.celery import CeleryIntegration

    with capture_events(integrations=[CeleryIntegration()], traces_sample_rate=1.0) as events:
        task_scenario()
    return tuple(event for event in events if event.get("type") == "transaction")


@functools.lru_cache(maxsize=1)
def redis_events() -> tuple:
    from sentry_sdk.integrations.redis import RedisIntegration

    with capture_events(integrations=[RedisIntegration()], traces_sample_rate=1.0) as events:
        redis_scenario()
    return tuple(events)


def sent(events: tuple) -> dict:
    """Each engine's events as JSON text (``_meta`` included)."""
    return {engine: json.dumps(processed_events(default_ruleset(engine), events)) for engine in ENGINES}


def leaked(events: tuple, text: str) -> list:
    """The engines whose events still hold ``text``."""
    return [engine for engine, output in sent(events).items() if text in output]


# ------------------------------------------------------------------- what the scenarios produce


def test_the_captured_events_hold_each_secret_where_the_leak_tests_look():
    api_keys, tokens, loop, creds, signing, login, throttled = map(frame_vars, frame_events())
    assert secret("api_key_as_key") in api_keys["api_keys"]  # keys are sent as they are, unquoted
    assert tokens["api_tokens"] == [f"'{secret('plural_tokens')}'"]
    assert loop["env_var"] == "'DB_PASSWORD'" and loop["setting"] == f"'{secret('loop_setting')}'"
    assert set(loop) == {"env_var", "setting"}  # no frame holds the dict they come from
    # sentry-sdk sends a namedtuple as a list: the field names are gone.
    assert creds["db"] == ["'app'", f"'{secret('namedtuple_field')}'", "'db.internal'"]
    assert signing["key_hex"] == f"'{secret('hex_of_secret_key').encode().hex()}'"
    assert login["creds"] == f"'app:{secret('creds_local')}'"
    assert throttled["attempts"] == {"user:" + secret("passphrase_key"): "3"}
    (task,) = task_events()
    assert task["extra"]["celery-job"]["args"] == ["cus_1", secret("task_argument"), 100]
    (stored,) = redis_events()
    assert [span["description"] for span in stored["spans"]] == [
        f"HSET 'user:42' 'api_key' '{secret('redis_hash_field')}' 'name' 'alice'"]
    (transaction,) = route_events()
    assert transaction["transaction"] == "/reset/{token}"
    assert transaction["request"]["url"].endswith("/reset/" + secret("route_token"))


def test_where_the_secret_is_whole_and_named_it_is_redacted():
    # The same secrets are found where a key names them: the leaks below are of shape, not of value.
    events = frame_events()
    signing, throttled = (json.loads(sent(events)["off"])[index] for index in (4, 6))
    assert frame_vars(signing)["secret_key"] == "[Filtered]"
    assert frame_vars(throttled)["password"] == "[Filtered]"
    assert leaked(events, secret("hex_of_secret_key")) == []


# ----------------------------------------------------------------------------- the leak classes


def test_keys_of_a_dict_under_a_sensitive_name():
    assert leaked(frame_events(), secret("api_key_as_key")) == []


def test_plural_names_of_secret_collections():
    assert leaked(frame_events(), secret("plural_tokens")) == []


def test_route_parameter_in_a_transaction_url():
    assert leaked(route_events(), secret("route_token")) == []


def test_loop_variables_named_outside_the_vocabulary():
    assert leaked(frame_events(), secret("loop_setting")) == []


def test_namedtuple_fields():
    # The hook names a namedtuple's items from the live exception of its hint: sent with it installed.
    for engine in ENGINES:
        with capture_events(before_send=default_ruleset(engine).before_send) as events:
            frame_scenarios()
        assert secret("namedtuple_field") not in json.dumps(events), engine


def test_hex_of_a_redacted_secret():
    assert leaked(frame_events(), secret("hex_of_secret_key").encode().hex()) == []



def test_positional_arguments_of_a_task_transaction():
    assert leaked(task_events(), secret("task_argument")) == []


def test_names_the_key_globs_miss():
    assert leaked(frame_events(), secret("creds_local")) == []


def test_passphrase_echoed_in_a_dict_key():
    assert leaked(frame_events(), secret("passphrase_key")) == []


def test_redis_hash_field_in_a_span_description():
    assert leaked(redis_events(), secret("redis_hash_field")) == []
