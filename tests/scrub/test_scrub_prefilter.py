"""Shortcuts of the scrubber only save work: they find what the long way finds.

* The prefilter: the scrubber hands a string to the exact matchers (detectors, user patterns, keys
  inside text) only when the prefilter flags it for them. These properties plant key names,
  separators, values and secrets in text, at places where rules with and without ``in``
  selectors are active, and check that the output and the counts are the same as when every
  string is checked by everything; and that hits map to the right strings however they come.
* The exact matchers: an anchored detector finds what a search from the start finds, a
  prechecked one what a search without the precheck finds, patterns without escape-sequence
  branches what the full ones find in text holding no backslash, and quoted values matched
  possessively what a backtracking match finds.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.load.loader import load_model
from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber, keytext
from rules_engine.scrub.detectors import BUILTIN, without_lookaround

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
HASH_KEY = b"k" * 32

KEY_NAMES = [
    "password", "db_password", "DB-Password", "passwd", "token", "access_token", "accessToken",
    "token_count", "max_tokens", "api_key", "X-Api-Key", "apikey", "cookie", "cookie_params",
    "Set-Cookie", "sessionid", "session", "user.name", "name", "Name", "username", "userName",
    "email", "email_address", "field_name", "ip_address", "remote_addr", "X-Forwarded-For", "cvv",
    "pan", "pin", "ssn", "iban", "parameters", "sql_params", "db.params", "auth", "Authorization",
    "secret", "csrftoken", "otp", "dsn", "signature", "private_key", "nname", "ntoken", "id",
    "order_id", "value", "b", "x",
]
PUNCTUATION = [
    "=", ":", ": ", " = ", "'", '"', "\\'", '\\"', ", ", "&", "; ", "(", ")", "[", "]", "{", "}",
    "<", ">", " ", "\n", "\t", "b'", ".", "-", "_", "\\", "\\n", "\\x1b", "\\u001b", "%s", "#", "?",
]
VALUES = [
    "hunter2", "Bearer abc123def456", "Basic dXNlcjpwYXNz", "a.b@example.com", "4111 1111 1111 1111",
    "4539701234567803", "10.0.0.1", "fe80::1", "[Filtered]", "1", "DE89370400440532013000",
    "078-05-1121", "sk-abcdefghijklmnopqrstuvwx", "https://u:p@h.example/x",
]

@st.composite
def key_value_pairs(draw) -> str:
    """A key, maybe quoted or after an escape sequence, a separator and a value, in the shapes of
    query strings, JSON, reprs, header lines and ``(b'key', b'value')`` tuples."""
    before = draw(st.sampled_from(["", " ", "&", "?", "; ", ", ", "(", "{", ".", "\\n", "\\x1b", "\\u001b", "\\"]))
    quote = draw(st.sampled_from(["", "", "'", '"', "b'", "\\'", '\\"']))
    closing = {"b'": "'"}.get(quote, quote)
    key = draw(st.sampled_from(KEY_NAMES))
    key = draw(st.sampled_from([key, key.upper(), key.title()]))
    spaces = draw(st.sampled_from(["", " ", "  ", "\t"]))
    separator = draw(st.sampled_from(["=", ":", ", ", " "]))
    value = draw(st.sampled_from(VALUES))
    value = draw(st.sampled_from([value, f"'{value}'", f'"{value}"', f"b'{value}'", f"\\'{value}\\'",
                                  f'\\"{value}\\"', f"{{'a': '{value}'}}", f"[{value}]", f"String({value})"]))
    return before + quote + key + closing + spaces + separator + spaces + value


piece = st.one_of(
    key_value_pairs(), st.sampled_from(KEY_NAMES), st.sampled_from(PUNCTUATION), st.sampled_from(VALUES),
    st.text("aZ09_-.=:'\" é\x00", max_size=3),
)
texts = st.lists(piece, max_size=12).map("".join)

#: Rules with selectors, a glob without a literal word (every string a candidate) and patterns.
EXTRA_RULES = [
    {"id": "per-user", "keys": ["name", "*_name", "email"], "in": ["user", "extra.people"]},
    {"id": "in-request", "keys": ["*id"], "in": ["request"], "redact": "hash"},
    {"id": "anything-short", "keys": ["?"], "in": ["contexts"]},
    {"id": "order-numbers", "pattern": r"ord-(\d{4})"},
    {"id": "cards", "detect": ["creditcard", "email"], "in": ["extra.people"]},
]


def _event(text: str) -> dict:
    return {
        "message": text,
        "extra": {"t": text, "l": [text, {"v": text}], "people": {"who": text}},
        "user": {"data": text, "id": text},
        "request": {"query_string": text, "data": {"k": text}},
        "contexts": {"c": {"v": text}},
    }


def _scrubbers(scrub: models.Scrub, options: models.Options, engine: str):
    """(the scrubber as built, the same scrubber checking every string with every probe)"""
    fast = compile_scrubber(scrub, options, HASH_KEY, accelerator=engine)
    thorough = compile_scrubber(scrub, options, HASH_KEY, accelerator=engine)
    thorough._prefilter = _EveryProbe(len(thorough._probe_table))
    return fast, thorough


class _EveryProbe:
    """A prefilter flagging every string for every probe."""

    name = "every-probe"
    #: echoes are searched for form by form, over the strings joined (the scanner only narrows)
    c_scanner = None

    def __init__(self, count: int):
        self.always_mask = (1 << count) - 1

    def candidates(self, texts: list[str]) -> dict[int, int]:
        return {}


@pytest.fixture(scope="module", params=ENGINES)
def default_pair(request):
    loaded = load_model("rulesets/default.yaml")
    return _scrubbers(loaded.model.scrub, loaded.model.options, request.param)


@pytest.fixture(scope="module", params=ENGINES)
def unhurried_default_pair(request):
    """:func:`default_pair` with a time budget no machine reaches: the scrubber checking every
    string with every probe takes a third of a second over an event of hundreds of key strings
    here, and seconds where the tests run emulated (another CPU under qemu), where the default
    budget would fail the event closed and the two outputs would differ for that reason alone."""
    loaded = load_model("rulesets/default.yaml")
    options = loaded.model.options
    options = options.model_copy(update={"limits": options.limits.model_copy(update={"max_ms": 600_000})})
    return _scrubbers(loaded.model.scrub, options, request.param)


@pytest.fixture(scope="module", params=ENGINES)
def extended_pair(request):
    loaded = load_model("rulesets/default.yaml")
    scrub = models.Scrub.model_validate(
        {"allow": list(loaded.model.scrub.allow),
         "rules": [rule.model_dump(by_alias=True, exclude_none=True) for rule in loaded.model.scrub.rules] + EXTRA_RULES}
    )
    return _scrubbers(scrub, loaded.model.options, request.param)


def _same_results(pair, text: str) -> None:
    _same_event_results(pair, _event(text))


def _same_event_results(pair, event: dict) -> None:
    fast, thorough = pair
    fast_event, thorough_event = copy.deepcopy(event), copy.deepcopy(event)
    fast_counts = fast.scrub_event(fast_event)
    thorough_counts = thorough.scrub_event(thorough_event)
    assert fast_event == thorough_event
    assert fast_counts == thorough_counts


@settings(max_examples=400)
@given(text=texts)
def test_default_ruleset_prefilter_loses_nothing(default_pair, text):
    _same_results(default_pair, text)


@settings(max_examples=300)
@given(text=texts)
def test_selector_rules_prefilter_loses_nothing(extended_pair, text):
    _same_results(extended_pair, text)


@pytest.mark.parametrize(
    "text",
    [
        "Dependant(name='order_id', call=<function f>)",  # "name" of a rule active under user only
        "b'token=Qz7queryTok88&page=2'",
        "{'user.name': 'ann', 'password': 'x'}",
        "a\\nname=bob&email=a.b@example.com",
        "Column('api_secret', String()), Column('ssn', String())",
    ],
)
def test_known_shapes_prefilter_loses_nothing(default_pair, extended_pair, text):
    _same_results(default_pair, text)
    _same_results(extended_pair, text)


def _words_of_several_parts() -> list[str]:
    """The words of the default ruleset's key globs that have two parts or more (``api_key``):
    the prefilter looks for these by two parts in a row."""
    from rules_engine.scrub.rule import _key_word
    from rules_engine.scrub.selectors import _normalize_glob

    loaded = load_model("rulesets/default.yaml")
    words = {_key_word(_normalize_glob(glob))[0] for rule in loaded.model.scrub.rules for glob in rule.keys or ()}
    return sorted(word.strip("_") for word in words if word.isascii() and "_" in word.strip("_"))


#: How a text may write the ``_`` between two parts of a key word that keys inside text, its
#: shapes and its encoded views read as ``_``: as code writes it, as a label does (runs of any
#: whitespace), and escaped as the encoded views decode it.
PART_JOINTS = [
    "_", "-", "", " ", "  ", "\t", "\t ", " \t", "\u00a0", "\u2003", "\x0b", "   ",
    "%5F", "%5f", "%255F", "%2D", "%20", "+", "++", "&#95;", "&#x5f;", "&lowbar;", "&nbsp;", "&#32;",
    "\\u005f", "\\u0020",
]


def _spellings(word: str, joint: str) -> list[str]:
    parts = word.split("_")
    return [joint.join(parts), joint.join(part.upper() for part in parts),
            joint.join(part.capitalize() for part in parts)] + (
        [parts[0] + "".join(part.capitalize() for part in parts[1:])] if joint == "" else [])


@pytest.mark.parametrize("joint", PART_JOINTS)
def test_words_of_several_parts_are_flagged_however_their_parts_are_joined(unhurried_default_pair, joint):
    """Each key word of several parts, its parts joined in each way a key may join them, in the
    shapes keys inside text, labels and encoded text are read in, each in a string of its own (a
    string is flagged as a whole) with values of its own: what the prefilter flags is what
    checking every string finds."""
    joint = joint.encode().decode("unicode_escape")  # (the table writes control and wide characters escaped)
    keys = [key for word in _words_of_several_parts() for key in _spellings(word, joint)]
    # a value of its own in each string: a value redacted in one is an echo found in every other
    texts = [f"{key}=Wq{n}vT2xLm; {{'{key}': 'Wq{n}vT3xLm'}} \\n- **{key}**: Wq{n}vT4xLm\\n{key}: Wq{n}vT5xLm"
             for n, key in enumerate(keys)]
    _same_event_results(unhurried_default_pair, {"extra": {"texts": texts}})


def test_pairs_of_parts_find_keys_the_parts_alone_would(default_pair):
    """The spellings above are keys the scrubber redacts (the check above compares something):
    for most words of several parts, the value after ``=`` is gone."""
    fast, _ = default_pair
    words = _words_of_several_parts()
    redacted = 0
    for word in words:
        event = {"message": f"{word.replace('_', '-')}=Wq8vT2xLm9Rw"}
        fast.scrub_event(event)
        redacted += "Wq8vT2xLm9Rw" not in event["message"]
    assert redacted >= 0.9 * len(words), (redacted, len(words))


def test_the_thorough_scrubber_does_redact(default_pair):
    """The comparison means something: both scrubbers redact keys inside text."""
    fast, thorough = default_pair
    event = _event("a=1&password=hunter2")
    counts = thorough.scrub_event(event)
    assert "hunter2" not in event["message"] and counts["secret-keys"] >= 1


# ----------------------------------------------------------------- mapping hits to strings

STRINGS = ["a=1&password=x", "plain", "mail a.b@example.com", "", "é token=t", "4111 1111 1111 1111"]


def _prefilter(engine: str):
    loaded = load_model("rulesets/default.yaml")
    return compile_scrubber(loaded.model.scrub, loaded.model.options, HASH_KEY, accelerator=engine)._prefilter


def _flagged(engine: str, texts: list[str]) -> dict[int, int]:
    return _prefilter(engine).candidates(texts)


@pytest.mark.parametrize("engine", ENGINES)
def test_strings_holding_nul_are_mapped_to_their_own_index(engine):
    plain = _flagged(engine, STRINGS)
    with_nul = _flagged(engine, ["x\x00y\x00z", *STRINGS])
    assert plain and with_nul == {index + 1: mask for index, mask in plain.items()}


_PREFILTERS: dict[str, object] = {}


@settings(max_examples=150, deadline=None)
@given(picks=st.lists(st.integers(0, len(STRINGS) - 1), max_size=12))
def test_a_string_repeated_is_flagged_at_each_place_as_it_is_alone(picks):
    # The Python scan reads each distinct string of an event once: what it flags must still
    # reach every place the string stands, and only those.
    texts = [STRINGS[pick] for pick in picks]
    for engine in ENGINES:
        prefilter = _PREFILTERS.get(engine) or _PREFILTERS.setdefault(engine, _prefilter(engine))
        alone = [prefilter.candidates([text]).get(0, 0) for text in texts]
        assert prefilter.candidates(texts) == {index: mask for index, mask in enumerate(alone) if mask}, engine


def _default_probes():
    loaded = load_model("rulesets/default.yaml")
    return compile_scrubber(loaded.model.scrub, loaded.model.options, HASH_KEY, accelerator="off")._probes


def _busy_texts() -> list[str]:
    """About 400 KB of strings, thick with matches."""
    return [f"password={i} a{i}@example.com 4111 1111 1111 1111 token: t{i} " * 20 for i in range(300)]


@pytest.mark.parametrize("engine", ENGINES)
def test_threads_scanning_at_once_each_get_every_candidate(engine):
    # The scrubber runs in whatever thread captures an event, often several at once.
    prefilter = _prefilter(engine)
    texts = _busy_texts()
    expected = prefilter.candidates(texts)
    outcomes: list = []

    def scan_repeatedly():
        try:
            outcomes.extend(prefilter.candidates(texts) == expected for _ in range(6))
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcomes.append(error)

    threads = [threading.Thread(target=scan_repeatedly) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(expected) == len(texts) and outcomes == [True] * 24


# ----------------------------------------------------------------- anchored detectors

ANCHORED = sorted(name for name, detector in BUILTIN.items() if detector.anchor is not None)
def assembled(pieces: list[str], alphabet: str, piece_size: int, count: int) -> st.SearchStrategy[str]:
    """Text of up to ``count`` pieces, each one of ``pieces`` or up to ``piece_size`` characters of
    ``alphabet``: the shapes a shortcut must get right, in any order and company."""
    return st.lists(st.one_of(st.sampled_from(pieces), st.text(alphabet, max_size=piece_size)),
                    max_size=count).map("".join)


def assert_shortcut_changes_nothing(name: str, shortcut: str, text: str) -> None:
    """The builtin detector ``name`` finds the same spans with and without its ``shortcut``."""
    detector = BUILTIN[name]
    assert list(detector.find(text)) == list(dataclasses.replace(detector, **{shortcut: None}).find(text))


ANCHORED_TEXT_PIECES = ["@", "%40", "://", "a.b@example.com", "x%40mail.example.org", "https://u:p@h.example/",
                        "\\n", "\\x1b", " ", ".", "-", "+", "[Filtered]", "a" * 70, "b" * 40, "c" * 60, "ftp",
                        "httpsxxxxxxxxxxxxxxxxx"]
anchored_text = assembled(ANCHORED_TEXT_PIECES, "aZ09._%+-@:/ ", piece_size=4, count=20)


@pytest.mark.parametrize("name", ANCHORED)
@settings(max_examples=300)
@given(text=anchored_text)
def test_anchored_search_finds_what_a_full_search_finds(name, text):
    assert_shortcut_changes_nothing(name, "anchor", text)


@pytest.mark.parametrize("name", ANCHORED)
@pytest.mark.parametrize(
    "text",
    ["b" * 40 + "@example.com", "x" * 63 + "@a.bc", "(" + "x" * 64 + "@a.bc", "a%40" + "y" * 60 + "%40b.example",
     "h" * 20 + "://u:p@h/", "(" + "h" * 21 + "://u@h", "a@b.cd " + "z" * 50 + "@e.fg", "\\n" + "q" * 62 + "@r.st",
     # the e-mail anchor holds the domain: an "@" before no domain is passed over, the next one found
     "x" * 64 + "@a.bc", "x" * 65 + "@a.bc", "shop-backend@2.75.0", "a@2.75.0 b@c.de", "a@b.c-d e%40f.gh",
     "a%40b%40c.de", "a@b.c.d.e.f.g.h.i.jk", "a@b.c.d.e.f.g.h.jk", "a@b.cd_", "a@b.cd-e.fg", " @x.yz a@x.yz"],
)
def test_anchored_search_near_its_reach(name, text):
    detector = BUILTIN[name]
    assert list(detector.find(text)) == list(dataclasses.replace(detector, anchor=None).find(text))


def test_some_detectors_are_anchored():
    assert {"email", "url_userinfo", "password_pair"} <= set(ANCHORED)


# Keys before a separator: a match at the first anchor stands for the first match
SECRET_PAIRS_PIECES = ["password", "Password", "PASSWD", "api_key", "api-key", "apikey", "token", "auth",
                       "authorization", "credentials", "session_id", "cookie", "db_", "x.", "my-", "a" * 30,
                       "k" * 45, "=", ":", " = ", "'", '"', "'x'", '"y"', "{", "(", ",", "&", "Bearer ", "bearer x",
                       "K", "\u212a", "é", "\n", "\\", " ", "\t", "=value", ": v1", "=" + "z" * 30]
secret_pairs = assembled(SECRET_PAIRS_PIECES, "aZ09_.-=:'\" \t", piece_size=4, count=14)


@settings(max_examples=500)
@given(text=secret_pairs)
def test_secret_pairs_found_at_the_anchor_are_what_a_full_search_finds(text):
    detector = BUILTIN["password_pair"]
    full = dataclasses.replace(detector, anchor=None)
    assert list(detector.find(text)) == list(full.find(text))
    assert list(detector.find(text.upper())) == list(full.find(text.upper()))


@pytest.mark.parametrize(
    "text",
    ["password=x", "db_password=x", "x.password=x", "my-token: y", "(api_key='k')", "a" * 40 + "_token=x",
     "a" * 41 + "_token=x", "b" * 50 + "token=x", "api_key={x} token=y", "password=x password=y", "passwordpassword=x",
     "token= 'x'", "xtoken=1 token=2", "cookie" + " " * 9 + "=x", "ké_token=x", "\u212a_token=x"],
)
def test_secret_pairs_near_the_anchor(text):
    detector = BUILTIN["password_pair"]
    assert list(detector.find(text)) == list(dataclasses.replace(detector, anchor=None).find(text))


GATED = sorted(name for name, detector in BUILTIN.items() if detector.anchor_gate is not None)


def test_the_secret_pair_anchor_is_gated():
    assert "password_pair" in GATED


@pytest.mark.parametrize("name", GATED)
@settings(max_examples=500)
@given(text=secret_pairs)
def test_an_anchor_gate_changes_nothing(name, text):
    assert_shortcut_changes_nothing(name, "anchor_gate", text)
    assert_shortcut_changes_nothing(name, "anchor_gate", text.upper())


@pytest.mark.parametrize("name", GATED)
@pytest.mark.parametrize(
    "text",
    ["password=x", "PASSWORD = 'x'", "x" * 600 + "token:y", "token{ password=z", "auth", "auth=", "auth= ",
     "cookie\t=\tv", "a token= b password=c", "API-KEY:k", "token=\n", "\u00e9 token=x", "t\u212aoken=x"],
)
def test_an_anchor_gate_near_the_anchor(name, text):
    assert_shortcut_changes_nothing(name, "anchor_gate", text)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("a(?=b)c", "ac"),
        ("a(?!b(c)d)e", "ae"),
        ("(?<=x)y(?<!z)", "y"),
        (r"a\(?=b", r"a\(?=b"),  # an escaped parenthesis opens no group
        ("a[(?=]b(?=[)])c", "a[(?=]bc"),  # nor does one in a class, nor closes one
        ("a[]()](?=x)", "a[]()]"),  # "]" first in a class is a member
        ("(?:a(?=b)|c)d", "(?:a|c)d"),
        ("(?P<k>a)(?=(?P=k))", "(?P<k>a)"),
    ],
)
def test_look_arounds_are_dropped_whole(pattern, expected):
    assert without_lookaround(pattern) == expected


@settings(max_examples=300)
@given(text=secret_pairs)
def test_a_pattern_without_look_arounds_matches_where_it_did(text):
    for name in ANCHORED:
        pattern = BUILTIN[name].anchor
        loosened = re.compile(without_lookaround(pattern.pattern), pattern.flags)
        for match in pattern.finditer(text):
            assert loosened.match(text, match.start()) is not None, (name, match.start())


# ----------------------------------------------------------------- text without a backslash

no_backslash = st.lists(st.one_of(key_value_pairs(), piece), max_size=12).map("".join).map(
    lambda text: text.replace("\\", "")
)


@settings(max_examples=300)
@given(text=no_backslash)
def test_patterns_without_escapes_find_the_same_in_text_without_backslash(text):
    for detector in BUILTIN.values():
        full = dataclasses.replace(detector, plain=detector.exact, lowered_plain=detector.lowered)
        assert list(detector.find(text)) == list(full.find(text)), detector.name
        assert list(detector.find(text.upper())) == list(full.find(text.upper())), detector.name


def _sensitive(key: str) -> int:
    return 1 if any(word in key.lower() for word in ("pass", "token", "name", "key", "cookie")) else 0


@settings(max_examples=300)
@given(text=no_backslash)
def test_key_pairs_without_escapes_are_found_the_same_in_text_without_backslash(text):
    _same_key_pairs_without_escapes(text)


@pytest.mark.parametrize("text", [".password=1", "(.token: 'x')", "@name=1", " $key=1", "-cookie=1", "x-token=1", "a.b=1"])
def test_key_pairs_after_punctuation_are_found_the_same_without_escapes(text):
    assert "\\" not in text
    _same_key_pairs_without_escapes(text)


def _same_key_pairs_without_escapes(text: str) -> None:
    plain = list(keytext.find_key_values(text, _sensitive))
    saved = keytext._PAIR_PLAIN
    keytext._PAIR_PLAIN = keytext._PAIR
    try:
        assert plain == list(keytext.find_key_values(text, _sensitive))
    finally:
        keytext._PAIR_PLAIN = saved


# ----------------------------------------------------------------- possessive quoted values


def _backtracking(pattern: str) -> str:
    """``pattern`` with its quoted values matched greedily again instead of possessively."""
    changed = pattern.replace("{0,8192}+)", "{0,8192})").replace("{1,1024}+)", "{1,1024})")
    assert changed != pattern
    return changed


quoted_values = st.lists(
    st.one_of(key_value_pairs(), piece, st.sampled_from(['"', "'", "\\", '\\"', "\\'", "\n", '"x\\', "'y\\\n"])),
    max_size=14,
).map("".join)


@settings(max_examples=400)
@given(text=quoted_values)
def test_quoted_values_matched_possessively_find_what_backtracking_finds(text):
    possessive = list(keytext.find_key_values(text, _sensitive))
    saved = keytext._PAIR, keytext._PAIR_PLAIN
    keytext._PAIR = re.compile(_backtracking(saved[0].pattern), re.VERBOSE)
    keytext._PAIR_PLAIN = re.compile(_backtracking(saved[1].pattern), re.VERBOSE)
    try:
        assert possessive == list(keytext.find_key_values(text, _sensitive))
    finally:
        keytext._PAIR, keytext._PAIR_PLAIN = saved
    detector = BUILTIN["password_pair"]
    backtracking = dataclasses.replace(
        detector,
        **{name: re.compile(_backtracking(getattr(detector, name).pattern), getattr(detector, name).flags)
           for name in ("exact", "plain", "lowered", "lowered_plain")},
    )
    assert detector.find(text) == backtracking.find(text)


# ----------------------------------------------------------------- prechecked detectors

PRECHECKED = sorted(name for name, detector in BUILTIN.items() if detector.precheck is not None)
DIGITS_TEXT_PIECES = ["4111 1111 1111 1111", "4539701234567803", "2221000000000009", "1", "9", " ", "-", ".",
                      "+", "_", "x", "é", "٤", "\\n", "0x7f", "139679221193600", "5555-5555-5555-4444"]
digits_text = assembled(DIGITS_TEXT_PIECES, "0123456789 -.x", piece_size=6, count=12)


@pytest.mark.parametrize("name", PRECHECKED)
@settings(max_examples=400)
@given(text=digits_text)
def test_precheck_skips_only_text_without_findings(name, text):
    assert_shortcut_changes_nothing(name, "precheck", text)


def test_card_numbers_are_prechecked():
    assert "creditcard" in PRECHECKED


# ----------------------------------------------------------------- user patterns searched by RE2

@settings(max_examples=200)
@given(data=st.text("ab1-\x00é", max_size=30), position=st.integers(0, 40))
def test_the_binding_search_finds_where_the_wrapper_finds(data, position):
    """The prefilter calls RE2's compiled regexp without the wrapper's match objects: the same
    first match at or after a position, in UTF-8 bytes."""
    import re2

    from rules_engine.scrub.joined import _raw_search, _wrapped_search

    encoded = data.encode("utf-8")
    for source in (b"a+b", b"[0-9]-?", b"\\x00a", b"(?i)B1", b"$"):
        compiled = re2.compile(source)
        raw = _raw_search(compiled)
        assert raw is not None
        assert raw(encoded, min(position, len(encoded))) == _wrapped_search(compiled)(encoded, min(position, len(encoded)))


#: User patterns in RE2's syntax, some matching NUL, empty text or across the joined strings.
USER_PATTERNS = [r"a+b", r"[0-9]{2}-?[0-9]", r"(?i)B1", r"[[:digit:]]{3}", r"\pL{2}é", r"[^a]{4}", r"x*",
                 r"\Qa+\E", r"é\x00?b", r"a\Q+)"]


def _joined_search(patterns: list[str]):
    from rules_engine.conditions.regex import compile_regex
    from rules_engine.scrub.joined import JoinedSearch

    return JoinedSearch([(1 << index, compile_regex(pattern)) for index, pattern in enumerate(patterns)])


def _held_by_each_string(patterns: list[str], texts: list[str]) -> dict[int, int]:
    """The reference: each pattern searched in each string alone."""
    from rules_engine.conditions.regex import compile_regex

    compiled = [compile_regex(pattern) for pattern in patterns]
    found = {}
    for index, text in enumerate(texts):
        mask = sum(1 << bit for bit, pattern in enumerate(compiled) if pattern.search(text))
        if mask:
            found[index] = mask
    return found


@settings(max_examples=300)
@given(texts=st.lists(st.text("ab1é-\x00 xB+)", max_size=12), max_size=8),
       patterns=st.lists(st.sampled_from(USER_PATTERNS), min_size=1, max_size=4, unique=True))
def test_user_patterns_flag_exactly_the_strings_holding_a_match(texts, patterns):
    """Searched over the joined strings, a user pattern flags a string exactly when a search of
    that string alone finds it: never passing over one (a match after a NUL inside a string,
    several patterns in one string), never flagging one for a match that runs on into the next."""
    found: dict[int, int] = {}
    _joined_search(patterns).flag(texts, found)
    assert found == _held_by_each_string(patterns, texts)


@settings(max_examples=100)
@given(texts=st.lists(st.text("ab1é-\x00 xB+)", max_size=12), max_size=8))
def test_user_patterns_without_a_set_flag_the_same_strings(texts):
    """Where RE2 cannot build the patterns' set, each pattern is searched in the string."""
    from unittest import mock

    patterns = ["a+b", "[0-9]{2}-?[0-9]", "(?i)B1"]
    with mock.patch("rules_engine.scrub.joined._search_set", lambda patterns: None):
        search = _joined_search(patterns)
    found: dict[int, int] = {}
    search.flag(texts, found)
    assert found == _held_by_each_string(patterns, texts)


