"""Builtin detectors: a pattern, the part of a match to redact, and a validator where one exists.

Every detector has:

* ``exact`` (Python ``re``): the definition, run only over candidate strings. Every pattern
  is pinned to the start of a token by a look-behind (a token may also start right after an
  escape sequence such as ``\\n`` in ``repr()`` or JSON text), and every repetition is bounded
  or runs over a class that the next element cannot match, so matching stays linear even on
  hostile strings (strings are also cut to ``limits.max_string_length`` before scanning).
* ``anchors``: what every match of ``exact`` holds, as data (see :mod:`.prefilter`): literals
  (``"bearer"`` case-folded, ``"AKIA"``) and runs of a character class (a card number lies in a
  run of digits, spaces and hyphens holding 13 digits). The prefilter looks for them over all the
  strings of an event at once; only strings holding them are handed to ``exact``. Groups are
  all required, the anchors of one group are alternatives. A test checks, on generated and
  hostile text, that every string ``exact`` finds something in holds them.

Validators turn shape matches into findings: Luhn and issuer prefixes for cards, mod-97 for IBANs,
octet ranges for IPv4, :mod:`ipaddress` for IPv6, a JSON header with ``alg`` for JWTs, a
``user:password`` payload for Basic credentials, the SSA's never-issued ranges for SSNs.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from ..model.models import DETECTORS
from .prefilter import Anchor, Literal, Probe, Run


@dataclass(frozen=True)
class Detector:
    name: str
    exact: re.Pattern
    #: what every match holds: each group required, the anchors of a group alternatives
    anchors: tuple[tuple[Anchor, ...], ...]
    caseless: bool = False
    validator: Callable[[str], bool] | None = None
    #: ``exact`` without IGNORECASE, run over lowered ASCII text instead (``re`` is several times
    #: faster without IGNORECASE; lowering ASCII moves no position, so spans are the same). Only
    #: for patterns whose letters are all lower case and whose classes hold both cases.
    lowered: re.Pattern | None = None
    #: ``exact`` and ``lowered`` for text without a backslash (see :func:`_without_escapes`)
    plain: re.Pattern | None = None
    lowered_plain: re.Pattern | None = None
    #: A short pattern every match holds, starting at most ``reach`` characters after the start of
    #: the match (the ``@`` of an e-mail address): ``exact`` is searched only from ``reach``
    #: characters before the next one, which finds the same matches, since none can start earlier.
    anchor: re.Pattern | None = None
    reach: int = 0
    #: ``anchor`` without IGNORECASE, for the lowered text ``lowered`` runs over
    lowered_anchor: re.Pattern | None = None
    #: Whether ``exact`` is tried at the first anchor before it is searched for: right for a
    #: pattern whose matches are a run of key characters that ends where the anchor's word does,
    #: then what the anchor holds (a key ending with a secret word, its separator and value), and
    #: whose findings are groups after the key. A match at the anchor then reports what the first
    #: match reports: the first match starts no later than it (it is a match) and reaches the
    #: anchor (which it holds), so it runs over the same key to the same end and goes on alike.
    match_at_anchor: bool = False
    #: A pattern text without a backslash must match for any match in it to pass ``validator``
    #: (a card number starts with an issuer digit): other text is not searched.
    precheck: re.Pattern | None = None
    #: ``(ASCII text as bytes, position) -> where the first anchor may start, or -1``: the anchor
    #: searched by RE2 (see :func:`anchor_gate`). On ASCII text, the anchor is looked for only
    #: from there, and a text where it finds none is passed over at once.
    anchor_gate: Callable[[bytes, int], int] | None = None
    #: Whether a match is a key named by a secret word, its ``=`` or ``:`` and its value (the
    #: finding), as keys inside text find them: in a frame's source lines read as code, a value
    #: that is code is none there too (:mod:`.sourcelines`).
    key_value: bool = False
    #: numbers of the named groups of ``exact``, in order: the secret part of a match
    secret_groups: tuple[int, ...] = field(init=False, repr=False, compare=False)
    #: ``find`` as a function made for this detector's options (see :meth:`_make_spans`)
    spans: Callable[[str], list[tuple[int, int]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "secret_groups", tuple(self.exact.groupindex.values()))
        object.__setattr__(self, "spans", self._make_spans())

    @property
    def probe(self) -> Probe:
        return Probe(all_of=self.anchors)

    def find(self, text: str) -> list[tuple[int, int]]:
        """Spans of ``text`` to redact. A match redacts its first named group that took part
        (the secret inside ``Bearer <token>``), or the whole match when it has none."""
        return self.spans(text)

    def _make_spans(self) -> Callable[[str], list[tuple[int, int]]]:
        """``find`` for this detector, as one function: the exact pass calls it for every
        candidate, and each call of a helper would cost about as much as a short search."""
        validator, groups = self.validator, self.secret_groups
        exact, lowered = self.exact, self.lowered
        plain = self.plain if self.plain is not None else exact
        lowered_plain = self.lowered_plain if self.lowered_plain is not None else lowered
        precheck = self.precheck.search if self.precheck is not None else None
        find_anchor = self.anchor.search if self.anchor is not None else None
        find_lowered_anchor = find_anchor
        if find_anchor is not None and self.lowered_anchor is not None:
            find_lowered_anchor = self.lowered_anchor.search
        reach, match_at_anchor = self.reach, self.match_at_anchor
        gate = self.anchor_gate

        def spans(text: str) -> list[tuple[int, int]]:
            backslash = "\\" in text
            if precheck is not None and not backslash and precheck(text) is None:
                return []
            anchor_from = 0  # no anchor starts before it
            if gate is not None and text.isascii():
                anchor_from = gate(text.encode("ascii"), 0)
                if anchor_from < 0:
                    return []
            if lowered is not None and text.isascii():
                subject, pattern = text.lower(), lowered if backslash else lowered_plain
                anchor_in = find_lowered_anchor
            else:
                subject, pattern = text, exact if backslash else plain
                anchor_in = find_anchor
            if anchor_in is None:
                matches = pattern.finditer(subject)
            else:
                # The matches finditer gives (no detector matches an empty string): the first
                # match at or after a position starts no earlier than ``reach`` characters before
                # the first anchor at or after it. Look-behinds still see the text before a
                # search's start.
                # With ``match_at_anchor``, a match at the anchor stands for the first match.
                matches = []
                search, match_at = pattern.search, pattern.match
                position = 0
                while True:
                    anchor = anchor_in(subject, max(position, anchor_from))
                    if anchor is None:
                        break
                    start = anchor.start()
                    match = match_at(subject, start) if match_at_anchor else None
                    if match is None:
                        match = search(subject, max(position, start - reach))
                    if match is None:
                        break
                    matches.append(match)
                    position = match.end()
            found = []
            for match in matches:
                start, end = secret_span(match, groups)
                if end > start and (validator is None or validator(text[start:end])):
                    found.append((start, end))
            return found

        return spans


def secret_span(match: re.Match, groups: tuple[int, ...]) -> tuple[int, int]:
    """The part of a match to redact: its first named group that matched, else the whole match."""
    for group in groups:
        start = match.start(group)
        if start != -1:
            return start, match.end(group)
    return match.span()


# --------------------------------------------------------------------------- validators


def luhn_valid(digits: str) -> bool:
    if digits.isascii() and digits.isdigit():
        # The same sum without a Python step per digit: the digits in odd places from the right
        # as they are, the others doubled (their digit sum) through a translation table.
        odd, doubled = digits[-1::-2], digits[-2::-2].translate(_LUHN_DOUBLED)
        return (sum(odd.encode()) + sum(doubled.encode()) - 48 * len(digits)) % 10 == 0
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


#: an ASCII digit -> the digit sum of its double
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def _is_card_number(text: str) -> bool:
    digits = text.replace(" ", "").replace("-", "")
    if digits.isdigit():  # only digits, spaces and hyphens: one kind of separator at most
        if " " in text and "-" in text:
            return False  # "4111-1111 1111-1111" is not how anyone writes a card number
    elif len({char for char in text if not char.isdigit()}) > 1:
        return False
    if not 13 <= len(digits) <= 19 or digits == digits[0] * len(digits):
        return False
    if not _card_issuer(digits):
        return False
    return luhn_valid(digits)


def _card_issuer(digits: str) -> bool:
    """Issuer prefixes of the card networks (Visa, Mastercard, Amex, Discover, JCB, Diners,
    UnionPay, Maestro): rules out Luhn-valid numbers that are ids, phone numbers or timestamps."""
    first = digits[0]
    if first in "3456":
        return True
    return first == "2" and 2221 <= int(digits[:4]) <= 2720


#: IBAN lengths by country (ISO 13616 registry); other countries are checked by mod-97 alone.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def iban_valid(text: str) -> bool:
    compact = text.replace(" ", "")
    expected = _IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    if rearranged.isascii() and rearranged.isalnum():
        number = rearranged.translate(_IBAN_LETTER_VALUES)
    else:
        number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


#: A letter of an IBAN -> its value in the mod-97 check (A = 10 ... Z = 35), in either case.
_IBAN_LETTER_VALUES = str.maketrans({letter: str(int(letter, 36)) for letter in
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"})


def _ipv4_valid(text: str) -> bool:
    octets = text.split(".")
    return len(octets) == 4 and all(
        len(octet) <= 3 and (octet == "0" or not octet.startswith("0")) and int(octet) <= 255 for octet in octets
    )


def _ipv6_valid(text: str) -> bool:
    if "::" not in text and text.count(":") < 6:
        return False
    if not any(char in "123456789abcdefABCDEF" for char in text):
        return False  # "::" and "0::0" are placeholders, not addresses
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _b64decode(part: str, urlsafe: bool) -> bytes | None:
    padded = part + "=" * (-len(part) % 4)
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _jwt_valid(text: str) -> bool:
    encoded = text.split(".", 1)[0]
    if len(encoded) <= _JWT_HEADER_CACHED_LENGTH:
        return _cached_jwt_header_valid(encoded)
    return _jwt_header_valid(encoded)


#: Headers up to this length are remembered (a header names an algorithm, a type, a key id).
_JWT_HEADER_CACHED_LENGTH = 256


def _jwt_header_valid(encoded: str) -> bool:
    """Whether a JWT's first part is a JSON header with ``alg``."""
    header = _b64decode(encoded, urlsafe=True)
    if header is None:
        return False
    try:
        decoded = json.loads(header)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


