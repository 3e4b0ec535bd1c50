"""Validators of the detector catalogue: checks a matched text must pass to be reported.

A validator turns a shape into a finding: a checksum the issuer embeds (CRC32 of GitHub and npm
tokens, Luhn, mod-97, base58check and bech32 of addresses, the check digits of national ids), a
decoding (a JWT header, a base64-wrapped PEM key), libphonenumber's numbering plans, or the
removal of values that only look like secrets (documentation samples, placeholders, references).
Each takes the matched secret and returns whether to report it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import zlib
from typing import Callable

from ..scrub.detectors import _jwt_valid, iban_valid, luhn_valid

VALIDATORS: dict[str, Callable[[str], bool]] = {}


def validator(name: str):
    def register(function: Callable[[str], bool]) -> Callable[[str], bool]:
        VALIDATORS[name] = function
        return function

    return register


# --------------------------------------------------------------------------- not secrets

#: Published documentation samples and placeholders: "EXAMPLE" anywhere, a long run of one
#: character, masks, counting sequences.
_PLACEHOLDER = re.compile(r"(?i)example|x{8}|\*{4}|(.)\1{11}|0123456789|123456789|abcdefghij")


def is_placeholder(secret: str, keywords: tuple[str, ...] = ()) -> bool:
    """Whether ``secret`` is a documentation sample or a placeholder rather than a secret. A
    keyword at its start (a provider prefix such as the 21 ``A`` of X's bearer tokens) is not
    looked at."""
    for keyword in keywords:
        if secret.startswith(keyword):
            secret = secret[len(keyword):]
            break
    if secret.isascii() and not _may_be_placeholder(secret.lower()):
        return False  # most secrets: the search (costly at every start, for its back-reference) is spared
    return _PLACEHOLDER.search(secret) is not None


#: What :data:`_PLACEHOLDER` matches, but its run of one character, in lower case (each looked for
#: with ``in``: quicker than one pattern of them all).
_PLACEHOLDER_TEXTS = ("example", "xxxxxxxx", "****", "123456789", "abcdefghij")


def _may_be_placeholder(lowered: str) -> bool:
    """Whether :data:`_PLACEHOLDER` may match in ASCII text, given lowered: one of its texts is in
    it, or twelve equal characters follow each other (ignoring that ``.`` is no line break). For
    ASCII, matching ignoring case is comparing lowered text."""
    for text in _PLACEHOLDER_TEXTS:
        if text in lowered:
            return True
    # Twelve equal characters in a row cover two places of every sixth character that follow each
    # other: only a character seen at two such places is looked for twelve times over.
    samples = lowered[::6]
    if not any(map(str.__eq__, samples, samples[1:])):  # (most texts: no two samples alike)
        return False
    return any(first == second and first * 12 in lowered for first, second in zip(samples, samples[1:]))


@validator("placeholder_free")
def placeholder_free(secret: str) -> bool:
    return not is_placeholder(secret)


#: Values after a secret key that are no secret: what redaction or a template left there.
_REFERENCE = re.compile(
    r"""(?ix)
    \[filtered\]|\[redacted\]|<redacted>|\*+|none|null|nil|undefined|true|false|
    \$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|%\([a-z_]+\)s|%[sr]|\{\{[^}]*\}\}|\{[a-z_]*\}"""
)


@validator("not_reference")
def not_reference(secret: str) -> bool:
    if len(secret) == 1 and not secret.isalnum():
        return False  # what is left of a template: "%" of "%(password)s"
    if secret.startswith("[Filtered]"):
        return False  # already redacted: scrubbing twice changes nothing
    return _REFERENCE.fullmatch(secret) is None


@validator("not_flag")
def not_flag(secret: str) -> bool:
    """The value after a secret flag, unless it is the next flag."""
    return not secret.startswith("-") and not_reference(secret)


#: A dotted name of code (``Name.Function``, ``Token.Name.Builtin``): what "token is ..." names in
#: source lines, which events carry as frames' context.
_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


@validator("prose_secret")
def prose_secret(secret: str) -> bool:
    """A value a sentence names as a credential ("with password <v>", "token was <v>"), unless it
    reads as a word of the sentence ("password is incorrect", "with token Expired", a word in
    markup such as ``**removed**``), a constant or a dotted name of code ("token is NEWLINE",
    "token is Name.Function"), digits alone (ids and counts), a path or a URL (where the
    credential is entered) or a template. A secret holds a digit, a sign other than ``-_.`` or
    both cases after its first character."""
    word = secret.strip("*_~`")
    if word.isdigit() or word.startswith(("/", "<", "#")) or "://" in word:
        return False
    digits = any(character.isdigit() for character in word)
    signs = any(not character.isalnum() and character not in "-_." for character in word)
    if not (digits or signs):
        letters = [character for character in word if character.isalpha()]
        if word.isupper() or not any(character.isupper() for character in letters[1:]) or _DOTTED_NAME.fullmatch(word):
            return False
    return not_reference(secret) and not is_placeholder(secret)


#: SASL mechanisms: ``AUTH`` followed by one is SMTP's, IMAP's or POP3's command, not Redis's.
_SASL_MECHANISM = re.compile(r"(?:PLAIN|LOGIN|GSSAPI|NTLM|EXTERNAL|ANONYMOUS|XOAUTH2?|OAUTHBEARER|(?:CRAM|DIGEST|SCRAM)-[A-Z0-9-]+)")


@validator("redis_auth_arguments")
def redis_auth_arguments(secret: str) -> bool:
    """The arguments of a Redis ``AUTH`` command, unless they are a SASL mechanism (``AUTH
    PLAIN``), a sentence (``AUTH failed``: every word lower-case letters) or a template."""
    words = secret.split()
    if _SASL_MECHANISM.fullmatch(words[0]) or all(word.isascii() and word.isalpha() and word.islower() for word in words):
        return False
    return all(not_reference(word) for word in words)


# --------------------------------------------------------------------------- token checksums

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(_BASE62[digit])
    return "".join(reversed(digits)).rjust(width, "0")


@validator("github_crc32")
def github_crc32(token: str) -> bool:
    """GitHub's and npm's token format: 30 random characters, then the CRC32 of them in 6
    base62 digits (accepted over the random part alone or with the prefix)."""
    prefix, _, rest = token.partition("_")
    random, checksum = rest[:-6], rest[-6:]
    for covered in (random, prefix + "_" + random):
        if _base62(zlib.crc32(covered.encode()), 6) == checksum:
            return True
    return False


def _b64decode(text: str) -> bytes | None:
    compact = text.replace("\\n", "").replace("\\r", "").translate({ord(c): None for c in "\r\n="})
    compact = compact[: len(compact) - len(compact) % 4]
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


@validator("base64_private_key")
def base64_private_key(text: str) -> bool:
    decoded = _b64decode(text[:96])
    return decoded is not None and b"PRIVATE KEY" in decoded


@validator("jwt_header")
def jwt_header(token: str) -> bool:
    return _jwt_valid(token)


@validator("sasl_plain_base64")
def sasl_plain_base64(text: str) -> bool:
    """RFC 4616's message in base64: an optional authorization identity, NUL, the user, NUL, a
    password; every part printable text (so binary data that happens to hold two NULs is left)."""
    decoded = _b64decode(text)
    if decoded is None:
        return False
    try:
        parts = decoded.decode("utf-8").split("\0")
    except UnicodeDecodeError:
        return False
    return len(parts) == 3 and all(parts[1:]) and all(part.isprintable() for part in parts)


# --------------------------------------------------------------------------- payment data

#: Separators written inside card numbers: space, hyphen, dot, no-break space, thin space and
#: narrow no-break space.
_CARD_SEPARATORS = " -.\u00a0\u2009\u202f"


#: The no-break and thin spaces as repr() and JSON write them (``\\xa0``, ``\\u2009``), once or
#: escaped again.
_ESCAPED_CARD_SEPARATOR = re.compile(r"\\{1,4}(?:xa0|u00a0|u2009|u202f)")
_UNESCAPED = {"xa0": "\u00a0", "u00a0": "\u00a0", "u2009": "\u2009", "u202f": "\u202f"}


@validator("payment_card")
def payment_card(text: str) -> bool:
    if "\\" in text:
        text = _ESCAPED_CARD_SEPARATOR.sub(lambda match: _UNESCAPED[match.group().lstrip("\\")], text)
    separators = {char for char in text if char in _CARD_SEPARATORS}
    if len(separators) > 1:
        return False  # "4111-1111 1111.1111" is not how anyone writes a card number
    digits = "".join(char for char in text if char.isdigit())
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    if not (digits[0] in "3456" or (digits[0] == "2" and 2221 <= int(digits[:4]) <= 2720)):
        return False  # card networks' issuer prefixes
    return luhn_valid(digits)


@validator("iban")
def iban(text: str) -> bool:
    compact = text.replace(" ", "").replace("\u00a0", "")
    if compact != compact.upper() and compact == text and all(char in _HEX for char in compact):
        return False  # a lower-case hex id of an IBAN's length (a span id "be61...") without groups
    return iban_valid(compact.upper())


_HEX = frozenset("0123456789abcdefABCDEF")


@validator("luhn_digits")
def luhn_digits(text: str) -> bool:
    digits = _digits(text)
    return len(set(digits)) > 1 and luhn_valid(digits)


def _digits(text: str) -> str:
    return "".join(char for char in text if "0" <= char <= "9")


# --------------------------------------------------------------------------- national ids

_SSN_EXAMPLES = frozenset({"078051120", "219099999", "123456789"})


@validator("us_ssn")
def us_ssn(text: str) -> bool:
    digits = _digits(text)
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return digits not in _SSN_EXAMPLES


@validator("uk_nino")
def uk_nino(text: str) -> bool:
    compact = text.replace(" ", "").upper()
    return compact[:2] not in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ") and compact[2:8] != "000000"


@validator("nhs_number")
def nhs_number(text: str) -> bool:
    digits = _digits(text)
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    remainder = sum(int(digit) * (10 - index) for index, digit in enumerate(digits[:9])) % 11
    check = 11 - remainder
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


@validator("es_dni")
def es_dni(text: str) -> bool:
    compact = text.replace("-", "").upper()
    number = compact[:-1].replace("X", "0").replace("Y", "1").replace("Z", "2")
    return _DNI_LETTERS[int(number) % 23] == compact[-1]


_CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]


@validator("it_codice_fiscale")
def it_codice_fiscale(text: str) -> bool:
    code = text.upper()
    total = 0
    for index, char in enumerate(code[:15]):
        value = int(char) if char.isdigit() else ord(char) - 65
        total += _CF_ODD[value] if index % 2 == 0 else value
    return chr(65 + total % 26) == code[15]


@validator("fr_nir")
def fr_nir(text: str) -> bool:
    compact = text.replace(" ", "").upper()
    body, key = compact[:13], int(compact[13:])
    body = body.replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97 == key


@validator("nl_bsn")
def nl_bsn(text: str) -> bool:
    digits = _digits(text)
    total = sum(int(digit) * weight for digit, weight in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return len(set(digits)) > 1 and total % 11 == 0


@validator("pl_pesel")
def pl_pesel(text: str) -> bool:
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    total = sum(int(digit) * weight for digit, weight in zip(text, weights))
    return len(set(text)) > 1 and (10 - total % 10) % 10 == int(text[10])


@validator("se_personnummer")
def se_personnummer(text: str) -> bool:
    digits = _digits(text)[-10:]
    return luhn_valid(digits)


_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


@validator("fi_hetu")
def fi_hetu(text: str) -> bool:
    number = int(text[:6] + text[7:10])
    return _HETU_CHECK[number % 31] == text[10].upper()


@validator("no_fodselsnummer")
def no_fodselsnummer(text: str) -> bool:
    digits = [int(char) for char in _digits(text)]
    first = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    second = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    k1 = 11 - sum(d * w for d, w in zip(digits, first)) % 11
    k1 = 0 if k1 == 11 else k1
    k2 = 11 - sum(d * w for d, w in zip(digits, second)) % 11
    k2 = 0 if k2 == 11 else k2
    return k1 == digits[9] and k2 == digits[10]


@validator("be_national_number")
def be_national_number(text: str) -> bool:
    digits = _digits(text)
    body, check = int(digits[:9]), int(digits[9:])
    return 97 - body % 97 == check or 97 - int("2" + digits[:9]) % 97 == check


@validator("pt_nif")
def pt_nif(text: str) -> bool:
    total = sum(int(digit) * weight for digit, weight in zip(text[:8], range(9, 1, -1)))
    check = 11 - total % 11
    return (0 if check >= 10 else check) == int(text[8])


@validator("de_tax_id")
def de_tax_id(text: str) -> bool:
    digits = _digits(text)
    if len(digits) != 11:
        return False
    product = 10
    for digit in digits[:10]:
        total = (int(digit) + product) % 10 or 10
        product = total * 2 % 11
    check = (11 - product) % 10
    return check == int(digits[10])


@validator("ean13")
def ean13(text: str) -> bool:
    digits = _digits(text)
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == int(digits[12])


@validator("ie_pps")
def ie_pps(text: str) -> bool:
    code = text.upper()
    total = sum(int(digit) * weight for digit, weight in zip(code[:7], range(8, 1, -1)))
    if len(code) == 9:
        total += (ord(code[8]) - 64) * 9 if code[8] != "W" else 0
    return "WABCDEFGHIJKLMNOPQRSTUV"[total % 23] == code[7]


@validator("br_cpf")
def br_cpf(text: str) -> bool:
    digits = [int(char) for char in _digits(text)]
    if len(set(digits)) == 1:
        return False
    for length in (9, 10):
        total = sum(d * w for d, w in zip(digits[:length], range(length + 1, 1, -1)))
        if (total * 10 % 11) % 10 != digits[length]:
            return False
    return True


@validator("br_cnpj")
def br_cnpj(text: str) -> bool:
    digits = [int(char) for char in _digits(text)]
    if len(set(digits)) == 1:
        return False
    for weights in ((5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)):
        total = sum(d * w for d, w in zip(digits, weights)) % 11
        if (0 if total < 2 else 11 - total) != digits[len(weights)]:
            return False
    return True


_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


@validator("verhoeff")
def verhoeff(text: str) -> bool:
    check = 0
    for index, digit in enumerate(reversed(_digits(text))):
        check = _VERHOEFF_D[check][_VERHOEFF_P[index % 8][int(digit)]]
    return check == 0


@validator("au_tfn")
def au_tfn(text: str) -> bool:
    digits = _digits(text)
    weights = (1, 4, 3, 7, 5, 8, 6, 9, 10) if len(digits) == 9 else (10, 7, 8, 4, 6, 3, 5, 1)
    return len(digits) in (8, 9) and sum(int(d) * w for d, w in zip(digits, weights)) % 11 == 0


@validator("au_medicare")
def au_medicare(text: str) -> bool:
    digits = _digits(text)
    total = sum(int(d) * w for d, w in zip(digits[:8], (1, 3, 7, 9, 1, 3, 7, 9)))
    return total % 10 == int(digits[8])


# --------------------------------------------------------------------------- addresses

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_RIPPLE58 = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"


def base58check_payload(text: str, alphabet: str = _BASE58) -> bytes | None:
    """The payload (version byte and data) of a base58check string, or None when its 4-byte
    double-SHA-256 checksum does not hold."""
    number = 0
    for char in text:
        index = alphabet.find(char)
        if index < 0:
            return None
        number = number * 58 + index
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(text) - len(text.lstrip(alphabet[0]))) + raw
    payload, checksum = raw[:-4], raw[-4:]
    if len(payload) < 2 or hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def _versioned(versions: bytes, length: int = 21, alphabet: str = _BASE58) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        payload = base58check_payload(text, alphabet)
        return payload is not None and len(payload) == length and payload[0] in versions

    return check


VALIDATORS["bitcoin_base58"] = _versioned(bytes([0x00, 0x05]))
VALIDATORS["dogecoin"] = _versioned(bytes([0x1E, 0x16]))
VALIDATORS["tron"] = _versioned(bytes([0x41]))
VALIDATORS["ripple"] = _versioned(bytes([0x00]), alphabet=_RIPPLE58)
_litecoin_base58 = _versioned(bytes([0x30, 0x32, 0x05]))

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit in range(5):
            checksum ^= generator[bit] if top >> bit & 1 else 0
    return checksum


def bech32_kind(text: str) -> tuple[str, list[int], str] | None:
    """(human-readable part, data, "bech32" or "bech32m") when the checksum holds (BIP 173/350)."""
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    hrp, _, data = text.rpartition("1")
    if not hrp or len(data) < 6 or any(char not in _BECH32 for char in data):
        return None
    values = [_BECH32.index(char) for char in data]
    expanded = [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]
    constant = _bech32_polymod(expanded + values)
    kind = {1: "bech32", 0x2BC830A3: "bech32m"}.get(constant)
    return None if kind is None else (hrp, values[:-6], kind)


@validator("bech32_any")
def bech32_any(text: str) -> bool:
    return bech32_kind(text) is not None


def _segwit(text: str, hrp: str) -> bool:
    decoded = bech32_kind(text)
    if decoded is None or decoded[0] != hrp or not decoded[1]:
        return False
    version = decoded[1][0]
    return (version == 0) == (decoded[2] == "bech32") and version <= 16


@validator("bech32_segwit")
def bech32_segwit(text: str) -> bool:
    return _segwit(text, "bc")


@validator("litecoin")
def litecoin(text: str) -> bool:
    return _segwit(text, "ltc") if text.lower().startswith("ltc1") else _litecoin_base58(text)


@validator("eip55")
def eip55(address: str) -> bool:
    """Ethereum addresses: all lower or all upper case carry no checksum and pass; mixed case
    must match EIP-55 (the case of each letter from the Keccak-256 hash of the address)."""
    hexdigits = address[2:]
    if hexdigits.lower() == hexdigits or hexdigits.upper() == hexdigits:
        return len(set(hexdigits.lower())) > 2
    digest = keccak256(hexdigits.lower().encode()).hex()
    return all(
        char.isdigit() or (char.isupper() == (int(nibble, 16) >= 8)) for char, nibble in zip(hexdigits, digest)
    )



#: What ends a file name rather than a token: a dot and a short extension.
_FILE_NAME_END = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}\Z")


@validator("path_token")
def path_token(segment: str) -> bool:
    """A path segment that is a token: letters and digits both (a slug such as
    ``set-password`` or ``complete-your-request`` has no digit; an order number no letter), not a
    file name, not a placeholder."""
    if _FILE_NAME_END.search(segment):
        return False
    return any(char.isdigit() for char in segment) and any(char.isalpha() for char in segment) \
        and not is_placeholder(segment)


#: What separates the words of a recovery phrase as the bip39_mnemonic pattern reads them.
_PHRASE_SEPARATOR = re.compile(r"(?:[ \t]|\\n|\n)+")
#: The lengths of a BIP39 phrase in words (128 to 256 bits of entropy, a checksum bit per 32).
_PHRASE_LENGTHS = (12, 15, 18, 21, 24)
#: A run of word-list words longer than this is reported without trying each window: no prose
#: holds one, and trying every window of a hostile run would cost in proportion to its square.
_LONGEST_RUN_TRIED = 64


@functools.lru_cache(maxsize=1)
def _bip39_indexes() -> dict[str, int]:
    """The BIP39 English word list (from the ``mnemonic`` package, the reference implementation's)
    as word -> index."""
    from mnemonic import Mnemonic

    return {word: index for index, word in enumerate(Mnemonic("english").wordlist)}


def bip39_checksum_holds(indexes: list[int]) -> bool:
    """Whether words (their list indexes, 11 bits each) end in the checksum BIP39 gives their
    entropy: the first ``len / 3`` bits of its SHA-256."""
    bits = 0
    for index in indexes:
        bits = (bits << 11) | index
    checksum_bits = len(indexes) * 11 // 33
    entropy = (bits >> checksum_bits).to_bytes(checksum_bits * 4, "big")
    return bits & ((1 << checksum_bits) - 1) == hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)


@validator("bip39")
def bip39_phrase(text: str) -> bool:
    """A run of words that holds a wallet's recovery phrase: 12, 15, 18, 21 or 24 words in a row
    from the BIP39 English list whose checksum holds (words from the list that merely follow one
    another fail it 15 times in 16 and more). The run is reported whole: the words around a
    phrase are few, and telling where it starts would leave some of it."""
    known = _bip39_indexes()
    run: list[int] = []
    for word in [*_PHRASE_SEPARATOR.split(text), ""]:
        index = known.get(word)
        if index is not None:
            run.append(index)
            continue
        if len(run) > _LONGEST_RUN_TRIED or _holds_phrase(run):
            return True
        run = []
    return False


def _holds_phrase(run: list[int]) -> bool:
    return any(bip39_checksum_holds(run[start:start + length])
               for length in _PHRASE_LENGTHS for start in range(len(run) - length + 1))

# Keccak-256 (the pre-standard padding Ethereum uses; hashlib's sha3_256 pads differently).
_ROUND_CONSTANTS = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
    0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
    0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
_ROTATIONS = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_MASK = (1 << 64) - 1


def _rotate(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK if shift else value


def _keccak_f(state: list[list[int]]) -> None:
    for constant in _ROUND_CONSTANTS:
        columns = [state[x][0] ^ state[x][1] ^ state[x][2] ^ state[x][3] ^ state[x][4] for x in range(5)]
        for x in range(5):
            mixed = columns[(x - 1) % 5] ^ _rotate(columns[(x + 1) % 5], 1)
            for y in range(5):
                state[x][y] ^= mixed
        moved = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                moved[y][(2 * x + 3 * y) % 5] = _rotate(state[x][y], _ROTATIONS[x][y])
        for x in range(5):
            for y in range(5):
                state[x][y] = moved[x][y] ^ (~moved[(x + 1) % 5][y] & moved[(x + 2) % 5][y])
        state[0][0] ^= constant


def keccak256(data: bytes) -> bytes:
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 1) % rate)
    padded[-1] |= 0x80
    state = [[0] * 5 for _ in range(5)]
    for offset in range(0, len(padded), rate):
        block = padded[offset:offset + rate]
        for index in range(rate // 8):
            x, y = index % 5, index // 5
            state[x][y] ^= int.from_bytes(block[8 * index:8 * index + 8], "little")
        _keccak_f(state)
    return b"".join(state[index % 5][index // 5].to_bytes(8, "little") for index in range(4))


# Validators of contact data (e-mail addresses, phone numbers) register themselves from a module of
# their own.
from . import contact  # noqa: E402,F401