@settings(max_examples=100)
@given(texts=st.lists(st.text("ab1é-\x00 xB+)", max_size=12), max_size=8),
       patterns=st.lists(st.sampled_from(USER_PATTERNS), min_size=1, max_size=4, unique=True))
def test_user_patterns_flag_the_same_strings_where_their_set_answers_nothing(texts, patterns):
    """A set whose automaton RE2 could not build within its memory answers "no match" to every
    text, with no error: where the alternation matches in a string the set says holds nothing,
    each pattern is searched in it."""
    from unittest import mock

    blind = mock.Mock(Match=lambda data: [], _set=None)
    with mock.patch("rules_engine.scrub.joined._search_set", lambda patterns: blind):
        search = _joined_search(patterns)
    found: dict[int, int] = {}
    search.flag(texts, found)
    assert found == _held_by_each_string(patterns, texts)


def test_user_patterns_flag_every_string_when_one_holds_a_lone_surrogate():
    found: dict[int, int] = {}
    _joined_search(["a+b"]).flag(["x", "\ud800", "ab"], found)
    assert found == {0: 1, 1: 1, 2: 1}


def _python_prefilter(patterns: list[str]):
    """A prefilter scanning in Python (the user patterns searched over the strings joined, as
    with the scan in C)."""
    from rules_engine.conditions.regex import compile_regex
    from rules_engine.scrub.prefilter import Literal, Prefilter, Probe, user_pattern_probe

    probes = tuple(user_pattern_probe(compile_regex(pattern)) for pattern in patterns)
    return Prefilter(probes + (Probe.any_of(Literal("b")),), use_c=False)


