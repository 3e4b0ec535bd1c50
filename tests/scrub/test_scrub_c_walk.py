"""The C walk (``rules_engine/scrub/_walker.c``) gives exactly the results of the Python walk.

The accelerated scrubber (the C walk and prefilter) and the pure-Python one are run over the same
events: realistic ones, hostile ones (wrong types, subclasses, NaN, bytes, cycles, deep nesting)
and events with secrets planted in every shape. Both must leave the same event behind (values,
``_meta`` remarks, key order), return the same counts, or raise the same exception.
"""

from __future__ import annotations

import collections
import enum
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rules_engine.load.loader import load_model
from rules_engine.model import models
from rules_engine.runtime.breadcrumbs import carrying_event
from rules_engine.scrub import (
    ScrubLimitExceeded,
    UnsendableValue,
    accelerator_available,
    compile_scrubber,
)
from rules_engine.scrub.keytext import find_key_values, find_key_values_in_c
from rules_engine.scrub.prefilter import CAnchorScanner, PythonScanner
from rules_engine.scrub.cwalk import CRun
from rules_engine.scrub.walk import Run
from tests import strategies as S
from tests.scrub import test_scrub_prefilter as prefilter_tests

DIFFERENTIAL = settings(max_examples=S.scaled(60), suppress_health_check=list(HealthCheck), deadline=None)


def test_the_c_walk_is_built():
    # ``pip install -e .`` compiles it; without a C compiler the scrubber falls back to Python.
    assert CRun is not None


def pair_of_scrubbers(scrub: models.Scrub, options: models.Options | None = None, hash_key=b"k"):
    options = options or models.Options()
    fast = compile_scrubber(scrub, options, hash_key, accelerator="auto")
    slow = compile_scrubber(scrub, options, hash_key, accelerator="off")
    assert fast._run is CRun and slow._run is Run
    return fast, slow


@pytest.fixture(scope="module")
def default_pair():
    loaded = load_model("rulesets/default.yaml")
    return pair_of_scrubbers(loaded.model.scrub, loaded.model.options)


def copy_containers(node, memo=None):
    """Copy every dict, list and tuple (keeping cycles and subclasses); leaves are shared, since
    scrubbing replaces leaves and never changes one (hostile leaves cannot be deep-copied)."""
    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, dict):
        copied = memo[id(node)] = type(node)() if type(node) in (dict, collections.OrderedDict) else {}
        for key, value in node.items():
            copied[key] = copy_containers(value, memo)
        return copied
    if isinstance(node, list):
        copied = memo[id(node)] = []
        copied.extend(copy_containers(item, memo) for item in node)
        return copied
    if type(node) is tuple:
        return tuple(copy_containers(item, memo) for item in node)
    return node


def assert_same(left, right, seen=None, where="event"):
    """Same structure, types and leaves; NaN equals NaN; cycles are compared once."""
    seen = set() if seen is None else seen
    if (id(left), id(right)) in seen:
        return
    assert type(left) is type(right), f"{where}: {type(left).__name__} != {type(right).__name__}"
    if isinstance(left, dict):
        seen.add((id(left), id(right)))
        assert list(left.keys()) == list(right.keys()), f"{where}: keys differ"
        for key in left:
            assert_same(left[key], right[key], seen, f"{where}.{key!r}")
    elif isinstance(left, (list, tuple)):
        seen.add((id(left), id(right)))
        assert len(left) == len(right), f"{where}: lengths differ"
        for index, (a, b) in enumerate(zip(left, right)):
            assert_same(a, b, seen, f"{where}[{index}]")
    elif isinstance(left, float) and math.isnan(left):
        assert math.isnan(right), where
    elif isinstance(left, (str, bytes, int, float)) or left is None:
        assert left == right, f"{where}: {left!r} != {right!r}"
    else:
        assert left is right, f"{where}: different objects"


def outcome(scrub, event):
    try:
        return "counts", scrub(event)
    except (ScrubLimitExceeded, UnsendableValue, RecursionError, TypeError, ValueError) as error:
        return type(error).__name__, str(error)


