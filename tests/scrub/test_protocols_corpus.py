"""The third corpus (:mod:`tests.corpus.protocols`): real events from smtplib, ftplib, urllib,
http.client, urllib3, Starlette, the OpenAI client, tomllib and json, with secrets planted where
those libraries put them. The default ruleset lets none of them out, in any spelling the event
may hold them (as planted, escaped by ``repr()`` or by JSON), and keeps the useful values,
whichever engine runs."""

from __future__ import annotations

import functools
import json

import pytest

from rules_engine.load.loader import load_model_from_text
from rules_engine.model.models import DETECTORS
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import accelerator_available
from tests.corpus import serialize
from tests.corpus.planting import default_ruleset, processed
from tests.corpus.protocols import DERIVED, SECRETS, capture_protocols

ENGINES = ["on", "off"] if accelerator_available() else ["off"]


@functools.lru_cache(maxsize=2)
def _corpus(planted: bool = True):
    return capture_protocols(planted=planted)


@pytest.fixture(scope="module", params=ENGINES)
def default_outputs(request):
    return processed(default_ruleset(request.param), _corpus())


#: A piece of a secret this long showing is a leak too (half a password is not scrubbed).
PIECE = 7


def _spellings(value: str) -> set[str]:
    """The texts a value shows as in serialized events: itself, escaped by repr() and by JSON
    (``ensure_ascii``). Pieces of these without a backslash are found under any further escaping."""
    return {value, repr(value)[1:-1], json.dumps(value)[1:-1]}


def _pieces(value: str, background: str) -> set[str]:
    """Every piece of ``value`` of :data:`PIECE` characters, in each spelling, that the event
    does not hold anyway apart from the secrets (``background``: "shop.test" of an address)."""
    return {piece for spelling in _spellings(value) for start in range(max(1, len(spelling) - PIECE + 1))
            if (piece := spelling[start : start + PIECE]) not in background}


def _background(scenario: str) -> str:
    """The scenario's events as captured with no secret planted (each a harmless word instead)."""
    return serialize(_corpus(planted=False).events_of(scenario))


def _scenario_text(corpus, outputs, scenario: str) -> str:
    return serialize([outputs[index] for index in corpus.scenarios[scenario] if outputs[index] is not None])


def test_every_secret_is_planted_and_reaches_its_events():
    corpus = _corpus()
    assert {secret.where for secret in corpus.secrets} == set(SECRETS) | set(DERIVED)
    for secret in corpus.secrets:
        assert secret.kind in DETECTORS or secret.kind == "key", secret
        text = serialize(corpus.events_of(secret.scenario))
        assert any(spelling in text for spelling in _spellings(secret.value)), secret


@pytest.mark.parametrize("name", sorted(SECRETS) + sorted(DERIVED))
def test_secret_does_not_leak(name, default_outputs):
    corpus = _corpus()
    assert all(output is not None for output in default_outputs), "no event is dropped to hide a secret"
    secret = next(secret for secret in corpus.secrets if secret.where == name)
    text = _scenario_text(corpus, default_outputs, secret.scenario)
    assert sorted(piece for piece in _pieces(secret.value, _background(secret.scenario)) if piece in text) == []


def test_no_secret_leaks_through_meta(default_outputs):
    meta = serialize([output.get("_meta", {}) for output in default_outputs])
    assert [secret.where for secret in _corpus().secrets if secret.value in meta] == []


def test_useful_values_are_kept(default_outputs):
    corpus = _corpus()
    kept, lost = corpus.kept(default_outputs)
    assert [(value.value, value.where) for value in lost] == []
    assert len(kept) == len(corpus.keep)


def test_the_previous_default_leaked_many_of_these_shapes():
    """The corpus tests something: on the 2026.11 packs the default ruleset lets many out."""
    text = open("rulesets/default.yaml", encoding="utf-8").read().replace("@2026.12", "@2026.11")
    previous = Ruleset.from_loaded(load_model_from_text(text, "rulesets/default.yaml"))
    corpus = _corpus()
    outputs = processed(previous, corpus)
    leaked = [secret for secret in corpus.secrets
              if any(spelling in _scenario_text(corpus, outputs, secret.scenario) for spelling in _spellings(secret.value))]
    assert len(leaked) >= len(corpus.secrets) // 3