#: Tokens of one service share a handful of headers, and decoding one costs more than finding
#: the token.
_cached_jwt_header_valid = lru_cache(maxsize=256)(_jwt_header_valid)


def _basic_credentials_valid(text: str) -> bool:
    raw = _b64decode(text, urlsafe=False)
    if raw is None:
        return False
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return ":" in decoded and decoded.isprintable()


#: Numbers the SSA never issues, or published as examples.
_SSN_EXAMPLES = frozenset({"078-05-1120", "219-09-9999", "123-45-6789"})


def ssn_valid(text: str) -> bool:
    area, group, serial = text.split("-")
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return text not in _SSN_EXAMPLES


# --------------------------------------------------------------------------- patterns

_SECRET_KEY_WORDS = (
    r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|auth|authorization|credentials?|session[_-]?id|sessid|cookie"
)

#: The value in ``key=value`` / ``key: value`` text: quoted (the inside is redacted) or bare. A
#: quoted value is matched possessively: neither its closing quote nor a backslash is a character
#: it could give back, so retries could not make a match (see :mod:`.keytext`).
_PAIR_VALUE = (
    r"""(?:"(?P<dq>(?:[^"\\\n]|\\.){1,1024}+)"|'(?P<sq>(?:[^'\\\n]|\\.){1,1024}+)'"""
    r"""|(?P<bare>(?:(?:bearer|basic|token|digest)[ \t]+)?[^\s'",;&<>{}\[\]()]{1,1024}))"""
)

