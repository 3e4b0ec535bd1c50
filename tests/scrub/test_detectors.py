"""Builtin detectors: what each one finds (and redacts), and what it must leave alone."""

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.detection import catalogue
from rules_engine.model.models import DETECTORS
from rules_engine.scrub.detectors import (
    BUILTIN,
    LOWERED_ON_ASCII,
    iban_valid,
    luhn_valid,
    ssn_valid,
)
from rules_engine.scrub.prefilter import accelerator_available, make_prefilter
from tests.corpus import values

# detector -> [(text, the exact substrings it must report)]
FOUND = {
    "creditcard": [
        (f"paid with {values.CARD_NUMBER} today", [values.CARD_NUMBER]),
        ("4111-1111-1111-1111", ["4111-1111-1111-1111"]),
        ("amex 378282246310005.", ["378282246310005"]),
        ("4111111111111111 2024", ["4111111111111111"]),
    ],
    "iban": [
        (f"iban={values.IBAN}", [values.IBAN]),
        ("to DE89 3704 0044 0532 0130 00 EUR", ["DE89 3704 0044 0532 0130 00"]),
        ("GB82WEST12345698765432", ["GB82WEST12345698765432"]),
    ],
    "email": [
        (f"mail {values.EMAIL_USER}.", [values.EMAIL_USER]),
        ("?email=bob%40example.com&x=1", ["bob%40example.com"]),
        ("<a.b-c@mail.example.co.uk>", ["a.b-c@mail.example.co.uk"]),
    ],
    "ipv4": [("from 10.1.2.3:8080", ["10.1.2.3"]), ("http://192.168.0.1/x", ["192.168.0.1"])],
    "ipv6": [
        ("client 2001:db8::8a2e:370:7334 said", ["2001:db8::8a2e:370:7334"]),
        ("[::1]:8000", ["::1"]),
        ("::ffff:192.168.0.1", ["::ffff:192.168.0.1"]),
        ("fe80:0:0:0:200:f8ff:fe21:67cf", ["fe80:0:0:0:200:f8ff:fe21:67cf"]),
    ],
    "jwt": [(f"token {values.JWT}", [values.JWT])],
    "bearer": [(f"Authorization: Bearer {values.BEARER_TOKEN}", [values.BEARER_TOKEN])],
    "basic_auth": [(f"Basic {values.BASIC_CREDENTIALS}", [values.BASIC_CREDENTIALS])],
    "url_userinfo": [
        (values.DATABASE_URL, [f"shop:{values.URL_PASSWORD}"]),
        ("git clone https://ghtoken123@github.com/a/b", ["ghtoken123"]),
    ],
    "pem_private_key": [(f"key={values.PEM_PRIVATE_KEY}", [values.PEM_PRIVATE_KEY])],
    "aws_access_key": [(f"id {values.AWS_ACCESS_KEY}", [values.AWS_ACCESS_KEY])],
    "github_token": [(values.GITHUB_TOKEN, [values.GITHUB_TOKEN])],
    "slack_token": [
        (values.SLACK_TOKEN, [values.SLACK_TOKEN]),
        ("post to https://hooks.slack.com/services/T0001/B0002/abcdefgh", ["services/T0001/B0002/abcdefgh"]),
    ],
    "stripe_key": [(values.STRIPE_KEY, [values.STRIPE_KEY]), ("rk_test_abcdefghij12", ["rk_test_abcdefghij12"])],
    "google_api_key": [(values.GOOGLE_API_KEY, [values.GOOGLE_API_KEY])],
    "openai_key": [(f"key {values.OPENAI_KEY}", [values.OPENAI_KEY])],
    "password_pair": [
        ("login failed password=hunter2 for bob", ["hunter2"]),
        ('{"db_password": "two words"}', ["two words"]),
        ("accessToken: abc123", ["abc123"]),
        ("x-api-key='k-1'", ["k-1"]),
    ],
    "us_ssn": [(f"ssn {values.SSN}", [values.SSN])],
    "sql_params": [
        ("(IntegrityError)\n[SQL: INSERT ...]\n[parameters: ('a@b.c', 'pw]x')]\n(Background on this error)",
         ["('a@b.c', 'pw]x')"]),
        ("DETAIL:  Key (email)=(a@b.com) already exists.", ["a@b.com"]),
    ],
}

