"""Prefilter anchors read off a pattern: what every match of it must hold.

A catalogue entry's ``prefilter`` (or its keywords) is a pattern in the syntax Python ``re`` and
RE2 share. Its parse tree (Python's own parser) says what any match holds, whichever engine runs
it:

* a piece of literal text (``"pat"``, ``"ltc1"``, case-folded under ``(?i)``) gives a
  :class:`~.prefilter.Literal`; an alternation of literals (``sin|social``) a group of them;
* consecutive items whose classes are small ASCII sets (``[0-9]{3}[ -][0-9]{2}``) give a
  :class:`~.prefilter.Run`: a match lies inside a run of their union, at least as long as the
  items' shortest match, and holds at least as many characters of the class the run counts (the
  class that makes the run rarest: the digits, a separator, the first character of an address);
* a character that is not ASCII (a literal that folds to no ASCII letter, or a class of
  non-ASCII characters only such as ``[^\\x00-\\x7f]``) gives :data:`~.prefilter.NON_ASCII`;
* any other alternation gives a group: the best anchor of each branch.

A pattern whose best anchors are common in event text (a few digits, a single character, a run
joined by spaces) gives none: a search with the pattern itself flags far fewer strings.

Every anchor found is implied by a match, so a probe made of them can only over-approximate:
the exact pattern still decides. What is not understood here (classes with categories or
negations, look-around, letters in a case-folded class) holds nothing and ends a run. A
pattern from which nothing is read gives no groups (its caller searches it instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

try:  # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

from .prefilter import CASE_FOLDS, NON_ASCII, Anchor, Literal, Run, selectivity

_C = sre_constants
_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII = frozenset(map(chr, range(128)))
_REPEATS = tuple(op for op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)) if op)
#: The most common letters of event text (names, words, identifiers)
_COMMON = frozenset("etaoinsrlcdu")
#: A run whose counted characters are this common in event text is not worth following.
_MAX_COUNTED_SHARE = 0.3
#: How many groups a probe keeps (the most selective): each costs a check on every candidate.
_MAX_GROUPS = 2
#: A class of at most this many characters (``[:=]``) is a group of one-character literals.
_MAX_CLASS_LITERALS = 4
#: Runs shorter than this are everywhere.
_MIN_RUN = 4


def _share(chars) -> float:
    """Roughly how many of the characters of event text are in ``chars``."""
    total = 0.0
    for char in chars:
        if char in _DIGITS:
            total += 0.02
        elif char in _COMMON:
            total += 0.05
        elif char.islower():
            total += 0.015
        else:
            total += 0.006 if char.isupper() else 0.01
    return total


@dataclass(frozen=True)
class _Char:
    """An item matching one character, repeated ``low`` to ``high`` times: its class (ASCII
    characters; ``None`` when wider or not ASCII), whether it is read case-folded, and whether
    each character it matches is not ASCII."""

    chars: frozenset | None
    low: int
    high: int
    caseless: bool
    non_ascii: bool = False

    @property
    def in_run(self) -> bool:
        """Whether it may join a run: a small class of ASCII characters that case-folding cannot
        widen (no letters when read case-folded, since the Kelvin sign folds to ``k``)."""
        return self.chars is not None and not (self.caseless and self.chars & _LETTERS)


@dataclass(frozen=True)
class _Alternation:
    """An alternation (or a repeated group) the match passes through ``low`` times or more: each
    branch's items."""

    branches: tuple[tuple, ...]
    low: int
    caseless: bool


def pattern_anchors(pattern: str) -> tuple[tuple[Anchor, ...], ...]:
    """The groups of anchors every match of ``pattern`` holds (a hit in each), most selective
    first; empty when nothing can be read off the pattern."""
    parsed = sre_parse.parse(pattern)
    caseless = bool(parsed.state.flags & _C.SRE_FLAG_IGNORECASE)
    groups = _best(_groups(tuple(_items(list(parsed), caseless))))
    if not groups or not all(map(_rare, groups[0])):
        return ()  # a search with the pattern itself flags fewer strings than the scan would
    return tuple(groups)


