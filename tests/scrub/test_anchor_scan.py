"""The prefilter's scans against their definition, on scanners and texts drawn at random.

``AnchorScanner`` (_prefilter.c) reads 1-byte text in one pass of hashed windows and run counters,
and wider text another way; ``PythonScanner`` (prefilter.py) reads each string once with an RE2
set of every literal, the strings joined with an RE2 search per kind of run for what runs of
first groups need (kinds of one class of members only in the strings holding the shortest's
length of them), and works out runs and probes of more groups from what they found. Both are checked here on scanners built from drawn literals, runs and
probes (not only the catalogue's), and on texts mixing 1-, 2- and 4-byte strings, case folds (the
Kelvin sign, the long s, the dotted and the dotless i), literals at the start and end of strings,
runs across string boundaries, and sets RE2 could not build whole. A naive reference (a loop over
characters) decides, so that each scanner is checked against something obviously right; the
Python scanner is checked where the C module is not built too.
"""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules_engine.scrub import prefilter
from rules_engine.scrub.prefilter import CASE_FOLDS, CAnchorScanner, PythonScanner
from tests import strategies as S

SCAN = settings(max_examples=S.scaled(300), suppress_health_check=list(HealthCheck), deadline=None)
#: The scanners built here (each is checked against the reference).
SCANNERS = [PythonScanner] + ([CAnchorScanner] if CAnchorScanner is not None else [])


def assert_scans(arguments, texts, expected) -> None:
    """Every scanner built here finds ``expected`` in ``texts``."""
    for scanner in SCANNERS:
        assert scanner(*arguments).scan(texts) == expected, scanner.__name__

#: What literals and texts are made of: letters whose case folds matter, digits, separators that
#: runs hold, and characters that fold to ASCII letters or are decimal digits outside ASCII.
LITERAL_CHARS = "aAkKsSiIeEyY01:=@-._/ x"
TEXT_PIECES = st.sampled_from([
    "a", "A", "k", "K", "s", "S", "i", "I", "e", "y", "0", "1", "9", ":", "=", "@", "-", ".", "_", "/", " ", "x",
    "\u212a", "\u017f", "\u0130", "\u0131", "\u00e9", "\u00ff", "\u0663", "\U0001d7d8", "\U0001f600", "\x00",
    "key", "KEY", "sEcret", "\u017fecret", "\u212aey", "12345", "1-2-3", "aaaa", "eyeye", "::", "a.b.c",
])
TEXTS = st.lists(st.lists(TEXT_PIECES, max_size=24).map("".join), min_size=1, max_size=8)
#: Caseless literals that fold alike ("Key" and "key") are drawn too: each is its own anchor.
LITERALS = st.lists(st.tuples(st.text(LITERAL_CHARS, min_size=1, max_size=9), st.booleans()), max_size=24,
                    unique=True)
RUNS = st.lists(st.tuples(
    st.text("0123456789abcdefxyzAK-. :", min_size=1, max_size=8),  # its characters
    st.booleans(),  # and decimal digits
    st.integers(1, 40),  # min length
    st.integers(1, 6),  # min count
    st.booleans(),  # count digits
), max_size=20)