# detector -> texts it must not report anything in
KEPT = {
    "creditcard": [
        "order 1234567812345678",  # 16 digits, fails Luhn
        "ts 1700000000123",  # epoch milliseconds
        "9999 9999 9999 9995",  # Luhn-valid, but no card network issues 9...
        "id 550e8400-e29b-41d4-a716-446655440000",
        "4111-1111 1111-1111",  # mixed separators
        "0000000000000000",
    ],
    "iban": ["DE89 3704 0044 0532 0130 01", "AB12CDEF", "ref GB00WEST12345698765432"],
    "email": ["user@localhost", "shop-backend@2.75.0", "@decorator", "a@b"],
    "ipv4": ["Chrome/120.0.0.0 Safari", "version 2.75.0", "300.1.1.1", "1.2.3.4.5", "01.02.03.04"],
    "ipv6": ["12:30:45", "2026-11-22T05:46:17", "std::vector", "a:b:c", "::"],
    "jwt": ["eyeballs.are.round", "eyJub3QganNvbg.eyJ4Ijox.sig", "version.1.2"],
    "bearer": ["Bearer x", "bearers of bad news"],
    "basic_auth": ["basic stuff here", "Basic aGVsbG8="],  # "hello": no user:password
    "url_userinfo": ["https://example.com/a@b", "mailto:bob"],
    "pem_private_key": ["-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----"],
    "aws_access_key": ["AKIA123", "XAKIAQZ7EXAMPLE4KEY23"],
    "github_token": ["ghp_short", "the ghp_ prefix"],
    "slack_token": ["xoxb-", "hooks.slack.com"],
    "stripe_key": ["pk_live_abcdefghijkl", "sk_live_"],
    "google_api_key": ["AIza-short"],
    "openai_key": ["task-1234567890123456789012", "sk-short"],
    "password_pair": ["token_count=5", "max_tokens: 256", "authored_by=alice", "sessions_total=3", "password reset"],
    "us_ssn": ["2026-11-22", "000-12-3456", "666-12-3456", "912-12-3456", "123-45-6789", "536-00-8741"],
    "sql_params": ["[SQL: SELECT 1]", "parameters: none"],
}


def flagged_by_both_scanners(detector, text: str) -> bool:
    """Whether the prefilter flags ``text`` for ``detector``, with each scanner built here (both
    are asked, so that neither may miss it)."""
    scanners = ["off", "on"] if accelerator_available() else ["off"]
    return all(make_prefilter((detector.probe,), scanner).candidates([text]) == {0: 1} for scanner in scanners)


def test_every_detector_is_implemented_and_tested():
    assert set(BUILTIN) == set(DETECTORS)
    classic = set(DETECTORS) - {entry.id for entry in catalogue()}  # test_catalogue.py tests the others
    assert set(FOUND) == classic == set(KEPT)


@pytest.mark.parametrize(
    "name,text,expected", [(name, text, expected) for name, cases in FOUND.items() for text, expected in cases]
)
def test_detector_finds(name, text, expected):
    detector = BUILTIN[name]
    assert [text[start:end] for start, end in detector.find(text)] == expected
    assert flagged_by_both_scanners(detector, text), "the prefilter must flag every string the detector finds"


@pytest.mark.parametrize("name,text", [(name, text) for name, texts in KEPT.items() for text in texts])
def test_detector_keeps(name, text):
    assert list(BUILTIN[name].find(text)) == []


def test_validators():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89370400440532013000") and not iban_valid("DE89370400440532013001")
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_valid("DE8937040044053201300")  # German IBANs have 22 characters
    assert ssn_valid("536-22-8741") and not ssn_valid("078-05-1120")