@settings(max_examples=300)
@given(texts=st.lists(st.text("ab1é-\x00 xB+)", max_size=12), max_size=8),
       patterns=st.lists(st.sampled_from(USER_PATTERNS), min_size=1, max_size=4, unique=True))
def test_user_patterns_in_the_python_scan_flag_exactly_the_strings_holding_a_match(texts, patterns):
    """Beside the Python scan of the anchors, a user pattern flags the strings a search of each
    alone finds."""
    expected = _held_by_each_string(patterns, texts)
    for index, text in enumerate(texts):
        if "b" in text:
            expected[index] = expected.get(index, 0) | 1 << len(patterns)
    assert _python_prefilter(patterns).candidates(texts) == expected


def test_user_patterns_in_the_python_scan_flag_every_string_when_one_holds_a_lone_surrogate():
    assert _python_prefilter(["a+b"]).candidates(["x", "\ud800", "ab", "\ud800b"]) == \
        {0: 1, 1: 1, 2: 0b11, 3: 0b11}


@settings(max_examples=300)
@given(texts=st.lists(st.text("ab1\x00é€\U0001f600", max_size=6), min_size=1, max_size=6))
def test_joined_text_maps_every_byte_to_its_string(texts):
    """The joined UTF-8 is each string's UTF-8 with a NUL between, and every byte (read in
    increasing order) is in the string it came from, whether or not strings hold NUL or
    characters beyond ASCII."""
    from rules_engine.scrub.joined import Utf8Joined

    joined = Utf8Joined.of(texts)
    encoded = [text.encode("utf-8") for text in texts]
    assert joined.data == b"\x00".join(encoded)
    position = 0
    for index, data in enumerate(encoded):
        for offset in range(len(data)):
            assert joined.string_at(position + offset) == (index, position, position + len(data))
        position += len(data) + 1
