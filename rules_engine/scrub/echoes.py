"""Echoes: a value redacted once in an event is redacted wherever else that event repeats it.

Real events say a secret more than once: a frame holds ``password`` and also ``payload`` (the
form as JSON) and ``repr(self)``; the URL carries ``?token=`` while ``query_string`` holds it
again; the exception message, a log line and a breadcrumb of the request body quote it. Every
value the scrubber redacts (a value under a sensitive key, a span a detector, a pattern or a key
inside text found, an argv secret) is a *known secret* of its event, and each other occurrence of
it in a string of the event is redacted too, by the rule that redacted the original, counted as
that rule's and remarked in ``_meta`` at the echoing string.

An echo is looked for in the forms text gives a value (:data:`ENCODINGS`, derived from the secret,
never listed per case): as it is, escaped as a JSON or Python string (twice, for JSON inside JSON),
percent-encoded, HTML-escaped, as hex digits (``bytes.hex()``, either case), and base64-encoded
as part of a longer text (``user:secret`` of Basic auth): the secret's bytes at each of the three
alignments a base64 group can start at, found inside a base64 token, which is then redacted whole.

A value of two words (``Bearer <token>``) is searched for as it is and for its last word, a URL
with a password in its userinfo (a DSN) for that password too, ``user:password`` for what follows
its first colon; a value of more words is a message rather than a secret and is not searched for
(:func:`searched_texts`).
What is too short or too common to be searched for is no secret worth searching
(:func:`worth_searching`): fewer than :data:`MIN_LENGTH` characters, fewer than
:data:`MIN_DISTINCT` distinct ones, no letter at all (numbers, dates, addresses and card numbers:
detectors find those themselves), a word of configuration such as ``password`` or ``changeme``,
a placeholder (:func:`~rules_engine.detection.validators.is_placeholder`), an object's default
``repr()``, or a text holding a redaction's own replacement. Numbers and booleans under sensitive
keys are no texts and are not searched.

An echo is replaced as the exact pass replaces a span: by the rule's redaction of the echo's own
text (a ``hash`` rule gives an encoded echo the pseudonym of its encoded text).

Only strings where the rule is active are redacted (an ``allow``-ed string is never collected, so
it stays); dict keys are not searched (a key is a field's name: ``_meta`` cannot remark on it).
"""

from __future__ import annotations

import html
import json
import re
from bisect import bisect_right
from functools import lru_cache
from itertools import compress
from typing import Callable, Iterable, Iterator
from urllib.parse import quote, unquote

from ..detection.validators import is_placeholder
from .dictkeys import key_echoes
from .encoded_text import base64_pieces
from .joined import SEPARATOR, string_starts
from .rule import lowest_bit

#: How many secrets' forms (and searched texts) a process remembers.
FORMS_REMEMBERED = 4096
#: Shorter values are too common to search for (words, ids, flags).
MIN_LENGTH = 8
#: Values of fewer distinct characters are fillers and masks (``--------``, ``abababab``).
MIN_DISTINCT = 4
#: Values that are a word of configuration or of a language rather than a secret (compared in
#: lower case).
COMMON_VALUES = frozenset({"password", "passwords", "undefined", "redacted", "changeme", "disabled",
                           "enabled", "anonymous", "localhost", "nullable", "optional", "required"})
#: The base64 alphabets' characters and padding: an echo found as base64 widens to its token.
_BASE64_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")
#: A base64 piece shorter than this could be found by chance.
_MIN_BASE64 = 8
#: A value of more words is a sentence: a message that may be repeated anywhere.
_MAX_WORDS = 2
_TIME_CHECK_EVERY = 64
#: How much of a form's start the scan of :func:`occurrences` looks for (the scanner tells
#: literals apart by their first eight characters).
_SCANNED_START = 8
#: How many starts one scan looks for: as many as keep starts times characters of text within
#: :data:`_SCAN_WORK` (each place of a text may be compared against each start, when an event
#: chose starts that look alike; the time budget is checked between scans), and this many at least.
_STARTS_PER_SCAN = 64
_SCAN_WORK = 1 << 22
#: Forms sharing a start (secrets of one provider, JWTs) beyond this many are searched for over the
#: strings joined: every string holding the start would be searched for each of them.
_FORMS_PER_START = 4
#: Forms times characters of text from which a scan is built (below, searching for each form
#: over the text costs less than building the scan).
_SCAN_FROM = 1 << 18


