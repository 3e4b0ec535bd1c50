"""rulesets/default.yaml over the real-event corpus: no planted secret leaks, useful values stay."""

import copy

import pytest

from rules_engine.load.loader import load_model
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import accelerator_available, compile_scrubber
from tests.corpus import serialize

ENGINES = ["on", "off"] if accelerator_available() else ["off"]


@pytest.fixture(scope="module")
def default_model():
    return load_model("rulesets/default.yaml")


@pytest.fixture(scope="module", params=ENGINES)
def scrubbed_corpus(request, corpus, default_model):
    """The corpus events after the default ruleset's scrub section (every event, none dropped)."""
    model = default_model.model
    scrubber = compile_scrubber(model.scrub, model.options, default_model.hash_key, accelerator=request.param)
    outputs = []
    for event in corpus.events:
        event = copy.deepcopy(event)
        scrubber.scrub_event(event)
        outputs.append(event)
    return outputs


def _secret_ids(corpus):
    return [f"{secret.kind}:{secret.where}" for secret in corpus.secrets]


def test_corpus_has_every_kind_of_secret(corpus):
    from rules_engine.model.models import DETECTORS

    from rules_engine.detection import catalogue

    kinds = {secret.kind for secret in corpus.secrets}
    classic = set(DETECTORS) - {entry.id for entry in catalogue()}  # the second corpus plants the others
    assert classic - {"ipv6"} <= kinds, "every detector needs a planted secret in a real event"
    assert "key" in kinds


def test_no_planted_secret_leaks(corpus, scrubbed_corpus):
    for index, secret in enumerate(corpus.secrets):
        before = serialize([corpus.events[i] for i in corpus.scenarios[secret.scenario]])
        assert secret.value in before, f"{secret.where}: not planted, the test would prove nothing"
    leaks = corpus.leaks(scrubbed_corpus)
    assert [(s.kind, s.where) for s in leaks] == []


def test_no_secret_leaks_through_meta(corpus, scrubbed_corpus):
    meta = serialize([event.get("_meta", {}) for event in scrubbed_corpus])
    assert [s.where for s in corpus.secrets if s.value in meta] == []


def test_useful_values_are_kept(corpus, scrubbed_corpus):
    kept, lost = corpus.kept(scrubbed_corpus)
    assert [(value.value, value.where) for value in lost] == []
    assert len(kept) == len(corpus.keep)


def test_every_redaction_names_its_rule(corpus, scrubbed_corpus, default_model):
    rule_ids = {rule.id for rule in default_model.model.scrub.rules} | {"!limit"}

    def remarks(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "" and isinstance(value, dict):
                    yield from value.get("rem", [])
                else:
                    yield from remarks(value)

    seen = [remark for event in scrubbed_corpus for remark in remarks(event.get("_meta", {}))]
    assert seen, "the corpus holds secrets, so there are remarks"
    assert {remark[0] for remark in seen} <= rule_ids


def test_through_the_runtime(corpus, default_model):
    ruleset = Ruleset.from_loaded(default_model)
    outputs = [ruleset.process(copy.deepcopy(event)) for event in corpus.events]
    assert any(output is not None for output in outputs)
    assert [(s.kind, s.where) for s in corpus.leaks(outputs)] == []
