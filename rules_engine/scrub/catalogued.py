"""Detectors made from the detector catalogue (:mod:`rules_engine.detection`).

A catalogue detector is a :class:`~.detectors.Detector` whose prefilter is derived from the
entry's keywords (or its ``prefilter``) and whose exact pattern is the entry's, in the syntax
Python ``re`` and RE2 share. That syntax has no look-around, so a token's boundaries are
characters of the match: a search resumes right after the secret (not after the match), so the
character that ended one token can start the next one (``"ghp_a…,ghp_b…"``).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Callable

import re2

from ..conditions.regex import compile_regex
from ..detection import CatalogueEntry, catalogue
from ..detection.validators import VALIDATORS, is_placeholder
from .detectors import Detector, secret_span
from .prefilter import CASE_FOLD_TABLE, CASE_FOLDS, Literal, Probe, bytes_search, user_pattern_probe
from .regex_anchors import pattern_anchors

#: Categories whose matches are checked against documentation samples and placeholders.
_PLACEHOLDER_CHECKED = frozenset({"secret", "hash"})


@dataclass(frozen=True)
class CatalogueDetector(Detector):
    entry: CatalogueEntry | None = field(default=None, repr=False, compare=False)
    #: what a string must hold to be a candidate (see :func:`_probe`), made once with the detector
    entry_probe: Probe | None = field(default=None, repr=False, compare=False)

    @property
    def probe(self) -> Probe:
        return self.entry_probe

    def _make_spans(self) -> Callable[[str], list[tuple[int, int]]]:
        entry = self.entry
        groups = self.secret_groups
        validator = self.validator
        # A detector whose every keyword holds a non-ASCII character finds nothing in ASCII text.
        needs_non_ascii = bool(entry.keywords) and entry.prefilter is None and all(
            not keyword.isascii() for keyword in entry.keywords
        )

        first_match, prepare = _first_match_function(entry, self.exact)
        next_start = _start_found_by_re2(entry)
        # RE2 is asked where each next match may start; when a repetition was loosened, only so
        # many times a text (see _start_found_by_re2), then re searches on alone.
        restart_limit = _LOOSENED_RESTARTS if has_loosened_repetition(entry.pattern) else math.inf

        shadowed = shadow_matches_hold(entry.pattern)

        def spans(text: str) -> list[tuple[int, int]]:
            position = 0
            data = None
            if text.isascii():
                if needs_non_ascii:
                    return []
                data = text.encode("ascii")
            elif shadowed:
                data = ascii_shadow(text)
            if data is not None:
                position = next_start(data, 0)
                if position < 0:  # most candidates: no match anywhere
                    return []
            found = []
            keywords_in = prepare(text)
            restarts = 0
            while True:
                match = first_match(text, keywords_in, position)
                if match is None:
                    return found
                start, end = secret_span(match, groups)
                if end > start and (validator is None or validator(text[start:end])):
                    found.append((start, end))
                position = max(end, position + 1)
                if data is not None and restarts < restart_limit:
                    restarts += 1
                    position = next_start(data, position)
                    if position < 0:
                        return found

        return spans


#: How many times, after the first, RE2 is asked where the next match may start in one text when
#: a repetition of the pattern was loosened (see :func:`_start_found_by_re2`): then each search
#: may read the rest of the text, so a text of the longest length scanned is read by RE2 at most
#: this many times more, which costs less than one search of ``re`` over it.
_LOOSENED_RESTARTS = 8

#: Up to this ``reach``, a match is looked for by trying each start before a keyword (see
#: :func:`_first_match_function`); beyond it, by a search from the first such start.
_WINDOW_REACH = 16


def _first_match_function(entry: CatalogueEntry, exact: re.Pattern) -> tuple[Callable, Callable[[str], str]]:
    """``(text, keyword text, position) -> the first match at or after position`` (what
    ``exact.search`` finds), and the function that makes the keyword text of a text.

    With ``reach``, every match starts at most ``reach`` characters before a keyword it holds, so
    no match starts more than ``reach`` characters before the first keyword at or after where
    one is looked for. A short reach tries the few starts before each keyword (``match``: the
    attempt ``search`` makes at that start), so text far from a keyword is never tried: a pattern
    that begins with many case-folded words costs ``re`` much at every start. A long reach
    searches from the first possible start."""
    search = exact.search
    if entry.reach is None:
        return (lambda text, keywords_in, position: search(text, position)), _as_is
    reach = entry.reach
    prepare, find_keyword = _keyword_finder(entry)
    if reach > _WINDOW_REACH:
        def first_match(text: str, keywords_in: str, position: int):
            keyword = find_keyword(keywords_in, position)
            return None if keyword < 0 else search(text, max(position, keyword - reach))

        return first_match, prepare
    match = exact.match

    def first_match_near_keywords(text: str, keywords_in: str, position: int):
        tried = position  # no match starts before ``tried``
        while True:
            keyword = find_keyword(keywords_in, tried)
            if keyword < 0:
                return None
            for start in range(max(tried, keyword - reach), keyword + 1):
                found = match(text, start)
                if found is not None:
                    return found
            tried = keyword + 1

    return first_match_near_keywords, prepare


def _start_found_by_re2(entry: CatalogueEntry) -> Callable[[bytes, int], int]:
    """``(ASCII text as bytes, position) -> where the first match of the entry's pattern at or
    after position may start, or -1 when there is none``, found by RE2 in one pass.

    The matches themselves stay Python ``re``'s, searched from there on. RE2 reads the pattern's
    syntax as ``re`` does (the catalogue holds only syntax both read alike, tested), and on ASCII
    text it matches where ``re`` matches; the pattern it runs is :func:`loosened`, so it matches
    wherever ``re`` would, maybe at an earlier start, never a later one. A search reads the text
    up to the end of the match it finds: when a repetition was loosened, that end may lie far
    beyond what ``re`` allows (a long run of what the repetition takes, cut by ``re`` into many
    matches), so such a pattern is asked at most :data:`_LOOSENED_RESTARTS` times more in a text:
    asked after every match, a text could be read once per match."""
    return bytes_search(re2.compile(loosened(entry.pattern), _START_OPTIONS))


#: RE2 options for finding starts: no messages on stderr when an automaton outgrows its memory
#: (RE2 then goes on, slower, with the same result). The patterns capture nothing by themselves
#: (:func:`loosened`): the binding does not pass ``never_capture`` on to RE2.
_START_OPTIONS = re2.Options()
_START_OPTIONS.log_errors = False

#: A counted repetition with a larger upper bound than this becomes unbounded in :func:`loosened`.
_LOOSE_FROM = 32
#: A pattern's pieces: an escape, a character class (a "]" first in it is a member), a counted
#: repetition, a group that captures (named or not), any other character.
_TOKEN = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|\{(\d+),(\d+)\}|(\(\?P<\w+>|\((?!\?))|.", re.DOTALL)


#: What stands for a character beyond ASCII in the ASCII shadow of a text (see :func:`ascii_shadow`).
SHADOW_FILLER = "\x7f"
_BEYOND_ASCII = re.compile("[^\x00-\x7f]")


@functools.lru_cache(maxsize=1)  # the detectors of a string ask one after another
def ascii_shadow(text: str) -> bytes | None:
    """``text`` with every character beyond ASCII replaced by :data:`SHADOW_FILLER`, as bytes
    (character offsets are byte offsets); None when it holds a character that ``re`` compares
    caselessly to an ASCII letter (:data:`~.prefilter.CASE_FOLDS`), which the filler does not stand for.

    For a pattern that :func:`shadow_matches_hold` accepts, the shadow matches wherever the
    text does: such a character is taken by exactly the pieces that take any character beyond
    ASCII (``.``, a negated class of ASCII characters, a character other than one), and each
    takes the filler too. So RE2 finds on the shadow where a match of ``re`` may start in the text."""
    if any(folded in text for folded in CASE_FOLDS):
        return None
    return _BEYOND_ASCII.sub(SHADOW_FILLER, text).encode("ascii")


def shadow_matches_hold(pattern: str) -> bool:
    """Whether every piece of ``pattern`` that takes a character beyond ASCII takes
    :data:`SHADOW_FILLER` too: the pattern holds only ASCII characters, classes of them and
    ``.``, and no negated class or negated character leaves out the filler. Checked on ``re``'s
    own parse of the pattern."""
    return _pieces_hold(re._parser.parse(pattern))


def _pieces_hold(pieces) -> bool:
    filler = ord(SHADOW_FILLER)
    for op, argument in pieces:
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL"):
            if argument >= 128 or (name == "NOT_LITERAL" and argument == filler):
                return False
        elif name == "IN":
            if not _class_holds(argument, filler):
                return False
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if not _pieces_hold(argument[2]):
                return False
        elif name == "SUBPATTERN":
            if not _pieces_hold(argument[3]):
                return False
        elif name == "BRANCH":
            if not all(_pieces_hold(branch) for branch in argument[1]):
                return False
        elif name not in ("ANY", "AT"):
            return False  # a category, a look-around, a back-reference: not read here
    return True


def _class_holds(items, filler: int) -> bool:
    """A class of ASCII characters and ranges; negated, one that does not name the filler."""
    negated = any(str(op) == "NEGATE" for op, _ in items)
    for op, argument in items:
        name = str(op)
        if name == "NEGATE":
            continue
        low, high = (argument, argument) if name == "LITERAL" else argument if name == "RANGE" else (None, None)
        if low is None or high >= 128 or (negated and low <= filler <= high):
            return False
    return True


def _is_loosened(token: re.Match) -> bool:
    """Whether this piece of a pattern is a counted repetition :func:`loosened` leaves unbounded."""
    high = token.group(2)
    return high is not None and int(high) > _LOOSE_FROM


def has_loosened_repetition(pattern: str) -> bool:
    """Whether :func:`loosened` leaves a repetition of ``pattern`` unbounded."""
    return any(_is_loosened(token) for token in _TOKEN.finditer(pattern))


def loosened(pattern: str) -> str:
    """``pattern`` made to match wherever it matches and maybe elsewhere: in multi-line mode (its
    ``$`` matches before every line break, as ``re``'s also matches before a final one; its ``^``
    after one), and with each counted repetition whose upper bound is large left unbounded (a
    thousand-fold repetition makes an automaton too large to build). Its groups capture nothing:
    only where a match starts is asked, and RE2 finds that with its automata alone when there is
    no group to report (with groups it runs a slower engine to place them)."""
    pieces = []
    for token in _TOKEN.finditer(pattern):
        if _is_loosened(token):
            pieces.append(f"{{{token.group(1)},}}")
        else:
            pieces.append("(?:" if token.group(3) is not None else token.group(0))
    return "(?m)" + "".join(pieces)


def _as_is(text: str) -> str:
    return text


def _keyword_finder(entry: CatalogueEntry) -> tuple[Callable[[str], str], Callable[[str, int], int]]:
    """The text keywords are looked for in, made from a text, and ``(that text, position) -> where
    the first keyword at or after position starts, or -1``. ASCII keywords compared ignoring case
    are looked for in the text folded to lower case the way ``re`` folds it
    (:data:`~.prefilter.CASE_FOLDS` first, so no character changes the length): ``re`` is much
    faster at case-sensitive alternatives."""
    if entry.caseless and all(keyword.isascii() for keyword in entry.keywords):
        pattern = re.compile("|".join(re.escape(keyword.lower()) for keyword in entry.keywords))

        def prepare(text: str) -> str:
            if text.isascii() or not any(folded in text for folded in CASE_FOLDS):
                return text.lower()
            return text.translate(CASE_FOLD_TABLE).lower()  # (a translation reads a character at a time)
    else:
        pattern = re.compile("|".join(re.escape(keyword) for keyword in entry.keywords),
                             re.IGNORECASE if entry.caseless else 0)
        prepare = _as_is
    search = pattern.search

    def find(keywords_in: str, position: int) -> int:
        found = search(keywords_in, position)
        return -1 if found is None else found.start()

    return prepare, find


def catalogue_detectors() -> dict[str, CatalogueDetector]:
    """A detector for each catalogue entry, by its id."""
    return {entry.id: _detector(entry) for entry in catalogue()}


def _detector(entry: CatalogueEntry) -> CatalogueDetector:
    return CatalogueDetector(
        name=entry.id,
        exact=re.compile(entry.pattern),
        anchors=(),  # the probe comes from the entry (see _probe)
        caseless=entry.caseless,
        validator=_validator(entry),
        key_value=entry.key_value,
        entry=entry,
        entry_probe=_probe(entry),
    )


def _validator(entry: CatalogueEntry) -> Callable[[str], bool] | None:
    check = VALIDATORS[entry.validator] if entry.validator else None
    if entry.category not in _PLACEHOLDER_CHECKED:
        return check
    keywords = entry.keywords
    if check is None:
        return lambda secret: not is_placeholder(secret, keywords)
    return lambda secret: check(secret) and not is_placeholder(secret, keywords)


def _probe(entry: CatalogueEntry) -> Probe:
    """What a string must hold to be a candidate for the entry: its keywords as literals when they
    are ASCII, with the best group of other literals its pattern implies, when it implies one
    (:func:`~.regex_anchors.pattern_anchors`: ``with``/``using``/``via`` of a credential written
    in prose; runs are left to prefilter patterns, a scanner takes few); otherwise the anchors
    read off its prefilter pattern (or its keywords as one), else that pattern searched by RE2.
    Each flags every string a match can be in (the catalogue tests check each example), possibly
    more: the exact pattern decides."""
    if entry.prefilter is None and entry.keywords and all(keyword.isascii() for keyword in entry.keywords):
        keywords = tuple(Literal(keyword, caseless=entry.caseless) for keyword in entry.keywords)
        implied = [group for group in pattern_anchors(("(?i)" if entry.caseless else "") + entry.pattern)
                   if set(group).isdisjoint(keywords) and all(isinstance(anchor, Literal) for anchor in group)]
        return Probe(all_of=(keywords, *implied[:1]))
    pattern = ("(?i)" if entry.caseless else "") + entry.probe
    if entry.prefilter_at_start:
        # Its "^" stands beside a class that holds NUL, the separator of the joined strings, so
        # the joined search finds every string it matches in (unlike a user pattern's "^").
        return Probe(search=compile_regex(pattern))
    anchors = pattern_anchors(pattern)
    if anchors:
        return Probe(all_of=anchors)
    return user_pattern_probe(compile_regex(pattern))
