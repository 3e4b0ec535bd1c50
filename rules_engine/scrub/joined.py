"""Searches over many strings at once: the strings joined by NUL and read by RE2 in one pass.

:class:`JoinedSearch` tells which strings hold a match of which pattern (user patterns, catalogue
prefilter patterns searched as such, where the scan in C runs); :func:`re2_set` builds the RE2
sets the searches and the Python scan ask; :func:`bytes_search` searches one pattern over
UTF-8 bytes at the cost of one call into the binding.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate, repeat
from operator import add
from typing import Any

SEPARATOR = "\x00"


def string_starts(texts: list[str]) -> list[int]:
    """Where each string starts in the texts joined by NUL, and where one more would start."""
    return list(accumulate(map(add, map(len, texts), repeat(1)), initial=0))


class JoinedSearch:
    """Which strings hold a match of which pattern (user patterns, catalogue prefilter patterns
    searched as such), read off the strings joined by NUL in UTF-8 (encoded
    once; byte offsets).

    One search of all the patterns as one alternation finds the first string where any of them
    may match: the leftmost match of an alternation starts where the leftmost match of one of its
    patterns does, so no string holding a match is passed over. That string alone is then asked
    which patterns it holds (their RE2 set, unanchored, as each pattern would be searched in it),
    and the search goes on at the next string. So the joined text is read once however many
    patterns there are, and a match that runs on over NUL into the next string flags nothing.

    Quoted text (``\\Q``) running to a pattern's end is closed before the pattern is put in the
    alternation's group. An alternation RE2 cannot build makes every string a string to ask (the
    set is then the one search); a set RE2 cannot build is replaced by searching each pattern in
    the string, and so is a set that answers none in a string where the alternation matches (see
    :meth:`_held`)."""

    def __init__(self, searches: list[tuple[int, Any]]):
        self._bits = [bit for bit, _ in searches]
        self._patterns = [pattern for _, pattern in searches]
        self._set = set_match(_search_set(self._patterns))
        self._first = _alternation_search(self._patterns)

    def flag(self, texts: list[str], found: dict[int, int], joined: "Utf8Joined | None" = None) -> None:
        """``joined``: the texts joined, when made already (see :meth:`Utf8Joined.again`)."""
        if not texts:
            return
        joined = Utf8Joined.of(texts) if joined is None else joined
        if joined is None:  # lone surrogates: RE2 cannot read them; the exact pass decides
            every = sum(self._bits)
            for index in range(len(texts)):
                found[index] = found.get(index, 0) | every
            return
        first, data = self._first, joined.data
        last, asked = len(texts) - 1, -1
        position = 0
        while True:
            if first is not None:
                position = first(data, position)
                if position < 0:
                    return
            index, start, end = joined.string_at(position)
            if index == asked:
                # A match from the separator after a string asked already (a pattern's "what may
                # stand before a token" holds NUL) is one in the next string.
                index, start, end = joined.string_at(end + 1)
            held = self._held(data[start:end])
            if held:
                found[index] = found.get(index, 0) | held
            if index == last:
                return
            asked, position = index, end  # the next search sees the separator before the next string

    def _held(self, string: bytes) -> int:
        """The bits of the patterns that match in ``string`` (UTF-8).

        A set answering none where the alternation matches in the string alone is one whose
        automaton RE2 could not build within its memory (such a set answers "no match" to every
        text, with no error; the alternation is an RE2 of its own, which falls back on its NFA):
        then each pattern is searched in the string. Where the alternation's match began in the
        text before (a pattern's "what may stand before" matched the separator), it matches none."""
        if self._set is not None:
            matches = self._set(string)  # None or empty: no match
            if matches:
                return sum(map(self._bits.__getitem__, matches))
            if self._first is None or self._first(string, 0) < 0:
                return 0
        return sum(bit for bit, pattern in zip(self._bits, self._patterns) if bytes_search(pattern)(string, 0) >= 0)


class Utf8Joined:
    """Strings joined by NUL in UTF-8 (``data``), and which string a byte offset is in, for
    offsets asked in increasing order.

    When no string holds a NUL, the separators say where each string starts (counted in C up to
    the offsets asked, once, where a list of every string's start costs more than the search
    itself); otherwise the starts are listed."""

    __slots__ = ("data", "starts", "_counted_to", "_separators")

    def __init__(self, data: bytes, starts: list[int] | None):
        self.data, self.starts = data, starts
        self._counted_to = self._separators = 0  # separators before offset _counted_to

    @classmethod
    def of(cls, texts: list[str]) -> "Utf8Joined | None":
        """None when a string holds a lone surrogate.

        Whether a string holds NUL is asked of the strings joined without a separator (found
        at memory speed, where counting the separators reads the text a byte at a time)."""
        joined = SEPARATOR.join(texts)
        try:
            data = joined.encode("utf-8")  # NUL is one byte in UTF-8: the texts' UTF-8 joined by it
        except UnicodeEncodeError:
            return None
        if SEPARATOR not in "".join(texts):
            return cls(data, None)
        return cls(data, string_starts(texts if joined.isascii() else [text.encode("utf-8") for text in texts]))

    def again(self) -> "Utf8Joined":
        """The same strings, to be asked offsets from the start again (by another search)."""
        return Utf8Joined(self.data, self.starts)

    def string_at(self, position: int) -> tuple[int, int, int]:
        """``(index, start, end)`` of the string holding byte ``position`` (or ending there, when
        it is a separator)."""
        data, starts = self.data, self.starts
        if starts is not None:
            index = bisect_right(starts, position) - 1
            return index, starts[index], starts[index + 1] - 1
        self._separators += data.count(0, self._counted_to, position)
        self._counted_to = position
        end = data.find(0, position)
        return self._separators, data.rfind(0, 0, position) + 1, len(data) if end < 0 else end


def _search_set(patterns: list[Any]):
    """The patterns as one RE2 set, searched unanchored over UTF-8 bytes; its indexes are those of
    ``patterns``. None when RE2 cannot build one."""
    return re2_set([pattern.pattern for pattern in patterns], patterns[0].options)


def re2_set(sources: list[str], options):
    """``sources`` as one unanchored RE2 set over UTF-8 bytes, its indexes theirs; None when RE2
    cannot build it."""
    import re2

    found = re2.Set.SearchSet(options)
    try:
        for index, source in enumerate(sources):
            if found.Add(source.encode("utf-8")) != index:
                return None
        found.Compile()
    except re2.error:
        return None
    return found


def set_match(search_set):
    """``(data) -> indexes of the set's patterns matching in data`` (maybe None for none): the
    binding's own set where it has one (the wrapper's ``Match`` is a Python call more), or None
    without a set."""
    if search_set is None:
        return None
    raw = getattr(search_set, "_set", None)
    return raw.Match if raw is not None and hasattr(raw, "Match") else search_set.Match


def _alternation_search(patterns: list[Any]):
    """``(data, position) -> start of the first match of any of the patterns at or after position,
    or -1``; None when they cannot be searched as one alternation."""
    import re2

    try:
        alternation = re2.compile("|".join(f"(?:{_quote_closed(pattern.pattern)})" for pattern in patterns),
                                  patterns[0].options)
    except re2.error:
        return None
    return bytes_search(alternation)


def _quote_closed(pattern: str) -> str:
    """``pattern`` with its quoted text (``\\Q...``) closed by ``\\E`` where it runs to the end (as
    RE2 reads it), so that no parenthesis after it is quoted when it is put in a group."""
    quoting, position = False, 0
    while position < len(pattern):
        if quoting:
            if pattern.startswith("\\E", position):
                quoting, position = False, position + 2
            else:
                position += 1
        elif pattern[position] == "\\":
            quoting = pattern.startswith("\\Q", position)
            position += 2
        else:
            position += 1
    return pattern + "\\E" if quoting else pattern


_BYTES_SEARCHES: dict[Any, Any] = {}


def bytes_search(pattern):
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