def assert_same_outcome(fast, slow, event):
    try:
        fast_event, slow_event = copy_containers(event), copy_containers(event)
    except RecursionError:  # nested past what this helper can copy (far past limits.max_depth)
        assume(False)
    fast_result = outcome(fast.scrub_event, fast_event)
    slow_result = outcome(slow.scrub_event, slow_event)
    assert fast_result == slow_result
    if fast_result[0] == "counts":
        assert_same(fast_event, slow_event)
    return fast_event, fast_result


@DIFFERENTIAL
@given(event=st.one_of(S.events, S.hostile_events().filter(lambda event: isinstance(event, dict))))
def test_default_ruleset_same_result_with_and_without_the_c_walk(default_pair, event):
    # (the hooks hand the scrubber dicts only; what they do with anything else is tested there)
    assert_same_outcome(*default_pair, event)


@DIFFERENTIAL
@given(crumb=S.breadcrumbs())
def test_breadcrumbs_same_result_with_and_without_the_c_walk(default_pair, crumb):
    # scrubbed inside the event that carries them, as sentry-sdk serialized it
    assert_same_outcome(*default_pair, carrying_event(crumb))


@DIFFERENTIAL
@given(event=S.events, secret=S.secrets, place=st.sampled_from(sorted(S.SECRET_PLACES)),
       surround=st.sampled_from(S.SURROUNDINGS), data=st.data())
def test_planted_secrets_same_result_with_and_without_the_c_walk(default_pair, event, secret, place, surround, data):
    text = S.embed(secret, surround)
    S.SECRET_PLACES[place](event, text)
    shapes = [text, [["authorization", text]], ("cookie", text), {"inner": [text, (text,)]}]
    key = data.draw(st.sampled_from(["note", "password", "headers", "vars"]))
    extra = event.get("extra") if isinstance(event.get("extra"), dict) else event.setdefault("contexts", {})
    extra[key] = data.draw(st.sampled_from(shapes))
    _, result = assert_same_outcome(*default_pair, event)
    assert result[0] == "counts"


class Color(str, enum.Enum):
    RED = "red 4111 1111 1111 1111"


class Level(enum.IntEnum):
    HIGH = 3


SELECTOR_SCRUB = models.Scrub.model_validate({
    "allow": ["extra.public", "request.headers.user-agent"],
    "rules": [
        {"id": "keys", "keys": ["*password*", "*token", "authorization", "cookie"], "redact": "filter"},
        {"id": "user-hash", "keys": ["email"], "in": ["user", "extra.**.account"], "redact": "hash"},
        {"id": "gone", "keys": ["ip_address"], "redact": "remove"},
        {"id": "cards", "detect": ["creditcard", "email"], "redact": {"mask": {"keep_last": 4}}},
    ],
})


#: The same rules without selectors: everything below the top level is then walked by the
#: common-case walk, where the C walk does the most.
PLAIN_SCRUB = models.Scrub.model_validate({
    "rules": [{key: value for key, value in rule.model_dump(by_alias=True, exclude_none=True).items() if key != "in"}
              for rule in SELECTOR_SCRUB.rules],
})


@pytest.mark.parametrize("scrub", [SELECTOR_SCRUB, PLAIN_SCRUB], ids=["selectors", "plain"])
def test_uncommon_shapes_same_result_with_and_without_the_c_walk(scrub):
    fast, slow = pair_of_scrubbers(scrub)
    event = {
        "user": {"email": "a@example.com", "ip_address": "10.0.0.1", "id": 7},
        "request": {"headers": [("Authorization", "Bearer abcdefghij"), ["User-Agent", "curl/8 a@b.co"],
                                ("Cookie", ("s", "t"))]},
        "extra": {
            "public": {"password": "kept: allowed"},
            "ordered": collections.OrderedDict([("token", "t1"), ("note", "card 4111 1111 1111 1111")]),
            "enum": Color.RED,
            "level": Level.HIGH,
            "card_as_number": 4111111111111111,
            "big": 10**25,
            "tuple": ("x", {"password": ["p", ("q",)]}),
            "deep": {"account": {"email": "b@example.com", "nested": {"account": {"email": "c@example.com"}}}},
            "flags": [True, None, 1.5, -0.0],
            "pairs": [["password", {"old": "o", "new": ("n",)}], ["note", "n"], ["x", "y", "z"]],
        },
    }
    scrubbed, result = assert_same_outcome(fast, slow, event)
    assert result[0] == "counts" and result[1]["keys"] >= 5
    assert scrubbed["extra"]["card_as_number"] == "************1111"
    assert scrubbed["extra"]["public"] == ({"password": "kept: allowed"} if scrub.allow else {"password": "[Filtered]"})
    assert "ip_address" not in scrubbed["user"]
    assert scrubbed["request"]["headers"][0] == ["Authorization", "[Filtered]"]
    assert isinstance(scrubbed["extra"]["tuple"], list)


