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
* A probe is flagged when every one of its groups has a hit (``Probe.all_of``: each group an
  alternative of anchors); a probe with no anchors flags every string (``always``).
* A user pattern is searched with RE2 itself (its one dialect) over all the strings joined by NUL:
  a match inside one string is a match of the joined text, so no string holding one is missed (a
  pattern with anchors, whose meaning changes on joined text, flags every string instead).

Two scanners compute the anchors: :class:`AnchorScanner` in C (``_prefilter.c``: one
Aho–Corasick automaton over case-folded ASCII for every literal, and class-run counters, in one
pass over each string), built wherever the package was compiled; and :class:`PythonScanner`,
the same definitions with ``str.find`` and ``re``, used when it was not or when
``RULES_ENGINE_ACCELERATOR=off`` (``accelerator="off"``). Both give the same anchors for every
string (tested); a catalogue of many detectors adds literals to one automaton, so 150 detectors
cost about what 20 do.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import add
from typing import Any, Union

try:  # the scan in C (built from _prefilter.c when a compiler is at hand at install time)
    from ._prefilter import AnchorScanner as CAnchorScanner
except ImportError:  # pragma: no cover - exercised where the extension is not built
    CAnchorScanner = None

SEPARATOR = "\x00"
#: Non-ASCII characters that Python ``re`` or RE2 match caselessly to an ASCII letter, or that
#: ``str.lower()`` turns into one (``tests`` check this table against both engines): the Kelvin
#: sign, the long s, the dotted and the dotless i.
CASE_FOLDS = {"\u212a": "k", "\u017f": "s", "\u0130": "i", "\u0131": "i"}
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

        #: every user pattern in one RE2 set: which of them match anywhere in an event
        self._search_set = _search_set(self._searches) if len(self._searches) > 1 else None

    def candidates(self, texts: list[str]) -> dict[int, int]:
        if not texts:
            return {}
        found = self._scanner.scan(texts) if self._scanner is not None else {}
        if self._searches:
            _search_joined(texts, self._searches, self._search_set, found)
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


