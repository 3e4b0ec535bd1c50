"""Anchors read off a pattern, and the scanners that look for them.

A catalogue entry's prefilter pattern becomes literals, runs and a non-ASCII anchor
(:mod:`rules_engine.scrub.regex_anchors`). Every text holding a match of the pattern must hold
them, which is checked on texts generated from the pattern itself; and the C scanner, the Python
scanner and a naive reference written here (a loop over characters) must agree on every text.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules_engine.detection import catalogue
from rules_engine.scrub import DETECTORS
from rules_engine.scrub.prefilter import (
    CASE_FOLDS, NON_ASCII, CAnchorScanner, Literal, NonAscii, Prefilter, Probe, PythonScanner, Run,
)
from rules_engine.scrub.regex_anchors import pattern_anchors

#: Catalogue entries whose probe is read off a pattern (their prefilter, or keywords in other scripts)
DERIVED = [entry for entry in catalogue() if DETECTORS[entry.id].probe.all_of
           and (entry.prefilter is not None or not all(keyword.isascii() for keyword in entry.keywords))]
SCANNERS = [PythonScanner] + ([CAnchorScanner] if CAnchorScanner is not None else [])


# ------------------------------------------------------------------ a naive reference

def holds(anchor, text: str) -> bool:
    """Whether ``text`` holds ``anchor``, the plain way."""
    if isinstance(anchor, NonAscii):
        return any(ord(char) > 127 for char in text)
    if isinstance(anchor, Literal):
        if anchor.caseless:
            return anchor.text.lower() in "".join(CASE_FOLDS.get(char, char) for char in text).lower()
        return anchor.text in text
    return any(_long_enough(anchor, run) for run in _maximal_runs(anchor, text))


def _maximal_runs(run: Run, text: str):
    current = ""
    for char in text + "\x00":
        if char in run.chars or (run.digits and char.isdecimal()):
            current += char
        else:
            if current:
                yield current
            current = ""


def _long_enough(run: Run, text: str) -> bool:
    counted = sum(1 for char in text if char in run.counted or (run.count_digits and char.isdecimal()))
    return len(text) >= run.min_length and counted >= run.min_count


def probe_holds(probe, text: str) -> bool:
    return all(any(holds(anchor, text) for anchor in group) for group in probe.all_of)


# ------------------------------------------------------------------ every match holds its anchors

@pytest.mark.parametrize("entry", DERIVED, ids=lambda entry: entry.id)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_text_holding_a_match_of_the_prefilter_holds_its_anchors(entry, data):
    pattern = ("(?i)" if entry.caseless else "") + entry.probe
    match = data.draw(st.from_regex(re.compile(pattern), fullmatch=True), label="match")
    before = data.draw(st.text(max_size=5), label="before")
    after = data.draw(st.text(max_size=5), label="after")
    text = before + match + after
    probe = DETECTORS[entry.id].probe
    assert probe_holds(probe, text), (entry.id, text)
    prefilter = Prefilter((probe,), use_c=False)
    for scanner in SCANNERS:
        assert scanner(*prefilter.scanner_arguments).scan([text]).get(0) == 1, (scanner.__name__, text)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("pat[A-Za-z0-9]{14}\\.", (Literal("pat"),)),
        ("(?i)(?:sin|social[ _]insurance)[:=]", (Literal("sin", caseless=True), Literal("social", caseless=True))),
        ("[0-9]{6}[-+][0-9]{4}", (Run("+-", 10, count_digits=True, digits=True, min_length=11),)),
        ("[^\\x00-\\x7f][A-Za-z]{0,3}", (NON_ASCII,)),
        ("пароль|contraseña", (NON_ASCII, Literal("contrase"))),
    ],
)
def test_anchors_read_off_a_pattern(pattern, expected):
    groups = pattern_anchors(pattern)
    assert any(set(group) == set(expected) or set(expected) <= set(group) for group in groups), groups


@pytest.mark.parametrize("pattern", ["\\+[1-9]", "[0-9]{4}", "(?i)[a-z]+", "a|.", "(?i)\u212a"])
def test_patterns_with_only_common_anchors_are_searched_instead(pattern):
    """Nothing rare to look for: the caller searches the pattern itself."""
    assert pattern_anchors(pattern) == ()


def test_case_folded_letters_that_match_ascii_give_no_non_ascii_anchor():
    """``(?i)ſ`` matches ``s``: the long s is no sign of a non-ASCII string there."""
    assert all(NON_ASCII not in group for group in pattern_anchors("(?i)secret\u017fkey"))
    assert (NON_ASCII,) in pattern_anchors("secret\u017f")


# ------------------------------------------------------------------ scanners agree with the reference

RUN_TEXT = st.lists(st.one_of(
    st.sampled_from(["0", "7", "٣", "12345678", "-", "+", " ", ".", "/", "A", "x", "r", "13", "LM", "D", "T",
                     "pat", "PAT", "secret", "SECRET", "\u017fecret", "\u212aey", "key", "=", ":", "é", "пароль",
                     "\x00", "0x", "ltc1"]),
    st.text(max_size=4),
), max_size=16).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(RUN_TEXT, min_size=1, max_size=6))
def test_scanners_find_what_the_reference_finds(texts):
    probes = tuple(DETECTORS[entry.id].probe for entry in DERIVED)
    prefilter = Prefilter(probes, use_c=False)
    expected = {}
    for index, text in enumerate(texts):
        mask = sum(1 << bit for bit, probe in enumerate(probes) if probe_holds(probe, text))
        if mask:
            expected[index] = mask
    for scanner in SCANNERS:
        assert scanner(*prefilter.scanner_arguments).scan(texts) == expected, scanner.__name__


def test_the_non_ascii_anchor_is_found_in_every_kind_of_string():
    probe_of_non_ascii = (((NON_ASCII,),),)
    texts = ["plain", "caf\u00e9", "\u0101", "\U0001f600", "", "\x7f"]
    prefilter = Prefilter(tuple(type(DETECTORS["email"].probe)(all_of=groups) for groups in probe_of_non_ascii),
                          use_c=False)
    for scanner in SCANNERS:
        assert set(scanner(*prefilter.scanner_arguments).scan(texts)) == {1, 2, 3}, scanner.__name__


def test_caseless_literals_that_differ_in_case_only_are_each_found():
    probes = (Probe.any_of(Literal("Token", caseless=True)), Probe.any_of(Literal("token", caseless=True)),
              Probe.any_of(Literal("TOKEN")))
    prefilter = Prefilter(probes, use_c=False)
    for scanner in SCANNERS:
        assert scanner(*prefilter.scanner_arguments).scan(["a token", "x", "TOKEN"]) == {0: 0b11, 2: 0b111}, \
            scanner.__name__
