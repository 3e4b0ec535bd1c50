"""Key globs compared as written (``case: sensitive``): environment-variable names such as
``MAILGUN_KEY`` are secrets by convention, ``cache_key`` and ``sort_key`` are not, and only the
case tells them apart."""

from __future__ import annotations

import json
import os

import pytest
import sentry_sdk

from rules_engine.errors import RulesetError
from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import accelerator_available
from rules_engine.scrub.rule import key_matcher
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset

ENGINES = ["on", "off"] if accelerator_available() else ["off"]

MAILGUN = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
SENDGRID = "Qz7sendgridLegacyValue0042"


@pytest.mark.parametrize("key, matches", [
    ("MAILGUN_KEY", True),
    ("OPENAI-KEY", True),  # "-" is still "_"
    ("b'MAILGUN_KEY'", True),  # the SDK's repr of a bytes key
    ("settings.STRIPE_LIVE_KEY", True),  # the last part of a dotted name
    ("JWT_SIGNING_KEYS", False),
    ("cache_key", False),
    ("Cache_Key", False),
    ("mailgunKey", False),  # no camelCase split when compared as written
    ("KEY", False),
])
def test_globs_compared_as_written_keep_the_case(key, matches):
    assert key_matcher(["*_KEY"], "sensitive")(key) is matches
    assert key_matcher(["*_key"], "insensitive")(key) is (matches or key in {"cache_key", "Cache_Key", "mailgunKey"})


def test_a_glob_compared_as_written_is_composed_first():
    decomposed = "CONTRASEN\u0303A"  # N + a combining tilde
    assert key_matcher(["CONTRASEÑA"], "sensitive")(decomposed)
    assert not key_matcher(["CONTRASEÑA"], "sensitive")("contraseña")


def _environment_scenario():
    """A worker that fails while its settings hold the environment, in every form events carry it."""
    environment = {"MAILGUN_KEY": MAILGUN, "SENDGRID_KEY": SENDGRID, "cache_key": "user:42:profile",
                   "sort_key": "created_at", "PATH": "/usr/local/bin:/usr/bin"}
    dotenv = "".join(f"{name}={value}\n" for name, value in environment.items())
    environ_repr = repr(os.environ.__class__.__name__) + repr(environment)  # noqa: F841 - a frame variable
    try:
        raise RuntimeError(f"worker could not start with settings {json.dumps(environment)}")
    except RuntimeError:
        sentry_sdk.set_context("settings", {"dotenv": dotenv, "env": environment})
        sentry_sdk.capture_exception()


@pytest.fixture(scope="module")
def environment_event():
    with capture_events() as events:
        _environment_scenario()
    [event] = events
    return event


@pytest.mark.parametrize("engine", ENGINES)
def test_the_default_ruleset_redacts_environment_keys_and_keeps_lower_case_ones(environment_event, engine):
    import copy

    ruleset = default_ruleset(engine)
    out = ruleset.before_send(copy.deepcopy(environment_event), {})
    text = json.dumps(out)
    for secret in (MAILGUN, SENDGRID):
        assert secret not in text
        assert secret[5:20] not in text
    for kept in ("user:42:profile", "created_at", "/usr/local/bin:/usr/bin"):
        assert kept in text  # in the dict, the .env text, the message and the frame variables
    assert out["contexts"]["settings"]["env"]["MAILGUN_KEY"] == "[Filtered]"
    assert out["contexts"]["settings"]["env"]["cache_key"] == "user:42:profile"
    remark = out["_meta"]["contexts"]["settings"]["env"]["MAILGUN_KEY"][""]["rem"][0]
    assert remark[0] == "secret-env-keys"


def _ruleset(text: str) -> Ruleset:
    return Ruleset.from_loaded(load_model_from_text(text, "case.yaml"))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rule_compares_keys_as_its_case_says_in_dicts_and_inside_text(engine, monkeypatch):
    monkeypatch.setenv("RULES_ENGINE_ACCELERATOR", engine)
    ruleset = _ruleset("""\
format: 1
name: case
scrub:
  rules:
    - id: env
      case: sensitive
      keys: ["*_KEY"]
""")
    event = {"extra": {"APP_KEY": "v1", "app_key": "v2", "line": "APP_KEY=v3 app_key=v4"}}
    out = ruleset.before_send(event, {})
    assert out["extra"] == {"APP_KEY": "[Filtered]", "app_key": "v2", "line": "APP_KEY=[Filtered] app_key=v4"}


def test_case_takes_one_of_two_words(tmp_path):
    with pytest.raises(RulesetError) as raised:
        _ruleset("""\
format: 1
name: case
scrub:
  rules:
    - id: env
      case: upper
      keys: ["*_KEY"]
""")
    message = str(raised.value)
    assert "case.yaml:6" in message and "'insensitive'" in message and "'sensitive'" in message


@pytest.mark.parametrize("earlier_case, later_case, warned", [
    ("insensitive", "sensitive", True),  # "*_key" ignoring case takes every "*_KEY"
    ("sensitive", "insensitive", False),  # "*_KEY" as written leaves "cache_key"
    ("sensitive", "sensitive", True),
])
def test_a_rule_is_shadowed_only_by_one_comparing_at_least_as_broadly(earlier_case, later_case, warned):
    from rules_engine.load.lints import shadowed_scrub_rules
    from rules_engine.model.models import ScrubRule

    earlier = ScrubRule(id="earlier", keys=["*_KEY"], case=earlier_case)
    later = ScrubRule(id="later", keys=["*_KEY", "API_KEY"], case=later_case)
    found = list(shadowed_scrub_rules([(earlier, "a"), (later, "b")], key_matcher))
    assert bool(found) is warned


LDAP_PASSWORD = "Lq7pWx2mRz9"
AZURE_KEY = "Az4kQ9xLm2PvR8tW4yZbN6Hc3Jd5Fg7Ks1=="


def _directory_and_storage_scenario():
    """A worker whose LDAP bind and blob upload fail: the settings name their secrets ``bindpw``
    and ``AccountKey``, as OpenLDAP and Azure write them."""
    ldap_settings = {"uri": "ldap://directory.shop.test", "binddn": "cn=admin,dc=shop,dc=test", "bindpw": LDAP_PASSWORD}
    connection_string = (f"DefaultEndpointsProtocol=https;AccountName=shopmedia;AccountKey={AZURE_KEY};"
                         "EndpointSuffix=core.windows.net")
    try:
        raise ConnectionError(f"blob upload failed ({connection_string}); ldap settings {ldap_settings!r}")
    except ConnectionError:
        sentry_sdk.capture_exception()


@pytest.mark.parametrize("engine", ENGINES)
def test_bind_passwords_and_storage_account_keys_are_secret_keys(engine):
    with capture_events() as events:
        _directory_and_storage_scenario()
    [event] = events
    text = json.dumps(default_ruleset(engine).before_send(event, {}))
    assert LDAP_PASSWORD not in text and AZURE_KEY[:12] not in text
    assert "cn=admin,dc=shop,dc=test" in text and "AccountName=shopmedia" in text
