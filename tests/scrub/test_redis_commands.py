"""Redis commands as sentry-sdk describes them (span descriptions, breadcrumbs, a pipeline's
``redis.commands``, with ``send_default_pii``): a value stored under a sensitive hash field or key
(``HSET 'user:42' 'api_key' '...'``, ``SET 'user:42:api_token' '...'``) is redacted in the text,
on both engines alike; other arguments stay. Real events from a real client over fakeredis."""

from __future__ import annotations

import functools
import json

import fakeredis
import pytest
import sentry_sdk
from sentry_sdk.integrations.redis import RedisIntegration

from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.redis_commands import find_redis_values
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]

#: Secrets by name: the commands look them up, so no source line the SDK sends holds one.
SECRETS = {"hash": "Rh8wK2" + "pZq5Lm9Xv4Tc", "set": "St4q'K9" + "wLz2Pm7Xv3Rd", "mset": "Ms6tV3" + "qPz9Lk2Wx8Nb",
           "pipeline": 'Pp2"lN5' + "x'Qz8Km4Wv7", "push": "Lp7sH4" + "zQw2Km9Xv5Rt"}


def secret(name: str) -> str:
    return SECRETS[name]


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    with capture_events(integrations=[RedisIntegration()], traces_sample_rate=1.0) as events:
        store = fakeredis.FakeRedis()
        sentry_sdk.get_isolation_scope().clear_breadcrumbs()  # (earlier tests' breadcrumbs)
        with sentry_sdk.start_transaction(name="profile-update", op="task"):
            store.hset("user:42", mapping={"api_key": secret("hash"), "name": "alice"})
            store.set("user:42:api_token", secret("set"), ex=3600)
            store.mset({"cfg:db_password": secret("mset").encode(), "cfg:retries": 5})
            store.rpush("user:42:api_tokens", secret("push"))
            pipeline = store.pipeline()
            pipeline.hset("user:43", "client_secret", secret("pipeline"))
            pipeline.hget("user:43", "client_secret")
            pipeline.execute()
            try:
                raise RuntimeError("profile update failed")
            except RuntimeError:
                sentry_sdk.capture_exception()  # its breadcrumbs hold the commands too
    return tuple(events)


def descriptions(event: dict) -> list[str]:
    return [span["description"] for span in event["spans"]]


def redis_breadcrumbs(event: dict) -> list[str]:
    return [crumb["message"] for crumb in event["breadcrumbs"]["values"] if crumb.get("category") == "redis"]


def test_the_captured_events_hold_each_value_in_its_command():
    error, transaction = captured()
    assert descriptions(transaction)[:3] == [
        f"HSET 'user:42' 'api_key' '{secret('hash')}' 'name' 'alice'",
        f"SET 'user:42:api_token' {secret('set')!r} 'EX' 3600",
        f"MSET 'cfg:db_password' {secret('mset').encode()!r} 'cfg:retries' 5"]
    assert transaction["spans"][-1]["data"]["redis.commands"]["first_ten"][0] == (
        f"HSET 'user:43' 'client_secret' {secret('pipeline')!r}")
    assert redis_breadcrumbs(error)[:3] == descriptions(transaction)[:3]


@pytest.mark.parametrize("engine", ENGINES)
def test_no_value_under_a_sensitive_field_or_key_is_sent(engine):
    sent = processed_events(default_ruleset(engine), captured())
    text = json.dumps(sent)
    for name in SECRETS:
        assert secret(name) not in text and secret(name).encode().hex() not in text
    error, transaction = sent
    assert descriptions(transaction)[:4] == [
        "HSET 'user:42' 'api_key' '[Filtered]' 'name' 'alice'",
        "SET 'user:42:api_token' \"[Filtered]\" 'EX' 3600",
        "MSET 'cfg:db_password' b'[Filtered]' 'cfg:retries' 5",
        "RPUSH 'user:42:api_tokens' '[Filtered]'"]
    assert transaction["spans"][-1]["data"]["redis.commands"]["first_ten"] == [
        "HSET 'user:43' 'client_secret' '[Filtered]'", "HGET 'user:43' 'client_secret'"]
    assert redis_breadcrumbs(error)[:4] == descriptions(transaction)[:4]
    assert transaction["_meta"]["spans"]["0"]["description"] == {
        "": {"rem": [["secret-keys", "s", 26, 36]], "len": 42 + len(secret("hash"))}}


