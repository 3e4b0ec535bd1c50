"""One compiled scrub rule: its redaction, its key globs as one matcher, detectors, pattern and selectors.

Key globs are also turned into the literal words a prefilter can look for, so keys inside text
(``password=...`` in a query string, a repr, a log line) are found without trying every position."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from ..conditions.glob import glob_regex, translate
from ..conditions.regex import compile_regex, readable_by_re2
from ..model import models
from .detectors import BUILTIN, Detector
from .encoded_text import base64_pieces
from .prefilter import NON_ASCII, Literal, Probe
from .redactions import Redaction, compile_redaction
from .selectors import normalize_key

_QUOTED_KEY = re.compile(r"""b?(['"])(.*)\1\Z""", re.DOTALL)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
#: What a key name may end in that names a copy or a version of the same value (``token2``,
#: ``api_key_v2``, ``SECRET_KEY_OLD``, ``sessionIdPrev``): with ``options.numbered_keys`` a key is
#: also read without it, twice at most (``stripe_key_old_2``).
_COPY_SUFFIX = re.compile(
    r"(?:(?<![0-9])[_-]?[0-9]{1,3}|[_-]?v[0-9]{1,3}|_?(?:old|new|prev|previous|next|current|backup|fallback|primary"
    r"|secondary|legacy|tmp|temp))\Z", re.IGNORECASE)
#: A run of spaces inside a key name, and a name of two to four words (``spaced`` key forms): a
#: quoted text of more words or holding punctuation is prose (``"+OK send PASS"``).
_SPACES = re.compile(r"\s+")
_SPACED_NAME = re.compile(r"[^\W\d][\w.$@-]*(?:\s+[\w.$@-]+){1,3}")
#: How many key names (and plans, and selector steps) a scrubber remembers the decision for.
KEY_MEMO_LIMIT = 10_000


@dataclass
class Rule:
    index: int
    id: str
    redaction: Redaction
    key_match: Callable[[str], Any] | None  # all key globs of the rule as one anchored regex
    key_exception: Callable[[str], Any] | None  # its except_keys globs alike (None: none)
    key_case: str  # which forms of a key name ``key_match`` is tried on (see key_forms)
    detectors: tuple[Detector, ...]
    pattern: Any  # compiled RE2 pattern or None
    selector_indexes: tuple[int, ...]  # into the automaton; empty = everywhere
    literal_words: tuple[tuple[str, bool], ...]  # of each key glob, for keys inside text (_key_word)

    def matches_key(self, forms: tuple[str, ...]) -> bool:
        """Whether a key name, as its ``key_forms``, is one of the rule's keys."""
        return _matches(self.key_match, self.key_exception, forms)


def _matches(key_match: Callable[[str], Any], key_exception: Callable[[str], Any] | None,
             forms: tuple[str, ...]) -> bool:
    """A key is matched when one of its forms matches a key glob and none an ``except_keys`` glob
    (``password_changed_at`` is no ``*password*`` when ``*_at`` is excepted, as whichever form)."""
    if not any(key_match(form) for form in forms):
        return False
    return key_exception is None or not any(key_exception(form) for form in forms)


def compile_rule(index: int, rule: models.ScrubRule, hash_key: bytes | None) -> Rule:
    key_match = _key_globs_regex(rule.keys, rule.case).match if rule.keys else None
    return Rule(
        index=index,
        id=rule.id,
        redaction=compile_redaction(rule.redact, hash_key),
        key_match=key_match,
        key_exception=_key_globs_regex(rule.except_keys, rule.case).match if rule.except_keys else None,
        key_case=rule.case,
        detectors=tuple(BUILTIN[name] for name in rule.detect or ()),
        pattern=compile_regex(rule.pattern) if rule.pattern else None,
        selector_indexes=(),
        literal_words=tuple(_key_word(_normalize_glob(pattern)) for pattern in rule.keys or ()),
    )


def key_matcher(globs: list[str], case: str = "insensitive", except_globs: list[str] | None = None,
                spaced: bool = False, numbered: bool = False) -> Callable[[str], bool]:
    """Whether a key name matches any of ``globs`` and none of ``except_globs`` as a ``keys`` rule
    comparing ``case`` decides it (``spaced``, ``numbered``: the forms :func:`key_forms` reads,
    as ``options.text_shapes`` and ``options.numbered_keys`` make the scrubber read them)."""
    match = _key_globs_regex(globs, case).match
    exception = _key_globs_regex(except_globs, case).match if except_globs else None
    return lambda key: _matches(match, exception, key_forms(key, case, spaced, numbered))


def _key_globs_regex(globs: list[str], case: str = "insensitive") -> Any:
    """All key globs of a rule as one anchored regex over a key form (RE2 when a glob could
    backtrack: key names are chosen by whoever sends the data)."""
    return glob_regex(globs, "|".join(translate(_glob_form(pattern, case)) for pattern in globs))


def _glob_form(pattern: str, case: str) -> str:
    """A glob in the form of the key forms it is compared with (see :func:`key_forms`)."""
    if case == "sensitive":
        return _written(pattern)
    from .selectors import _normalize_glob as normalize

    return normalize(pattern)


def _normalize_glob(pattern: str) -> str:
    return _glob_form(pattern, "insensitive")


def key_forms(key: str, case: str = "insensitive", spaced: bool = False, numbered: bool = False
              ) -> tuple[str, ...]:
    """The spellings a key glob is tried against: the key (the quotes of a repr'd bytes key
    dropped, ``-`` as ``_``), and the last part of a dotted name (``http.request.header.cookie``
    -> ``cookie``). Compared case-insensitively, the key is in lower case and also has its
    camelCase words split (``accessToken`` -> ``access_token``); compared case-sensitively, it
    is as written. With ``spaced`` (``options.text_shapes``), a key of two to four words is also
    tried with each run of spaces as ``_`` (``API Key`` -> ``api_key``, as ``API-Key`` is), its
    ends trimmed: the words people write a label in are the words of a key glob. With
    ``numbered`` (``options.numbered_keys``), each of these also without a copy or version suffix
    (:data:`_COPY_SUFFIX`: ``token2`` -> ``token``)."""
    quoted = _QUOTED_KEY.match(key)
    if quoted is not None:  # the SDK's repr of a bytes or str key: "b'cookie'"
        key = quoted.group(2)
    if spaced and _SPACES.search(key) is not None and _SPACED_NAME.fullmatch(key.strip()):
        return tuple(dict.fromkeys(key_forms(key, case, numbered=numbered)
                                   + key_forms(_SPACES.sub("_", key.strip()), case, numbered=numbered)))
    if case == "sensitive":
        forms = {_written(key)}
    else:
        forms = {normalize_key(key), normalize_key(_CAMEL_BOUNDARY.sub("_", key))}
    for form in list(forms):
        if "." in form:
            forms.add(form.rsplit(".", 1)[1])
    if numbered:
        for _ in range(2):
            forms.update([_COPY_SUFFIX.sub("", form) for form in forms])
        forms.discard("")
    return tuple(forms)


def _written(name: str) -> str:
    """A key name or glob compared as written: composed (NFC), ``-`` as ``_``."""
    if not name.isascii():
        name = unicodedata.normalize("NFC", name)
    return name.replace("-", "_")


def activation_groups(key_rules: list[Rule]) -> list[list[Rule]]:
    """Key rules grouped by where they are active, each group with a keys-inside-text probe of
    its own: the rules active everywhere together, each rule with ``in`` selectors alone. A
    string under no selector is then no candidate for the words of a rule active only under one
    (``name`` of a rule ``in: [user]`` in every frame-variable repr holding ``name=``)."""
    everywhere = [rule for rule in key_rules if not rule.selector_indexes]
    groups = [everywhere] if everywhere else []
    return groups + [[rule] for rule in key_rules if rule.selector_indexes]


def key_word_probe(rules: list[Rule], encoded: bool = False, shaped: bool = False) -> Probe:
    """A prefilter for keys inside text: a literal of every key glob (case-folded), and a
    separator a key is followed by (``=``, ``:``, or the ``,`` of a ``(b'key', b'value')`` pair).

    A key matching a glob holds the parts of its word (split at ``_``) however it is written
    (``access_token``, ``accessToken``, ``ACCESS-TOKEN``). When the glob ends with its word
    (``*token``), the key ends with the last part, right before what ends a key inside text
    (spaces, a separator or a quote): the literals are that part with each of those characters.
    Otherwise the literal is the word's longest part (:func:`standing_part`). A word of several
    parts is looked for by two parts in a row instead (:func:`_pair_anchors`): ``api_key`` is
    rarer than ``api``. A word in another script (``пароль``,
    ``contraseña``) is looked for as a character that is not ASCII: keys are compared in lower
    case, and the lower case of ASCII text is ASCII, so a key holding the word is not ASCII. A
    glob without such a word or a literal of two ASCII characters or more makes every string a
    candidate. With ``encoded`` (keys inside encoded text, :mod:`.encoded_text`), a separator may
    be percent-encoded (``%3A``, ``%3D``, ``%2C``, or a ``%25`` of text encoded twice). With
    ``shaped`` (keys in the shapes of :mod:`.textshapes`), a key may also end in Markdown's
    emphasis or code (``**token**:``, ``__token__:``, `` `token`: ``) or a table's cell (``|``,
    ``,``, a line break, ``<``)."""
    ends = _KEY_ENDS + _SHAPED_KEY_ENDS if shaped else _KEY_ENDS
    anchors: set = set()
    for rule in rules:
        for word, ends_key in rule.literal_words:
            found = _word_anchors(word, ends_key, ends, encoded, shaped)
            if found is None:
                return Probe(always=True)
            anchors.update(found)
    separators = _KEY_SEPARATORS + _ENCODED_SEPARATORS if encoded else _KEY_SEPARATORS
    return Probe(all_of=(tuple(sorted(anchors, key=repr)), separators))


def _word_anchors(word: str, ends_key: bool, ends: tuple[str, ...], encoded: bool, shaped: bool) -> set | None:
    """The anchors one of which every text holding a key of the glob's ``word`` holds (see
    :func:`key_word_probe`), or None when only every string would do."""
    if not word.isascii():
        return {NON_ASCII}
    written = word.split("_")  # (an empty part: two ``_`` in a row, which no pair spans)
    pairs = [(first, second) for first, second in zip(written, written[1:]) if min(len(first), len(second)) >= 2]
    if pairs:
        return _pair_anchors(*max(pairs, key=lambda pair: _rarity(_anchored_side(pair))), encoded, shaped)
    part, ends_with_it = standing_part(word, ends_key)
    if len(part) < 2:
        return None
    if ends_with_it:
        return {Literal(part + end, caseless=True) for end in ends}
    return {Literal(part, caseless=True)}


def standing_part(word: str, ends_key: bool) -> tuple[str, bool]:
    """The part of a key word that stands for it where one part is looked for, and whether the
    key ends with it: the last part when the glob ends with the word and the part has three
    characters or more (a key inside text then ends with it, before what ends a key), else the
    longest."""
    parts = [part for part in word.split("_") if part]
    if ends_key and len(parts[-1]) >= 3:
        return parts[-1], True
    return max(parts, key=len, default=""), False


#: Words common in code and prose, so poor anchors on their own (a source line holding ``response``
#: or ``api`` is no key): a pair of parts is looked for next to its other part when it is one.
_COMMON_PARTS = frozenset((
    "access", "account", "address", "admin", "api", "app", "auth", "card", "client", "code", "data",
    "file", "for", "header", "id", "key", "name", "number", "private", "public", "request",
    "response", "secret", "security", "service", "session", "token", "type", "user", "value",
))
#: What ``key_forms`` reads as the ``_`` between two parts of a key: nothing (``apiKey``), ``_``,
#: ``-``; with ``spaced`` forms (``options.text_shapes``) a run of whitespace, ASCII or not.
_JOINED_BY = ("", "_", "-")
_ASCII_WHITESPACE = tuple(chr(code) for code in range(128) if chr(code).isspace())
#: The last character of an escape an encoded view decodes to a separator (:mod:`.encoded_text`:
#: ``%5F``, ``%255F``, ``\u005f``, ``&#95;``, ``&lowbar;``, and ``+`` as a space).
_ESCAPE_ENDS = tuple("0123456789abcdef;+")


def _rarity(part: str) -> tuple[bool, int]:
    """How rarely a text holds a part of a key word, roughly: not a common word, then longer."""
    return part not in _COMMON_PARTS, len(part)


def _anchored_side(pair: tuple[str, str]) -> str:
    """The part of a pair that the separators a text may spell in many ways are looked for next
    to: the rarer (the second of two alike)."""
    first, second = pair
    return max((second, first), key=_rarity)


def _pair_anchors(first: str, second: str, encoded: bool, shaped: bool) -> set:
    """Two parts in a row of a key word, as every spelling of the key holds them: joined as
    ``key_forms`` joins them (``api_key``, ``api-key``, ``apikey``), and with ``spaced`` forms by
    one whitespace character (``api key``). A separator spelled in many ways has the anchors of
    the part next to it (the rarer, :func:`_anchored_side`) with what starts the separator: a run
    of whitespace, its first character, or two when the first is a space (``api\\t``, ``api  ``); an escape (``encoded``), its first
    character before (``api%``) or its last after the part (``fkey``, ``;key``). Whitespace
    beyond ASCII is a character that is not ASCII."""
    anchors: set = {Literal(first + joint + second, caseless=True) for joint in _JOINED_BY}
    before = _anchored_side((first, second)) == first
    nexts: list[str] = []
    if shaped:
        anchors.update(Literal(first + space + second, caseless=True) for space in _ASCII_WHITESPACE)
        nexts += [" " + more for more in _ASCII_WHITESPACE] + [space for space in _ASCII_WHITESPACE if space != " "]
        anchors.add(NON_ASCII)
    if encoded:
        nexts += ("%", "&", "\\", "+") if before else _ESCAPE_ENDS
    anchors.update(Literal(first + text if before else text + second, caseless=True) for text in nexts)
    return anchors


def key_word_base64_probe(rules: list[Rule]) -> Probe:
    """A prefilter for keys inside base64 (:mod:`.encoded_text`): the base64 every text holding a
    key word of the rules (its :func:`standing_part`, the part keys inside text look for in a word
    of one part) surely holds, whatever the
    alignment (:func:`~.encoded_text.base64_pieces`), the word in lower case, capitalised (a
    camelCase key's later words) and in upper case. A word shorter than two groups at an
    alignment is looked for with what surrounds it as a key: each character that may end a key
    after it (a word that ends the key), each character a key commonly follows before it. (A word
    of two characters is then found at two alignments of three.) Every string, as for
    :func:`key_word_probe`, when a key word is shorter than two characters."""
    literals: set[str] = set()
    for rule in rules:
        for word, ends_key in rule.literal_words:
            part, _ = standing_part(word, ends_key)
            if len(part) < 2 and part.isascii():
                return Probe(always=True)
            for written in dict.fromkeys((part.lower(), part.capitalize(), part.upper())):
                texts = [written]
                if len(written.encode("utf-8")) < _TWO_GROUPS:
                    texts += [before + written for before in _KEY_STARTS]
                    if ends_key:
                        texts += [written + after for after in _KEY_ENDS]
                for text in texts:
                    literals.update(base64_pieces(text.encode("utf-8"), _GROUP))
    return Probe.any_of(*(Literal(text) for text in sorted(literals)))


#: One base64 group's characters, and the bytes a word needs to hold a group at every alignment.
_GROUP, _TWO_GROUPS = 4, 5
#: What a key inside text commonly follows: a quote, a space, a query's or a cookie's separator,
#: a brace or bracket, a comma, a line break.
_KEY_STARTS = ('"', "'", " ", "&", "?", ";", ",", "{", "(", "[", "\n", "\t")


#: What follows a key inside text (see :mod:`.keytext`): the first character after the key, and
#: a separator somewhere after it
_KEY_ENDS = ("=", ":", " ", "\t", '"', "'", "\\")
#: What else ends a key written in Markdown or a table (:mod:`.textshapes`): emphasis, a bar, a
#: CSV header's comma or line break, an HTML cell's closing tag
_SHAPED_KEY_ENDS = ("*", "_", "`", "|", ",", "\n", "\r", "<")
_KEY_SEPARATORS = (Literal("="), Literal(":"), Literal(","))
#: The separators percent-encoded (HTML and ``\\u`` escapes keep a separator as written or hold
#: ``:`` themselves: ``&quot;``, ``&#34;``).
_ENCODED_SEPARATORS = tuple(Literal(text, caseless=True) for text in ("%3a", "%3d", "%2c", "%25"))


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

    def spans(text: str) -> list:
        try:
            return list(_pattern_spans(pattern, text))
        except UnicodeEncodeError:
            return list(_pattern_spans(pattern, readable_by_re2(text)))

    return spans


def lowest_bit(mask: int) -> int:
    return (mask & -mask).bit_length() - 1
