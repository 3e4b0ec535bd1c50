"""``except_keys``: names a key rule's globs match that hold something *about* a secret (when it
changed, how long it is, whether there is one, its type or name) keep their values, wherever a
key is read (frame variables, dict keys, keys inside text, pair dicts); other rules still apply
to them. The 2026.12 secure-defaults pack excepts such names, on both engines."""

from __future__ import annotations

import copy
import functools
import json
import logging

import pytest

from rules_engine.errors import RulesetError
from rules_engine.load.lints import shadowed_scrub_rules
from rules_engine.load.loader import load_model_from_text
from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.rule import key_matcher
from tests.corpus.planting import captured_failures, default_ruleset, frame_vars, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
READ_ALL = models.Options(named_values=True, echoes=True)
#: Secrets by name: the scenario looks them up, so no source line the SDK sends holds one.
SECRETS = {"password": "Pw7-opaque-except-4410", "api_token": "At3-opaque-except-9921",
           "session_id": "Sd5-opaque-except-1183"}
CHANGED_AT = "2026-11-30T08:15:00+00:00"

logger = logging.getLogger("accounts")


def secret(name: str) -> str:
    return SECRETS[name]


def rotate_password(user: str) -> None:
    # (sentry-sdk sends ten variables of a frame and ten fields of a dict: both stay within.)
    password, api_token = secret("password"), secret("api_token")
    password_changed_at, password_length, has_password, token_type = CHANGED_AT, len(password), True, "Bearer"
    account = {"passwordChangedAt": CHANGED_AT, "token_expires_in": 3600, "is_secret": False,
               "api_token": api_token, "secret_arn": "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-Ab12",
               "secret_name": "prod/db/primary", "private_key_path": "/run/secrets/signing.pem",
               "session_id": secret("session_id")}
    env = [{"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"}, {"name": "DB_PASSWORD", "value": password}]
    logger.warning("rotation stalled: password_changed_at=%s password=%s", password_changed_at, password)
    raise TimeoutError(f"rotation of {user} stalled")


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    return captured_failures(lambda: rotate_password("alice"))


@functools.lru_cache(maxsize=2)
def outputs(engine: str) -> list:
    return processed_events(default_ruleset(engine), captured())


def test_the_captured_event_holds_the_secrets_and_what_is_said_about_them():
    text = json.dumps(captured())
    assert all(value in text for value in SECRETS.values()) and CHANGED_AT in text


@pytest.mark.parametrize("engine", ENGINES)
def test_the_default_ruleset_keeps_what_is_said_about_a_secret_and_redacts_the_secret(engine):
    error = next(event for event in outputs(engine) if "exception" in event)
    local = frame_vars(error)
    assert (local["password"], local["api_token"]) == ("[Filtered]", "[Filtered]")
    assert local["password_changed_at"] == repr(CHANGED_AT)
    assert (local["password_length"], local["has_password"], local["token_type"]) == ("22", "True", "'Bearer'")
    account = local["account"]
    assert account["passwordChangedAt"] == repr(CHANGED_AT) and account["token_expires_in"] == "3600"
    assert account["is_secret"] == "False" and account["secret_arn"].startswith("'arn:aws:secretsmanager")
    assert (account["secret_name"], account["private_key_path"]) == ("'prod/db/primary'", "'/run/secrets/signing.pem'")
    assert (account["api_token"], account["session_id"]) == ("[Filtered]", "[Filtered]")  # never "*_id"
    assert local["env"][0]["value"] == "'/run/secrets/db'"  # a pair dict named DB_PASSWORD_FILE
    assert local["env"][1]["value"] == "[Filtered]"
    assert not any(value in json.dumps(outputs(engine)) for value in SECRETS.values())


@pytest.mark.parametrize("engine", ENGINES)
def test_an_excepted_key_inside_text_keeps_its_value(engine):
    crumbs = [crumb for event in outputs(engine) for crumb in event.get("breadcrumbs", {}).get("values", [])]
    [logged] = [crumb for crumb in crumbs if crumb.get("category") == "accounts"]
    assert logged["message"] == f"rotation stalled: password_changed_at={CHANGED_AT} password=[Filtered]"


# ----------------------------------------------------------------- the definition, on its own


def scrubbed(event: dict, rules: list, engine: str) -> tuple[dict, dict]:
    scrubber = compile_scrubber(models.Scrub.model_validate({"rules": rules}), READ_ALL, None, accelerator=engine)
    event = copy.deepcopy(event)
    return event, scrubber.scrub_event(event)