def _python_bodies(secret: str) -> Iterator[str]:
    """The secret inside a Python string literal as ``repr()`` writes it: with ``'`` left as it is
    (repr's own choice for a lone value) or escaped (inside a longer text holding both quotes),
    and inside a bytes literal (``b'caf\\xc3\\xa9'``)."""
    yield repr(secret)[1:-1]
    if "'" in secret:
        yield repr(secret + "'\"")[1:-4]
    if not secret.isascii():
        yield repr(secret.encode("utf-8", "surrogatepass"))[2:-1]


def _json_bodies(secret: str) -> Iterator[str]:
    """The secret inside a JSON string: ASCII-only (``\\uXXXX``) or not, and inside a JSON string
    that is itself inside one (a logged request body)."""
    once = json.dumps(secret)[1:-1]
    yield once
    if not secret.isascii():
        yield json.dumps(secret, ensure_ascii=False)[1:-1]
    if "\\" in once:  # (a quote is escaped by a backslash too)
        yield json.dumps(once)[1:-1]


def _percent_encoded(secret: str) -> Iterator[str]:
    """The secret in a URL: a query value (``quote(safe="")``), a path (``quote``, which keeps
    ``/``), a form body (``quote_plus``, a space as ``+``). One encoding gives all three: ``%2F``
    and ``%20`` come only from ``/`` and a space (a ``%`` of the secret is ``%25``)."""
    encoded = quote(secret, safe="", errors="surrogatepass")
    yield encoded
    yield encoded.replace("%2F", "/")
    yield encoded.replace("%20", "+")


def _html_escaped(secret: str) -> Iterator[str]:
    yield html.escape(secret)


def _hex_digits(secret: str) -> Iterator[str]:
    """The secret's bytes as hex digits, in lower and upper case (``bytes.hex()``, a digest's or a
    key's printable form): two digits a byte, so inside hex of a longer text they stand whole."""
    digits = secret.encode("utf-8", "surrogatepass").hex()
    yield digits
    yield digits.upper()


def _base64_pieces(secret: str) -> Iterator[str]:
    """What base64 of a text holding the secret surely holds (see
    :func:`~.encoded_text.base64_pieces`)."""
    return base64_pieces(secret.encode("utf-8", "surrogatepass"), _MIN_BASE64)


#: The forms text gives a value: (name, forms of a secret, whether a form found widens to the
#: base64 token around it). The secret as it is comes first.
ENCODINGS: tuple[tuple[str, Callable[[str], Iterable[str]], bool], ...] = (
    ("verbatim", lambda secret: (secret,), False),
    ("python", _python_bodies, False),
    ("json", _json_bodies, False),
    ("percent", _percent_encoded, False),
    ("html", _html_escaped, False),
    ("hex", _hex_digits, False),
    ("base64", _base64_pieces, True),
)

#: The encodings that change every character, so that a secret needing no escaping still has
#: forms of theirs.
_TRANSCODINGS = ("hex", "base64")


#: The encodings of :data:`ENCODINGS` as (forms of a secret, whether a form found widens); those
#: of :data:`_TRANSCODINGS` alone, what a secret made of unescaped characters has besides itself.
_ENCODERS = tuple((encode, widens) for _, encode, widens in ENCODINGS)
_TRANSCODERS = tuple((encode, widens) for name, encode, widens in ENCODINGS if name in _TRANSCODINGS)