def _rare(anchor: Anchor) -> bool:
    """Whether an anchor is rare enough in event text that the strings holding it are few: a
    literal of three characters or more, a non-ASCII character, a long run of digits not
    joined by spaces (which join words, dates and times into long runs), or a long run counting
    a rare character (the first character of an address)."""
    if isinstance(anchor, Literal):
        return len(anchor.text) >= 3
    if isinstance(anchor, Run):
        if anchor.count_digits:
            return anchor.min_count >= 9 and " " not in anchor.chars
        return anchor.min_length >= 18 and _share(anchor.counted) <= 0.05
    return True


def _items(parsed: list, caseless: bool):
    """The parsed sequence as :class:`_Char` and :class:`_Alternation` items (groups without a
    repeat are read inline, with their flags)."""
    for op, value in parsed:
        if op is _C.SUBPATTERN:
            _, add_flags, del_flags, inner = value
            inner_caseless = (caseless or bool(add_flags & _C.SRE_FLAG_IGNORECASE)) and not (
                del_flags & _C.SRE_FLAG_IGNORECASE)
            yield from _items(list(inner), inner_caseless)
        elif op is _C.BRANCH:
            yield _Alternation(tuple(tuple(_items(list(branch), caseless)) for branch in value[1]), 1, caseless)
        elif op in _REPEATS:
            low, high, inner = value
            inner = list(inner)
            char = _char(inner[0], caseless) if len(inner) == 1 else None
            if char is not None:
                yield _Char(char.chars, low, high, char.caseless, char.non_ascii)
            else:
                yield _Alternation((tuple(_items(inner, caseless)),), low, caseless)
        elif op is _C.AT:
            continue  # zero width
        else:
            char = _char((op, value), caseless)
            yield char if char is not None else _Char(None, 0, 0, caseless)  # look-around and the like


def _char(item, caseless: bool) -> _Char | None:
    """A single-character item as a :class:`_Char` (``None`` if it is not one)."""
    op, value = item
    if op is _C.LITERAL:
        char = chr(value)
        if char in _ASCII:
            return _Char(frozenset(char), 1, 1, caseless)
        # a non-ASCII character matches an ASCII one only by case-folding (the Kelvin sign)
        return _Char(None, 1, 1, caseless, non_ascii=not (caseless and char in CASE_FOLDS))
    if op is _C.IN:
        return _class(value, caseless)
    if op in (_C.ANY, _C.NOT_LITERAL):
        return _Char(None, 1, 1, caseless)
    return None


def _class(members: list, caseless: bool) -> _Char:
    """A class ``[...]``: its ASCII members; or non-ASCII only (``[^\\x00-\\x7f]``, read as
    written); or wider (``None``)."""
    chars: set[str] = set()
    negated = False
    for op, value in members:
        if op is _C.NEGATE:
            negated = True
        elif op is _C.LITERAL:
            chars.add(chr(value))
        elif op is _C.RANGE and value[1] < 128:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:  # a category (\d, \w ...) or a range beyond ASCII
            return _Char(None, 1, 1, caseless)
    if negated:
        return _Char(None, 1, 1, caseless, non_ascii=chars >= _ASCII and not caseless)
    if not chars <= _ASCII:
        return _Char(None, 1, 1, caseless)
    return _Char(frozenset(chars), 1, 1, caseless)


# ------------------------------------------------------------------ groups of a sequence

def _groups(items: tuple) -> list[tuple[Anchor, ...]]:
    """Every group a match of the sequence ``items`` holds (each a tuple of alternatives)."""
    groups: list[tuple[Anchor, ...]] = []
    literal: list[tuple[str, bool]] = []  # (character, read case-folded)
    stretch: list[tuple] = []  # each element: the alternative item sequences it may be
    for item in items:
        if isinstance(item, _Alternation):
            _alternation_groups(item, literal, groups)
            literal.clear()
            if _narrow(item):
                stretch.append(item.branches)
                continue
        else:
            if item.non_ascii and item.low:
                groups.append((NON_ASCII,))
            if item.chars is not None and len(item.chars) == 1 and item.low == item.high == 1:
                literal.append((next(iter(item.chars)), item.caseless))
            else:
                _add_literal(literal, groups)
                if item.chars is not None and item.low and len(item.chars) <= _MAX_CLASS_LITERALS:
                    groups.append(tuple(_literal([(char, item.caseless)]) for char in sorted(item.chars)))
            if item.in_run:
                stretch.append(((item,),))
                continue
        _add_run(stretch, groups)
    _add_literal(literal, groups)
    _add_run(stretch, groups)
    return groups


