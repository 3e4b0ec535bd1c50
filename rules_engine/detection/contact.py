"""Validators of contact data in the detector catalogue: e-mail addresses and phone numbers
(libphonenumber's numbering plans), registered in :data:`.validators.VALIDATORS`."""

from __future__ import annotations

import functools
import re

from .validators import validator

#: File extensions that follow "@2x" in image names ("icon@2x.png"), not top-level domains.
_FILE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "map", "html", "txt"})


#: The @ as the catalogue's e-mail pattern reads it escaped: percent-encoded (also twice), JSON's \\u escape
#: (its backslash doubled by each repr() or JSON encoding around it), HTML's character references.
_AT_ESCAPES = re.compile(r"%(?:25)?40|\\{1,8}u0040|&#0?64;|&#[xX](?:00)?40;|&commat;")


@validator("email")
def email(address: str) -> bool:
    local, _, domain = _AT_ESCAPES.sub("@", address).rpartition("@")
    if not local or local.startswith(".") or local.endswith("."):
        return False
    return domain.rsplit(".", 1)[-1].lower() not in _FILE_EXTENSIONS


#: How many phone-shaped texts each phone validator remembers its answer for: libphonenumber's
#: parse costs tens of microseconds a region, and an event sends one number in several places (the
#: message, a frame's variable, a breadcrumb, the request), a text of many numbers often the same one.
_PHONE_ANSWERS = 1024


@validator("phone")
@functools.lru_cache(maxsize=_PHONE_ANSWERS)
def phone(text: str) -> bool:
    if _NOT_A_PHONE.match(text):
        return False
    if text.startswith("00") and text.isdigit() and len(text) - 2 < _COMPACT_00_DIGITS:
        return False
    return _international(text)


def _international(text: str) -> bool:
    """Whether ``text``, with a +, 00 or %2B and a country code, is a valid number."""
    import phonenumbers

    try:
        number = phonenumbers.parse(_QUERY_SPACE.sub(" ", _INTERNATIONAL_PREFIX.sub("+", text, count=1)), None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


#: What stands for the + of an international number: 00 (the international prefix most countries
#: dial) and the + percent-encoded (a query's value).
_INTERNATIONAL_PREFIX = re.compile(r"^(?:00|%2[Bb])")

#: A space between a number's groups in a query's value: %20, or + after the first character.
_QUERY_SPACE = re.compile(r"%20|(?<=.)\+")

#: Digit runs a phone pattern's separators match that are no phone numbers, though
#: libphonenumber's plans take many of them as some region's numbers (20261207 is a valid German
#: number): a date at the start (a time may follow: 07-12-2026 00:15), a compact date, a Unix time
#: in seconds or milliseconds (no North American number starts with 1), a version or an IPv4
#: address (three or four dotted parts of at most three digits; 415.555.0132 has four in its last).
_NOT_A_PHONE = re.compile(
    r"(?:19|20)[0-9]{2}([./-])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12][0-9]|3[01])(?:[^0-9]|$)"
    r"|[0-9]{1,2}([./-])[0-9]{1,2}\2(?:19|20)[0-9]{2}(?:[^0-9]|$)"  # 12/07/2026
    r"|(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])$"
    r"|1[0-9]{9}$|1[0-9]{12}$"
    r"|[0-9]{1,3}(?:\.[0-9]{1,3}){2,3}$"
)

#: Digits after a 00 written without separators that an international number has at least: ids
#: padded with zeros (0049206708) pass some plan's check one time in a few hundred, and most
#: countries' numbers with their country code hold ten digits or more.
_COMPACT_00_DIGITS = 10


#: Regions a number without a country code is tried in (the most common ones in events).
_PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "BR", "CA", "AU", "JP")


@validator("phone_national")
@functools.lru_cache(maxsize=_PHONE_ANSWERS)
def phone_national(text: str) -> bool:
    import phonenumbers

    if _NOT_A_PHONE.match(text):
        return False
    # After a phone word or key a short number with 00 counts too: the word says what it is.
    if text.startswith(("+", "00")):
        return _international(text)
    for region in _PHONE_REGIONS:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(text, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


@validator("phone_nanp")
@functools.lru_cache(maxsize=_PHONE_ANSWERS)
def phone_nanp(text: str) -> bool:
    """A number of the North American numbering plan (its area code and exchange in use)."""
    import phonenumbers

    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, "US"))
    except phonenumbers.NumberParseException:
        return False
