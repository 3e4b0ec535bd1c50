"""What the corpora of planted secrets check, written once: a secret leaks when any piece of
:data:`PIECE` characters of it shows in its scenario's processed events, in any spelling the
events may hold it, unless the events hold that piece anyway with no secret planted."""

from __future__ import annotations

import functools
import json
from typing import Callable

import pytest

from rules_engine.scrub import accelerator_available

from .model import Corpus, serialize
from .planting import default_ruleset, processed

#: The walks a corpus is processed by: the C walk where it is built, and pure Python.
ENGINES = ["on", "off"] if accelerator_available() else ["off"]

#: A piece of a secret this long showing is a leak too (half a password is not scrubbed).
PIECE = 7


class Captured:
    """A corpus captured once per process for each value of ``planted``: ``corpus()`` with the
    secrets planted, ``corpus(planted=False)`` with harmless words in their place."""

    def __init__(self, capture: Callable[..., Corpus]):
        self._capture = functools.lru_cache(maxsize=2)(lambda planted: capture(planted=planted))

    def __call__(self, planted: bool = True) -> Corpus:
        return self._capture(bool(planted))


def outputs_fixture(corpus: Captured, planted: bool = True):
    """A module fixture: the corpus processed by the default ruleset, once per engine."""

    @pytest.fixture(scope="module", params=ENGINES)
    def outputs(request):
        return processed(default_ruleset(request.param), corpus(planted))

    return outputs


class CorpusChecks:
    """The tests every corpus of planted secrets passes, for a test class naming its corpus
    (``corpus``, a :class:`Captured`), the secrets planted (``names``) and how many of them the
    default ruleset on the 2026.11 packs let out at least (``previous_leaks``, a fraction); the
    test module defines the ``default_outputs`` fixture (:func:`outputs_fixture`)."""

    corpus: Captured
    names: frozenset[str]
    previous_leaks: float

    def pytest_generate_tests(self, metafunc):
        if "name" in metafunc.fixturenames:
            metafunc.parametrize("name", sorted(metafunc.cls.names))

    def test_every_secret_is_planted_and_reaches_its_events(self):
        corpus = self.corpus()
        assert {secret.where for secret in corpus.secrets} == set(self.names)
        assert unreached(corpus) == []
        assert [name for name, indexes in corpus.scenarios.items() if not indexes] == [], "every scenario makes events"

    def test_secret_does_not_leak(self, name, default_outputs):
        assert all(output is not None for output in default_outputs), "no event is dropped to hide a secret"
        assert leaked_pieces(self.corpus(), self.corpus(planted=False), default_outputs, name) == []

    def test_no_secret_leaks_through_meta(self, default_outputs):
        assert leaked_through_meta(self.corpus(), default_outputs) == []

    def test_useful_values_are_kept(self, default_outputs):
        assert lost_values(self.corpus(), default_outputs) == []

    def test_the_previous_default_leaked_many_of_these_shapes(self):
        """The corpus tests something: on the 2026.11 packs the default ruleset lets many out."""
        corpus = self.corpus()
        assert len(leaked_by_previous_default(corpus)) >= int(len(corpus.secrets) * self.previous_leaks)


def spellings(value: str) -> set[str]:
    """The texts a value shows as in serialized events: itself, escaped by repr() and by JSON
    (``ensure_ascii``). Pieces of these without a backslash are found under any further escaping."""
    return {value, repr(value)[1:-1], json.dumps(value)[1:-1]}


def pieces(value: str, background: str) -> set[str]:
    """Every piece of ``value`` of :data:`PIECE` characters, in each spelling, that the event
    does not hold anyway apart from the secrets (``background``: "shop.test" of an address)."""
    return {piece for spelling in spellings(value) for start in range(max(1, len(spelling) - PIECE + 1))
            if (piece := spelling[start : start + PIECE]) not in background}


def scenario_text(corpus: Corpus, outputs: list, scenario: str) -> str:
    """The processed events of one scenario, serialized (dropped events left out)."""
    return serialize([outputs[index] for index in corpus.scenarios[scenario] if outputs[index] is not None])


def escaped_forms(value: str) -> set[str]:
    """``value`` as it is, escaped by JSON (``ensure_ascii``) or ``repr()``, and escaped again:
    what a string holds that quotes a JSON document, or the repr of one (a frame variable)."""
    forms = {value}
    for _ in range(2):
        forms |= {json.dumps(form)[1:-1] for form in forms} | {repr(form)[1:-1] for form in forms}
    return forms


def unreached(corpus: Corpus) -> list:
    """The planted secrets whose events do not hold them in any form, or whose kind names no
    detector (``"key"`` aside)."""
    from rules_engine.model.models import DETECTORS

    def reaches(secret) -> bool:
        text = serialize(corpus.events_of(secret.scenario))
        return any(json.dumps(form, ensure_ascii=False)[1:-1] in text for form in escaped_forms(secret.value))

    return [secret for secret in corpus.secrets
            if not (secret.kind in DETECTORS or secret.kind == "key") or not reaches(secret)]


def leaked_pieces(corpus: Corpus, unplanted: Corpus, outputs: list, name: str) -> list[str]:
    """The pieces of the secret planted as ``name`` that show in its scenario's ``outputs``."""
    secret = next(secret for secret in corpus.secrets if secret.where == name)
    text = scenario_text(corpus, outputs, secret.scenario)
    background = serialize(unplanted.events_of(secret.scenario))
    return sorted(piece for piece in pieces(secret.value, background) if piece in text)


def leaked_through_meta(corpus: Corpus, outputs: list) -> list[str]:
    meta = serialize([output.get("_meta", {}) for output in outputs if output is not None])
    return [secret.where for secret in corpus.secrets if secret.value in meta]


def lost_values(corpus: Corpus, outputs: list) -> list:
    """The useful values ``outputs`` lost, and those not looked at (their scenario's events all dropped)."""
    kept, lost = corpus.kept(outputs)
    unseen = [value for value in corpus.keep if value not in kept and value not in lost]
    return [(value.value, value.where) for value in lost + unseen]


def leaked_by_previous_default(corpus: Corpus) -> list:
    """The secrets the default ruleset on the 2026.11 packs lets out whole, in any spelling."""
    from rules_engine.load.loader import load_model_from_text
    from rules_engine.runtime.ruleset import Ruleset

    text = open("rulesets/default.yaml", encoding="utf-8").read().replace("@2026.12", "@2026.11")
    previous = Ruleset.from_loaded(load_model_from_text(text, "rulesets/default.yaml"))
    outputs = processed(previous, corpus)
    return [secret for secret in corpus.secrets
            if any(spelling in scenario_text(corpus, outputs, secret.scenario) for spelling in spellings(secret.value))]


def remarks_by_rule(outputs: list) -> dict[str, int]:
    """How many redactions each rule made in ``outputs``, as their ``_meta`` remarks say: in a
    corpus captured with no secret planted, what a ruleset redacts besides the harmless words
    standing where the secrets stood."""
    counts: dict[str, int] = {}

    def visit(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "rem" and isinstance(value, list):
                    for remark in value:
                        counts[remark[0]] = counts.get(remark[0], 0) + 1
                else:
                    visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for output in outputs:
        if output is not None:
            visit(output.get("_meta", {}))
    return counts