def _literal(characters: list[tuple[str, bool]]) -> Literal:
    text = "".join(char for char, _ in characters)
    return Literal(text, caseless=any(caseless and char in _LETTERS for char, caseless in characters))


def _add_literal(literal: list, groups: list) -> None:
    if literal:
        groups.append((_literal(literal),))
    literal.clear()


def _alternation_groups(item: _Alternation, before: list, groups: list) -> None:
    """The groups an alternation adds: when each branch starts with literal text, the literal
    text before it joined to each branch's (a parser factors ``sin|social`` as ``s(?:in|ocial)``);
    otherwise the literal before it, and the best group of each branch."""
    if item.low < 1:
        _add_literal(before, groups)
        return
    leads = [_leading_literal(branch) for branch in item.branches]
    if len(item.branches) > 1 and all(leads) and before:
        groups.append(tuple(dict.fromkeys(_literal(before + lead) for lead in leads)))
        return
    _add_literal(before, groups)
    best = [_best(_groups(branch)) for branch in item.branches]
    if len(best) == 1:
        groups.extend(best[0])
    elif all(best):
        groups.append(tuple(dict.fromkeys(anchor for branch in best for anchor in branch[0])))


def _leading_literal(items: tuple) -> list[tuple[str, bool]]:
    lead = []
    for item in items:
        if not (isinstance(item, _Char) and item.chars is not None and len(item.chars) == 1
                and item.low == item.high == 1):
            break
        lead.append((next(iter(item.chars)), item.caseless))
    return lead


def _narrow(item: _Alternation) -> bool:
    """Whether every branch is a sequence of small classes (it may then be part of a run)."""
    return item.low >= 1 and len(item.branches) > 1 and all(
        all(isinstance(part, _Char) and part.in_run for part in branch) for branch in item.branches)


def _add_run(stretch: list, groups: list) -> None:
    """The run a stretch of consecutive small classes lies in (each element: its alternative
    item sequences): their union, at least their shortest length, counting the class that makes
    the run rarest among those not too common to follow."""
    elements, stretch[:] = list(stretch), []
    length = sum(min(sum(item.low for item in branch) for branch in element) for element in elements)
    if length < _MIN_RUN:
        return
    union = frozenset().union(*(item.chars for element in elements for branch in element for item in branch))
    choices = {item.chars for element in elements for branch in element for item in branch if item.low}
    if _DIGITS <= union:
        choices.add(_DIGITS)
    best = None
    for counted in choices:
        share = _share(counted)
        count = sum(min(sum(item.low for item in branch if item.chars <= counted) for branch in element)
                    for element in elements)
        if not count or share > _MAX_COUNTED_SHARE:
            continue
        rarity = count * -math.log10(share) + (length - count) * 0.1
        if best is None or rarity > best[0]:
            best = (rarity, counted, count)
    if best is None:
        return
    _, counted, count = best
    if counted == _DIGITS:
        run = Run("".join(sorted(union - _DIGITS)), count, count_digits=True, digits=True, min_length=length)
    else:
        run = Run("".join(sorted(union)), count, counted="".join(sorted(counted)), digits=_DIGITS <= union,
                  min_length=length)
    groups.append((run,))


def _best(groups: list[tuple[Anchor, ...]]) -> list[tuple[Anchor, ...]]:
    """The most selective groups (a group is as selective as its least selective anchor). A group
    of single characters only (``=`` or ``:``) comes after the others: it is common, so it only
    narrows down what another group found (and next to a run, it says less than the run)."""
    unique = list(dict.fromkeys(groups))
    if any(isinstance(anchor, Run) for group in unique for anchor in group):  # a run says more
        unique = [group for group in unique if not all(map(_single_character, group))] or unique
    unique.sort(key=lambda group: (not all(map(_single_character, group)), min(map(selectivity, group))),
                reverse=True)
    return unique[:_MAX_GROUPS]


def _single_character(anchor: Anchor) -> bool:
    return isinstance(anchor, Literal) and len(anchor.text) == 1