@pytest.mark.parametrize("engine", ENGINES)
def test_both_engines_send_the_same(engine):
    assert processed_events(default_ruleset(engine), captured()) == processed_events(default_ruleset("off"), captured())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("named_values", [True, False])
def test_redis_values_are_read_with_named_values_only(engine, named_values):
    # A ruleset pinned to the 2026.11 packs (named_values off) scrubs as it did.
    scrub = models.Scrub.model_validate({"rules": [{"id": "keys", "keys": ["*token*"]}]})
    scrubber = compile_scrubber(scrub, models.Options(named_values=named_values), None, accelerator=engine)
    event = {"spans": [{"description": "HSET 'u' 'api_token' 'opaque-1' 'n' 'x'"}]}
    counts = scrubber.scrub_event(event)
    assert event["spans"][0]["description"] == ("HSET 'u' 'api_token' '[Filtered]' 'n' 'x'" if named_values
                                                else "HSET 'u' 'api_token' 'opaque-1' 'n' 'x'")
    assert counts == ({"keys": 1} if named_values else {})


def values(text: str, *names: str) -> list[str]:
    """The values ``find_redis_values`` finds under ``names``."""
    return [text[start:end] for start, end, _ in find_redis_values(text, lambda name: int(name in names))]


@pytest.mark.parametrize(("text", "expected"), [
    ("HSET 'u:1' 'api_key' 'v1' 'name' 'alice'", ["v1"]),  # field/value pairs after the key
    ("hset 'u:1' 'name' 'alice' 'api_key' 'v2'", ["v2"]),  # any case, any pair
    ("HMSET 'u' 'api_key' \"it's\" 'x' 1", ["it's"]),  # the other quote
    (r"HSETNX 'u' 'api_key' 'a\'b \\' 'x' 'y'", [r"a\'b \\"]),  # escapes stay inside
    ("HSET b'u' b'api_key' b'v3'", ["v3"]),  # bytes
    ("HSET 'u' 'api_key' 42 'name' 'x'", ["42"]),  # a bare token
    ("MSET 'a:api_key' 'v4' 'b' 'v5' 'c:d:api_key' 'v6'", ["v4", "v6"]),  # keys' last segment
    ("SET 'user:42:api_key' 'v7' 'EX' 60", ["v7"]),  # SET's options stay
    ("SETEX 'api_key' 60 'v8'", ["v8"]),
    ("LSET 'api_key' 0 'v16'", ["v16"]),
    ("RPUSH 'api_key' 'v9' 'v10'", ["v9", "v10"]),  # every value of a list push
    ("SET 'api_key:42' 'v11'", []),  # the key's last segment names it
    ("HSET 'api_key' 'f' 'v12'", []),  # HSET's key names no field
    ("GET 'api_key'", []),  # no value
    ("reset the api_key: SET 'api_key' 'v13'", []),  # not a command text
    ("HSET 'u' 'api_key' 'cut sho", ["cut sho"]),  # cut short: the rest is its value
    ("HSET 'u' 'api_key' <Token object at 0x1> 'name' 'x'", []),  # an object's repr stops the reading
    ("HSET 'u' 'x' <Token object> 'api_key' 'v14'", []),  # (the arguments after it cannot be counted)
    ("HSET 'u' 'x' 'y' 'api_key' [Filtered]", []),
    ("HSET 'u' 'api_key' 'v15'\n'x' 'y'", ["v15"]),
])
def test_find_redis_values(text, expected):
    assert values(text, "api_key") == expected


def test_hostile_descriptions_are_read_in_one_pass():
    # A description of a megabyte, quotes never closed, escapes everywhere: each read once.
    megabyte = 1 << 20
    assert values("HSET 'u' 'api_key' '" + "\\'" * (megabyte // 2), "api_key") == ["\\'" * (megabyte // 2)]
    assert values("HSET 'u' " + "'a " * (megabyte // 3), "a") == []
    assert values("HSET 'u' " + "'api_key' 'v' " * (megabyte // 14), "api_key") == ["v"] * 127  # (256 arguments read)
    assert values("SET 'api_key' '" + "x" * megabyte + "' 'EX' 1", "api_key") == ["x" * megabyte]
    assert values("HSET 'u' " + "\"'" * (megabyte // 2), "api_key") == []
