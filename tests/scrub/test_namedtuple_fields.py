"""Namedtuple fields: sentry-sdk sends a namedtuple as a bare list, and the hook names its items
by the live namedtuple in the exception's traceback, on both engines. Events come from a real
client with the ruleset's hooks installed (the hint with the live exception reaches them)."""

from __future__ import annotations

import collections
import copy
import json
import sys

import pytest
import sentry_sdk

from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.namedtuples import named_items
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, frame_vars

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: Secrets by name: the scenarios look them up, so no source line the SDK sends holds one.
SECRETS = {"db": "Nt5pW7-opaque-field-3318", "nested": "Nt8qL2-opaque-nested-7741",
           "aws_secret": "wJalr9Xu-opaque-aws-secret-5526", "aws_token": "IQoJb3-opaque-session-8804",
           "cause": "Nt3cZ9-opaque-cause-6612"}

DbCredentials = collections.namedtuple("DbCredentials", "user password host")


def secret(name: str) -> str:
    return SECRETS[name]


def connect(db: DbCredentials) -> None:
    summary = f"{db.user} with {db.password}"  # the field's value, echoed elsewhere in the frame
    raise ConnectionError(f"could not connect to {db.host} ({len(summary)})")


def connect_pools(pools: dict) -> None:
    raise ConnectionError(f"no pool of {len(pools)} answered")


def sign_request() -> None:
    from botocore.credentials import ReadOnlyCredentials

    frozen = ReadOnlyCredentials("AKIA" + "Z7QX2HVN4MBK6PLT", secret("aws_secret"), secret("aws_token"), None)
    raise PermissionError(f"request signing failed for {len(frozen)} parts")


def reconnect(db: DbCredentials) -> None:
    try:
        connect(db)
    except ConnectionError:
        raise RuntimeError("reconnecting failed") from None  # the first frame is the context's


def sent(engine: str, fail) -> dict:
    """The event the client sends with the default ruleset's hooks, as JSON-ready data."""
    ruleset = default_ruleset(engine)
    with capture_events(before_send=ruleset.before_send) as events, sentry_sdk.isolation_scope() as scope:
        scope.clear_breadcrumbs()  # (an earlier test's would be scrubbed too)
        try:
            fail()
        except Exception:
            sentry_sdk.capture_exception()
    [event] = events
    return event


@pytest.mark.parametrize("engine", ENGINES)
def test_a_namedtuple_field_named_as_a_secret_is_redacted_and_its_echo_too(engine):
    event = sent(engine, lambda: connect(DbCredentials("app", secret("db"), "db.internal")))
    local = frame_vars(event)
    assert local["db"] == ["'app'", "[Filtered]", "'db.internal'"]
    assert local["summary"] == "'app with [Filtered]'"
    frames_meta = event["_meta"]["exception"]["values"]["0"]["stacktrace"]["frames"]
    [vars_meta] = [frame["vars"] for frame in frames_meta.values() if "vars" in frame]
    assert vars_meta["db"] == {"1": {"": {"rem": [["secret-keys", "s", 0, 10]], "len": len(repr(secret("db")))}}}
    assert secret("db") not in json.dumps(event)


@pytest.mark.parametrize("engine", ENGINES)
def test_fields_are_named_inside_containers_and_in_the_frames_of_a_chained_exception(engine):
    pools = {"primary": [DbCredentials("app", secret("nested"), "db1")]}
    nested = sent(engine, lambda: connect_pools(pools))
    assert frame_vars(nested)["pools"] == {"primary": [["'app'", "[Filtered]", "'db1'"]]}
    chained = sent(engine, lambda: reconnect(DbCredentials("app", secret("cause"), "db2")))
    assert secret("cause") not in json.dumps(chained)


@pytest.mark.parametrize("engine", ENGINES)
def test_botocores_frozen_credentials_lose_their_secret_key_and_token(engine):
    pytest.importorskip("botocore")
    event = sent(engine, sign_request)
    access_key, secret_key, token, account = frame_vars(event)["frozen"]
    assert (access_key, secret_key, token, account) == ("[Filtered]", "[Filtered]", "[Filtered]", "None")


# ----------------------------------------------------------------- what names nothing


def captured_with_hint(fail) -> tuple[dict, dict]:
    """An event as sentry-sdk hands it to ``before_send``, with its hint (the live exception)."""
    found = []

    def keep(event, hint):
        found.append((copy.deepcopy(event), hint))
        return None

    with capture_events(before_send=keep), sentry_sdk.isolation_scope() as scope:
        scope.clear_breadcrumbs()  # (an earlier test's would be scrubbed too)
        try:
            fail()
        except Exception:
            sentry_sdk.capture_exception()
    [(event, hint)] = found
    return event, hint


