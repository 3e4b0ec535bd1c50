"""Globs tested together: a list of globs (and a single glob) on a non-path field matches
exactly when one of its globs, as a regex of its own, matches the value or one of its
candidates. The compiled predicate tests the list with a set, string methods and one joined
regex, and remembers its answers about exception names; none of that may change an answer."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.conditions import syntax as cs
from rules_engine.conditions.event_view import MISSING, Names
from rules_engine.conditions.glob import translate
from rules_engine.conditions.matchers import as_text, compile_matcher
from tests import strategies as S

# Letters whose case folding differs between str.lower() and the regex engine, or is not ASCII.
ALPHABET = "aAbBkKsSiI.:/-_ 1\u212a\u017f\u0130\u00df\u00e4\u00c4"

patterns = st.lists(
    st.one_of(
        st.text(ALPHABET, max_size=4),
        st.text(ALPHABET, max_size=4).map(lambda t: "*" + t),
        st.text(ALPHABET, max_size=4).map(lambda t: t + "*"),
        st.text(ALPHABET, max_size=4).map(lambda t: "*" + t + "*"),
        st.text(ALPHABET + "*?", max_size=6),
        st.sampled_from(["*", "**", "a?b", "{a,k}*", "[ab]*", "\\*a", "*a*b*"]),
    ),
    min_size=1,
    max_size=4,
)

texts = st.text(ALPHABET, max_size=8)


def names(values: list[str]) -> Names:
    result = Names(dict.fromkeys(values))
    result.joined = "\n".join(result)
    return result


values = st.one_of(
    texts,
    st.just(MISSING),
    st.integers(-3, 12),
    st.booleans(),
    st.lists(texts, max_size=3).map(tuple),
    st.lists(texts.filter(bool), min_size=1, max_size=4).map(names),
    st.just({"a": 1}),
)


def expected(globs: list[str], ignore_case: bool, value) -> bool:
    """One regex per glob, each candidate tried on its own: the plain reading of the rules."""
    regexes = [re.compile(translate(g), re.IGNORECASE if ignore_case else 0) for g in globs]

    def text_matches(text) -> bool:
        return text is not None and any(r.match(text) for r in regexes)

    if value is MISSING:
        return False
    if isinstance(value, tuple):
        return any(text_matches(as_text(v)) for v in value)
    return text_matches(as_text(value))


@settings(max_examples=S.scaled(400), deadline=None)
@given(globs=patterns, value=values, field=st.sampled_from(["transaction", "error.value", "error.type"]))
def test_a_list_of_globs_matches_when_one_glob_does(globs, value, field):
    ignore_case = field == "error.value"
    matcher = cs.AnyOf(tuple(cs.Glob(g) for g in globs)) if len(globs) > 1 else cs.Glob(globs[0])
    predicate = compile_matcher(matcher, field)
    assert predicate(value) is expected(globs, ignore_case, value)
    if isinstance(value, Names):  # asked again: the remembered answer is the same
        assert predicate(value) is expected(globs, ignore_case, value)


def test_shapes_of_globs_in_one_list():
    predicate = compile_matcher(cs.AnyOf((cs.Glob("*/health"), cs.Glob("/api/*"), cs.Glob("*ping*"),
                                          cs.Glob("exact"), cs.Glob("x?z"))), "transaction")
    for text in ("/svc/health", "/api/orders", "a ping b", "exact", "xyz"):
        assert predicate(text), text
    for text in ("/svc/health/", "/apix", "PING", "exact!", "xz", ""):
        assert not predicate(text), text


def test_ignoring_case_outside_ascii_keeps_the_regex_reading():
    # For the regex engine "K" (Kelvin sign) is "k" and "ſ" (long s) is "s", which lower() does
    # not say; "ß" is not "ss" for it, which casefold() would say.
    predicate = compile_matcher(cs.AnyOf((cs.Glob("*k*"), cs.Glob("s"), cs.Glob("ss"))), "error.value")
    assert predicate("\u212a") and predicate("\u017f")
    assert not predicate("\u00df")
    assert predicate("SS") and predicate("xKy") and predicate("S")
