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
* A user pattern is searched with RE2 itself (its one dialect): beside the scan in C, over all
  the strings joined by NUL, all patterns at once, and each string where one may match is then
  searched alone (:class:`JoinedSearch`); in the Python scan, in the RE2 set it reads each string
  with. A pattern with anchors, whose meaning changes on joined text, flags every string instead.

Catalogue entries given as a prefilter pattern get their anchors read off it
(:mod:`.regex_anchors`); a pattern whose anchors would be common is searched with RE2 like a user
pattern.

Two scanners compute the anchors: :class:`AnchorScanner` in C (``_prefilter.c``: one pass over
each string, a hash of its last four case-folded characters looked up in a bitmap of the
literals, and counters of the runs of each class), built wherever the package was compiled; and
:class:`PythonScanner`, the same definitions with one RE2 set of the literals, of what runs need
and of the user patterns read over each string, used when it was not or when
``RULES_ENGINE_ACCELERATOR=off`` (``accelerator="off"``). Both give the same anchors for every
string (tested); a catalogue of many detectors adds literals to one automaton, so 150 detectors
cost about what 20 do.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Union

from .joined import (
    SEPARATOR,
    JoinedSearch,
    Utf8Joined,
    bytes_search,  # noqa: F401 - read from here by the catalogue's detectors
    re2_set,
    set_match,
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
        self.name = "c" if use_c else "python"
        #: the scan in C, for other literals (the echoes' forms), when it runs this one
        self.c_scanner = CAnchorScanner if use_c else None
        scanner = CAnchorScanner if use_c else PythonScanner
        self._scanner = scanner(*self.scanner_arguments) if groups else None
        self._joined_search = JoinedSearch(self._searches) if self._searches else None

    def candidates(self, texts: list[str]) -> dict[int, int]:
        found = self._scanner.scan(texts) if self._scanner is not None and texts else {}
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

    An RE2 set of every literal and a character beyond ASCII, read over each string's UTF-8
    bytes, tells what the string holds: a string is read once, in C, however many literals there
    are, and Python looks only at what the set found, in tables: the probes each entry flags
    alone, and the bit it sets in a small mask of what probes of more groups and runs need
    (anchors in the same groups share a bit). Event strings are short, so a set per string costs
    about what one over pieces of the strings joined would, and tells at once which string holds
    what, with no ``str.find`` after it.

    What each run of a probe's first group needs (:attr:`_PythonRun.necessary`) is looked for by
    a :class:`JoinedSearch` per kind of run, over the event's strings joined: few strings hold
    one, and one set of them all would be an automaton tracking every kind's repetitions at once,
    which grows a state a character on long runs (random text, hex dumps) and is rebuilt over and
    over, at microseconds a character. Kinds of the same members that count other characters
    (the base58 addresses: one alphabet, each its own leading characters) are searched only in
    the strings holding as many members in a row as their shortest run: one read of all the text
    for them all. A run is followed (``in_text``, the definition) only in the strings holding what
    it needs; the probes of more groups a mask flags are worked out once per mask.

    Caseless literals are in the set with ``(?i)``: RE2 folds ASCII letters, the Kelvin sign and
    the long s as :data:`CASE_FOLDS` does; the folds it does not make (the dotted and the dotless
    i) are made before a second read of the strings holding such a character, for the caseless
    literals only."""

    def __init__(self, literals: list[tuple[str, bool, int]], runs: list[tuple], folds: dict[str, str],
                 probes: list[tuple[int, list[list[int]]]], non_ascii: int = -1):
        import re2

        anchors: dict[int, Any] = {non_ascii: NON_ASCII}
        for text, caseless, bit in literals:
            # caseless literals that differ in case only ("Token", "token") are one anchor
            anchors[bit] = (text.lower() if caseless else text, caseless)
        for chars, digits, min_length, counted, count_digits, min_count, bit in runs:
            anchors[bit] = _PythonRun(chars, digits, min_length, counted, count_digits, min_count)
        # A run in a first group is looked for in every string (a joined search per kind of run),
        # where a literal costs nothing beyond the set's one read of each string: a probe's groups
        # of literals go first (the others keep their order), its runs followed where they hit.
        probe_groups = [(1 << bit, sorted(([anchors[anchor] for anchor in group] for group in groups),
                                          key=_holds_a_run))
                        for bit, groups in probes]
        #: the probes each anchor flags alone (a probe of one group)
        alone: dict[Any, int] = {}
        #: per anchor in a probe of more groups, the groups it is in: anchors in the same groups
        #: share a bit of the mask of what a string holds
        places: dict[Any, set] = {}
        for bit, groups in probe_groups:
            for place, group in enumerate(groups):
                for anchor in group:
                    if len(groups) == 1:
                        alone[anchor] = alone.get(anchor, 0) | bit
                    else:
                        places.setdefault(anchor, set()).add((bit, place))
        # Runs of first groups (the most selective, see Prefilter) are looked for where the set
        # finds what they need; others only in the strings a first group flagged.
        first_runs = list(dict.fromkeys(anchor for _, (first, *_) in probe_groups for anchor in first
                                        if isinstance(anchor, _PythonRun)))
        #: what the set finds: the literals and the character beyond ASCII (as entries), the runs
        #: of first groups (from the entries of what they need)
        found_by_set = sorted({anchor for anchor in [*alone, *places] if not isinstance(anchor, _PythonRun)}, key=repr)
        found_by_set += first_runs
        mask_bits: dict[frozenset, int] = {}
        #: the bit of each anchor the set finds (0 when in no probe of more groups)
        self._bit: dict[Any, int] = {}
        for anchor in found_by_set:
            if anchor in places:
                self._bit[anchor] = mask_bits.setdefault(frozenset(places[anchor]), 1 << len(mask_bits))
            else:
                self._bit[anchor] = 0
        #: the probes of more groups: (bit, the mask of its first group, a mask per other group,
        #: and the runs of each other group followed in the string)
        self._multi: list[tuple[int, int, list[int]]] = []
        self._multi_following: list[tuple[int, int, list[tuple[int, tuple]]]] = []
        for bit, groups in probe_groups:
            if len(groups) == 1:
                continue
            first, *later = [(sum({self._bit.get(anchor, 0) for anchor in group}),
                              tuple(anchor for anchor in group if anchor not in self._bit)) for group in groups]
            if any(followed for _, followed in later):
                self._multi_following.append((bit, first[0], later))
            else:
                self._multi.append((bit, first[0], [mask for mask, _ in later]))
        #: the masks that may flag a probe whose later groups have runs to follow in the string
        self._following_masks = 0
        for _, first_mask, _ in self._multi_following:
            self._following_masks |= first_mask

        #: per entry of the set: the probes it flags outright and its bit of the mask
        sources: list[str] = []
        self._direct: list[int] = []
        self._mask_bit: list[int] = []
        #: the entries of caseless literals, and of the character beyond ASCII
        self._caseless: set[int] = set()
        self._non_ascii_entry = None
        found_in: list[bytes] = []  # per literal entry, a text it is found in
        for anchor in found_by_set[:len(found_by_set) - len(first_runs)]:
            if isinstance(anchor, tuple):
                text, caseless = anchor
                if caseless:
                    self._caseless.add(len(sources))
                sources.append(("(?i)" if caseless else "") + re.escape(text))
                found_in.append(text.encode("utf-8"))
            else:
                self._non_ascii_entry = len(sources)
                sources.append("[\\x{80}-\\x{10FFFF}]")
                found_in.append("\u00e9".encode("utf-8"))
            self._direct.append(alone.get(anchor, 0))
            self._mask_bit.append(self._bit[anchor])
        options = re2.Options()
        options.log_errors = False
        #: the runs of first groups: (run, the bits of what it needs, its bit, the probes it flags alone)
        self._runs: list[tuple[_PythonRun, int, int, int]] = []
        self._need_bits = 0
        #: per kind of run, (bit, pattern) of what its runs need
        needed_by_kind: dict[Any, dict[str, int]] = {}
        for run in first_runs:
            needs = 0
            for pattern in run.necessary:
                need = mask_bits.setdefault(frozenset({pattern}), 1 << len(mask_bits))
                needed_by_kind.setdefault(run.kind, {})[pattern] = need
                needs |= need
            self._runs.append((run, needs, self._bit[run], alone.get(run, 0)))
            self._need_bits |= needs
        #: per family of kinds (runs of the same members), the search for the run every one of
        #: them holds (None: not all do, or one kind alone) and the searches of each kind
        self._run_searches: list[tuple[JoinedSearch | None, list[JoinedSearch]]] = []
        for family in _families(first_runs):
            kinds = dict.fromkeys(run.kind for run in family)
            searches = [JoinedSearch([(need, re2.compile(pattern, options))
                                      for pattern, need in needed_by_kind[kind].items()]) for kind in kinds]
            held_by_all = _held_by_every_run(family) if len(kinds) > 1 else None
            gate = None if held_by_all is None else JoinedSearch([(1, re2.compile(held_by_all, options))])
            self._run_searches.append((gate, searches))
        #: mask -> the probes of more groups it flags (the ones with no run to follow)
        self._flagged_by_mask: dict[int, int] = {}
        #: the needs found in a string -> the runs that have all theirs (few combinations occur)
        self._runs_needing: dict[int, list] = {}

        #: the set of literals (a string read again for its caseless literals, see _refolded)
        self._match = _set_matcher(sources, options, found_in)
        #: the folds RE2 does not make, made before the caseless literals are read again
        unfolded = {char: letter for char, letter in folds.items() if re2.search(f"(?i){letter}", char) is None}
        self._refold_table = str.maketrans(unfolded)
        self._unfolded = re.compile("[" + "".join(unfolded) + "]").search if unfolded else None

    def scan(self, texts: list[str]) -> dict[int, int]:
        found: dict[int, int] = {}
        match, direct, mask_bit, unfolded = self._match, self._direct, self._mask_bit, self._unfolded
        flagged_by_mask, need_bits = self._flagged_by_mask, self._need_bits
        uncached = need_bits | self._following_masks  # masks _flagged works out string by string
        needs = self._needs(texts) if self._run_searches else {}
        # the probes of each string read: an event repeats many (frames share file names,
        # modules, lines of context), each is read once
        seen: dict[str, int] = {}
        for index, text in enumerate(texts):
            probes = seen.get(text)
            if probes is None:
                try:
                    hits = match(text.encode("utf-8")) or ()  # (the wrapper's Match gives None for none)
                except UnicodeEncodeError:  # a lone surrogate (see _unreadable)
                    hits = self._unreadable(text)
                if unfolded is not None and not text.isascii() and unfolded(text):
                    hits = self._refolded(text, hits)
                probes = 0
                mask = needs.get(text, 0) if needs else 0
                for hit in hits:
                    probes |= direct[hit]
                    mask |= mask_bit[hit]
                if mask:
                    flagged = None if mask & uncached else flagged_by_mask.get(mask)
                    probes |= self._flagged(text, mask) if flagged is None else flagged
                seen[text] = probes
            if probes:
                found[index] = probes
        return found

    def _needs(self, texts: list[str]) -> dict[str, int]:
        """The bits of what runs need that each string holding some holds (every need, in strings
        RE2 cannot read: the runs decide)."""
        distinct = list(dict.fromkeys(texts))
        found: dict[int, int] = {}
        joined = Utf8Joined.of(distinct)
        for gate, searches in self._run_searches:
            strings, strings_joined, places = distinct, joined, None
            if gate is not None and joined is not None:
                # Only the strings holding the run every kind of the family needs are searched for
                # what each kind needs: most text holds none, and each search reads all it is given.
                passed: dict[int, int] = {}
                gate.flag(distinct, passed, joined.again())
                if not passed:
                    continue
                if len(passed) < len(distinct):  # (in unusual text every string holds such a run)
                    places = list(passed)
                    strings = [distinct[index] for index in places]
                    strings_joined = Utf8Joined.of(strings)
            held = found if places is None else {}
            for search in searches:
                search.flag(strings, held, None if strings_joined is None else strings_joined.again())
            if places is not None:
                for place, bits in held.items():
                    found[places[place]] = found.get(places[place], 0) | bits
        return {distinct[index]: bits for index, bits in found.items()}

    def _flagged(self, text: str, mask: int) -> int:
        """The probes of runs and of more groups that ``text`` holds, its mask ``mask``."""
        probes = 0
        needed = mask & self._need_bits
        if needed:
            runs = self._runs_needing.get(needed)
            if runs is None:
                runs = [run for run in self._runs if needed & run[1] == run[1]]
                if len(self._runs_needing) < 4096:
                    self._runs_needing[needed] = runs
            for run, _, bit, alone in runs:
                if run.in_text(text):
                    mask |= bit
                    probes |= alone
        flagged = self._flagged_by_mask.get(mask)
        if flagged is None:
            flagged = 0
            for bit, first, later in self._multi:
                if mask & first and all(mask & group for group in later):
                    flagged |= bit
            if len(self._flagged_by_mask) < 4096:
                self._flagged_by_mask[mask] = flagged
        probes |= flagged
        for bit, first, later in self._multi_following:
            if mask & first and all(mask & group or any(anchor.in_text(text) if anchor is not NON_ASCII else
                                                        not text.isascii() for anchor in followed)
                                    for group, followed in later):
                probes |= bit
        return probes

    def _unreadable(self, text: str) -> list[int]:
        """The entries found in a string holding a lone surrogate (not UTF-8): the literals as RE2
        finds them in its bytes (a literal is ASCII: a surrogate is no part of one) and the
        character beyond ASCII."""
        hits = set(self._match(text.encode("utf-8", "surrogatepass")) or ())
        if self._non_ascii_entry is not None:
            hits.add(self._non_ascii_entry)
        return sorted(hits)

    def _refolded(self, text: str, hits: list[int]) -> list[int]:
        """``hits`` and the caseless literals found once the folds RE2 does not make are made."""
        caseless = self._caseless
        refolded = self._match(text.translate(self._refold_table).encode("utf-8", "surrogatepass")) or ()
        return sorted(set(hits or ()).union(hit for hit in refolded if hit in caseless))


def _finds_its_examples(match, found_in: list[bytes]) -> bool:
    """Whether ``match`` finds the sources of a few of their examples, first, middle and last
    (an automaton that could not be built fails every text alike)."""
    numbers = sorted({0, len(found_in) // 2, len(found_in) - 1}) if found_in else []
    return all(number in (match(found_in[number]) or ()) for number in numbers)


def _set_matcher(sources: list[str], options, found_in: list[bytes]):
    """``(data) -> indexes of the sources matching in data`` (UTF-8): one RE2 set of them, or,
    where RE2 cannot build it (beyond its memory budget), sets of halves, down to one pattern
    searched alone. ``found_in``: per source, a text it matches, some of which the set is asked
    at once (RE2 builds a set's automaton at its first match, and when that outgrows its memory
    the set answers "no match" to every text from then on, with no error)."""
    match = set_match(re2_set(sources, options)) if sources else (lambda data: [])
    if match is not None and not _finds_its_examples(match, found_in):
        match = None
    if match is not None:
        return match
    if len(sources) == 1:
        import re2

        search = bytes_search(re2.compile(sources[0], options))
        return lambda data: [0] if search(data, 0) >= 0 else []
    half = len(sources) // 2
    first = _set_matcher(sources[:half], options, found_in[:half])
    second = _set_matcher(sources[half:], options, found_in[half:])
    return lambda data: [*(first(data) or ()), *(half + index for index in second(data) or ())]


def _families(runs: list["_PythonRun"]) -> list[list["_PythonRun"]]:
    """``runs`` by their members: runs of the same members that count other characters are of
    other kinds but one family."""
    families: dict[tuple, list] = {}
    for run in runs:
        families.setdefault(run.members, []).append(run)
    return list(families.values())


def _held_by_every_run(family: list["_PythonRun"]) -> str | None:
    """What every run of ``family`` needs: as many of their members in a row as the shortest is
    long (None where a run needs no length of its own)."""
    if any(run.in_a_row is None for run in family):
        return None
    return min(family, key=lambda run: run.min_length).in_a_row


def _holds_a_run(group: list[Any]) -> bool:
    return any(isinstance(anchor, _PythonRun) for anchor in group)


class _PythonRun:
    """A run (see :class:`Run`), found in one string from its counted characters:
    ``[K](?:[U]*[K]){n-1}[C]*`` from a counted character to the end of the run, holding the ``n``
    counted characters it needs (``U``: the members that are not counted; a search skips to the
    next counted character in C and gives up at once on a run with too few of them, so only runs
    that count are matched), and the part before it matched backwards on the reversed text.

    ``necessary`` are patterns every such run matches, in RE2's syntax over UTF-8, for the
    searches of :class:`PythonScanner`: its counted characters with members between them and,
    when longer, as many members in a row as the run's length (when it counts one: half its
    length before its first counted character or the rest after it). Unicode digits read as any
    character that is not ASCII. Each follows one count along a run (members in a row, counted
    characters, members after the first counted one), so RE2's automaton for the patterns of one
    ``kind`` of run (its members and counted characters) has a state for each count, not one for
    each place a counted character was seen."""

    def __init__(self, chars: str, digits: bool, min_length: int, counted: str, count_digits: bool, min_count: int):
        members = _class(chars, digits)
        counts = _class(counted, count_digits)
        uncounted_chars = "".join(sorted(set(chars) - set(counted)))
        uncounted = _class(uncounted_chars, digits and not count_digits)
        between = f"[{uncounted}]*" if uncounted else ""
        self._rest = re.compile(f"[{counts}](?:{between}[{counts}]){{{min_count - 1}}}[{members}]*")
        self._before = re.compile(f"[{uncounted}]*") if uncounted else None
        self.min_length = min_length
        self.members = (chars, digits)
        self.kind = (chars, digits, counted, count_digits)
        members = _utf8_class(chars, digits)
        counts, uncounted = _utf8_class(counted, count_digits), _utf8_class(uncounted_chars, digits and not count_digits)
        if min_count > 1:
            between = f"[{uncounted}]*" if uncounted else ""
            counted_pattern = f"[{counts}](?:{between}[{counts}]){{{min(min_count - 1, 1000)}}}"
        else:
            # half the run's length before its first counted character, or the rest after it;
            # read from the run's start, so one counted character is followed, not each
            before, after = min(min_length // 2, 1000), min(min_length - min_length // 2, 1000)
            start = f"(?:^|[^{members}])[{uncounted}]*" if uncounted else ""
            counted_pattern = f"[{members}]{{{before}}}[{counts}]|{start}[{counts}][{members}]{{{after}}}"
        #: as many members in a row as the run is long (None where that says no more than its count)
        self.in_a_row = f"[{members}]{{{min(min_length, 1000)}}}" if min_length > min_count else None
        self.necessary = (counted_pattern,) if self.in_a_row is None else (counted_pattern, self.in_a_row)

    def in_text(self, text: str) -> bool:
        """Whether ``text`` holds a run long enough with enough counted characters."""
        reversed_text = None
        for match in self._rest.finditer(text):
            start = match.start()
            if self._before is not None and start:
                if reversed_text is None:
                    reversed_text = text[::-1]
                start -= self._before.match(reversed_text, len(text) - start).end() - (len(text) - start)
            if match.end() - start >= self.min_length:
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
