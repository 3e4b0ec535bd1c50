"""The second corpus (:mod:`tests.corpus.frameworks`): real events from Django, Flask, aiohttp,
Celery, httpx, requests, boto3, psycopg, redis, SQLAlchemy, subprocess, graphql-core, pydantic
and Jinja2, with secrets planted in the shapes real code leaks them in. The default ruleset lets
none of them out and keeps the useful values, whichever engine runs."""

from __future__ import annotations

import functools

import pytest

from rules_engine.model.models import DETECTORS
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import accelerator_available
from tests.corpus import serialize
from tests.corpus.frameworks import SECRETS, capture_frameworks
from tests.corpus.planting import default_ruleset, processed

ENGINES = ["on", "off"] if accelerator_available() else ["off"]


@functools.lru_cache(maxsize=2)
def _corpus(planted: bool):
    return capture_frameworks(planted=planted)


@pytest.fixture(scope="module", params=ENGINES)
def default_outputs(request):
    return processed(default_ruleset(request.param), _corpus(True))


def test_every_secret_is_planted_and_reaches_its_events():
    corpus = _corpus(True)
    assert {secret.where for secret in corpus.secrets} == set(SECRETS)
    for secret in corpus.secrets:
        assert secret.kind in DETECTORS or secret.kind == "key", secret
        text = serialize(corpus.events_of(secret.scenario))
        assert secret.value in text or repr(secret.value)[1:-1] in text, secret


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_secret_does_not_leak(name, default_outputs):
    corpus = _corpus(True)
    secret = next(secret for secret in corpus.secrets if secret.where == name)
    assert all(output is not None for output in default_outputs), "no event is dropped to hide a secret"
    text = serialize([default_outputs[index] for index in corpus.scenarios[secret.scenario]])
    assert secret.value not in text and repr(secret.value)[1:-1] not in text


def test_useful_values_are_kept(default_outputs):
    corpus = _corpus(True)
    kept, lost = corpus.kept(default_outputs)
    assert lost == [] and len(kept) == len(corpus.keep)


def test_the_previous_default_leaked_these_shapes():
    """The corpus tests something: the default ruleset on the 2026.11 packs lets most out."""
    text = open("rulesets/default.yaml", encoding="utf-8").read().replace("@2026.12", "@2026.11")
    previous = Ruleset.from_loaded(load_model_from_text(text))
    corpus = _corpus(True)
    assert len(corpus.leaks(processed(previous, corpus))) >= len(SECRETS) // 2


def load_model_from_text(text: str):
    from rules_engine.load.loader import load_model_from_text as load

    return load(text, "rulesets/default.yaml")


def _frame_variables(events: list):
    for event in events:
        for exception in (event or {}).get("exception", {}).get("values", []):
            for frame in exception.get("stacktrace", {}).get("frames", []):
                yield frame.get("vars") or {}


def _values_under(node, name: str):
    """Every value held under a key called ``name`` at any depth of ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == name:
                yield value
            yield from _values_under(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _values_under(value, name)


def test_a_local_named_key_is_redacted_and_keys_named_key_inside_variables_stay(default_outputs):
    """Django's signing code holds SECRET_KEY in a local named ``key``; boto3's parameters hold
    the S3 object's name under ``Key`` in several frames' variables. Only the first is a secret."""
    corpus = _corpus(True)
    django = [default_outputs[index] for index in corpus.scenarios["django_signup"]]
    locals_named_key = [variables["key"] for variables in _frame_variables(django) if "key" in variables]
    assert locals_named_key and set(locals_named_key) == {"[Filtered]"}
    boto = [default_outputs[index] for index in corpus.scenarios["boto3_upload"]]
    object_keys = [value for variables in _frame_variables(boto) for value in _values_under(variables, "Key")]
    assert len(object_keys) >= 3 and set(object_keys) == {"'2026/11/inv-1042.pdf'"}