def scanner_arguments(literals, runs, groups_drawn):
    """Arguments as ``Prefilter.scanner_arguments``: anchors numbered literals first, then runs,
    then the non-ASCII anchor; probes made of drawn groups of them."""
    literal_args = [(text, caseless, bit) for bit, (text, caseless) in enumerate(literals)]
    run_args = []
    for chars, digits, min_length, min_count, count_digits in runs:
        counted = chars[: max(1, len(chars) // 2)]
        run_args.append((chars, digits or count_digits, min_length, counted, count_digits, min_count,
                         len(literal_args) + len(run_args)))
    non_ascii = len(literal_args) + len(run_args)
    anchors = non_ascii + 1
    probes = []
    for bit, groups in enumerate(groups_drawn):
        probe_groups = [sorted({anchor % anchors for anchor in group}) for group in groups]
        probes.append((bit, probe_groups))
    return literal_args, run_args, CASE_FOLDS, probes, non_ascii


PROBES = st.lists(st.lists(st.lists(st.integers(0, 200), min_size=1, max_size=4), min_size=1, max_size=3),
                  min_size=1, max_size=12)


def naive_holds(arguments, anchor: int, text: str) -> bool:
    """Whether ``text`` holds ``anchor``, read off the scanner's arguments by a plain loop."""
    literals, runs, folds, _, non_ascii = arguments
    if anchor == non_ascii:
        return not text.isascii()
    for literal, caseless, bit in literals:
        if bit == anchor:
            if caseless:
                return literal.lower() in "".join(folds.get(char, char) for char in text).lower()
            return literal in text
    for chars, digits, min_length, counted, count_digits, min_count, bit in runs:
        if bit == anchor:
            return any(len(run) >= min_length and
                       sum(char in counted or (count_digits and char.isdecimal()) for char in run) >= min_count
                       for run in maximal_runs(chars, digits, text))
    raise AssertionError(anchor)


def maximal_runs(chars: str, digits: bool, text: str):
    current = ""
    for char in text + "\x00":
        if char in chars or (digits and char.isdecimal()):
            current += char
        else:
            if current:
                yield current
            current = ""


def naive_scan(arguments, texts):
    found = {}
    for index, text in enumerate(texts):
        mask = sum(1 << bit for bit, groups in arguments[3]
                   if groups and all(any(naive_holds(arguments, anchor, text) for anchor in group) for group in groups))
        if mask:
            found[index] = mask
    return found


@SCAN
@given(literals=LITERALS, runs=RUNS, probes=PROBES, texts=TEXTS)
def test_c_scan_finds_what_python_and_the_reference_find(literals, runs, probes, texts):
    arguments = scanner_arguments(literals, runs, probes)
    assert_scans(arguments, texts, naive_scan(arguments, texts))


@SCAN
@given(data=st.data(), texts=TEXTS)
def test_literals_at_the_ends_of_strings_and_sharing_their_first_four_characters(data, texts):
    # many literals under one key ("sess..." in the catalogue): the C scan rules most out by the
    # characters after the key, at once, and must not rule out one that is there
    stems = data.draw(st.lists(st.text("kKsSey:", min_size=4, max_size=4), min_size=1, max_size=3), label="stems")
    tails = data.draw(st.lists(st.text("kKsSey:\u212a", max_size=6), min_size=1, max_size=8), label="tails")
    texts_drawn = {stem + tail.replace("\u212a", "k") for stem in stems for tail in tails}
    literals = sorted({(text, False) for text in texts_drawn} | {(text.lower(), True) for text in texts_drawn})
    arguments = scanner_arguments(literals, [], [[[bit]] for bit in range(len(literals))])
    texts = [text + stems[0] + tails[-1] for text in texts] + [stems[-1] + tails[0] + text for text in texts]
    assert_scans(arguments, texts, naive_scan(arguments, texts))


@SCAN
@given(data=st.data())
def test_more_literals_of_one_key_than_are_compared_one_by_one(data):
    # a key word with each character that may end it, and the longer words it starts with each of
    # them too ("pass'", "password'", "passphrase'"...): more literals under one key than the C scan
    # compares with the text one by one, so it narrows them down a character of the text at a time
    stem = data.draw(st.text("kKsSe", min_size=4, max_size=4), label="stem")
    tails = data.draw(st.lists(st.text("kKsSe:'\u212a", max_size=10), min_size=20, max_size=50), label="tails")
    texts_drawn = sorted({stem + tail.replace("\u212a", "k") for tail in tails})
    literals = sorted({(text, False) for text in texts_drawn} | {(text.lower(), True) for text in texts_drawn})
    arguments = scanner_arguments(literals, [], [[[bit]] for bit in range(len(literals))])
    joined = data.draw(st.lists(st.lists(st.sampled_from(texts_drawn) | TEXT_PIECES, min_size=1, max_size=6)
                                .map("".join), min_size=1, max_size=6), label="texts")
    texts = [text[:cut] for text in joined for cut in {len(text), len(text) - 1, len(text) - 3}]
    assert_scans(arguments, texts, naive_scan(arguments, texts))


@SCAN
@given(data=st.data())
def test_runs_of_one_class_counting_other_characters(data):
    # runs of the same members that count other characters and are of other lengths (the
    # catalogue's base58 addresses: one alphabet, each its own leading characters and length) are
    # looked for only in strings holding as many members in a row as the shortest of them needs
    lengths = data.draw(st.lists(st.integers(1, 30), min_size=2, max_size=4), label="lengths")
    counts = data.draw(st.lists(st.integers(1, 3), min_size=len(lengths), max_size=len(lengths)), label="counts")
    runs = [("abxyz0", False, length, "xyz0"[index], False, count, index)
            for index, (length, count) in enumerate(zip(lengths, counts))]
    arguments = ([], runs, CASE_FOLDS, [(index, [[index]]) for index in range(len(runs))], len(runs))
    pieces = st.sampled_from(["a", "b", "x", "y", "z", "0", " ", "-", "abab", "xxx", "ab" * 8])
    texts = data.draw(st.lists(st.lists(pieces, max_size=30).map("".join), min_size=1, max_size=6), label="texts")
    assert_scans(arguments, texts, naive_scan(arguments, texts))


def test_more_single_character_literals_than_a_string_notes_at_once():
    # every printable ASCII character a literal of its own, as written and caseless: more bytes than
    # the C scan notes in its per-string bitmask, so the others are looked up where they occur
    singles = [(chr(code), False) for code in range(33, 127)] + [(chr(code), True) for code in range(33, 97)]
    arguments = scanner_arguments(singles, [], [[[bit]] for bit in range(len(singles))])
    texts = ["".join(chr(code) for code in range(32, 127)), "~", "AZ", "\u212a", "\u017f\u0131", "\U0001f600z"]
    assert_scans(arguments, texts, naive_scan(arguments, texts))


def test_more_run_classes_than_one_pass_counts():
    # twenty classes of runs, some needing runs longer than a byte counts (128): those beyond the
    # ones counted in one pass are looked for another way
    runs = [("0123456789abcdef"[: 2 + index % 14] + "-" * (index % 2), True, [5, 7, 130, 200][index % 4], 1, True)
            for index in range(20)]
    arguments = scanner_arguments([], runs, [[[bit]] for bit in range(20)])
    texts = ["0" * 6, "ab-" * 50, "1" * 131, "0123456789" * 21, "f" * 199 + "-", "\u0663" * 140, "x" + "9" * 210]
    expected = naive_scan(arguments, texts)
    assert_scans(arguments, texts, expected)
    assert expected  # the texts hold some of them


@SCAN
@given(literals=LITERALS, data=st.data())
def test_each_literal_alone_first_and_last_in_strings_of_every_kind(literals, data):
    # literals of one to nine characters as a whole string, at its start and at its end, in 1-byte
    # text and in text widened by a character of two or four bytes elsewhere
    arguments = scanner_arguments(literals, [], [[[bit]] for bit in range(len(literals))])
    around = data.draw(st.lists(TEXT_PIECES, min_size=1, max_size=3).map("".join), label="around")
    texts = []
    for text, caseless in literals:
        shown = data.draw(st.sampled_from([text, text.upper(), text.replace("k", "\u212a")]) if caseless else
                          st.just(text), label="shown")
        for wide in ("", "\u00e9", "\u0101", "\U0001f600"):
            texts += [shown + wide, wide + shown, shown + around + wide, wide + around + shown]
    assert_scans(arguments, texts, naive_scan(arguments, texts))


def test_runs_of_classes_counting_the_same_characters_one_after_the_other():
    # "4-5-6" holds three digits between hyphens, after "1 2 3", which holds as many between
    # spaces: classes whose runs count the same characters are counted together by the C scan,
    # which must still find a run of one after a run of the other (and one in the other's place)
    runs = [("-", True, 1, "", True, 3, 0), (" ", True, 1, "", True, 9, 1), (" ", True, 5, "", True, 4, 2)]
    arguments = ([], runs, CASE_FOLDS, [(0, [[0]]), (1, [[1]]), (2, [[2]])], 3)
    texts = ["1 2 3 4-5-6", "1 2 3 4 5 6 7 8 9", "1-2 3 4 5", "\u0661 \u0662 \u0663 4-5-\u0666", "12-3"]
    expected = naive_scan(arguments, texts)
    assert expected == {0: 0b101, 1: 0b110, 2: 0b100, 3: 0b101, 4: 0b1}
    assert_scans(arguments, texts, expected)


#: Many strings, some long.
MANY_TEXTS = st.lists(st.lists(TEXT_PIECES, max_size=40).map("".join), min_size=1, max_size=40)


@SCAN
@given(literals=LITERALS, runs=RUNS, probes=PROBES, texts=MANY_TEXTS, limit=st.integers(0, 8))
def test_the_python_scan_finds_the_same_where_re2_cannot_build_its_set_whole(literals, runs, probes, texts, limit):
    # a set RE2 refuses (beyond its memory budget) is split in halves, down to patterns searched
    # alone: here no set of more than ``limit`` patterns is built
    arguments = scanner_arguments(literals, runs, probes)
    build = prefilter.re2_set
    with mock.patch.object(prefilter, "re2_set",
                           lambda sources, options: build(sources, options) if len(sources) <= limit else None):
        scanner = PythonScanner(*arguments)
    assert scanner.scan(texts) == naive_scan(arguments, texts)



@SCAN
@given(literals=LITERALS, runs=RUNS, probes=PROBES, texts=MANY_TEXTS, limit=st.integers(0, 8))
def test_the_python_scan_finds_the_same_where_a_set_of_literals_answers_nothing(literals, runs, probes, texts, limit):
    # a set whose automaton outgrew RE2's memory answers "no match" to every text: the scanner asks
    # the set of literals about a few of them when it is built, and splits it like one RE2 refuses
    # (here every set of literals of more than ``limit`` answers so)
    build = prefilter.re2_set

    def blind_when_large(sources, options):
        built = build(sources, options)
        return built if built is None or len(sources) <= limit else mock.Mock(Match=lambda data: [], _set=None)

    arguments = scanner_arguments(literals, runs, probes)
    with mock.patch.object(prefilter, "re2_set", blind_when_large):
        scanner = PythonScanner(*arguments)
    assert scanner.scan(texts) == naive_scan(arguments, texts)

@SCAN
@given(literals=LITERALS, data=st.data())
def test_literals_of_later_groups_decide_only_in_the_strings_a_first_group_flagged(literals, data):
    # every probe here has a first group of one literal and a later group of others: the literals
    # found in a string flag a probe only when they are in each of its groups
    arguments = scanner_arguments(literals, [], [])
    bits = range(len(literals))
    probes = data.draw(st.lists(st.tuples(st.sampled_from(bits) if literals else st.just(0),
                                          st.lists(st.sampled_from(bits) if literals else st.just(0), min_size=1,
                                                   max_size=4)), min_size=1, max_size=8), label="probes")
    arguments = arguments[:3] + ([(bit, [[first], sorted(set(later))]) for bit, (first, later) in enumerate(probes)],
                                 arguments[4])
    texts = data.draw(MANY_TEXTS, label="texts")
    texts += [text + " " + other for text, _ in literals for other, _ in literals[:3]]
    assert_scans(arguments, texts, naive_scan(arguments, texts))
