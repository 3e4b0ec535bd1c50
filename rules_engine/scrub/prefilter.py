"""Which strings of an event may hold which secret: one pass over all of them.

The scrubber collects every string of an event in one walk, then asks the prefilter which strings
may contain which *probe* (a detector, a user pattern, or the key words of key rules). Only those
(string, probe) pairs go through the exact matchers and validators, which alone decide what is
redacted. A prefilter may flag too much, never too little, so whichever scan runs, the results
are the same.

A probe is data derived from the definition it stands for, never a second regex dialect:

* :class:`Literal`: a piece of text every match holds (``"bearer"``, ``"://"``, ``"AKIA"``),
  compared as written or case-folded (``caseless``: folded the way Python ``re`` and RE2 fold
  ASCII letters, so ``"baſic"`` and ``"toKen"`` with the Kelvin sign are still candidates).
* :class:`Run`: a run of characters of a class every match lies within, holding enough of some
  of them (a card number: digits, spaces and hyphens, with 13 digits at least). Unicode decimal
  digits count as digits, as ``\\d`` counts them.
* :data:`NON_ASCII`: a character that is not ASCII (a key word or a detector keyword in another
  script; ``str.isascii()`` answers at once).
* A probe is flagged when every one of its groups has a hit (``Probe.all_of``: each group an
  alternative of anchors); a probe with no anchors flags every string (``always``).
* A user pattern is searched with RE2 itself (its one dialect) over all the strings joined by NUL,
  all patterns at once, and each string where one may match is then searched alone
  (:class:`JoinedSearch`); a pattern with anchors, whose meaning changes on joined text, flags
  every string instead.

Catalogue entries given as a prefilter pattern get their anchors read off it
(:mod:`.regex_anchors`); a pattern whose anchors would be common is searched with RE2 like a user
pattern.

Two scanners compute the anchors: :class:`AnchorScanner` in C (``_prefilter.c``: one pass over
each string, a hash of its last four case-folded characters looked up in a bitmap of the
literals, and counters of the runs of each class), built wherever the package was compiled; and
:class:`PythonScanner`, the same definitions with an RE2 set of the literals per piece of the
joined strings and ``str.find`` in the pieces holding one, and runs looked for by RE2 where it
finds what they need, used when it was not or when
``RULES_ENGINE_ACCELERATOR=off`` (``accelerator="off"``). Both give the same anchors for every
string (tested); a catalogue of many detectors adds literals to one automaton, so 150 detectors
cost about what 20 do.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import compress
from typing import Any, Union

from ..conditions.regex import compile_regex
from .joined import (
    SEPARATOR,
    JoinedSearch,
    bytes_search,  # noqa: F401 - read from here by the catalogue's detectors
    re2_set,
    set_match,
    string_starts,
)

try:  # the scan in C (built from _prefilter.c when a compiler is at hand at install time)
    from ._prefilter import AnchorScanner as CAnchorScanner
except ImportError:  # pragma: no cover - exercised where the extension is not built
    CAnchorScanner = None

#: Non-ASCII characters that Python ``re`` or RE2 match caselessly to an ASCII letter, or that
#: ``str.lower()`` turns into one (``tests`` check this table against both engines): the Kelvin
#: sign, the long s, the dotted and the dotless i.
CASE_FOLDS = {"\u212a": "k", "\u017f": "s", "\u0130": "i", "\u0131": "i"}
#: :data:`CASE_FOLDS` as a ``str.translate`` table.
CASE_FOLD_TABLE = str.maketrans(CASE_FOLDS)
#: Anchors of a user pattern (but not the "^" of a negated class "[^...]"): on joined text they
#: would not mean what they mean in one string, so such a pattern is run on every string.
_ANCHOR = re.compile(r"(?<!(?<!\\)\[)\^|\$|\\[Az]")


@dataclass(frozen=True)
class Literal:
    """Text every match holds. ``caseless``: compared case-folded (ASCII letters only: a literal
    of other characters is compared as written)."""

    text: str
    caseless: bool = False

    def __post_init__(self) -> None:
        if not self.text or not self.text.isascii() or SEPARATOR in self.text:
            raise ValueError(f"a prefilter literal is non-empty ASCII text without NUL: {self.text!r}")


@dataclass(frozen=True)
class Run:
    """A run of characters from ``chars`` (ASCII; plus every Unicode decimal digit when
    ``digits``), at least ``min_length`` long, holding at least ``min_count`` (one or more)
    characters of ``counted`` (plus decimal digits when ``count_digits``). Runs are maximal: they
    end at the first character outside the class. A scan looks at the counted characters only, so
    a run costs nothing on text without them."""

    chars: str
    min_count: int
    counted: str = ""
    count_digits: bool = False
    digits: bool = False
    min_length: int = 1

    def __post_init__(self) -> None:
        if not self.chars.isascii() or SEPARATOR in self.chars or not set(self.counted) <= set(self.chars):
            raise ValueError(f"a prefilter run is a class of ASCII characters without NUL: {self!r}")
        if self.count_digits and not self.digits:
            raise ValueError("a run counts digits only if it holds them")
        if self.min_count < 1 or not (self.counted or self.count_digits):
            raise ValueError("a run counts one character or more")


@dataclass(frozen=True)
class NonAscii:
    """A character that is not ASCII, anywhere in the string (what a word in another script, or a
    class of non-ASCII characters, needs: ``str.isascii()`` answers at once)."""


NON_ASCII = NonAscii()
Anchor = Union[Literal, Run, NonAscii]


@dataclass(frozen=True)
class Probe:
    """What a string must hold to be a candidate: a hit in each group of ``all_of`` (each group
    a tuple of alternative anchors), or an RE2 match of ``search`` (a user pattern); every string
    when ``always`` or when there is nothing to look for."""

    all_of: tuple[tuple[Anchor, ...], ...] = ()
    search: Any = None  # a compiled RE2 pattern
    always: bool = False

    @classmethod
    def any_of(cls, *anchors: Anchor) -> "Probe":
        return cls(all_of=(tuple(anchors),))

    @property
    def flags_everything(self) -> bool:
        return self.always or (not self.all_of and self.search is None)


def user_pattern_probe(pattern) -> Probe:
    """The probe of a user pattern (compiled with RE2): the pattern itself."""
    return Probe(search=pattern, always=bool(_ANCHOR.search(pattern.pattern)))


def accelerator_choice(accelerator: str | None) -> str:
    """``accelerator``, else ``RULES_ENGINE_ACCELERATOR``, else ``"auto"``; checked, lower case."""
    choice = (accelerator or os.environ.get("RULES_ENGINE_ACCELERATOR") or "auto").lower()
    if choice not in ("auto", "on", "off"):
        raise ValueError(f"RULES_ENGINE_ACCELERATOR must be 'auto', 'on' or 'off', not {choice!r}")
    return choice


def accelerators_wanted(accelerator: str | None) -> bool:
    """Whether the C module may be used (unless switched off)."""
    return accelerator_choice(accelerator) != "off"


def accelerator_available() -> bool:
    """Whether the C module was built (the walk and the prefilter's scan)."""
    return CAnchorScanner is not None


def accelerators_built() -> str:
    """What runs the scrubber by default here, for reports."""
    return "C walk and prefilter" if accelerator_available() else "Python walk and prefilter"


def make_prefilter(probes: tuple[Probe, ...], accelerator: str | None = None) -> "Prefilter":
    """The prefilter for ``probes``: its scan in C when built and not switched off."""
    choice = accelerator_choice(accelerator)
    if choice == "on" and not accelerator_available():
        raise ValueError("RULES_ENGINE_ACCELERATOR=on needs the C module, which was not built here")
    return Prefilter(probes, use_c=choice != "off" and accelerator_available())


class Prefilter:
    """``candidates(texts)``: string index -> bitmask of the probes it may hold; probes in
    ``always_mask`` are left out (every string is a candidate for them)."""

    def __init__(self, probes: tuple[Probe, ...], use_c: bool):
        self.always_mask = 0
        anchors: dict[Anchor, int] = {}
        #: (probe bit, its groups as lists of anchor bits) of the probes made of anchors
        groups: list[tuple[int, list[list[int]]]] = []
        self._searches: list[tuple[int, Any]] = []
        for index, probe in enumerate(probes):
            if probe.flags_everything:
                self.always_mask |= 1 << index
            elif probe.search is not None:
                self._searches.append((1 << index, probe.search))
            else:
                # the most selective group first: the scans check the others only where it hit
                ordered = sorted(probe.all_of, key=_selectivity, reverse=True)
                groups.append((index, [[anchors.setdefault(anchor, len(anchors)) for anchor in group]
                                       for group in ordered]))
        self.anchors = tuple(anchors)
        #: what the scanners are built from (see :class:`PythonScanner`)
        literals, runs, non_ascii = scanner_arguments(self.anchors)
        self.scanner_arguments = (literals, runs, CASE_FOLDS, groups, non_ascii)
        scanner = CAnchorScanner if use_c else PythonScanner
        self._scanner = scanner(*self.scanner_arguments) if groups else None
        self.name = "c" if use_c else "python"
        #: the scan in C, for other literals (the echoes' forms), when it runs this one
        self.c_scanner = CAnchorScanner if use_c else None

        self._joined_search = JoinedSearch(self._searches) if self._searches else None
        #: whether equal strings are scanned once (see :meth:`candidates`)
        self._dedupe = not use_c

    def candidates(self, texts: list[str]) -> dict[int, int]:
        if not texts:
            return {}
        if self._dedupe:
            # What a string is flagged for depends on the string alone, and an event repeats
            # many (frames share file names, modules, lines of context): each distinct one is
            # scanned once, and its probes are given to every string equal to it.
            distinct = list(dict.fromkeys(texts))
            if len(distinct) < len(texts):
                found = self._scan(distinct)
                if not found:
                    return found
                probes = {distinct[index]: mask for index, mask in found.items()}
                indexes = list(compress(range(len(texts)), map(probes.__contains__, texts)))
                return dict(zip(indexes, map(probes.__getitem__, map(texts.__getitem__, indexes))))
        return self._scan(texts)

    def _scan(self, texts: list[str]) -> dict[int, int]:
        found = self._scanner.scan(texts) if self._scanner is not None else {}
        if self._joined_search is not None:
            self._joined_search.flag(texts, found)
        return found


def scanner_arguments(anchors: tuple[Anchor, ...]) -> tuple[list, list, int]:
    """The anchors as the scanners take them: literals ``(text, caseless, anchor bit)``, runs
    ``(class, digits, min length, counted, count digits, min count, anchor bit)``, and the bit of
    :data:`NON_ASCII` (-1 when no probe needs it)."""
    literals, runs, non_ascii = [], [], -1
    for bit, anchor in enumerate(anchors):
        if isinstance(anchor, Literal):
            literals.append((anchor.text, anchor.caseless, bit))
        elif isinstance(anchor, Run):
            runs.append((anchor.chars, anchor.digits, anchor.min_length, anchor.counted, anchor.count_digits,
                         anchor.min_count, bit))
        else:
            non_ascii = bit
    return literals, runs, non_ascii


def _selectivity(group: tuple[Anchor, ...]) -> float:
    """How rarely a group is expected to hit: as its least selective anchor."""
    return min(map(selectivity, group))


def selectivity(anchor: Anchor) -> float:
    """How rarely an anchor is expected to hit, roughly in characters of a literal: a literal its
    length, a run more the more characters it counts, a non-ASCII character like six letters (event
    text is mostly ASCII)."""
    if isinstance(anchor, Literal):
        return len(anchor.text) - (0.5 if anchor.caseless else 0)
    if isinstance(anchor, Run):
        return min(2 + anchor.min_count / 2 + anchor.min_length / 8, 8)
    return 6


class PythonScanner:
    """The probes each string holds, from the arguments :class:`CAnchorScanner` takes (literals,
    runs, case folds, and each probe's bit with its groups of anchor bits).

    A probe's first group (the most selective, see :class:`Prefilter`) is looked for over all the
    strings joined by NUL: every literal at once (:class:`_LiteralSearch`, over the text
    case-folded once), runs at once (:class:`_RunSearch`); its other groups only in the strings
    that group flagged (:class:`_Group`)."""

    def __init__(self, literals: list[tuple[str, bool, int]], runs: list[tuple], folds: dict[str, str],
                 probes: list[tuple[int, list[list[int]]]], non_ascii: int = -1):
        self._fold_table = str.maketrans(folds)
        anchors: dict[int, Any] = {non_ascii: _PythonNonAscii()}
        #: one anchor per literal as it is looked for: caseless literals that differ in case only
        #: ("Token", "token") are the same literal, held by the same strings
        self._literal_anchors: dict[tuple[str, bool], _PythonLiteral] = {}
        for text, caseless, bit in literals:
            key = (text.lower() if caseless else text, caseless)
            anchors[bit] = self._literal_anchors.setdefault(key, _PythonLiteral(*key))
        for chars, digits, min_length, counted, count_digits, min_count, bit in runs:
            anchors[bit] = _PythonRun(chars, digits, min_length, counted, count_digits, min_count)
        self._non_ascii = anchors[non_ascii]
        #: per anchor: (bit, other groups) of the probes whose first group holds it
        self._probes_by_first: dict[Any, list[tuple[int, list]]] = {}
        first_groups = []
        for bit, groups in probes:
            first, *others = [[anchors[anchor] for anchor in group] for group in groups]
            first_groups.append((first, 1 << bit, others))
            for anchor in first:
                self._probes_by_first.setdefault(anchor, [])
        # Literals of first groups are looked for in every string; those only in other groups
        # (often common: "=", ":") only in the strings a first group flagged.
        self._literals = _LiteralSearch([key for key, literal in self._literal_anchors.items()
                                         if literal in self._probes_by_first])
        self._runs = _RunSearch([anchor for anchor in self._probes_by_first if isinstance(anchor, _PythonRun)])
        looked_for = set(self._probes_by_first)  # the anchors whose strings every scan finds
        made: dict[tuple, _Group] = {}
        for first, bit, others in first_groups:
            others = [made.setdefault(tuple(group), _Group(group, looked_for)) for group in others]
            for anchor in first:
                self._probes_by_first[anchor].append((bit, others))

    def scan(self, texts: list[str]) -> dict[int, int]:
        joined = SEPARATOR.join(texts)
        folded = joined.translate(self._fold_table).lower()  # (read for every literal, see _LiteralSearch)
        scanned = _Scanned(texts, joined, folded, string_starts(texts))
        scanned.literals = self._literals.strings(scanned)
        held = scanned.held = {self._literal_anchors[key]: indexes for key, indexes in scanned.literals.items()}
        if self._non_ascii in self._probes_by_first:
            held[self._non_ascii] = self._non_ascii.strings(scanned)
        held.update(self._runs.strings(texts))
        candidates: dict[int, tuple[set[int], list]] = {}  # probe bit -> (strings, its other groups)
        for anchor, indexes in held.items():
            for bit, others in self._probes_by_first.get(anchor, ()):
                if indexes:
                    entry = candidates.setdefault(bit, (set(), others))
                    entry[0].update(indexes)
        found: dict[int, int] = {}
        for bit, (indexes, others) in candidates.items():
            for group in others:
                indexes = group.holding(scanned, indexes)
            for index in indexes:
                found[index] = found.get(index, 0) | bit
        return found


class _Group:
    """A group of a probe after its first: which of the strings a first group flagged hold one of
    its anchors. For the anchors the scan looked for in every string (those of first groups), a
    set operation; the literals looked for only here are found by one ``re`` alternation per
    form of the text (as given, case-folded), each string asked once; any other anchor (a run,
    a character beyond ASCII, only in groups after the first) asks each string left."""

    def __init__(self, anchors: list, looked_for: set):
        self._known = [anchor for anchor in anchors if anchor in looked_for]
        literals = [anchor for anchor in anchors if isinstance(anchor, _PythonLiteral) and anchor not in looked_for]
        self._searches = [(caseless, re.compile("|".join(sorted({re.escape(literal.text) for literal in literals
                                                                  if literal.caseless is caseless}))).search)
                          for caseless in (False, True) if any(literal.caseless is caseless for literal in literals)]
        self._others = [anchor for anchor in anchors if anchor not in looked_for and anchor not in literals]

    def holding(self, scanned: "_Scanned", indexes: set[int]) -> set[int]:
        """The strings of ``indexes`` that hold an anchor of the group."""
        kept: set[int] = set()
        held = scanned.held
        for anchor in self._known:
            strings = held.get(anchor)
            if strings:
                kept |= indexes & strings
        left = indexes - kept if kept else indexes
        if not left:
            return kept
        starts = scanned.starts
        for caseless, search in self._searches:
            text = scanned.folded if caseless else scanned.joined
            found = {index for index in left if search(text, starts[index], starts[index + 1] - 1) is not None}
            if found:
                kept |= found
                left = left - found
                if not left:
                    return kept
        for anchor in self._others:
            found = anchor.among(scanned, left)
            if found:
                kept |= found
                left = left - found
                if not left:
                    return kept
        return kept


class _Scanned:
    """The strings of one scan in the forms the anchors read: as given, joined by NUL, that
    joined text case-folded, where each string starts in it; then the strings holding each
    literal, and those holding each anchor that was looked for in all the strings."""

    __slots__ = ("texts", "joined", "folded", "starts", "literals", "held")

    def __init__(self, texts: list[str], joined: str, folded: str, starts: list[int]):
        self.texts, self.joined, self.folded, self.starts = texts, joined, folded, starts
        self.literals: dict[tuple[str, bool], set[int]] = {}
        self.held: dict[Any, set[int]] = {}

    def chunks(self) -> list[tuple[int, int, int]]:
        """The joined text cut at string boundaries into pieces of about :data:`_CHUNK`
        characters (a longer string is a piece of its own): ``(start, end, first string)``, the
        end before the NUL that follows the piece's last string."""
        starts, found = self.starts, []
        first, count = 0, len(self.texts)
        while first < count:
            start = starts[first]
            last = bisect_right(starts, start + _CHUNK, first + 1, count) - 1
            found.append((start, starts[last + 1] - 1, first))
            first = last + 1
        return found


#: About how many characters of the joined text one RE2 set search reads: it tells which
#: literals are in that piece, so ``str.find`` then reads only the pieces holding a literal (not
#: the whole text once per literal present), and a piece of one string needs no find at all.
_CHUNK = 384


class _LiteralSearch:
    """Which literals the strings hold: one RE2 set of all of them in lower case (in UTF-8: an
    ASCII literal's bytes occur exactly where its characters do) tells which may occur in each
    piece of the case-folded joined text (:meth:`_Scanned.chunks`, cut between strings, so no
    occurrence crosses two pieces), then ``str.find`` in which strings of the piece: caseless
    literals in the folded text, the others in the text as given. A literal compared as written
    occurs in the folded text in lower case wherever it occurs (folding keeps every character's
    place and lowers ASCII letters), so one read of the text answers for both kinds."""

    def __init__(self, literals: list[tuple[str, bool]]):
        by_key: dict[str, list[tuple[str, bool]]] = {}
        for text, caseless in sorted(set(literals)):
            by_key.setdefault(text.lower(), []).append((text, caseless))
        keys = sorted(by_key)
        #: per entry of the set: the literals it stands for, ``(text, caseless)``
        self._literals = [by_key[key] for key in keys]
        self._match = set_match(_literal_set(keys)) if keys else None

    def strings(self, scanned: _Scanned) -> dict[tuple[str, bool], set[int]]:
        found: dict[tuple[str, bool], set[int]] = {}
        if not self._literals:
            return found
        literals, match = self._literals, self._match
        folded, joined, starts = scanned.folded, scanned.joined, scanned.starts
        for start, end, first in scanned.chunks():
            present = range(len(literals)) if match is None else \
                match(folded[start:end].encode("utf-8", "surrogatepass")) or ()  # None: none there
            for index in present:
                for key in literals[index]:
                    held = found.get(key)
                    if held is None:
                        held = found[key] = set()
                    _find_each_string(folded if key[1] else joined, key[0], starts, start, end, first, held)
        return found


def _literal_set(texts: list[str]):
    """The literals as one RE2 set over UTF-8 bytes (indexes those of ``texts``), or None when RE2
    cannot build it (each literal is then looked for)."""
    import re2

    return re2_set([re.escape(text) for text in texts], re2.Options())


def _find_each_string(text: str, literal: str, starts: list[int], start: int, end: int, first: int,
                      held: set[int]) -> None:
    """Add to ``held`` the strings of the joined ``text`` between ``start`` and ``end`` (string
    ``first`` starts at ``start``) that hold ``literal``: after a hit, the search goes on at the
    next string."""
    if starts[first + 1] > end:  # one string: the piece holds the literal, when RE2 said so
        if text.find(literal, start, end) != -1:
            held.add(first)
        return
    find = text.find
    position = find(literal, start, end)
    while position != -1:
        index = bisect_right(starts, position) - 1
        held.add(index)
        following = starts[index + 1]
        if following > end:
            break
        position = find(literal, following, end)


class _PythonNonAscii:
    def strings(self, scanned: _Scanned) -> set[int]:
        if scanned.joined.isascii():
            return set()
        return {index for index, text in enumerate(scanned.texts) if not text.isascii()}

    def among(self, scanned: _Scanned, indexes: set[int]) -> set[int]:
        """The strings of ``indexes`` that hold a character that is not ASCII."""
        texts = scanned.texts
        return {index for index in indexes if not texts[index].isascii()}


class _PythonLiteral:
    """A literal as it is looked for: its text (lower case when ``caseless``, then looked for in
    the case-folded text)."""

    def __init__(self, text: str, caseless: bool):
        self.text, self.caseless = text, caseless


class _PythonRun:
    """A run (see :class:`Run`), found in one string from its counted characters:
    ``[K](?:[U]*[K]){n-1}[C]*`` from a counted character to the end of the run, holding the ``n``
    counted characters it needs (``U``: the members that are not counted; a search skips to the
    next counted character in C and gives up at once on a run with too few of them, so only runs
    that count are matched), and the part before it matched backwards on the reversed text.

    ``necessary`` are patterns every such run matches, in RE2's syntax over UTF-8, for
    :class:`_RunSearch`: its counted characters with members between them (when it counts one,
    a counted character with two thirds of the run's length on one side of it or a third on
    each side: counted letters are common) and, when longer, as many members in a row as the
    run's length. Unicode digits read
    as any character that is not ASCII."""

    def __init__(self, chars: str, digits: bool, min_length: int, counted: str, count_digits: bool, min_count: int):
        members = _class(chars, digits)
        counts = _class(counted, count_digits)
        uncounted_chars = "".join(sorted(set(chars) - set(counted)))
        uncounted = _class(uncounted_chars, digits and not count_digits)
        between = f"[{uncounted}]*" if uncounted else ""
        self._rest = re.compile(f"[{counts}](?:{between}[{counts}]){{{min_count - 1}}}[{members}]*")
        self._before = re.compile(f"[{uncounted}]*") if uncounted else None
        self._min_length = min_length
        members = _utf8_class(chars, digits)
        counts, uncounted = _utf8_class(counted, count_digits), _utf8_class(uncounted_chars, digits and not count_digits)
        if min_count == 1:
            # the counted character at offset a of a window of the run's length: a >= far, or
            # a < near (then far members follow it), or near members on each side of it
            near = min((min_length - 1) // 3, 1000)
            far = min(min_length - 1 - near, 1000)
            counted_pattern = f"[{members}]{{{far}}}[{counts}]|[{counts}][{members}]{{{far}}}"
            if near:
                counted_pattern += f"|[{members}]{{{near}}}[{counts}][{members}]{{{near}}}"
        else:
            between = f"[{uncounted}]*" if uncounted else ""
            counted_pattern = f"[{counts}](?:{between}[{counts}]){{{min(min_count - 1, 1000)}}}"
        self.necessary = (counted_pattern,)
        #: the last of ``necessary`` when it is as many members in a row as the run is long: (its
        #: ASCII members, whether every character beyond ASCII is one, how many in a row)
        self.members_in_a_row = None
        if min_length > min_count:
            self.necessary += (f"[{members}]{{{min(min_length, 1000)}}}",)
            self.members_in_a_row = (frozenset(chars + ("0123456789" if digits else "")), digits, min(min_length, 1000))

    def among(self, scanned: _Scanned, indexes: set[int]) -> set[int]:
        """The strings of ``indexes`` that hold the run."""
        texts, in_text = scanned.texts, self.in_text
        return {index for index in indexes if in_text(texts[index])}

    def in_text(self, text: str) -> bool:
        """Whether ``text`` holds a run long enough with enough counted characters."""
        reversed_text = None
        for match in self._rest.finditer(text):
            start = match.start()
            if self._before is not None and start:
                if reversed_text is None:
                    reversed_text = text[::-1]
                start -= self._before.match(reversed_text, len(text) - start).end() - (len(text) - start)
            if match.end() - start >= self._min_length:
                return True
        return False


class _RunSearch:
    """Which strings hold which runs: the strings holding what a run needs (every run's
    ``necessary`` patterns searched at once by RE2 over the joined strings, see
    :class:`JoinedSearch`; the last of each finds the strings, the set of all of them says
    which runs may be there) are each read for the run itself (``in_text``, the definition). RE2
    reads the text once; a run is followed in ``re`` only in the few strings that may hold it."""

    def __init__(self, runs: list[_PythonRun]):
        self._runs = runs
        #: per run, the bits of its necessary patterns (all must match)
        self._needs: list[int] = []
        self._runs_needing: dict[int, tuple[_PythonRun, ...]] = {}
        patterns, leading = [], []
        for run in runs:
            self._needs.append(sum(1 << (len(patterns) + index) for index in range(len(run.necessary))))
            # a string holding a run matches each of its patterns: the last (as many members in a
            # row as the run is long, when it is longer than what it counts), the cheapest for RE2's
            # one pass over the text, alone finds the strings
            compiled = [compile_regex(pattern) for pattern in run.necessary]
            leading.append(compiled[-1])
            patterns += compiled
        leading = [pattern for pattern, run in zip(leading, runs) if not _found_by_another(run, runs)]
        self._search = JoinedSearch([(1 << index, pattern) for index, pattern in enumerate(patterns)], leading) \
            if patterns else None

    def strings(self, texts: list[str]) -> dict[_PythonRun, set[int]]:
        held: dict[_PythonRun, set[int]] = {run: set() for run in self._runs}
        if self._search is None:
            return held
        flagged: dict[int, int] = {}
        self._search.flag(texts, flagged)
        runs_needing = self._runs_needing
        for index, mask in flagged.items():
            runs = runs_needing.get(mask)
            if runs is None:
                runs = self._runs_with_needs_in(mask)
            for run in runs:
                if run.in_text(texts[index]):
                    held[run].add(index)
        return held

    def _runs_with_needs_in(self, mask: int) -> tuple[_PythonRun, ...]:
        """The runs whose necessary patterns are all in ``mask`` (remembered: few masks occur)."""
        runs = tuple(run for run, needs in zip(self._runs, self._needs) if mask & needs == needs)
        if len(self._runs_needing) < 4096:
            self._runs_needing[mask] = runs
        return runs


def _found_by_another(run: _PythonRun, runs: list[_PythonRun]) -> bool:
    """Whether the strings the pattern finding ``run``'s strings matches in are found by another
    run's anyway: both patterns are members in a row, the other's members include ``run``'s and
    it needs no more of them in a row (of two alike, the first stays). Every such string holds
    the other's row, so the alternation finding strings is spared one more pattern."""
    row = run.members_in_a_row
    if row is None:
        return False
    members, beyond_ascii, length = row
    for position, other in enumerate(runs):
        other_row = other.members_in_a_row
        if other is run or other_row is None:
            continue
        other_members, other_beyond_ascii, other_length = other_row
        if members <= other_members and (other_beyond_ascii or not beyond_ascii) and length >= other_length:
            if row != other_row or position < runs.index(run):
                return True
    return False


def _utf8_class(chars: str, digits: bool) -> str:
    """The inside of an RE2 character class of ``chars`` and, for ``digits``, of ASCII digits
    and every character that is not ASCII (Unicode's other digits among them, whichever version
    of Unicode this RE2 knows)."""
    return "".join("\\" + char if char in "\\]^-[" else char for char in chars) + \
        ("0-9\\x{80}-\\x{10FFFF}" if digits else "")


def _class(chars: str, digits: bool) -> str:
    """The inside of a character class of ``chars`` (and ``\\d``)."""
    return "".join("\\" + char if char in "\\]^-[" else char for char in chars) + ("\\d" if digits else "")


def heads_and_key_words(heads: tuple[Anchor, ...], rules) -> Probe:
    """A prefilter for values a text names by a word it holds elsewhere (an ``INSERT``'s column
    list, a Redis command's field): one of ``heads`` (what starts such a text), and the longest
    part of each key glob's word of ``rules`` (a name a glob matches holds it however it is
    written, as a key inside text does: see :func:`~.rule.key_word_probe`); a character that is
    not ASCII for a word in another script."""
    words: set = set()
    for rule in rules:
        for word, _ in rule.literal_words:
            longest = max((part for part in word.split("_") if part), key=len, default="")
            if not word.isascii():
                words.add(NON_ASCII)
            elif len(longest) < 2:
                return Probe.any_of(*heads)
            else:
                words.add(Literal(longest, caseless=True))
    return Probe(all_of=(heads, tuple(sorted(words, key=repr))))