#: Characters no escaping of :data:`ENCODINGS` changes (URL-unreserved ones): a secret made of
#: them alone is its own form for all but hex and base64 (most secrets: tokens, keys, ids).
_UNESCAPED = re.compile(r"[A-Za-z0-9._~-]*")


@lru_cache(maxsize=FORMS_REMEMBERED)
def echo_forms(secret: str) -> dict[str, bool]:
    """Each distinct form of ``secret`` (see :data:`ENCODINGS`) -> whether it widens to a base64
    token. A form that is also a plain one (base64 of a text that is base64 itself) does not.
    (Remembered: a process's secrets come back event after event. Read it, never change it.)"""
    forms: dict[str, bool] = {secret: False}
    encodings = _TRANSCODERS if _UNESCAPED.fullmatch(secret) is not None else _ENCODERS
    for encode, widens in encodings:
        for form in encode(secret):
            if form not in forms:
                forms[form] = widens
    return forms


def searched_texts(secret: str, replacements: Iterable[str] = ()) -> list[str]:
    """What the event is searched for, of a secret: itself, and of a value of two words (``Bearer
    <token>``, ``Basic <credentials>``) its last word too, and of a URL with a password in its
    userinfo (a DSN) that password, as written and percent-decoded (a client's frames hold it
    parsed out of the URL), and of credentials written ``user:password`` (Basic auth's text,
    ``redis`` and ``curl -u`` credentials) the password (a frame splits it off), each if worth
    searching. A value of more words is a message (a
    server's reply under a ``PASS`` key), not searched for."""
    return list(_searched_texts(secret, tuple(replacements)))


@lru_cache(maxsize=FORMS_REMEMBERED)
def _searched_texts(secret: str, replacements: tuple[str, ...]) -> tuple[str, ...]:
    words = secret.split()
    if len(words) > _MAX_WORDS:
        return ()
    candidates = [secret, words[-1]] if len(words) == _MAX_WORDS else [secret]
    if "://" in secret:
        candidates += _url_passwords(secret)
    elif ":" in candidates[-1]:
        candidates.append(_credentials_password(candidates[-1]))
    return tuple(text for text in dict.fromkeys(candidates) if worth_searching(text, replacements))


#: A URL's scheme and userinfo: up to the last ``@`` before its path, query or fragment (a
#: password may hold an ``@`` of its own, unescaped).
_URL_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://([^/?#\s]*)@")


def _url_passwords(url: str) -> list[str]:
    """The password of ``url``'s userinfo, as written and percent-decoded (none without one)."""
    userinfo = _URL_USERINFO.match(url)
    password = userinfo.group(1).partition(":")[2] if userinfo is not None else ""
    return [password, unquote(password)] if password else []


def _credentials_password(credentials: str) -> str:
    """What follows the first ``:`` of ``user:password`` (a password may hold ``:`` itself)."""
    return credentials.partition(":")[2]


def worth_searching(secret: str, replacements: Iterable[str] = ()) -> bool:
    """Whether ``secret`` is worth searching the event for (see the module's docstring).
    ``replacements``: the texts the ruleset's redactions write (``[Filtered]``...)."""
    if len(secret) < MIN_LENGTH or len(set(secret)) < MIN_DISTINCT or _LETTER.search(secret) is None:
        return False
    if secret.lower() in COMMON_VALUES or any(replacement and replacement in secret for replacement in replacements):
        return False
    return _OBJECT_REPR.fullmatch(secret) is None and not is_placeholder(secret)  # the costliest last


_LETTER = re.compile(r"[^\W\d_]")
#: An object's default ``repr()`` (a frame's ``session`` variable): every frame holding the
#: object repeats it, and it says nothing secret.
_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
#: A Python string literal, as sentry-sdk sends a frame's string variables (``'value'``): its
#: prefix, and what its quotes hold (no quote of its own kind but escaped).
_PYTHON_LITERAL = re.compile(r"""([bu]?)(['"])((?:(?!\2)[^\\]|\\.)*)\2""", re.DOTALL)
#: What a string literal ends with, and what may stand before its opening quote.
_QUOTES, _PREFIXES = ("'", '"'), ("b", "u")
#: The escapes ``repr()`` writes; any other backslash stands for itself, as in Python.
_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.DOTALL)
_ESCAPED = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}


