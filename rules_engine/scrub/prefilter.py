"""Which strings of an event may hold which secret: one multi-pattern pass over all of them.

The scrubber collects every string of an event in one walk, then asks a prefilter which strings
may contain which *probe* (a detector, a user pattern, or a sensitive key word). Only those
(string, probe) pairs go through the exact matchers and validators. A prefilter may flag too
much, never too little, so both implementations lead to identical results:

* :class:`HyperscanPrefilter`: all probes compiled into one hyperscan database, scanned once over
  the strings joined by NUL (no probe matches NUL, so no match spans two strings; hyperscan
  reports every match, so every string holding one is flagged). Hyperscan comes from libhs linked
  into the C module when it was found at install time (``libhyperscan-dev``), else from the
  ``hyperscan`` package (the ``fast`` extra); both compile the same expressions.
* :class:`PythonPrefilter`: each probe searched with ``re`` over the same joined text, jumping to
  the next string after each hit.

``RULES_ENGINE_ACCELERATOR=off`` (or ``accelerator="off"``) forces the pure-Python path.
"""

from __future__ import annotations

import os
import re
import threading
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add

try:  # optional accelerator: pip install rules-engine[fast]
    import hyperscan
except ImportError:  # pragma: no cover - exercised where hyperscan is not installed
    hyperscan = None

try:  # the joining and the mapping of hits in C (the scrubber's C walk module)
    from ._walker import JoinedTexts
except ImportError:  # pragma: no cover - exercised where the extension is not built
    JoinedTexts = None

try:  # the whole scan in C, with libhs (built in where libhs was found at install time)
    from ._walker import LIBHS_VERSION, HyperscanDatabase
except ImportError:  # pragma: no cover - exercised where libhs is not installed
    HyperscanDatabase = LIBHS_VERSION = None

#: hs_compile.h's HS_FLAG_CASELESS (the same value in the hyperscan package)
HS_FLAG_CASELESS = 1
#: what either engine raises for an expression it cannot compile
_COMPILE_ERRORS = (ValueError, hyperscan.error) if hyperscan is not None else (ValueError,)

SEPARATOR = "\x00"
#: Anchors (but not the "^" of a negated class "[^...]"): on joined text they would not mean
#: what they mean in one string, so a pattern holding one is run on every string.
_ANCHOR = re.compile(r"(?<!\[)\^|\$|\\[AzZbB]")


def user_pattern_probe(pattern: str) -> Probe:
    return Probe(pattern, always=bool(_ANCHOR.search(pattern)))


@dataclass(frozen=True)
class Probe:
    """A pattern every exact match of something contains. ``always``: every string is a candidate
    (a user pattern the prefilter cannot represent faithfully, e.g. one with anchors).
    ``alternatives``: when ``pattern`` is an alternation of these, hyperscan compiles each one as
    an expression of its own under the probe's id (one huge alternation can exceed its limits)."""

    pattern: str
    caseless: bool = False
    always: bool = False
    alternatives: tuple[str, ...] = ()

    @property
    def expressions(self) -> tuple[str, ...]:
        return self.alternatives or (self.pattern,)


def accelerator_available() -> bool:
    return bool(hyperscan_engines())


def accelerators_built() -> str:
    """What runs the scrubber by default here, for reports: ``"C walk, hyperscan (libhs 5.4.0)"``."""
    parts = ["C walk" if JoinedTexts is not None else "Python walk"]
    engines = hyperscan_engines()
    if not engines:
        parts.append("Python prefilter")
    elif engines[0] == "libhs":
        parts.append(f"hyperscan (libhs {LIBHS_VERSION.split()[0]})")
    else:
        parts.append("hyperscan (the hyperscan package)")
    return ", ".join(parts)


def hyperscan_engines() -> tuple[str, ...]:
    """The ways to run hyperscan here, preferred first: ``libhs`` (the scan and its match handler
    in C) and ``package`` (the hyperscan package, which calls a Python handler per match)."""
    return (("libhs",) if HyperscanDatabase is not None else ()) + (("package",) if hyperscan is not None else ())


def accelerator_choice(accelerator: str | None) -> str:
    """``accelerator``, else ``RULES_ENGINE_ACCELERATOR``, else ``"auto"``; checked, lower case."""
    choice = (accelerator or os.environ.get("RULES_ENGINE_ACCELERATOR") or "auto").lower()
    if choice not in ("auto", "on", "off", "hyperscan", "python"):
        raise ValueError(f"RULES_ENGINE_ACCELERATOR must be 'auto', 'on' or 'off', not {choice!r}")
    return choice


def accelerators_wanted(accelerator: str | None) -> bool:
    """Whether the accelerators may be used (all of them, unless switched off)."""
    return accelerator_choice(accelerator) not in ("off", "python")


def make_prefilter(probes: tuple[Probe, ...], accelerator: str | None = None):
    """The prefilter for ``probes``: hyperscan when installed and not switched off."""
    choice = accelerator_choice(accelerator)
    wants_fast = accelerators_wanted(choice)
    if wants_fast and accelerator_available():
        return HyperscanPrefilter.build(probes)
    if choice in ("on", "hyperscan"):
        raise ValueError("RULES_ENGINE_ACCELERATOR=on needs hyperscan: pip install 'rules-engine[fast]'")
    return PythonPrefilter(probes)


