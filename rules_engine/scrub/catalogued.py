"""Detectors made from the detector catalogue (:mod:`rules_engine.detection`).

A catalogue detector is a :class:`~.detectors.Detector` whose prefilter is derived from the
entry's keywords (or its ``prefilter``) and whose exact pattern is the entry's, in the syntax
Python ``re`` and RE2 share. That syntax has no look-around, so a token's boundaries are
characters of the match: a search resumes right after the secret (not after the match), so the
character that ended one token can start the next one (``"ghp_a…,ghp_b…"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ..conditions.regex import compile_regex
from ..detection import CatalogueEntry, catalogue
from ..detection.validators import VALIDATORS, is_placeholder
from .detectors import Detector, secret_span
from .prefilter import Literal, Probe, user_pattern_probe
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
        search = self.exact.search
        groups = self.secret_groups
        validator = self.validator
        # A detector whose every keyword holds a non-ASCII character finds nothing in ASCII text.
        needs_non_ascii = bool(entry.keywords) and entry.prefilter is None and all(
            not keyword.isascii() for keyword in entry.keywords
        )

        # With ``reach``, the first match at or after a position starts no earlier than ``reach``
        # characters before the first keyword at or after it: searches start there.
        find_keyword = None
        if entry.reach is not None:
            flags = re.IGNORECASE if entry.caseless else 0
            find_keyword = re.compile("|".join(re.escape(keyword) for keyword in entry.keywords), flags).search
        reach = entry.reach or 0

        def spans(text: str) -> list[tuple[int, int]]:
            if needs_non_ascii and text.isascii():
                return []
            found = []
            position = 0
            while True:
                if find_keyword is not None:
                    keyword = find_keyword(text, position)
                    if keyword is None:
                        return found
                    match = search(text, max(position, keyword.start() - reach))
                else:
                    match = search(text, position)
                if match is None:
                    return found
                start, end = secret_span(match, groups)
                if end > start and (validator is None or validator(text[start:end])):
                    found.append((start, end))
                position = max(end, position + 1)

        return spans


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
    are ASCII; otherwise the anchors read off its prefilter pattern (or its keywords as one), else
    that pattern searched by RE2. Each flags every string a match can be in (the catalogue tests
    check each example), possibly more: the exact pattern decides."""
    if entry.prefilter is None and entry.keywords and all(keyword.isascii() for keyword in entry.keywords):
        return Probe.any_of(*(Literal(keyword, caseless=entry.caseless) for keyword in entry.keywords))
    pattern = entry.prefilter
    if pattern is None:
        pattern = "|".join(re.escape(keyword) for keyword in entry.keywords)
    pattern = ("(?i)" if entry.caseless else "") + pattern
    anchors = pattern_anchors(pattern)
    if anchors:
        return Probe(all_of=anchors)
    return user_pattern_probe(compile_regex(pattern))