def test_a_list_that_is_not_what_sentry_sdk_made_of_the_namedtuple_is_not_named():
    event, hint = captured_with_hint(lambda: connect(DbCredentials("app", secret("db"), "db.internal")))
    assert [item.name for item in named_items(event, hint)] == ["user", "password", "host"]
    frame_vars(event)["db"][0] = "'another user'"  # another value than the live one
    assert named_items(event, hint) == []


def test_a_frame_of_another_line_or_without_the_exception_names_nothing():
    event, hint = captured_with_hint(lambda: connect(DbCredentials("app", secret("db"), "db.internal")))
    assert named_items(event, {}) == [] and named_items(event, {"exc_info": (None, None, None)}) == []
    event["exception"]["values"][-1]["stacktrace"]["frames"][-1]["lineno"] += 1
    assert named_items(event, hint) == []


class Odd(tuple):
    """A tuple whose class says ``_fields`` but holds no names of its own length."""

    _fields = ("only",)


class Loud(tuple):
    """A tuple whose ``_fields`` is code, which reading it would run."""

    @property
    def _fields(self):
        raise AssertionError("_fields ran")


def hold(odd, loud) -> None:
    raise ValueError("odd tuples")


def test_tuples_that_only_claim_fields_name_nothing_and_run_nothing():
    event, hint = captured_with_hint(lambda: hold(Odd(("a", "b")), Loud(("app", secret("db")))))
    assert frame_vars(event)["odd"] == ["'a'", "'b'"] and frame_vars(event)["loud"] == ["'app'", repr(secret("db"))]
    assert named_items(event, hint) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_selector_or_allow_decides_at_the_items_own_path(engine):
    event, hint = captured_with_hint(lambda: connect(DbCredentials("app", secret("db"), "db.internal")))
    rules = {"allow": ["**.vars.db"], "rules": [{"id": "keys", "keys": ["password"]}]}
    scrubber = compile_scrubber(models.Scrub.model_validate(rules), models.Options(named_values=True), None,
                                accelerator=engine)
    allowed = copy.deepcopy(event)
    counted = scrubber.scrub_event(allowed, hint)
    assert counted == {} and frame_vars(allowed)["db"][1] == repr(secret("db"))
    rules = {"rules": [{"id": "keys", "keys": ["password"], "in": ["**.vars.db.*"]}]}
    scrubber = compile_scrubber(models.Scrub.model_validate(rules), models.Options(named_values=True), None,
                                accelerator=engine)
    assert scrubber.scrub_event(event, hint) == {"keys": 1} and frame_vars(event)["db"][1] == "[Filtered]"


def test_a_deep_recursion_is_read_up_to_a_bound():
    def down(n: int, db: DbCredentials) -> None:
        if n == 0:
            raise RecursionError("bottom")
        down(n - 1, db)

    limit = sys.getrecursionlimit()
    event, hint = captured_with_hint(lambda: down(min(1500, limit - 100), DbCredentials("app", secret("db"), "h")))
    names = [item.name for item in named_items(event, hint)]
    assert names and set(names) == {"user", "password", "host"}


class Clashing:
    """A dict key of the application's that shares a text's hash and fails to compare."""

    def __hash__(self):
        return hash("pool")

    armed = False  # (the dict is built first: building it compares the two keys)

    def __eq__(self, other):
        if Clashing.armed:
            raise RuntimeError("compared")
        return self is other


def hold_pools(pools: dict) -> None:
    raise ValueError("pools")


def test_a_live_dict_whose_keys_fail_to_compare_names_nothing_and_raises_nothing():
    pools = {Clashing(): 1, "pool": [DbCredentials("app", secret("db"), "h")]}
    event, hint = captured_with_hint(lambda: hold_pools(pools))
    assert {item.name for item in named_items(event, hint)} == {"user", "password", "host"}
    Clashing.armed = True  # (sentry-sdk's own serializer fails on such a dict: armed after it ran)
    try:
        assert named_items(event, hint) == []
    finally:
        Clashing.armed = False


def hold_creds(creds: DbCredentials) -> None:
    raise ValueError("creds")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_namedtuple_under_a_sensitive_key_is_the_walks_to_redact_once(engine):
    event, hint = captured_with_hint(lambda: hold_creds(DbCredentials("app", secret("db"), "h")))
    rules = {"rules": [{"id": "keys", "keys": ["creds", "password"], "in": ["**.vars.*"]}]}  # (not source lines)
    scrubber = compile_scrubber(models.Scrub.model_validate(rules), models.Options(named_values=True), None,
                                accelerator=engine)
    counts = scrubber.scrub_event(event, hint)
    creds_frames = [frame["vars"]["creds"] for frame in event["exception"]["values"][-1]["stacktrace"]["frames"]
                    if "creds" in frame.get("vars", {})]
    assert creds_frames and all(value == ["[Filtered]"] * 3 for value in creds_frames)
    assert counts == {"keys": 3 * len(creds_frames)}  # each leaf once, by the walk