def _starts(texts: list[str]) -> list[int]:
    """Where each string starts in the texts joined by NUL, and where one more would start."""
    return list(accumulate(map(add, map(len, texts), repeat(1)), initial=0))


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
    strings joined by NUL, with ``str.find`` (case-folded once for the caseless literals) and
    ``re``; its other groups only in the strings that group flagged."""

    def __init__(self, literals: list[tuple[str, bool, int]], runs: list[tuple], folds: dict[str, str],
                 probes: list[tuple[int, list[list[int]]]], non_ascii: int = -1):
        self._fold_table = str.maketrans(folds)
        anchors: dict[int, Any] = {non_ascii: _PythonNonAscii()}
        for text, caseless, bit in literals:
            anchors[bit] = _PythonLiteral(text.lower() if caseless else text, caseless)
        for chars, digits, min_length, counted, count_digits, min_count, bit in runs:
            anchors[bit] = _PythonRun(chars, digits, min_length, counted, count_digits, min_count)
        self._any_caseless = any(caseless for _, caseless, _ in literals)
        self._probes = [(1 << bit, [[anchors[anchor] for anchor in group] for group in groups])
                        for bit, groups in probes]

    def scan(self, texts: list[str]) -> dict[int, int]:
        found: dict[int, int] = {}
        joined = SEPARATOR.join(texts)
        starts = _starts(texts)
        folded = joined.translate(self._fold_table).lower() if self._any_caseless else joined
        flagged: dict[Any, set[int]] = {}  # anchor -> the strings holding it
        for bit, (first, *others) in self._probes:
            indexes: set[int] = set()
            for anchor in first:
                held = flagged.get(anchor)
                if held is None:
                    held = flagged[anchor] = anchor.strings(texts, joined, folded, starts)
                indexes |= held
            for group in others:
                indexes = {index for index in indexes if any(anchor.held_by(texts[index], self._fold_table)
                                                             for anchor in group)}
            for index in indexes:
                found[index] = found.get(index, 0) | bit
        return found


class _PythonNonAscii:
    def strings(self, texts: list[str], joined: str, folded: str, starts: list[int]) -> set[int]:
        if joined.isascii():
            return set()
        return {index for index, text in enumerate(texts) if not text.isascii()}

    def held_by(self, text: str, fold_table: dict) -> bool:
        return not text.isascii()


class _PythonLiteral:
    def __init__(self, text: str, caseless: bool):
        self.text, self.caseless = text, caseless

    def strings(self, texts: list[str], joined: str, folded: str, starts: list[int]) -> set[int]:
        return _find_each_string(folded if self.caseless else joined, self.text, starts)

    def held_by(self, text: str, fold_table: dict) -> bool:
        return self.text in (text.translate(fold_table).lower() if self.caseless else text)


class _PythonRun:
    """A run (see :class:`Run`), found from its counted characters: ``[K][C]*`` from the first
    counted character of a run to its end (a search then goes on after the run), and the part
    before it (members that are not counted) matched backwards on the reversed text."""

    def __init__(self, chars: str, digits: bool, min_length: int, counted: str, count_digits: bool, min_count: int):
        members = _class(chars, digits)
        uncounted = _class("".join(sorted(set(chars) - set(counted))), digits and not count_digits)
        self._rest = re.compile(f"[{_class(counted, count_digits)}][{members}]*")
        self._before = re.compile(f"[{uncounted}]*") if uncounted else None
        self._counted, self._count_digits = counted, count_digits
        self._min_length, self._min_count = min_length, min_count

    def strings(self, texts: list[str], joined: str, folded: str, starts: list[int]) -> set[int]:
        return {bisect_right(starts, start) - 1 for start in self._runs(joined)}

    def held_by(self, text: str, fold_table: dict) -> bool:
        return any(True for _ in self._runs(text))

    def _runs(self, text: str):
        """Where each run long enough and holding enough counted characters starts."""
        reversed_text = None
        for match in self._rest.finditer(text):
            if _counted(match.group(), self._counted, self._count_digits) < self._min_count:
                continue
            start = match.start()
            if self._before is not None and start:
                if reversed_text is None:
                    reversed_text = text[::-1]
                start -= self._before.match(reversed_text, len(text) - start).end() - (len(text) - start)
            if match.end() - start >= self._min_length:
                yield start


def _class(chars: str, digits: bool) -> str:
    """The inside of a character class of ``chars`` (and ``\\d``)."""
    return "".join("\\" + char if char in "\\]^-[" else char for char in chars) + ("\\d" if digits else "")


def _counted(run: str, counted: str, count_digits: bool) -> int:
    total = sum(run.count(char) for char in counted)
    if count_digits:
        total += sum(char.isdecimal() for char in run if char not in counted)
    return total


def _find_each_string(text: str, literal: str, starts: list[int]) -> set[int]:
    """The strings of the joined ``text`` holding ``literal``: after a hit, the search goes on at
    the next string."""
    found: set[int] = set()
    find, count = text.find, len(starts) - 1
    position = find(literal)
    while position != -1:
        index = bisect_right(starts, position) - 1
        found.add(index)
        if index + 1 >= count:
            break
        position = find(literal, starts[index + 1])
    return found


def _search_joined(texts: list[str], searches: list[tuple[int, Any]], search_set, found: dict[int, int]) -> None:
    """Flag the strings holding a match of each user pattern, searched with RE2 over the strings
    joined by NUL in UTF-8 (encoded once; byte offsets). After a hit in a string the search goes
    on at the next one. A match may run on past the end of its string (over NUL): its string is
    then flagged for nothing, and no other string is skipped. With many patterns, one pass of
    their RE2 set first tells which of them match anywhere; only those are searched."""
    joined = SEPARATOR.join(texts)
    if joined.isascii():  # UTF-8 is the text itself: byte offsets are character offsets
        data, starts = joined.encode("ascii"), _starts(texts)
    else:
        try:
            encoded = [text.encode("utf-8") for text in texts]
        except UnicodeEncodeError:  # lone surrogates: RE2 cannot read them; the exact pass decides
            for bit, _ in searches:
                for index in range(len(texts)):
                    found[index] = found.get(index, 0) | bit
            return
        data, starts = b"\x00".join(encoded), _starts(encoded)
    if search_set is not None:
        searches = [searches[index] for index in sorted(search_set.Match(data) or ())]  # None: no match
    count = len(texts)
    for bit, pattern in searches:
        search = _bytes_search(pattern)
        position = 0
        while True:
            start = search(data, position)
            if start < 0:
                break
            index = bisect_right(starts, start) - 1
            found[index] = found.get(index, 0) | bit
            if index + 1 >= count:
                break
            position = starts[index + 1]


def _search_set(searches: list[tuple[int, Any]]):
    """The user patterns as one RE2 set, searched unanchored over UTF-8 bytes; its indexes are
    those of ``searches``. None when RE2 cannot build one (each pattern is then searched)."""
    import re2

    patterns = [pattern for _, pattern in searches]
    found = re2.Set.SearchSet(patterns[0].options)
    try:
        for index, pattern in enumerate(patterns):
            if found.Add(pattern.pattern.encode("utf-8")) != index:
                return None
        found.Compile()
    except re2.error:
        return None
    return found


_BYTES_SEARCHES: dict[Any, Any] = {}


def _bytes_search(pattern):
    """``(data, position) -> start of the first match at or after position, or -1``: the RE2
    pattern compiled over UTF-8 bytes (the same options and syntax: RE2 reads its text as UTF-8
    either way), remembered per pattern. It calls the binding's compiled regexp directly where
    it has one (the wrapper's ``search`` builds a match object and re-encodes offsets: most of
    the cost of a search over a short text)."""
    found = _BYTES_SEARCHES.get(pattern)
    if found is None:
        import re2

        compiled = re2.compile(pattern.pattern.encode("utf-8"), pattern.options)
        found = _raw_search(compiled) or _wrapped_search(compiled)
        if len(_BYTES_SEARCHES) < 1024:
            _BYTES_SEARCHES[pattern] = found
    return found


def _raw_search(compiled):
    """The search through the binding's ``_re2.RE2.Match(anchor, data, pos, endpos)``, or None
    where this version of the binding has no such method."""
    import re2

    regexp = getattr(compiled, "_regexp", None)
    unanchored = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    if regexp is None or unanchored is None or not hasattr(regexp, "Match"):
        return None
    match = regexp.Match

    def search(data: bytes, position: int) -> int:
        return match(unanchored, data, position, len(data))[0][0]

    try:
        if search(b"", 0) not in (-1, 0):
            return None
    except Exception:  # a binding whose private method means something else
        return None
    return search


def _wrapped_search(compiled):
    def search(data: bytes, position: int) -> int:
        match = compiled.search(data, position)
        return -1 if match is None else match.start()

    return search
