"""A frame's local holding a name names the local defined after it: ``for env_var, setting in
...items()`` sends ``{"env_var": "'DB_PASSWORD'", "setting": "'...'"}`` and the setting is
redacted as the value of a key ``DB_PASSWORD``, whatever the loop's variables are called. In real
events from a real client, on both engines, then the rules of it on hand-made events."""

from __future__ import annotations

import json
import logging

import pytest

from rules_engine.model import models
from rules_engine.scrub.namedlocals import local_name, named_locals
from tests.scrub.frame_scenarios import (ENGINES, capture_each, captured, engine, frame_meta, frame_vars,  # noqa: F401
                                         scrubbed_as_the_reference, sent)

logger = logging.getLogger("tests.named_locals")

#: Secrets by name: the scenarios look them up, so no source line the SDK sends holds one.
SECRETS = {
    "db_password": "Db4pW9" + "qLz2Xm7Rv3Kt",
    "stripe_key": "Sk7nQ3" + "wLp8Zx2Hv5Mc",
    "pair_value": "Pv2kR8" + "mZq4Lw9Xt6Nd",
}
#: What must stay: a value no sensitive name names, and locals besides the named one.
KEPT = ["/srv/application-data", "shop-web-frontend", "orders:read offline_access", "https://auth.shop.test/oauth"]


def secret(name: str) -> str:
    return SECRETS[name]


def environment() -> dict:
    return {"HOME": "/srv/application-data", "DB_PASSWORD": secret("db_password")}


def check_environment() -> None:
    for env_var, setting in environment().items():
        logger.warning("read %s", setting)  # a debug line left in: the value is an echo in its breadcrumb
        if env_var.endswith("_PASSWORD") and len(setting) < 32:
            raise ValueError(f"{env_var} is too short")


def check_home() -> None:
    for env_var, setting in environment().items():
        if env_var == "HOME":
            raise ValueError(f"{env_var} is not writable")


def load_setting(setting_name: str) -> None:
    loaded = {"stripe_api_key": secret("stripe_key")}[setting_name]
    raise KeyError(f"{setting_name} is rotated ({len(loaded)} characters)")


#: (Apart from the call: a source line ``"password", "shop-web-frontend"`` reads as a key and its value.)
OAUTH_REQUEST = {"grant_type": "password", "client_id": "shop-web-frontend", "scope": "orders:read offline_access",
                 "url": "https://auth.shop.test/oauth"}


def token_request(grant_type: str, client_id: str, scope: str, url: str) -> None:
    raise PermissionError(f"{grant_type} grant refused for {client_id}")


def known_pair() -> None:
    for k, v in {"password": secret("pair_value")}.items():
        raise ValueError(f"{k} is too weak")


def scenarios() -> None:
    """(A scope per scenario: the breadcrumb echoing the secret stays out of events whose frames
    do not hold it, where nothing says it is one.)"""
    capture_each([check_environment, check_home, lambda: load_setting("stripe_api_key"),
                  lambda: token_request(**OAUTH_REQUEST), known_pair])


def test_the_captured_events_hold_the_values_beside_their_names():
    loop, home, lookup, oauth, pair = map(frame_vars, captured(scenarios))
    assert loop == {"env_var": "'DB_PASSWORD'", "setting": f"'{secret('db_password')}'"}
    assert home["setting"] == "'/srv/application-data'"
    assert list(lookup) == ["setting_name", "loaded"] and secret("stripe_key") in lookup["loaded"]
    assert list(oauth) == ["grant_type", "client_id", "scope", "url"]
    assert pair["v"] == f"'{secret('pair_value')}'"
    crumbs = captured(scenarios)[0]["breadcrumbs"]["values"]
    assert any(secret("db_password") in crumb["message"] for crumb in crumbs)


def test_no_named_value_is_sent_and_the_rest_stays(engine):
    output = json.dumps(sent(scenarios, engine))
    assert [name for name, value in SECRETS.items() if value in output] == []
    assert [text for text in KEPT if text not in output] == []


def test_the_named_local_is_redacted_whole_by_the_key_rule_of_its_name(engine):
    loop, _, lookup, _, _ = sent(scenarios, engine)
    assert frame_vars(loop) == {"env_var": "'DB_PASSWORD'", "setting": "[Filtered]"}
    assert frame_meta(loop)["setting"] == {"": {"rem": [["secret-keys", "s", 0, 10]], "len": 20}}
    assert frame_vars(lookup)["loaded"] == "[Filtered]"
    assert frame_vars(lookup)["setting_name"] == "'stripe_api_key'"


def test_a_value_decided_by_the_walk_is_redacted_once(engine):
    pair = sent(scenarios, engine)[4]
    assert frame_vars(pair)["v"] == "[Filtered]"
    assert frame_meta(pair)["v"][""]["rem"] == [["secret-keys", "s", 0, 10]]


def test_both_engines_send_the_same_events():
    assert len({json.dumps(sent(scenarios, engine), sort_keys=True) for engine in ENGINES}) == 1


# ------------------------------------------------------------------------- the definitions


@pytest.mark.parametrize("value", ["'DB_PASSWORD'", "'api_key'", "b'stripe-token'", '"secret.key"'])
def test_string_literals_reading_as_names_are_names(value):
    assert local_name(value) is not None


@pytest.mark.parametrize("value", ["DB_PASSWORD", "None", "True", "'Db4pW9qLz2'", "'sessionToken'", "''",
                                   "<Setting object at 0x7f00>", "'" + "a" * 65 + "'"])
def test_other_locals_are_no_names(value):
    # No literal (sentry-sdk sends a str as its repr), or a text that does not read as a name.
    assert local_name(value) is None


def test_a_name_names_the_next_local_only_and_only_text_worth_searching():
    variables = {"a": "'password'", "b": "'Hx7-secret-value'", "c": "'Zq8-other-value'",
                 "d": "'token'", "e": "'short'", "f": "'token'", "g": "'db_host_name'", "h": "'token'", "i": "3"}
    assert named_locals(variables, ["[Filtered]"]) == [("b", "password")]


KEYS = {"id": "keys", "keys": ["*password*"]}


def frame_event(variables: dict) -> dict:
    return {"exception": {"values": [{"type": "E", "stacktrace": {"frames": [{"vars": variables}]}}]}}


def test_the_rules_active_at_the_named_local_decide(engine):
    rules = [{**KEYS, "in": ["**.vars.setting"]}]
    event = frame_event({"name": "'password'", "setting": "'Hx7-secret-value'", "n2": "'password'",
                         "other": "'Zq8-other-value'"})
    out, counts = scrubbed_as_the_reference(event, rules, engine)
    variables = out["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert variables["setting"] == "[Filtered]" and variables["other"] == "'Zq8-other-value'"
    assert counts == {"keys": 1}


def test_allow_and_removal(engine):
    event = frame_event({"name": "'password'", "safe": "'Hx7-secret-value'", "n2": "'password'",
                         "gone": "'Zq8-other-value'"})
    out, _ = scrubbed_as_the_reference(event, [{**KEYS, "redact": "remove"}], engine, allow=["**.vars.safe"])
    assert out["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"] == {
        "name": "'password'", "safe": "'Hx7-secret-value'", "n2": "'password'"}


def test_without_named_values_nothing_is_named(engine):
    event = frame_event({"name": "'password'", "setting": "'Hx7-secret-value'"})
    unread = models.Options(named_values=False, echoes=True)
    out, counts = scrubbed_as_the_reference(event, [KEYS], engine, options=unread)
    assert counts == {} and out["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["setting"] != "[Filtered]"