class PythonPrefilter:
    name = "python"

    def __init__(self, probes: tuple[Probe, ...]):
        self.always_mask = 0
        self._searches = []
        for index, probe in enumerate(probes):
            if probe.always:
                self.always_mask |= 1 << index
            else:
                flags = re.IGNORECASE if probe.caseless else 0
                self._searches.append((1 << index, re.compile(probe.pattern, flags).search))

    def candidates(self, texts: list[str]) -> dict[int, int]:
        """Map string index -> bitmask of the probes it may contain (``always`` probes excluded)."""
        found: dict[int, int] = {}
        if not texts or not self._searches:
            return found
        joined = SEPARATOR.join(texts)
        starts = list(accumulate(map(add, map(len, texts), repeat(1)), initial=0))
        count = len(texts)
        for bit, search in self._searches:
            position = 0
            while True:
                match = search(joined, position)
                if match is None:
                    break
                index = bisect_right(starts, match.start()) - 1
                found[index] = found.get(index, 0) | bit
                if index + 1 >= count:
                    break
                position = starts[index + 1]
        return found


class HyperscanPrefilter:
    name = "hyperscan"

    def __init__(self, database, always_mask: int, engine: str):
        self._database = database
        self.always_mask = always_mask
        self.engine = engine
        self._scratches = threading.local()

    @classmethod
    def build(cls, probes: tuple[Probe, ...], engine: str | None = None) -> "HyperscanPrefilter":
        engine = engine or hyperscan_engines()[0]
        always_mask = 0
        usable: list[tuple[int, Probe]] = []
        for index, probe in enumerate(probes):
            accepted = all(_hyperscan_accepts(pattern, probe.caseless, engine) for pattern in probe.expressions)
            if probe.always or not accepted:
                always_mask |= 1 << index
            else:
                usable.append((index, probe))
        return cls(_database(tuple(usable), engine) if usable else None, always_mask, engine)

    def candidates(self, texts: list[str]) -> dict[int, int]:
        if not texts or self._database is None:
            return {}
        if self.engine == "libhs":
            return self._database.candidates(texts if type(texts) is list else list(texts))
        if JoinedTexts is not None and type(texts) is list:
            # The same joining and mapping in C; the handler hyperscan calls is the C object.
            joined_texts = JoinedTexts(texts)
            self._database.scan(joined_texts.data, match_event_handler=joined_texts, scratch=self._scratch())
            return joined_texts.found()
        return self._candidates_in_python(texts)

    def _scratch(self):
        """This thread's scratch space: the package lets other threads run while it scans, and
        hyperscan refuses a scratch space already in use (``ScratchInUseError``)."""
        scratch = getattr(self._scratches, "scratch", None)
        if scratch is None:
            scratch = self._scratches.scratch = hyperscan.Scratch(self._database)
        return scratch

    def _candidates_in_python(self, texts: list[str]) -> dict[int, int]:
        found: dict[int, int] = {}
        joined = SEPARATOR.join(texts)
        if joined.isascii():
            data = joined.encode("ascii")
            lengths = map(len, texts)
        else:  # offsets are in UTF-8 bytes
            encoded = list(map(str.encode, texts, repeat("utf-8"), repeat("surrogatepass")))
            data = b"\x00".join(encoded)
            lengths = map(len, encoded)
        hits: list[tuple[int, int]] = []
        append = hits.append

        def on_match(probe_id, start, end, flags, context):
            append((end, probe_id))

        self._database.scan(data, match_event_handler=on_match, scratch=self._scratch())
        if not hits:
            return found
        if joined.count(SEPARATOR) == len(texts) - 1:
            # No string holds a NUL: a hit is in the string numbered by the separators before it,
            # counted stretch by stretch since hits come in order of their end (hyperscan reports
            # them so in block mode; should one come out of order, the general way below is taken).
            index, counted, count, get = 0, 0, data.count, found.get
            for end, probe_id in hits:
                if end < counted:
                    found.clear()
                    break
                index += count(b"\x00", counted, end)
                counted = end
                found[index] = get(index, 0) | (1 << probe_id)
            else:
                return found
        # Where each string starts in ``data`` (its length plus a separator after each one).
        starts = list(accumulate(map(add, lengths, repeat(1)), initial=0))
        index, start, next_start = 0, 0, starts[1]
        for end, probe_id in hits:
            if not start < end <= next_start:  # consecutive hits are mostly in the same string
                index = bisect_right(starts, end - 1) - 1
                start, next_start = starts[index], starts[index + 1]
            found[index] = found.get(index, 0) | (1 << probe_id)
        return found


def _flags(caseless: bool) -> int:
    return HS_FLAG_CASELESS if caseless else 0


@lru_cache(maxsize=256)
def _hyperscan_accepts(pattern: str, caseless: bool, engine: str) -> bool:
    """Whether hyperscan compiles ``pattern`` as written (non-ASCII patterns are left to the
    exact pass)."""
    if not pattern.isascii():
        return False
    try:
        _compile([pattern.encode()], [0], [_flags(caseless)], engine)
    except _COMPILE_ERRORS:
        return False
    return True


@lru_cache(maxsize=64)
def _database(usable: tuple[tuple[int, Probe], ...], engine: str):
    expressions = [(index, pattern, probe.caseless) for index, probe in usable for pattern in probe.expressions]
    return _compile(
        [pattern.encode() for _, pattern, _ in expressions],
        [index for index, _, _ in expressions],
        [_flags(caseless) for _, _, caseless in expressions],
        engine,
    )


def _compile(expressions: list[bytes], ids: list[int], flags: list[int], engine: str):
    if engine == "libhs":
        return HyperscanDatabase(expressions, ids, flags)
    database = hyperscan.Database()
    database.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
    return database