def _unescaped(match: re.Match) -> str:
    number = match.group(1) or match.group(2) or match.group(3)
    if number is not None:
        code = int(number, 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)
    return _ESCAPED.get(match.group(4), match.group(0))


def whole_value_secrets(value: str) -> list[str]:
    """The secret of a string redacted whole: itself, or when it is a Python string literal (a
    frame variable is sent as its ``repr()``) the text the literal stands for, which the program
    used (in a URL, a message, a JSON body); its ``repr()`` form is one of its forms, so an echo
    of the literal loses the text between the quotes and keeps them. (Read by a pattern, not by
    ``ast``: no parser runs, and no warning an application may turn into an error.)"""
    if value[-1:] not in _QUOTES or value[value[:1] in _PREFIXES:][:1] not in _QUOTES:
        return [value]  # no literal (most values): the pattern, slow over a long text, is spared
    literal = _PYTHON_LITERAL.fullmatch(value)
    if literal is None:
        return [value]
    text = _ESCAPE.sub(_unescaped, literal.group(3)) if "\\" in value else literal.group(3)
    if literal.group(1) == "b":
        try:
            text = text.encode("latin-1").decode("utf-8", "replace")
        except UnicodeEncodeError:  # no bytes literal after all
            return [value]
    return [text]


def widen_to_base64(text: str, start: int, end: int) -> tuple[int, int]:
    """The base64 token of ``text`` holding ``text[start:end]``."""
    while start > 0 and text[start - 1] in _BASE64_CHARACTERS:
        start -= 1
    while end < len(text) and text[end] in _BASE64_CHARACTERS:
        end += 1
    return start, end


def owner_order(owner: tuple[int, str | None]) -> tuple[int, str]:
    """The order owners of one form are chosen in: the first rule, then the detector (a value
    under a key, ``None``, before any detector), whatever order they were found in."""
    return owner[0], "" if owner[1] is None else owner[1]


def _before(detector: str | None, other: str | None) -> bool:
    """Whether ``detector`` comes before ``other`` for one rule (see :func:`owner_order`)."""
    return (detector or "") < (other or "")


