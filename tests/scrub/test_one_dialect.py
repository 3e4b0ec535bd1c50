"""One dialect per pattern: results never depend on the configuration a user has.

User patterns are RE2 everywhere; detectors are Python ``re``; the prefilter only derives what
every match holds from those definitions (literals, character runs, or the RE2 pattern itself), so
it can flag too much, never too little. These tests run every configuration a user can get (the C
module's walk and scan, and pure Python as with ``RULES_ENGINE_ACCELERATOR=off`` or without a
compiler) over RE2-only syntax and the Unicode corners where dialects used to disagree (``.``
over non-ASCII text, a token after a Unicode space, case folds such as the Kelvin sign and the
long s, a URL password in CJK), comparing events down to ``_meta``.
"""

from __future__ import annotations

import re
import sys

import pytest
import re2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules_engine.load.loader import load_model_from_text
from rules_engine.model import models
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.prefilter import CASE_FOLDS
from tests import strategies as S
from tests.scrub.test_scrub_c_walk import assert_same_outcome

#: every configuration a user can get here
CONFIGURATIONS = ["auto", "off"] if accelerator_available() else ["off"]

#: valid RE2, not all valid (or not the same) in Python ``re``
RE2_PATTERNS = [
    r"ACCT-[[:digit:]]{8}",
    r"\pL{3}-\d+",
    r"(?i:acct)-\d{2}[[:upper:]]",
    r"ref-\d+\z",
    r"^start-\w+",
    r"a.b",
    r"\p{Han}{2}",
    r"(?U)x+y",
]


def scrubber_with(patterns: list[str], configuration: str):
    rules = [{"id": f"p{index}", "pattern": pattern} for index, pattern in enumerate(patterns)]
    rules.append({"id": "secrets", "detect": sorted(models.DETECTORS)})
    rules.append({"id": "keys", "keys": ["*password*", "*token", "api_key", "cookie"]})
    scrub = models.Scrub.model_validate({"rules": rules})
    return compile_scrubber(scrub, models.Options(), b"k" * 32, accelerator=configuration)


@pytest.fixture(scope="module")
def scrubbers():
    return {configuration: scrubber_with(RE2_PATTERNS, configuration) for configuration in CONFIGURATIONS}


def assert_same_everywhere(scrubbers: dict, event) -> dict:
    """Scrub ``event`` in every configuration; the same outcome, and the same event down to
    ``_meta``, everywhere. Returns the event as scrubbed."""
    first, *others = scrubbers.values()
    scrubbed = None
    for other in others or [first]:
        scrubbed, _ = assert_same_outcome(first, other, event)
    return scrubbed


# ----------------------------------------------------------------- the cases that used to differ

CASES = [
    # (text, what must not be left in it)
    ("order ACCT-12345678 paid", "ACCT-12345678"),
    ("ticket äöü-42 and abc-7", "äöü-42"),
    ("ACCT-31Q", "ACCT-31Q"),
    ("see ref-991", "ref-991"),
    ("start-here then more", "start-here"),
    ("aéb", "aéb"),
    ("名前 is a name", "名前"),
    ("Authorization: Bearer\u2003abcdef0123456789", "abcdef0123456789"),
    ("paſſword=hunter2 next", "hunter2"),
    ("api_\u212aey=s3cr3tvalue", "s3cr3tvalue"),
    ("to\u212aen: verysecretvalue", "verysecretvalue"),
    ("BASIC dXNlcjpwYXNz and baſic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ("https://用户:密码@example.com/path", "密码"),
]


@pytest.mark.parametrize("text,secret", CASES)
def test_every_configuration_redacts_the_same(scrubbers, text, secret):
    event = {"message": text, "extra": {"note": text, "list": [text]}}
    scrubbed = assert_same_everywhere(scrubbers, event)
    assert secret not in repr(scrubbed["extra"]), scrubbed["extra"]
    assert scrubbed["_meta"]["extra"]["note"][""]["rem"]


def test_re2_only_patterns_build_a_ruleset():
    document = "format: 1\nname: re2-patterns\nscrub:\n  rules:\n" + "".join(
        f"    - id: p{index}\n      pattern: '{pattern}'\n" for index, pattern in enumerate(RE2_PATTERNS)
    )
    ruleset = Ruleset.from_loaded(load_model_from_text(document))
    event = ruleset.before_send({"message": "x", "extra": {"a": "ACCT-12345678", "b": "abc-1"}}, {})
    assert event["extra"] == {"a": "[Filtered]", "b": "[Filtered]"}


def test_case_folds_are_every_character_re_and_re2_fold_to_an_ascii_letter():
    # The caseless literals of the prefilter fold what Python ``re`` (detectors), RE2 (user
    # patterns) and str.lower() (key names) fold: a character missing here would be a miss.
    every = "".join(chr(code) for code in range(0x80, sys.maxunicode + 1) if not 0xD800 <= code < 0xE000)
    folding = {match.group() for match in re.finditer("[a-z]", every, re.IGNORECASE)}
    folding |= {match.group() for match in re2.compile("(?i)[a-z]").finditer(every)}
    folding |= {char for char in every if char.lower()[:1].isascii() and char.lower()[:1].isalpha()}
    assert folding == set(CASE_FOLDS)
    for char, letter in CASE_FOLDS.items():
        assert re.fullmatch(letter, char, re.IGNORECASE) or re2.fullmatch(f"(?i){letter}", char)


# ----------------------------------------------------------------- differential, generated

HOSTILE_PIECES = [
    "\u212a", "\u017f", "\u0130", "\u0131", "\u2003", "\u00a0", "\u3000", "٤", "١", "\x00", "\n", "é", "名",
    "\ud800", "ACCT-", "acct-", "ref-", "start-", "a", "b", "-", "=", ":", "@", "://", "Bearer", "basic ",
    "password", "to\u212aen", "api_key", "12345678", "4111 1111 1111 1111", "DE89370400440532013000",
]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=4)), max_size=10).map("".join)
planted_text = st.builds(lambda before, secret, after: before + secret.text + after,
                         hostile_text, S.secrets, hostile_text)
DIFFERENTIAL = settings(max_examples=S.scaled(80), suppress_health_check=list(HealthCheck), deadline=None)


@DIFFERENTIAL
@given(texts=st.lists(st.one_of(hostile_text, planted_text), min_size=1, max_size=6), event=S.events)
def test_generated_events_are_scrubbed_the_same_everywhere(scrubbers, texts, event):
    event = dict(event)
    event["extra"] = {f"k{index}": text for index, text in enumerate(texts)}
    event["message"] = " ".join(texts)
    assert_same_everywhere(scrubbers, event)


@DIFFERENTIAL
@given(event=S.hostile_events().filter(lambda event: isinstance(event, dict)))
def test_hostile_events_are_scrubbed_the_same_everywhere(scrubbers, event):
    assert_same_everywhere(scrubbers, event)