def _luhn_digit_by_digit(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@settings(max_examples=500)
@given(digits=st.text("0123456789", min_size=1, max_size=25) | st.text("0123456789٤²", min_size=1, max_size=25))
def test_luhn_sums_as_digit_by_digit(digits):
    # ASCII digits are summed through a translation table; other digits the long way
    assert luhn_valid(digits) == _luhn_digit_by_digit(digits)


def _iban_char_by_char(text: str) -> bool:
    """The mod-97 check with each character's value asked of ``int``."""
    from rules_engine.scrub.detectors import _IBAN_LENGTHS

    compact = text.replace(" ", "")
    expected = _IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected or not 15 <= len(compact) <= 34:
        return False
    return int("".join(str(int(char, 36)) for char in compact[4:] + compact[:4])) % 97 == 1


@settings(max_examples=500)
@given(text=st.text("ABDEGWXZabgwxz0123456789", min_size=15, max_size=34)
       | st.text("AZaz09٤²", min_size=15, max_size=34)
       | st.builds(lambda rest: "DE" + rest, st.text("0123456789", min_size=20, max_size=20)))
def test_iban_checks_as_char_by_char(text):
    # ASCII letters get their values through a translation table; other text the long way
    try:
        expected = _iban_char_by_char(text)
    except ValueError:  # a character int() does not read as a digit
        with pytest.raises(ValueError):
            iban_valid(text)
        return
    assert iban_valid(text) == expected, text


@pytest.mark.parametrize(
    "text,expected",
    [("4111 1111 1111 1111", True), ("4111-1111-1111-1111", True), ("4111-1111 1111-1111", False),
     ("4111x1111 1111x1111", False), ("4444444444444444", False),
     ("4111 1111 1111 1112", False), ("1111 1111 1111 1117", False), ("٤111111111111111", False), ("", False)],
)
def test_card_number_validation(text, expected):
    assert BUILTIN["creditcard"].validator(text) is expected


def _jwt(header: dict) -> str:
    import base64
    import json

    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
    return encoded + ".eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "header,found",
    [({"alg": "HS256"}, True), ({"typ": "JWT"}, False), ({"alg": "RS256", "kid": "k" * 300}, True),
     ({"typ": "JWT", "kid": "k" * 300}, False)],
)
def test_jwt_headers_decide_the_same_when_seen_again(header, found):
    # short headers are remembered, long ones decoded every time: both answer alike
    token = _jwt(header)
    for _ in range(2):
        assert (BUILTIN["jwt"].find("token " + token) == [(6, 6 + len(token))]) is found


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_detectors_stay_linear_on_hostile_input(name):
    # Long runs of the characters each pattern repeats: a backtracking blow-up would hang here.
    for hostile in ("a" * 20000 + "@", "1" * 20000, "1." * 10000, "ey" + "A" * 20000, ":" * 20000,
                    "password=" * 3000, "-----BEGIN PRIVATE KEY-----" + "A" * 20000):
        list(BUILTIN[name].find(hostile))


_PIECES = ["password", "PassWord", "Token", "api_key", "x", "db_", "'", '"', "\\", "=", ":", ",", " ", "\t",
           "{", "}", "(", ")", "bearer ", "Basic ", "dXNlcjpwdw==", "a.b", "-", "&", ";", "secret", "AUTH", "1",
           "sessid", "cookie", "@ex.com", "%40", "bob", "eyJhbGciOiJIUzI1NiJ9", ".", "abc", "é", "K"]
_TEXTS = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=14).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS)
def test_lowered_fast_path_finds_what_the_caseless_pattern_finds(text):
    for name in sorted(LOWERED_ON_ASCII):
        detector = BUILTIN[name]
        slow = dataclasses.replace(detector, lowered=None)
        assert list(detector.find(text)) == list(slow.find(text)), name


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS)
def test_prefilters_flag_every_string_a_detector_finds(text):
    for name, detector in BUILTIN.items():
        if any(True for _ in detector.find(text)):
            assert flagged_by_both_scanners(detector, text), name