@pytest.mark.parametrize(
    "bad",
    [
        {"extra": {"x": math.nan}},
        {"extra": {"x": [b"bytes"]}},
        {"extra": {1: "non-string key"}},
        {"extra": {"ok": {"deeper": object()}}},
        {"extra": {"public": {"x": math.inf}}},  # under allow: checked, not scrubbed
        {"request": {"headers": [["a", {"b": {1.5: "x"}}]]}},
        {"extra": S.nested(150)},
        {"extra": S.nested_list(150)},
    ],
)
def test_unsendable_and_too_deep_events_fail_the_same_way(bad):
    fast, slow = pair_of_scrubbers(SELECTOR_SCRUB)
    _, result = assert_same_outcome(fast, slow, bad)
    assert result[0] in ("UnsendableValue", "ScrubLimitExceeded")


def test_cycles_and_node_limits_fail_the_same_way():
    fast, slow = pair_of_scrubbers(SELECTOR_SCRUB, models.Options(limits=models.Limits(max_nodes=50)))
    cyclic = S.with_cycle({"extra": {"a": "b"}})
    assert assert_same_outcome(fast, slow, cyclic)[1][0] == "ScrubLimitExceeded"
    wide = {"extra": {"items": [str(n) for n in range(60)]}}
    assert assert_same_outcome(fast, slow, wide)[1] == ("ScrubLimitExceeded", "event has more than limits.max_nodes=50 values")


def test_no_scrub_rules_still_checks_events_in_c():
    fast, slow = pair_of_scrubbers(models.Scrub())
    assert assert_same_outcome(fast, slow, {"extra": {"x": [1, (2, math.nan)]}})[1][0] == "UnsendableValue"
    assert assert_same_outcome(fast, slow, {"extra": {"x": [1, (2, "ok")]}})[1] == ("counts", {})


@pytest.mark.skipif(not accelerator_available(), reason="the C module is not built")
def test_accelerator_off_switches_the_c_walk_off_too(monkeypatch):
    monkeypatch.setenv("RULES_ENGINE_ACCELERATOR", "off")
    assert compile_scrubber(SELECTOR_SCRUB, models.Options())._run is Run
    monkeypatch.setenv("RULES_ENGINE_ACCELERATOR", "auto")
    assert compile_scrubber(SELECTOR_SCRUB, models.Options())._run is CRun


def test_long_strings_are_cut_the_same_way():
    limits = models.Limits(max_string_length=64)
    fast, slow = pair_of_scrubbers(SELECTOR_SCRUB, models.Options(limits=limits))
    long_text = "card 4111 1111 1111 1111 " + "x" * 100 + " a@example.com"
    event = {"extra": {"long": long_text, "short": "b@example.com", "list": [long_text, "ok"]}}
    scrubbed, result = assert_same_outcome(fast, slow, event)
    assert len(scrubbed["extra"]["long"]) < len(long_text)
    assert scrubbed["_meta"]["extra"]["long"][""]["len"] == len(long_text)


# ----------------------------------------------------------------- the prefilter's scan in C