@pytest.mark.parametrize("name, kept", [
    ("token_count", True), ("tokenCount", True), ("TOKEN-COUNT", True), ("http.token_count", True),
    ("access_token", False), ("token", False), ("count_token", False), ("token_counter", False),
])
def test_a_key_is_matched_when_its_globs_match_and_no_exception_does(name, kept):
    matches = key_matcher(["*token*"], "insensitive", ["*_count"])
    assert matches(name) is not kept
    assert key_matcher(["*token*"])(name)  # without the exception every name matches


def test_exceptions_compare_as_the_rules_keys_do():
    as_written = key_matcher(["*_KEY"], "sensitive", ["PRIMARY_*"])
    assert not as_written("PRIMARY_KEY") and as_written("primary_KEY") and as_written("STRIPE_KEY")


@pytest.mark.parametrize("engine", ENGINES)
def test_an_excepted_key_is_left_to_the_other_rules(engine):
    token = "ghp_" + "A" * 30 + "x1Y2z3"  # no checksum: found by the pattern rule, not a detector
    event = {"extra": {"password_changed_at": CHANGED_AT, "password_set_at": "by admin " + token,
                       "password": "Pw7-opaque-except-4410", "created_at": "2026-01-01"}}
    rules = [{"id": "keys", "keys": ["*password*"], "except_keys": ["*_at"]},
             {"id": "tokens", "pattern": "ghp_[A-Za-z0-9]{36}"},
             {"id": "created", "keys": ["created_at"], "redact": "remove"}]
    out, counts = scrubbed(event, rules, engine)
    assert out["extra"] == {"password_changed_at": CHANGED_AT, "password_set_at": "by admin [Filtered]",
                            "password": "[Filtered]"}
    assert counts == {"keys": 1, "tokens": 1, "created": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_an_excepted_dict_key_is_not_searched_as_a_key_rules_key_but_still_as_text(engine):
    event = {"extra": {"rotation": {"password_changed_at": CHANGED_AT, "Pw7-opaque-except-4410": "seen"},
                       "password": "Pw7-opaque-except-4410"}}
    out, _ = scrubbed(event, [{"id": "keys", "keys": ["*password*"], "except_keys": ["*_at"]}], engine)
    assert out["extra"]["rotation"] == {"password_changed_at": CHANGED_AT, "[Filtered]": "seen"}


# ----------------------------------------------------------------- loading


def problems(text: str) -> list[str]:
    with pytest.raises(RulesetError) as raised:
        load_model_from_text(text, "r.yaml")
    return [str(problem) for problem in raised.value.problems]


RULES_HEAD = "format: 1\nname: shop\nscrub:\n  rules:\n"


def test_except_keys_without_keys_is_an_error_at_its_rule():
    [problem] = problems(RULES_HEAD + "    - id: jwts\n      detect: [jwt]\n      except_keys: ['*_at']\n")
    assert problem.startswith("r.yaml:5:7: ") and "'except_keys' narrows 'keys'" in problem


def test_each_bad_exception_glob_is_reported_at_its_place():
    found = problems(RULES_HEAD + "    - id: keys\n      keys: ['*password*']\n      except_keys: ['[ab', ok, '{a,b']\n")
    assert [problem.split(": ")[0] for problem in found] == ["r.yaml:7:21", "r.yaml:7:32"]


def test_an_override_can_change_the_exceptions_of_an_extended_rule():
    text = ("format: 1\nname: shop\nextends: ['builtin:secure-defaults@2026.12']\nscrub:\n  rules:\n"
            "    - override: secret-keys\n      except_keys: []\n")
    [rule] = [rule for rule in load_model_from_text(text, "r.yaml").model.scrub.rules if rule.id == "secret-keys"]
    assert rule.except_keys == [] and "*password*" in rule.keys


def test_a_rule_with_exceptions_shadows_only_a_rule_excepting_at_least_as_much():
    parent = models.ScrubRule.model_validate({"id": "p", "keys": ["*password*"], "except_keys": ["*_at"]})
    same = models.ScrubRule.model_validate({"id": "same", "keys": ["*password*"], "except_keys": ["*_at"]})
    wider = models.ScrubRule.model_validate({"id": "wider", "keys": ["*password*"]})
    named = models.ScrubRule.model_validate({"id": "named", "keys": ["password_changed_at"]})
    shadowed = [later.id for (later, _), _ in shadowed_scrub_rules(
        [(parent, 0), (same, 1), (named, 2), (wider, 3)], key_matcher)]
    assert shadowed == ["same"]