class KnownSecrets:
    """The secrets of one event: each secret -> ``{rule index: detector}`` of the rules that
    redacted it (per rule, the first detector in :func:`owner_order`). Their forms are derived
    only when the event's strings are searched, once per distinct secret."""

    def __init__(self, replacements: Iterable[str | None], scanner: Callable | None = None):
        """``scanner``: the C prefilter's scanner class, which tells in one pass which strings
        hold which forms (None: each form is searched for over the strings joined)."""
        self.replacements = tuple(dict.fromkeys(text for text in replacements if text))
        self.secrets: dict[str, dict[int, str | None]] = {}
        self._scanner = scanner

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def add(self, secret: str, rule_index: int, detector: str | None) -> None:
        owners = self.secrets.get(secret)
        if owners is None:
            self.secrets[secret] = {rule_index: detector}
        elif rule_index not in owners or _before(detector, owners[rule_index]):
            owners[rule_index] = detector

    def add_findings(self, text: str, findings: Iterable[tuple]) -> None:
        """The secrets of ``findings`` ``(start, end, rule index, detector)`` of ``text``."""
        for start, end, rule_index, detector in findings:
            self.add(text[start:end], rule_index, detector)

    def forms(self, check_time: Callable[[], None] = lambda: None) -> dict[str, tuple[bool, dict[int, str | None]]]:
        """Each form of the secrets worth searching -> (whether it widens to a base64 token,
        ``{rule index: detector}`` of the secrets having it)."""
        forms: dict[str, tuple[bool, dict[int, str | None]]] = {}
        searched = [(text, owners) for secret, owners in self.secrets.items()
                    for text in searched_texts(secret, self.replacements)]
        for done, (text, owners) in enumerate(searched, 1):
            if not done % _TIME_CHECK_EVERY:
                check_time()
            for form, widens in echo_forms(text).items():
                entry = forms.get(form)
                if entry is None:
                    forms[form] = (widens, owners.copy())
                    continue
                merged = entry[1]
                for rule_index, detector in owners.items():
                    if rule_index not in merged or _before(detector, merged[rule_index]):
                        merged[rule_index] = detector
        return forms

    def echoes(self, texts: list[str], actives: list[int], check_time: Callable[[], None]) -> dict[int, list]:
        """``index -> findings (start, end, rule index, detector)`` of every occurrence of a form
        in ``texts`` (overlapping ones too) where a rule owning it is active (``actives``, per
        text); per span, the first such owner in :func:`owner_order`."""
        forms = list(self.forms(check_time).items())
        rules = [sum(1 << rule_index for rule_index in owners) for _, (_, owners) in forms]  # per form, once
        spans: dict[int, dict[tuple[int, int], tuple[int, str | None]]] = {}  # index -> span -> owner
        for index, start, number in occurrences(texts, [form for form, _ in forms], self._scanner, check_time):
            form, (widens, owners) = forms[number]
            wanted = actives[index] & rules[number]
            if wanted:
                rule_index = lowest_bit(wanted)
                end = start + len(form)
                span = widen_to_base64(texts[index], start, end) if widens else (start, end)
                _keep_first(spans.setdefault(index, {}), span, (rule_index, owners[rule_index]))
        return {index: [(*span, *owner) for span, owner in found.items()] for index, found in spans.items()}


def occurrences(texts: list[str], forms: list[str], scanner: Callable | None,
                check_time: Callable[[], None]) -> Iterator[tuple[int, int, int]]:
    """``(string index, start, form number)`` of every occurrence of each form inside one of
    ``texts`` (overlapping ones too; none across two strings). Each string that may hold a form
    is searched for it by ``str.find``; what differs is how those strings are found.

    With ``scanner`` (the C prefilter's), when there are enough forms and text for a scan to pay
    (:data:`_SCAN_FROM`), one pass over the strings tells which hold the start of which form (its
    first :data:`_SCANNED_START` characters), so the cost does not grow with forms times text: a
    string holding a form holds its start, so none is passed over (see :func:`_scanned_occurrences`).
    Forms whose start the scanner cannot take (beyond ASCII, holding NUL), forms whose start more
    than :data:`_FORMS_PER_START` forms share, and every form without a scanner, are searched for
    over the strings joined (:func:`_joined_occurrences`)."""
    characters = sum(map(len, texts)) if scanner is not None else 0
    if len(forms) * characters < _SCAN_FROM:
        scanner = None  # a few forms over a little text: str.find over it is quicker than building a scan
    by_start: dict[str, list[int]] = {}  # a start -> the forms beginning with it
    joined_forms = []
    for number, form in enumerate(forms):
        start = form[:_SCANNED_START]
        if scanner is not None and start.isascii() and SEPARATOR not in start:
            by_start.setdefault(start, []).append(number)
        else:
            joined_forms.append(number)
    for start in [start for start, numbers in by_start.items() if len(numbers) > _FORMS_PER_START]:
        joined_forms += by_start.pop(start)  # each string holding the start would be searched for each
    if by_start:
        yield from _scanned_occurrences(texts, forms, by_start, scanner, characters, check_time)
    if joined_forms:
        yield from _joined_occurrences(texts, forms, sorted(joined_forms), check_time)


