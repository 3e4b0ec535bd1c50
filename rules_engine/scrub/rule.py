"""One compiled scrub rule: its redaction, its key globs as one matcher, detectors, pattern and selectors.

Key globs are also turned into the literal words a prefilter can look for, so keys inside text
(``password=...`` in a query string, a repr, a log line) are found without trying every position."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from ..conditions.glob import translate
from ..conditions.regex import compile_regex
from ..model import models
from .detectors import BUILTIN, Detector
from .prefilter import Probe
from .redactions import Redaction, compile_redaction
from .selectors import normalize_key

_QUOTED_KEY = re.compile(r"""b?(['"])(.*)\1\Z""", re.DOTALL)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
#: How many key names (and plans, and selector steps) a scrubber remembers the decision for.
KEY_MEMO_LIMIT = 10_000


@dataclass
class Rule:
    index: int
    id: str
    redaction: Redaction
    key_match: Callable[[str], Any] | None  # all key globs of the rule as one anchored regex
    detectors: tuple[Detector, ...]
    pattern: Any  # compiled RE2 pattern or None
    selector_indexes: tuple[int, ...]  # into the automaton; empty = everywhere
    literal_words: tuple[tuple[str, bool], ...]  # of each key glob, for keys inside text (_key_word)


def compile_rule(index: int, rule: models.ScrubRule, hash_key: bytes | None) -> Rule:
    key_match = _key_globs_regex(rule.keys).match if rule.keys else None
    return Rule(
        index=index,
        id=rule.id,
        redaction=compile_redaction(rule.redact, hash_key),
        key_match=key_match,
        detectors=tuple(BUILTIN[name] for name in rule.detect or ()),
        pattern=compile_regex(rule.pattern) if rule.pattern else None,
        selector_indexes=(),
        literal_words=tuple(_key_word(_normalize_glob(pattern)) for pattern in rule.keys or ()),
    )


def key_matcher(globs: list[str]) -> Callable[[str], bool]:
    """Whether a key name matches any of ``globs`` as a ``keys`` rule decides it."""
    match = _key_globs_regex(globs).match
    return lambda key: any(match(form) is not None for form in key_forms(key))


def _key_globs_regex(globs: list[str]) -> re.Pattern[str]:
    """All key globs of a rule as one anchored regex over a normalized key form."""
    return re.compile("|".join(translate(_normalize_glob(pattern)) for pattern in globs))


def _normalize_glob(pattern: str) -> str:
    from .selectors import _normalize_glob as normalize

    return normalize(pattern)


def key_forms(key: str) -> tuple[str, ...]:
    """The spellings a key glob is tried against: the key (lower case, ``-`` as ``_``, the quotes
    of a repr'd bytes key dropped), its
    camelCase words split (``accessToken`` -> ``access_token``), and the last part of a dotted
    name (``http.request.header.cookie`` -> ``cookie``)."""
    quoted = _QUOTED_KEY.match(key)
    if quoted is not None:  # the SDK's repr of a bytes or str key: "b'cookie'"
        key = quoted.group(2)
    forms = {normalize_key(key), normalize_key(_CAMEL_BOUNDARY.sub("_", key))}
    for form in list(forms):
        if "." in form:
            forms.add(form.rsplit(".", 1)[1])
    return tuple(forms)


def activation_groups(key_rules: list[Rule]) -> list[list[Rule]]:
    """Key rules grouped by where they are active, each group with a keys-inside-text probe of
    its own: the rules active everywhere together, each rule with ``in`` selectors alone. A
    string under no selector is then no candidate for the words of a rule active only under one
    (``name`` of a rule ``in: [user]`` in every frame-variable repr holding ``name=``)."""
    everywhere = [rule for rule in key_rules if not rule.selector_indexes]
    groups = [everywhere] if everywhere else []
    return groups + [[rule] for rule in key_rules if rule.selector_indexes]


def key_word_probe(rules: list[Rule]) -> Probe:
    """A prefilter for keys inside text: a literal word of every key glob, with ``_`` matching
    ``_``, ``-`` or nothing (camelCase), then the end of a key and its separator. A glob without a
    literal of two characters or more makes every string a candidate.

    The word is the glob's final literal run when the glob ends with one (``cookie``, ``*_token``):
    the key then ends right after the word, so ``cookie_params=`` is no candidate for ``cookie``.
    Otherwise it is the glob's longest literal run, and the rest of the key may follow."""
    words = {word for rule in rules for word in rule.literal_words}
    alternatives = []
    for word, ends_key in sorted(words):
        parts = [part for part in word.split("_") if part]
        if len("".join(parts)) < 2:
            return Probe("", always=True)
        core = "[_-]?".join(_ascii_literal(part) for part in parts)
        if ends_key:
            alternatives.append(core + _KEY_END)
        else:
            alternatives.append(core + _KEY_REST_AND_END)
    return Probe("(?:" + "|".join(alternatives) + ")", caseless=True, alternatives=tuple(alternatives))


def _ascii_literal(part: str) -> str:
    """``part`` escaped, each run of non-ASCII letters as "a run of non-ASCII characters": a
    prefilter over UTF-8 bytes cannot fold their case (``ПАРОЛЬ`` for ``пароль``), so the probe
    stays ASCII and flags a superset (a prefilter may flag too much, never too little)."""
    return _NON_ASCII_RUN.sub(r"[^\\x00-\\x7f]+", re.escape(part))


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


#: After a key inside text (see :mod:`.keytext`): a bare key ends before spaces and ``=`` or
#: ``:``; a quoted one with its quote (``'``, ``"`` or an escaped ``\"``), spaces and ``=``, ``:``
#: or ``,`` and a quoted value (a ``(b'cookie', b'...')`` pair; ``Column('api_secret', String())``
#: is none).
_QUOTED_KEY_END = r"""\\?["'][ \t]*(?:[:=]|,[ \t]*b?\\?["'])"""
_KEY_END = r"""(?:[ \t]*[:=]|""" + _QUOTED_KEY_END + ")"
#: The rest of a key, then its end: any bare-key characters (ASCII or not), or anything a quoted
#: key may hold.
_KEY_REST_AND_END = r"""(?:[^\s"'\\:=,\x00]*[ \t]*[:=]|[^"'\\\n\x00]*""" + _QUOTED_KEY_END + ")"


def _key_word(glob: str) -> tuple[str, bool]:
    """(word, whether it ends the key) for the keys-inside-text prefilter (see :func:`key_word_probe`)."""
    runs = _literal_runs(glob)
    final = runs[-1]
    if len(final.replace("_", "")) >= 2:
        return final, True
    return max(runs, key=len), False


def _literal_runs(glob: str) -> list[str]:
    """The runs of plain characters in a (normalized) glob, outside classes and braces; the last
    one is empty unless the glob ends with a plain character."""
    runs: list[str] = []
    current: list[str] = []
    depth = 0
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "\\" and i + 1 < len(glob):
            if not depth:
                current.append(glob[i + 1])
            i += 2
            continue
        if char in "*?[{" or depth:
            runs.append("".join(current))
            current = []
            if char == "[":
                i = glob.find("]", i + 2)
                i = len(glob) if i == -1 else i
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
        else:
            current.append(char)
        i += 1
    runs.append("".join(current))
    return runs


def _pattern_spans(pattern, text: str):
    """Spans a user pattern redacts: its capture groups when it has any, else the whole match."""
    groups = pattern.groups
    for match in pattern.finditer(text):
        if groups:
            for group in range(1, groups + 1):
                start, end = match.span(group)
                if end > start:
                    yield start, end
        elif match.end() > match.start():
            yield match.span()


def pattern_spans_function(pattern) -> Callable[[str], list]:
    """``text -> spans`` of a user pattern (see :func:`_pattern_spans`)."""
    return lambda text: list(_pattern_spans(pattern, text))


def lowest_bit(mask: int) -> int:
    return (mask & -mask).bit_length() - 1
