"""A redaction whose text opens a container (``replace: "[gone]"``, as ``[Filtered]`` does) is not
read as a list by a later scrub: keys inside text find ``api_key = [gone]`` redacted already, so
scrubbing an event twice changes nothing, on both engines and in the reference scrubber; a real
list after a key is still redacted."""

from __future__ import annotations

import copy

import pytest

from rules_engine.model import models
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import accelerator_available
from rules_engine.scrub.keytext import find_key_values, find_key_values_in_c
from rules_engine.scrub.redactions import FILTERED, compile_redaction, written_openers
from tests.reference_scrubber import scrub as reference_scrub

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
SCRUB = {"rules": [{"id": "keys", "keys": ["api_key"], "redact": {"replace": "[gone]"}}]}


def _event() -> dict:
    return {"message": "retry with api_key=[k1, k2] and token=x",
            "exception": {"values": [{"type": "ValueError", "value": "no key", "stacktrace": {"frames": [
                {"filename": "app.py", "function": "f", "context_line": "    api_key = get_password()"}]}}]}}


@pytest.mark.parametrize("engine", ENGINES)
def test_scrubbing_twice_changes_nothing(engine, monkeypatch):
    monkeypatch.setenv("RULES_ENGINE_ACCELERATOR", engine)
    ruleset = Ruleset.from_model(models.RulesetSpec.model_validate({"format": 1, "name": "t", "scrub": SCRUB}))
    once = ruleset.process(_event())
    assert once["message"] == "retry with api_key=[[gone]] and token=x"
    assert once["exception"]["values"][0]["stacktrace"]["frames"][0]["context_line"] == "    api_key = [gone]()"
    twice = ruleset.process(copy.deepcopy(once))
    assert twice["message"] == once["message"]
    assert twice["exception"]["values"][0]["stacktrace"]["frames"][0] == once["exception"]["values"][0]["stacktrace"]["frames"][0]


def test_the_reference_scrubber_reads_them_alike():
    spec = models.Scrub.model_validate(SCRUB)
    once = _event()
    assert reference_scrub(spec, once) == {"keys": 2}
    assert once["message"] == "retry with api_key=[[gone]] and token=x"
    twice = copy.deepcopy(once)
    reference_scrub(spec, twice)
    assert {key: value for key, value in twice.items() if key != "_meta"} == \
        {key: value for key, value in once.items() if key != "_meta"}


def test_the_texts_are_those_that_open_a_container():
    redactions = [compile_redaction(spec, b"k") for spec in
                  ("filter", models.ReplaceRedaction(replace="[gone]"), models.ReplaceRedaction(replace="***"), "hash")]
    assert written_openers(redactions) == (FILTERED, "[gone]")


@pytest.mark.skipif(find_key_values_in_c is None, reason="the C module is not built")
def test_c_and_python_agree():
    sensitive = lambda key: int(key == "api_key")  # noqa: E731
    for text in ("api_key=[gone]", "api_key=[Filtered]", "api_key=[a, b]", "api_key={gone}"):
        expected = find_key_values(text, sensitive, redacted=(FILTERED, "[gone]"))
        assert find_key_values_in_c(text, sensitive, (FILTERED, "[gone]")) == expected
    assert find_key_values("api_key=[gone]", sensitive, redacted=(FILTERED, "[gone]")) == []
    assert find_key_values("api_key=[gone]", sensitive) == [(9, 13, 1)]