#: Right after an escape sequence of ``repr()`` or JSON text (``\\n``, ``\\t``, ``\\x1b``,
#: ``\\u00e9`` ...): the secret starts a token there although a letter or digit precedes it.
_AFTER_ESCAPE = r"(?<=\\[nrtbf])|(?<=\\x[0-9A-Fa-f]{2})|(?<=\\u[0-9A-Fa-f]{4})|(?<=\\U[0-9A-Fa-f]{8})"


def _token(first: str, not_after: str, rest: str) -> str:
    """``first`` (one character) then ``rest``, where ``first`` starts a token: the character
    before it is not in the class ``not_after``, or an escape sequence ends right before it (see
    ``_AFTER_ESCAPE``). The look-behinds come after ``first``, reaching one character further
    back: a pattern that begins with a character class lets ``re`` skip ahead to the positions
    where it matches."""
    return f"{first}(?:(?<!{not_after}.)|{_AFTER_ESCAPE_SHIFTED}){rest}"


_AFTER_ESCAPE_SHIFTED = "|".join(f"(?<={escape[4:-1]}.)" for escape in _AFTER_ESCAPE.split("|"))


def _without_escapes(pattern: str) -> str:
    """``pattern`` without the escape-sequence look-behinds of :func:`_token`: the same matches
    in text holding no backslash, found faster (``re`` tries every look-behind at every position)."""
    return pattern.replace("|" + _AFTER_ESCAPE_SHIFTED + ")", ")")


