"""Short and plural names of credentials in a real frame: ``creds``, ``privkey``, ``api_tokens``,
``session_keys`` hold secrets (the 2026.12 packs name them), while counters and words that only
contain the letters (``max_tokens``, ``prompt_tokens``, ``token_count``, ``credit``,
``incredible``) keep their values, on both engines."""

from __future__ import annotations

import functools
import json

import pytest

from rules_engine.scrub import accelerator_available
from tests.corpus.planting import captured_failures, default_ruleset, frame_vars, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: Secrets by name: the scenario looks them up, so no source line the SDK sends holds one.
SECRETS = {"creds": "svc:Cr3ds-Pw-7781", "privkey": "Zq8-priv-opaque-2231", "api_tokens": "Tk9-opaque-api-5510",
           "session_keys": "Sk4-opaque-session-8812", "user_creds": "Uc7-opaque-cred-1142"}


def secret(name: str) -> str:
    return SECRETS[name]


def call_model() -> None:
    creds, privkey = secret("creds"), secret("privkey")
    api_tokens, session_keys = [secret("api_tokens")], {"web": secret("session_keys")}
    user_creds = secret("user_creds")
    max_tokens, prompt_tokens, token_count, credit, incredible = 512, 77, 3, "gold", "yes"
    raise TimeoutError("the model did not answer")


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    return captured_failures(call_model)


@functools.lru_cache(maxsize=2)
def outputs(engine: str) -> list:
    return processed_events(default_ruleset(engine), captured())


def test_the_captured_frame_holds_every_secret():
    text = json.dumps(captured())
    assert all(value in text for value in SECRETS.values())


@pytest.mark.parametrize("engine", ENGINES)
def test_credentials_by_short_and_plural_names_go_and_counters_stay(engine):
    variables = frame_vars(outputs(engine)[0])
    assert [name for name, value in SECRETS.items() if value in json.dumps(outputs(engine))] == []
    assert {name: variables[name] for name in ("max_tokens", "prompt_tokens", "token_count", "credit", "incredible")} \
        == {"max_tokens": "512", "prompt_tokens": "77", "token_count": "3", "credit": "'gold'", "incredible": "'yes'"}
    assert variables["creds"] == variables["privkey"] == variables["user_creds"] == "[Filtered]"