TEXT_PIECES = st.sampled_from([
    "password=hunter2", "a@example.com", "4111 1111 1111 1111", "Bearer abcdefghijk", "é", "\x00",
    "\ud800", "token: x", "192.168.0.1", "::1", " ", "", "sk-" + "a" * 24, "cookie=s; sessionid=abc",
    # runs: digits of other scripts, base58 and hex addresses, counted characters that are letters
    "\u0664\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661",
    "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", "0x" + "ab12" * 10, "٣-٣",
])
EVENT_TEXTS = st.lists(st.lists(st.one_of(TEXT_PIECES, st.text(max_size=6)), max_size=5).map("".join), max_size=12)


@pytest.mark.skipif(CAnchorScanner is None, reason="the C module is not built")
@DIFFERENTIAL
@given(texts=EVENT_TEXTS)
def test_prefilter_probes_same_in_c_and_in_python(default_pair, texts):
    prefilter = default_pair[0]._prefilter
    in_c, in_python = CAnchorScanner(*prefilter.scanner_arguments), PythonScanner(*prefilter.scanner_arguments)
    assert in_c.scan(list(texts)) == in_python.scan(list(texts))


@pytest.mark.parametrize("number", [10**12 - 1, 10**12, 4111111111111111, 2**63 - 1, 2**63, 6011000990139424000,
                                    10**19 - 1, 10**19, -4111111111111111, True])
def test_integers_near_card_lengths_are_treated_alike(number):
    fast, slow = pair_of_scrubbers(PLAIN_SCRUB)
    _, result = assert_same_outcome(fast, slow, {"extra": {"n": number, "list": [number]}})
    assert result[0] == "counts"


def test_a_card_number_stored_as_an_integer_is_masked():
    fast, _ = pair_of_scrubbers(PLAIN_SCRUB)
    event = {"extra": {"n": 4111111111111111}}
    fast.scrub_event(event)
    assert event["extra"]["n"] == "************1111"


def test_many_key_globs_stay_in_the_prefilter():
    # 150 key words are literals of one scan: strings without any of them are still no
    # candidates for keys inside text.
    scrub = models.Scrub.model_validate({"rules": [
        {"id": f"key-{i}", "keys": [f"custom_secret_{i}*"], "redact": "filter"} for i in range(150)
    ]})
    fast, slow = pair_of_scrubbers(scrub)
    assert fast._prefilter.always_mask == 0
    texts = ["nothing to see", "custom_secret_77_x=abc&b=2", "CUSTOM-SECRET-149: q"]
    assert set(fast._prefilter.candidates(texts)) == {1, 2}
    event = {"extra": {"query": texts[1], "line": texts[2], "plain": texts[0]}}
    scrubbed, result = assert_same_outcome(fast, slow, event)
    assert scrubbed["extra"]["query"] == "custom_secret_77_x=[Filtered]&b=2"
    assert scrubbed["extra"]["line"] == "CUSTOM-SECRET-149: [Filtered]"


# ----------------------------------------------------------------- keys inside text, in C


def _decide(key: str) -> int:
    """Key rules by the words they look for, one bit each (bit 70 too: decisions are Python ints)."""
    lowered = key.lower()
    words = {0: "pass", 1: "token", 2: "name", 3: "key", 4: "cookie", 5: "é", 70: "secret"}
    return sum(1 << bit for bit, word in words.items() if word in lowered)


KEY_TEXT_ALPHABET = list("akKey_sé=:,;'\" \t\n\r\\{}[]()bnrtfux0123456789ABCDEF.$@-&#<>\u00a0\u2028\U0001f600") + [
    "password", "token", "secret", "\\n", "\\x1b", "\\u001b", "b'", '\\"', "\\'", "[Filtered]", "{'a': 1}", " " * 9,
]
key_texts = st.lists(st.sampled_from(KEY_TEXT_ALPHABET), max_size=40).map("".join)


@settings(max_examples=S.scaled(600), suppress_health_check=list(HealthCheck), deadline=None)
@given(text=st.one_of(key_texts, prefilter_tests.texts, prefilter_tests.quoted_values, prefilter_tests.secret_pairs))
def test_keys_inside_text_are_found_the_same_in_c(text):
    assert find_key_values_in_c(text, _decide) == find_key_values(text, _decide)