def _scanned_occurrences(texts: list[str], forms: list[str], by_start: dict[str, list[int]], scanner: Callable,
                         characters: int, check_time: Callable[[], None]) -> Iterator[tuple[int, int, int]]:
    """:func:`occurrences` of the forms of ``by_start`` (a start -> the numbers of the forms
    beginning with it; ``characters``: of all the strings), each searched for in the strings the
    scans find holding its start. Forms an event chose can share a start, or a first few
    characters, that each place of a text is compared against; as their starts are that short and
    no more are looked for at once than :data:`_SCAN_WORK` allows, no scan is long, and the time
    budget is checked between scans."""
    starts = list(by_start)
    per_scan = max(_STARTS_PER_SCAN, _SCAN_WORK // max(1, characters))
    steps = 0
    for first in range(0, len(starts), per_scan):
        batch = starts[first : first + per_scan]
        held = scanner([(start, False, bit) for bit, start in enumerate(batch)], [], {},
                       [(bit, [[bit]]) for bit in range(len(batch))]).scan(texts)
        for index, mask in held.items():
            text = texts[index]
            while mask:
                numbers = by_start[batch[lowest_bit(mask)]]
                mask &= mask - 1
                for number in numbers:
                    form = forms[number]
                    position = text.find(form)
                    while position >= 0:
                        yield index, position, number
                        position = text.find(form, position + 1)
                    steps += 1
                    if not steps % _TIME_CHECK_EVERY:
                        check_time()
        check_time()


def _joined_occurrences(texts: list[str], forms: list[str], numbers: list[int],
                        check_time: Callable[[], None]) -> Iterator[tuple[int, int, int]]:
    """:func:`occurrences` of the forms numbered ``numbers``, each searched for over the strings
    joined by NUL. An event repeats many strings (frames share file names, modules, lines of
    context): each distinct one is searched once, and what it holds is found in every string
    equal to it, in the same order (by form, then by place)."""
    distinct = list(dict.fromkeys(texts))
    if len(distinct) == len(texts):
        yield from _joined_distinct_occurrences(texts, forms, numbers, check_time)
        return
    found = list(_joined_distinct_occurrences(distinct, forms, numbers, check_time))
    if not found:
        return
    holding = {distinct[index] for index, _, _ in found}
    equal: dict[str, list[int]] = {}  # a string holding a form -> the indexes of the strings equal to it
    for index in compress(range(len(texts)), map(holding.__contains__, texts)):
        equal.setdefault(texts[index], []).append(index)
    for index, start, number in found:
        for same in equal[distinct[index]]:
            yield same, start, number


def _joined_distinct_occurrences(texts: list[str], forms: list[str], numbers: list[int],
                                 check_time: Callable[[], None]) -> Iterator[tuple[int, int, int]]:
    joined = SEPARATOR.join(texts)
    starts = string_starts(texts)
    steps = 0
    for number in numbers:
        form = forms[number]
        position = joined.find(form)
        while position >= 0:
            steps += 1
            if not steps % _TIME_CHECK_EVERY:
                check_time()
            index = bisect_right(starts, position) - 1
            start = position - starts[index]
            if start + len(form) <= len(texts[index]):  # (not across a separator)
                yield index, start, number
            position = joined.find(form, position + 1)
        steps += 1
        if not steps % _TIME_CHECK_EVERY:
            check_time()


def _keep_first(owners: dict, span: tuple[int, int], owner: tuple[int, str | None]) -> None:
    """Name ``span`` after ``owner`` unless an owner first in :func:`owner_order` names it."""
    known = owners.get(span)
    if known is None or owner_order(owner) < owner_order(known):
        owners[span] = owner


class EchoMemory:
    """The echoes found in earlier events, by the string they were found in.

    Some strings come again in later events that do not hold the secret itself: a breadcrumb
    stays in the scope for the next hundred events, an ``extra`` or a context set on the scope
    goes with every event. The echo an earlier event's secret made in such a string is redacted
    the same way in every later event that sends the string as it was, where the rule is
    active. Strings of up to :data:`MAX_TEXT` characters are remembered, their echoes merged;
    past :data:`MAX_TEXTS` strings or :data:`MAX_CHARACTERS` characters the memory starts
    anew (after the event that filled it). One memory per scrubber, shared by the threads its
    hooks run on (each step is one dict operation)."""

    MAX_TEXT = 8192
    MAX_TEXTS = 4096
    MAX_CHARACTERS = 1 << 22

    def __init__(self) -> None:
        self.texts: dict[str, frozenset] = {}
        self.characters = 0

    def remember(self, echoed: list[tuple[str, tuple]]) -> None:
        """Remember ``(string, its echo findings)`` of one event."""
        texts = self.texts
        for text, findings in echoed:
            if len(text) <= self.MAX_TEXT:
                earlier = texts.get(text)
                if earlier is None:
                    self.characters += len(text)
                    earlier = frozenset()
                texts[text] = earlier.union(findings)
        if len(texts) > self.MAX_TEXTS or self.characters > self.MAX_CHARACTERS:
            self.texts, self.characters = {}, 0


class EchoSearch:
    """The part of :class:`~.walk.Run` that learns an event's secrets and finds their echoes (the
    same for the C walk's runs: what they collect is read here)."""

    whole: list
    texts: list[str]
    slots: list
    #: ``(secret, rule index, detector)`` of each value redacted before the walk (argv secrets,
    #: route parameters)
    early_secrets: list
    keys_from: int  # where the dict keys start among ``texts``

    def known_secrets(self) -> KnownSecrets:
        known = KnownSecrets(self.scrubber._constant_replacements, self.scrubber._prefilter.c_scanner)
        for secret, rule_index, detector in self.early_secrets:
            known.add(secret, rule_index, detector)
        return known

    def whole_secrets(self, known: KnownSecrets) -> None:
        """The strings queued for redaction whole, read before they are replaced. A container a
        ``remove`` rule removes whole is a section dropped as a block (a copy of the log entry, a
        cookie jar): its templates and names are not secrets, so it is not searched into."""
        read: set[tuple[str, int]] = set()  # a value repeated (one header in every frame) is read once
        for container, key, _, rule_index in self.whole:
            value = container[key]
            kind = type(value)
            if kind is str or issubclass(kind, str):
                value = str.__str__(value)
                if (value, rule_index) not in read:
                    read.add((value, rule_index))
                    for secret in whole_value_secrets(value):
                        known.add(secret, rule_index, None)

    def add_echoes(self, known: KnownSecrets, found: dict[int, tuple]) -> list[tuple[str, tuple]]:
        """Add the echoes of the known secrets to the findings of each string (``found``), which
        are then written once, merged. Returns ``(string, its echoes)`` of the values (not the
        keys) holding some, for the :class:`EchoMemory`."""
        texts, keys_from = self.texts, self.keys_from
        echoes = known.echoes(texts, self.slots[3::4], self.check_time)
        echoed = []
        for index, findings in echoes.items():
            if index >= keys_from:  # a dict key (dictkeys.py)
                findings = key_echoes(texts[index], findings)
            elif findings:
                echoed.append((texts[index], findings))
            if findings:
                found[index] = (*found.get(index, ()), *findings)
        return echoed

    def add_earlier_echoes(self, found: dict[int, tuple]) -> None:
        """Add to the findings of each value string the echoes earlier events found in the same
        string (see :class:`EchoMemory`) whose rules are active at it."""
        remembered = self.scrubber._echo_memory.texts
        if not remembered:
            return
        keys_from, actives = self.keys_from, self.slots[3::4]
        got = list(map(remembered.get, self.texts[:keys_from]))  # (most strings were never echoed in)
        for index in compress(range(keys_from), got):
            active = actives[index]
            mine = tuple(finding for finding in got[index] if active >> finding[2] & 1)
            if mine:
                found[index] = (*found.get(index, ()), *mine)

