"""Wallet recovery phrases (BIP39): twelve to twenty-four words of a published list whose last
bits are a checksum. The ``bip39_mnemonic`` detector finds one by its words and checksum alone,
wherever an event holds it (an exception message, a frame variable under a neutral name, a log
record), on both engines; runs of list words whose checksum fails stay, and a hostile run of list
words costs time in proportion to its length."""

from __future__ import annotations

import functools
import json
import logging
import time

import pytest
from hypothesis import given, strategies as st
from mnemonic import Mnemonic

from rules_engine.detection.validators import VALIDATORS, bip39_checksum_holds
from rules_engine.scrub import accelerator_available
from tests.corpus.planting import captured_failures, default_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
REFERENCE = Mnemonic("english")  # the reference implementation's own check
WORDS = REFERENCE.wordlist
#: Phrases of every length, from fixed entropy so each run of the tests sees the same events.
PHRASES = {bits: REFERENCE.to_mnemonic(bytes(range(7, 7 + bits // 8))) for bits in (128, 160, 192, 224, 256)}


def _fail_with_phrases() -> None:
    phrase_in_message = PHRASES[128]
    raise ValueError(f"Invalid mnemonic: {phrase_in_message}")


def _phrase_in_a_neutral_local() -> None:
    words = PHRASES[256]  # noqa: F841 (a frame variable no key rule names)
    raise RuntimeError("wallet import failed")


def _phrase_in_a_log_record() -> None:
    logging.getLogger("wallets").error("restoring from %s failed", PHRASES[192])


def _phrase_in_a_sentence_with_its_words_around() -> None:
    raise ValueError(f"user typed seed {PHRASES[160]} twice, words: [{PHRASES[224]}]")


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    return captured_failures(_fail_with_phrases, _phrase_in_a_neutral_local, _phrase_in_a_sentence_with_its_words_around) \
        + captured_failures(_phrase_in_a_log_record)


def test_each_phrase_is_in_the_events_the_sdk_made():
    sent = json.dumps(captured())
    assert all(phrase in sent for phrase in PHRASES.values())


@pytest.mark.parametrize("engine", ENGINES)
def test_no_word_of_a_phrase_leaves_the_process(engine):
    outputs = processed_events(default_ruleset(engine), list(captured()))
    sent = json.dumps(outputs)
    for phrase in PHRASES.values():
        words = phrase.split()
        assert " ".join(words[:3]) not in sent and " ".join(words[-3:]) not in sent, phrase
    assert "Invalid mnemonic: [Filtered]" in sent and "bip39_mnemonic" not in sent  # _meta names the rule
    assert '"secret-values"' in json.dumps([event.get("_meta") for event in outputs])


@pytest.mark.parametrize("engine", ENGINES)
def test_list_words_whose_checksum_fails_stay(engine):
    text = "legal winner thank year wave sausage worth useful legal winner thank thank"
    assert not REFERENCE.check(text)

    def fail():
        raise ValueError(f"Invalid mnemonic: {text}")

    sent = json.dumps(processed_events(default_ruleset(engine), list(captured_failures(fail))))
    assert text in sent


@given(entropy=st.binary(min_size=16, max_size=32).filter(lambda data: len(data) % 4 == 0),
       position=st.integers(min_value=0, max_value=23), replacement=st.sampled_from(WORDS))
def test_the_checksum_agrees_with_the_reference_implementation(entropy, position, replacement):
    words = REFERENCE.to_mnemonic(entropy).split()
    words[position % len(words)] = replacement
    phrase = " ".join(words)
    indexes = [WORDS.index(word) for word in words]
    assert bip39_checksum_holds(indexes) == REFERENCE.check(phrase)
    # the validator reports a run holding a phrase anywhere: some window of a phrase's length
    windows = [" ".join(words[start:start + length]) for length in (12, 15, 18, 21, 24)
               for start in range(len(words) - length + 1)]
    assert VALIDATORS["bip39"](f"xyzzy {phrase}") == any(map(REFERENCE.check, windows))


def test_a_long_run_of_list_words_is_reported_without_trying_every_window():
    # Trying every window of 24 among 5,000 words would take seconds; the run is redacted instead.
    run = " ".join(WORDS[index % len(WORDS)] for index in range(5_000))
    started = time.process_time()
    assert VALIDATORS["bip39"](run)
    assert time.process_time() - started < 1.0