KEY_TEXT_LIMITS = [
    # key lengths around 128, values around 8192 characters, blanks around 8
    "'" + "k" * 124 + "key'=x", "'" + "k" * 125 + "key'=x", "'" + "k" * 126 + "key'=x",
    "k" * 124 + "key=x", "k" * 125 + "key=x", "k" * 126 + "key=x", "=" + "k" * 125 + "key=x",
    "key=" + "v" * 9000, "key:" + " " * 8 + "v", "key:" + " " * 9 + "v", "key" + " " * 8 + "=v", "key" + " " * 9 + "=v",
    "key='" + "v" * 8192 + "'", "key='" + "v" * 8193 + "'", 'key=\\"' + "v" * 8192 + '\\"', 'key=\\"' + "v" * 8193 + '\\"',
    "key='" + "\\'" * 8192 + "'", "key='" + "\\'" * 8193 + "'",
    # values that are no values, and what a value may run into
    "key: ,", "key:  \n", "key:\u00a0\u2028", "key= ", "key='unclosed", "key='a\\\nb'", "key=\\", "key:\\",
    "key='a\nb'", 'key="a\nb"', "key: a]b", "key: a}b", "key: a,b", "key: a\rb", "key: a\nb", "key=a b", "key=a\u2028b",
    "key=a&b", "key=a;b", "key=a'b", 'key=a"b', "key=a<b", "key=a>b", "key=a(b", "key=a)b", "key=a#b", "key=a{b",
    # tuples, escapes, containers
    "'a\nkey'=x", "'a\\key'=x", "'a\"key'=x", "\"a'key\"=x",
    "'key', 'v'", "b'key', b'v'", "'key',  \t b'v'", "'key', v", "\\\"key\\\": \\\"v\\\"", "\\'key\\', \\'v\\'",
    "key={" + "[" * 100 + "]" * 100 + "}", "key={'a': '}'", "key=[1, [2, 3], '[']", "key=[Filtered]", "key=[" * 70,
    "\\ntoken=1", "\\token=1", "C:\\token=x", "a\\x1bkey=1", "a\\u001bkey=1", "\\x1g token=1", "\\u12 key=1",
    # characters outside ASCII and the BMP around keys
    "\U0001f600key=1 \U0001f600", "key\u00a0=1", "ключ_key=1", "éname=1", "x.token=1", "@token=1", "$key=1",
]


@pytest.mark.parametrize("text", KEY_TEXT_LIMITS, ids=range(len(KEY_TEXT_LIMITS)))
def test_keys_inside_text_at_the_limits_are_found_the_same_in_c(text):
    assert find_key_values_in_c(text, _decide) == find_key_values(text, _decide)


@pytest.mark.parametrize("code", range(128))
def test_keys_inside_text_class_every_ascii_character_as_re_does(code):
    # C reads ASCII from a table of its own, not the Unicode database: each character before a
    # key, starting one, inside one and in a value.
    c = chr(code)
    for text in (f"{c}key=1", f"{c}token: v", f"{c}ey=1", f"k{c}ey=1 token{c}=2", f"'{c}key'=1", f"key={c}v&x=1",
                 f"key: {c}v", f"9{c}name=1", f"{c}9name=1"):
        assert find_key_values_in_c(text, _decide) == find_key_values(text, _decide), text


def test_keys_inside_text_in_c_find_what_the_scrubber_needs():
    text = "a=1&password=hunter2 {'token': 'x'} secret_id: s1 "
    found = find_key_values_in_c(text, _decide)
    assert [(text[start:end], decision) for start, end, decision in found] == [
        ("hunter2", 1), ("x", 2), ("s1", 1 << 70)
    ]


def test_keys_inside_text_in_c_raise_what_decide_raises():
    def decide(key: str) -> int:
        raise LookupError(key)

    with pytest.raises(LookupError, match="password"):
        find_key_values_in_c("password=x", decide)