def any_of(*anchors: Anchor) -> tuple[tuple[Anchor, ...], ...]:
    """Anchors of which a match holds one."""
    return (anchors,)


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_HEX = "0123456789ABCDEFabcdef"
#: How a JWT that passes ``_jwt_valid`` starts: its header is JSON text, "{" then a quote or
#: white space, or a NUL when ``json.loads`` reads it as UTF-16 or UTF-32. The first three
#: characters of base64 are those two bytes and the top two bits of the third.
_JWT_PREFIXES = tuple(sorted({
    base64.urlsafe_b64encode(bytes([ord("{"), second, third]))[:3].decode()
    for second in b'\x00\t\n\r "' for third in (0x00, 0x40, 0x80, 0xC0)
}))
_AWS_KEY_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "AKPA", "ANPA", "ANVA", "APKA", "AROA",
                     "ASCA")
#: one literal that each word of ``_SECRET_KEY_WORDS`` holds
_SECRET_KEY_LITERALS = ("pass", "pwd", "secret", "token", "key", "auth", "credential", "session", "sessid", "cookie")

_DEFINITIONS: dict[str, tuple[str, tuple, int, Callable[[str], bool] | None]] = {
    # name: (exact, anchors, re flags, validator)
    "creditcard": (
        _token(r"\d", r"[\w.+-]", r"(?:[ -]?\d){12,18}") + r"(?![\w-]|\.\d)",
        any_of(Run(" -", 13, count_digits=True, digits=True)),
        0,
        _is_card_number,
    ),
    "iban": (
        _token("[A-Z]", "[A-Za-z0-9]", "[A-Z]") + r"\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])",
        any_of(Run(_UPPER + " ", 2, count_digits=True, digits=True, min_length=12)),
        0,
        iban_valid,
    ),
    "email": (
        _token("[A-Za-z0-9_%+-]", r"[\w.%+-]", "") + r"[A-Za-z0-9._%+-]{0,63}(?:@|%40)(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![\w-])",
        ((Literal("@"), Literal("%40")), (Literal("."),)),
        0,
        None,
    ),
    "ipv4": (
        # Not after "word/" so product tokens such as "Chrome/120.0.0.0" stay.
        _token(r"\d", r"[\w.]", "") + r"(?<![A-Za-z0-9]/.)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w.]|\.\d)",
        any_of(Run(".", 3, counted=".", digits=True, min_length=7)),
        0,
        _ipv4_valid,
    ),
    "ipv6": (
        _token("[0-9A-Fa-f:]", r"[\w:.]", "") + r"[0-9A-Fa-f:]{1,38}(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})?(?![\w:]|\.\d)",
        any_of(Literal("::"), Run(_HEX + ":", 6, counted=":")),
        0,
        _ipv6_valid,
    ),
    "jwt": (
        _token("e", r"[\w-]", "") + r"[wy][A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{2,65536}\.[A-Za-z0-9_-]{0,8192}(?![\w-])",
        any_of(*map(Literal, _JWT_PREFIXES)),
        0,
        _jwt_valid,
    ),
    "bearer": (
        _token("b", r"[\w-]", "") + r"earer\s{1,8}(?P<token>[A-Za-z0-9._~+/-]{6,8192}=*)",
        any_of(Literal("bearer", caseless=True)),
        re.IGNORECASE,
        None,
    ),
    "basic_auth": (
        _token("b", r"[\w-]", "") + r"asic\s{1,8}(?P<token>[A-Za-z0-9+/]{4,8192}={0,2})(?![\w+/=])",
        any_of(Literal("basic", caseless=True)),
        re.IGNORECASE,
        _basic_credentials_valid,
    ),
    "url_userinfo": (
        _token("[A-Za-z]", "[A-Za-z0-9+.-]", "") + r"[A-Za-z0-9+.-]{0,20}://(?P<userinfo>[^\s:/?#@\[\]'\"<>]{1,256}(?::[^\s/?#@'\"<>]{0,256})?)@",
        ((Literal("://"),), (Literal("@"),)),
        0,
        None,
    ),
    "pem_private_key": (
        r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?s:.*?)"
        r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)",
        any_of(Literal("PRIVATE KEY")),
        0,
        None,
    ),
    "aws_access_key": (
        _token("A", "[A-Za-z0-9]", "") + r"(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|KPA|NPA|NVA|PKA|ROA|SCA)[A-Z0-9]{16}(?![A-Za-z0-9])",
        any_of(*map(Literal, _AWS_KEY_PREFIXES)),
        0,
        None,
    ),
    "github_token": (
        _token("g", "[A-Za-z0-9_]", "") + r"(?:h[pousr]_[A-Za-z0-9]{30,255}|ithub_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])",
        any_of(*map(Literal, ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"))),
        0,
        None,
    ),
    "slack_token": (
        _token("x", "[A-Za-z0-9]", "") + r"(?:ox[abposr]-[A-Za-z0-9-]{10,255}|app-[A-Za-z0-9-]{10,255})"
        r"|hooks\.slack\.com/(?P<hook>(?:services|workflows|triggers)/[A-Za-z0-9_/-]{8,255})",
        any_of(Literal("xox"), Literal("xapp-"), Literal("hooks.slack.com/")),
        0,
        None,
    ),
    "stripe_key": (
        _token("[rs]", "[A-Za-z0-9]", "") + r"k_(?:live|test)_[A-Za-z0-9]{10,255}(?![A-Za-z0-9])",
        any_of(Literal("k_live_"), Literal("k_test_")),
        0,
        None,
    ),
    "google_api_key": (
        _token("A", "[A-Za-z0-9_-]", "") + r"Iza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])",
        any_of(Literal("AIza")),
        0,
        None,
    ),
    "openai_key": (
        _token("s", "[A-Za-z0-9_-]", "") + r"k-[A-Za-z0-9_-]{20,255}(?![A-Za-z0-9_-])",
        any_of(Literal("sk-")),
        0,
        None,
    ),
    "password_pair": (
        # The key must END with a secret word: "db_password=" and "accessToken:" match,
        # "token_count=" and "max_tokens:" do not. So the key is a run of [A-Za-z0-9_.-] of at
        # most 40 + 13 characters followed by the separator; the look-ahead checks that first,
        # cheaply, before the secret words are tried at each position of the run.
        # No escape sequences to allow for: after "\\n" the key "npassword" still ends with a
        # secret word, and the prefix before the word may be any key characters.
        r"(?<![A-Za-z0-9])(?=[A-Za-z0-9_.-]{1,53}+['\"]?[ \t]{0,8}[:=])[A-Za-z0-9_.-]{0,40}?(?:" + _SECRET_KEY_WORDS + r")['\"]?[ \t]{0,8}[:=][ \t]{0,8}" + _PAIR_VALUE,
        (tuple(Literal(word, caseless=True) for word in _SECRET_KEY_LITERALS), (Literal("="), Literal(":"))),
        re.IGNORECASE,
        None,
    ),
    "us_ssn": (
        _token(r"\d", r"[\w-]", "") + r"\d{2}-\d{2}-\d{4}(?![\w-])",
        any_of(Run("-", 2, counted="-", digits=True, min_length=11)),
        0,
        ssn_valid,
    ),
    "sql_params": (
        # SQLAlchemy: "[parameters: ('a@b.c', 'pw')]" (to the last ']' of the line);
        # PostgreSQL: "Key (email)=(a@b.c) already exists."
        r"\[parameters: (?P<params>[^\n]*)\]|Key \([^)\n]{1,256}\)=\((?P<key>[^\n]*?)\)(?= already| is not|\.|$)",
        any_of(Literal("[parameters: "), Literal("Key (")),
        0,
        None,
    ),
}

#: name: (anchor, reach), see ``Detector.anchor``; compiled with the detector's flags.
_ANCHORS: dict[str, tuple[str, int]] = {
    # "@" or "%40" after the last character of the local part (one character and at most 63 more)
    # and before a whole domain, as in the exact pattern: "@app.get(", " @ " and "name@2.75.0"
    # are passed over without searching the text before them. It starts with the "@" or "%" so
    # that ``re`` skips ahead to those characters.
    "email": (
        r"(?:@(?<=[A-Za-z0-9._%+-]@)|%40(?<=[A-Za-z0-9._%+-]%40))"
        r"(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![\w-])",
        64,
    ),
    # the scheme is one letter and at most 20 more characters before "://"
    "url_userinfo": (r"://", 21),
    # the secret word and separator, as in the exact pattern, and the first character a value
    # may start with: at most 40 key characters come before the word. A word before no value
    # ("api_key={") is passed over at once.
    "password_pair": (
        r"(?:" + _SECRET_KEY_WORDS + r""")['"]?[ \t]{0,8}[:=][ \t]{0,8}(?=[^\s,;&<>{}\[\]()])""",
        40,
    ),
}

#: Detectors whose ``exact`` is tried at the anchor first (see ``Detector.match_at_anchor``).
_MATCHED_AT_ANCHOR = frozenset({"password_pair"})

#: Detectors whose anchor RE2 looks for first (see ``Detector.anchor_gate``): an anchor that starts
#: with many words, which ``re`` tries at every letter that may start one (about 14 µs over 600
#: characters of ``repr()`` text holding none, against 2 µs for RE2's one pass). Anchors that
#: start with a rare character (``@``, ``://``) are found faster by ``re`` itself.
_GATED_ANCHORS = frozenset({"password_pair"})

#: name: precheck, see ``Detector.precheck``.
_PRECHECKS: dict[str, str] = {
    # a digit of a card network (see _card_issuer) starting a token, as the exact pattern's does
    "creditcard": r"[2-6](?<![\w.+-].)",
}

#: Detectors whose findings are a key's value (see ``Detector.key_value``).
_KEY_VALUE = frozenset({"password_pair"})

#: Caseless detectors that may run over lowered ASCII text (see ``Detector.lowered``).
LOWERED_ON_ASCII = frozenset({"password_pair", "bearer", "basic_auth"})


def anchor_gate(pattern: str, flags: int) -> Callable[[bytes, int], int]:
    """``(ASCII text as bytes, position) -> where the first match of ``pattern`` may start at or
    after position, or -1``, found by RE2. RE2 has no look-around: :func:`without_lookaround`
    drops it, so RE2 matches wherever ``re`` does (maybe elsewhere too), and its first match starts
    no later than ``re``'s. On ASCII text, RE2 ignoring case matches what ``re`` does."""
    import re2

    from .joined import bytes_search

    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not flags & re.IGNORECASE
    return bytes_search(re2.compile(without_lookaround(pattern), options))


#: A look-around's opening: ``(?=``, ``(?!``, ``(?<=``, ``(?<!``.
_LOOKAROUND = re.compile(r"\(\?<?[=!]")
#: A pattern's pieces that matter for finding where a group closes: an escape, a character class
#: (a "]" first in it is a member), a parenthesis.
_GROUP_PIECE = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|[()]|[^\\\[()]+", re.DOTALL)


def without_lookaround(pattern: str) -> str:
    """``pattern`` without its look-around assertions (each removed with all it holds): it matches
    wherever ``pattern`` does. Look-arounds only reject positions; without them, every match
    of ``pattern`` is still a match, starting at the same place."""
    kept, depth, skipping_from = [], 0, None
    for piece in _GROUP_PIECE.finditer(pattern):
        text = piece.group(0)
        if text == "(":
            if skipping_from is None and _LOOKAROUND.match(pattern, piece.start()):
                skipping_from = depth
            depth += 1
        elif text == ")":
            depth -= 1
            if skipping_from == depth:
                skipping_from = None
                continue
        if skipping_from is None:
            kept.append(text)
    return "".join(kept)


def _build() -> dict[str, Detector]:
    built: dict[str, Detector] = {}
    for name, (exact, anchors, flags, validator) in _DEFINITIONS.items():
        lowered = name in LOWERED_ON_ASCII
        built[name] = Detector(
            name=name,
            exact=re.compile(exact, flags),
            anchors=anchors,
            caseless=bool(flags & re.IGNORECASE),
            validator=validator,
            lowered=re.compile(exact, flags & ~re.IGNORECASE) if lowered else None,
            plain=re.compile(_without_escapes(exact), flags),
            lowered_plain=re.compile(_without_escapes(exact), flags & ~re.IGNORECASE) if lowered else None,
            anchor=re.compile(_ANCHORS[name][0], flags) if name in _ANCHORS else None,
            reach=_ANCHORS[name][1] if name in _ANCHORS else 0,
            lowered_anchor=re.compile(_ANCHORS[name][0], flags & ~re.IGNORECASE) if lowered and name in _ANCHORS else None,
            match_at_anchor=name in _MATCHED_AT_ANCHOR,
            precheck=re.compile(_PRECHECKS[name]) if name in _PRECHECKS else None,
            anchor_gate=anchor_gate(_ANCHORS[name][0], flags) if name in _GATED_ANCHORS else None,
            key_value=name in _KEY_VALUE,
        )
    from .catalogued import catalogue_detectors  # made from data, with the validators above

    built.update(catalogue_detectors())
    missing = set(DETECTORS) - set(built)
    if missing:  # the model's list of detector names is the contract; keep both in step
        raise RuntimeError(f"detectors without an implementation: {sorted(missing)}")
    return built


BUILTIN: dict[str, Detector] = _build()
