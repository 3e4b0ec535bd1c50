"""The scrubber: key shapes, selectors, allow, redactions, _meta, breadcrumbs, limits, both engines."""

import copy
import json
import logging

import pytest
import sentry_sdk
from hypothesis import given
from hypothesis import strategies as st

from rules_engine.model import models
from rules_engine.scrub import (
    ScrubLimitExceeded,
    accelerator_available,
    compile_scrubber,
    parse_selector,
)
from rules_engine.testing.capture import capture_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def scrubber(rules, allow=(), engine="off", hash_key=None, **limits):
    scrub = models.Scrub.model_validate({"allow": list(allow), "rules": rules})
    options = models.Options(limits=models.Limits(**limits))
    return compile_scrubber(scrub, options, hash_key, accelerator=engine)


SECRET_KEYS = {"id": "keys", "keys": ["*password*", "*token", "authorization", "cookie", "*session_id"]}


def scrubbed(event, rules, engine, **kwargs):
    event = copy.deepcopy(event)
    counts = scrubber(rules, engine=engine, **kwargs).scrub_event(event)
    return event, counts


# ----------------------------------------------------------------- keys, in every shape


def test_key_rules_in_dicts_at_any_depth(engine):
    event = {"extra": {"a": {"b": [{"DB-Password": "p1", "accessToken": "t1", "token_count": 3}]}}}
    out, counts = scrubbed(event, [SECRET_KEYS], engine)
    leaf = out["extra"]["a"]["b"][0]
    assert leaf == {"DB-Password": "[Filtered]", "accessToken": "[Filtered]", "token_count": 3}
    assert counts == {"keys": 2}


def test_container_under_sensitive_key_has_every_leaf_replaced(engine):
    event = {"extra": {"password": {"old": "a", "new": ["b", 7, None], "ok": True}}}
    out, _ = scrubbed(event, [SECRET_KEYS], engine)
    assert out["extra"]["password"] == {"old": "[Filtered]", "new": ["[Filtered]", "[Filtered]", None], "ok": True}


@pytest.mark.parametrize(
    "text,secret",
    [
        ("a=1&password=hunter2&b=2", "hunter2"),
        ("theme=dark; session_id=abc123; lang=en", "abc123"),
        ('{"user": "bob", "token": "t-42"}', "t-42"),
        ("{'password': 'hunter2', 'user': 'bob'}", "hunter2"),
        ("[(b'host', b'h'), (b'authorization', b'Bearer x.y.z')]", "Bearer x.y.z"),
        ("https://shop.example/cb?access_token=at-9&next=/", "at-9"),
        ("Authorization: Bearer abc.def", "Bearer abc.def"),
        ("User(name='bob', password='pw1')", "pw1"),
        ('{"credentials": {"token": "zz1", "other": [1, "]"]}}', "zz1"),
        ('body={\\"token\\": \\"esc-9\\"}', "esc-9"),  # JSON inside a JSON string
        ('{"password hint": "ph-7"}', "ph-7"),
        ("passwordé=nx-5 done", "nx-5"),
    ],
)
def test_key_rules_inside_text(engine, text, secret):
    rule = dict(SECRET_KEYS, keys=SECRET_KEYS["keys"] + ["credentials"])
    out, counts = scrubbed({"extra": {"blob": text}}, [rule], engine)
    assert secret not in out["extra"]["blob"]
    assert "[Filtered]" in out["extra"]["blob"] and counts["keys"] >= 1


def test_text_keys_that_merely_contain_a_word_keep_their_values(engine):
    text = "token_count=17&max_tokens=256&authored_by=alice"
    out, counts = scrubbed({"extra": {"q": text}}, [SECRET_KEYS], engine)
    assert out["extra"]["q"] == text and counts == {}


def test_header_pair_lists(engine):
    event = {"request": {"headers": [["Authorization", "Basic abc"], ["Accept", "text/html"]]}}
    out, _ = scrubbed(event, [SECRET_KEYS], engine)
    assert out["request"]["headers"] == [["Authorization", "[Filtered]"], ["Accept", "text/html"]]
    assert out["_meta"]["request"]["headers"]["0"]["1"] == {"": {"rem": [["keys", "s", 0, 10]], "len": 9}}


def test_real_sdk_event_frame_vars(engine):
    def handler(password, headers):
        raise ValueError("boom")

    with capture_events(include_local_variables=True) as events:
        import sentry_sdk

        try:
            # built at run time so the source lines in the event's context do not hold them
            handler("hunter2" + "-Qz", [(b"cookie", b"sid=Qz" + b"-cookie")])
        except ValueError:
            sentry_sdk.capture_exception()
    event = events[0]
    out, _ = scrubbed(event, [SECRET_KEYS], engine)
    text = json.dumps(out)
    assert "hunter2-Qz" in json.dumps(event) and "Qz-cookie" in json.dumps(event)
    assert "hunter2-Qz" not in text and "Qz-cookie" not in text


# ----------------------------------------------------------------- detectors and patterns


def test_detectors_cover_messages_and_exception_values(engine):
    with capture_events() as events:
        logging.getLogger("shop").error("charge failed for %s", "4111 1111 1111 1111")
    event = events[0]
    out, counts = scrubbed(event, [{"id": "cards", "detect": ["creditcard"]}], engine)
    assert "4111 1111 1111 1111" not in json.dumps(out)
    assert counts["cards/creditcard"] >= 1


def test_user_pattern_with_and_without_groups(engine):
    rules = [
        {"id": "acct", "pattern": r"ACCT-\d{8}"},
        {"id": "pin", "pattern": r"pin (\d{4})", "redact": {"replace": "####"}},
    ]
    out, counts = scrubbed({"message": "ACCT-12345678 pin 1234"}, rules, engine)
    assert out["message"] == "[Filtered] pin ####"
    assert counts == {"acct": 1, "pin": 1}
    assert out["_meta"]["message"][""]["rem"] == [["acct", "s", 0, 10], ["pin", "s", 15, 19]]


def test_anchored_pattern(engine):
    # (without options.echoes: a value the pattern found at a start is not looked for elsewhere)
    out, _ = scrubbed({"extra": {"a": "SECRET-1 x", "b": "x SECRET-1"}}, [{"id": "p", "pattern": r"^SECRET-\d"}], engine)
    assert out["extra"] == {"a": "[Filtered] x", "b": "x SECRET-1"}


# ----------------------------------------------------------------- selectors and allow


def test_in_selectors_limit_a_rule(engine):
    rule = {"id": "emails", "detect": ["email"], "in": ["exception.values.*.value", "**.vars.*"]}
    event = {
        "message": "a@b.example",
        "exception": {"values": [{"value": "c@d.example", "stacktrace": {"frames": [{"vars": {"x": "e@f.example"}}]}}]},
    }
    out, _ = scrubbed(event, [rule], engine)
    assert out["message"] == "a@b.example"
    assert out["exception"]["values"][0]["value"] == "[Filtered]"
    assert out["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["x"] == "[Filtered]"


def test_allow_wins_over_every_rule(engine):
    rules = [SECRET_KEYS, {"id": "emails", "detect": ["email"]}]
    event = {"request": {"headers": {"User-Agent": "bot a@b.example", "X-Mail": "a@b.example"},
                         "data": {"token": "keep-me", "other_token": "drop-me"}}}
    out, _ = scrubbed(event, rules, engine, allow=["request.headers.user-agent", "request.data.token"])
    assert out["request"]["headers"] == {"User-Agent": "bot a@b.example", "X-Mail": "[Filtered]"}
    assert out["request"]["data"] == {"token": "keep-me", "other_token": "[Filtered]"}


@pytest.mark.parametrize(
    "text,error",
    [("reqest.data", "did you mean 'request'"), ("request..data", "empty segment"), ("**", "whole event"),
     ("extra.'a", "unclosed quote"), ("extra.{a,b", "unclosed"), ("", "empty")],
)
def test_bad_selectors_are_explained(text, error):
    with pytest.raises(ValueError, match=error):
        parse_selector(text)


# ----------------------------------------------------------------- redactions and _meta


def test_each_redaction(engine):
    rules = [
        {"id": "f", "keys": ["f"]},
        {"id": "r", "keys": ["r"], "redact": {"replace": "<gone>"}},
        {"id": "m", "keys": ["m"], "redact": {"mask": {"keep_first": 2, "keep_last": 2, "char": "#"}}},
        {"id": "h", "keys": ["h"], "redact": "hash"},
        {"id": "x", "keys": ["x"], "redact": "remove"},
    ]
    event = {"extra": {"f": "secret", "r": "secret", "m": "secret", "h": "secret", "x": "secret", "keep": "k"}}
    out, counts = scrubbed(event, rules, engine, hash_key=b"k1")
    extra = out["extra"]
    assert extra["f"] == "[Filtered]" and extra["r"] == "<gone>" and extra["m"] == "se##et"
    assert "x" not in extra and extra["keep"] == "k"
    assert len(extra["h"]) == 32 and extra["h"] != "secret"
    meta = out["_meta"]["extra"]
    assert meta["m"][""]["rem"] == [["m", "m", 0, 6]] and meta["h"][""]["rem"][0][1] == "p"
    assert meta["x"][""]["rem"] == [["x", "x"]]
    assert counts == {"f": 1, "r": 1, "m": 1, "h": 1, "x": 1}


def test_hash_is_stable_for_a_key_and_differs_between_keys(engine):
    rule = [{"id": "h", "keys": ["email"], "redact": "hash"}]
    one, _ = scrubbed({"user": {"email": "a@b.c"}}, rule, engine, hash_key=b"k1")
    two, _ = scrubbed({"user": {"email": "a@b.c"}}, rule, engine, hash_key=b"k1")
    other, _ = scrubbed({"user": {"email": "a@b.c"}}, rule, engine, hash_key=b"k2")
    unkeyed, _ = scrubbed({"user": {"email": "a@b.c"}}, rule, engine)
    assert one["user"]["email"] == two["user"]["email"] != other["user"]["email"]
    assert unkeyed["user"]["email"] not in (one["user"]["email"], other["user"]["email"])


def test_mask_never_reveals_a_short_value(engine):
    out, _ = scrubbed({"extra": {"pin": "12"}}, [{"id": "m", "keys": ["pin"], "redact": {"mask": {"keep_last": 4}}}], engine)
    assert out["extra"]["pin"] == "**"


def test_meta_merges_with_existing_meta(engine):
    event = {"extra": {"password": "x"}, "_meta": {"extra": {"password": {"": {"len": 5000}}}}}
    out, _ = scrubbed(event, [SECRET_KEYS], engine)
    assert out["_meta"]["extra"]["password"][""] == {"len": 5000, "rem": [["keys", "s", 0, 10]]}


# ----------------------------------------------------------------- breadcrumbs, logentry


def carrying(crumb: dict) -> dict:
    """An event carrying one breadcrumb, where sentry-sdk puts it (breadcrumbs are scrubbed there)."""
    return {"breadcrumbs": {"values": [crumb]}}


def test_scrub_breadcrumb(engine):
    crumb = {"category": "httplib", "message": "GET https://u:pw@h/x?token=t1",
             "data": {"url": "https://h/?password=p", "authorization": "Bearer abcdefgh"}}
    rules = [SECRET_KEYS, {"id": "creds", "detect": ["url_userinfo"], "in": ["breadcrumbs.values.*.message"]}]
    counts = scrubber(rules, engine=engine).scrub_event(carrying(crumb))
    assert crumb == {"category": "httplib", "message": "GET https://[Filtered]@h/x?token=[Filtered]",
                     "data": {"url": "https://h/?password=[Filtered]", "authorization": "[Filtered]"}}
    assert counts == {"keys": 3, "creds": 1, "creds/url_userinfo": 1}


def test_scrub_breadcrumb_when_no_selector_reaches_breadcrumbs(engine):
    crumb = {"category": "query", "message": "card 4111 1111 1111 1111", "data": {"email": "bob@example.com"}}
    rules = [{"id": "cards", "detect": ["creditcard"]}, {"id": "people", "keys": ["email"], "in": ["user"]}]
    counts = scrubber(rules, allow=["request.headers.user-agent"], engine=engine).scrub_event(carrying(crumb))
    assert crumb == {"category": "query", "message": "card [Filtered]", "data": {"email": "bob@example.com"}}
    assert counts == {"cards": 1, "cards/creditcard": 1}


def test_card_numbers_stored_as_integers(engine):
    event = {"extra": {"card": 4111111111111111, "items": [5555555555554444, 4111111111111112],
                       "order_id": 1234567890123, "count": 42, "big": {"ok": 10**25}}}
    out, counts = scrubbed(event, [{"id": "cards", "detect": ["creditcard"]}], engine)
    assert out["extra"] == {"card": "[Filtered]", "items": ["[Filtered]", 4111111111111112],
                            "order_id": 1234567890123, "count": 42, "big": {"ok": 10**25}}
    assert counts == {"cards": 2, "cards/creditcard": 2}
    assert out["_meta"]["extra"]["card"][""] == {"rem": [["cards", "s", 0, 10]], "len": 16}


def test_log_params_named_by_the_template(engine):
    # An isolation scope keeps the logging breadcrumb from outliving the test.
    with capture_events() as events, sentry_sdk.isolation_scope():
        logging.getLogger("auth").error("login for %s failed, password=%s", "bob", "Qz-pw" + "-1")
    out, _ = scrubbed(events[0], [{"id": "pairs", "detect": ["password_pair"]}], engine)
    assert out["logentry"]["params"] == ["bob", "[Filtered]"]
    assert "Qz-pw-1" not in json.dumps(out)


def test_a_log_param_redacted_whole_stays_whole_when_its_text_holds_another_secret(engine):
    # The parameter is a password by the template; the email in it must not bring back the rest.
    with capture_events() as events, sentry_sdk.isolation_scope():
        logging.getLogger("auth").error("login password=%s", "Qz-pw-1 of bob@example.org")
    rules = [{"id": "keys", "keys": ["*password*"]}, {"id": "mail", "detect": ["email"]}]
    out, _ = scrubbed(events[0], rules, engine)
    assert out["logentry"]["params"] == ["[Filtered]"]
    assert out["_meta"]["logentry"]["params"]["0"] == {"": {"rem": [["keys", "s", 0, 10]], "len": 26}}
    assert "Qz-pw-1" not in json.dumps(out)


def test_a_log_entry_removed_whole_is_not_redacted_again(engine):
    # A retitled event keeps its first log entry under contexts.original_message; a rule removing
    # that key removes the entry's parameters with it, while the top-level entry is redacted.
    entry = {"message": "login password=%s", "params": ["Qz-pw-1"]}
    event = {"logentry": copy.deepcopy(entry), "contexts": {"original_message": copy.deepcopy(entry)}}
    rules = [{"id": "keys", "keys": ["*password*"]},
             {"id": "copies", "keys": ["original_message"], "redact": "remove"}]
    out, counts = scrubbed(event, rules, engine)
    assert out["contexts"] == {} and out["logentry"]["params"] == ["[Filtered]"]
    assert out["_meta"]["contexts"] == {"original_message": {"": {"rem": [["copies", "x"]]}}}
    assert counts == {"copies": 1, "keys": 2}  # the template and the parameter of the entry kept


# ----------------------------------------------------------------- limits


def test_limits_raise(engine):
    deep = current = {}
    for _ in range(50):
        current["a"] = current = {}
    with pytest.raises(ScrubLimitExceeded, match="max_depth"):
        scrubber([SECRET_KEYS], engine=engine, max_depth=20).scrub_event({"extra": deep})
    with pytest.raises(ScrubLimitExceeded, match="max_nodes"):
        scrubber([SECRET_KEYS], engine=engine, max_nodes=100).scrub_event({"extra": {"l": list(range(500))}})
    with pytest.raises(ScrubLimitExceeded, match="max_ms"):
        scrubber([{"id": "e", "detect": ["email"]}], engine=engine, max_ms=0.001).scrub_event(
            {"extra": {str(i): f"a{i}@b.example" for i in range(3000)}})


def test_cycles_fail_instead_of_hanging(engine):
    cyclic = {"a": []}
    cyclic["a"].append(cyclic)
    with pytest.raises(ScrubLimitExceeded, match="cyclic"):
        scrubber([SECRET_KEYS], engine=engine).scrub_event({"extra": cyclic})


def test_long_strings_are_cut(engine):
    out, _ = scrubbed({"message": "x" * 49 + " a@b.example"}, [{"id": "e", "detect": ["email"]}], engine,
                      max_string_length=40)
    assert out["message"] == "x" * 40
    assert out["_meta"]["message"][""] == {"rem": [["!limit", "x", 40, 40]], "len": 61}


def test_a_secret_crossing_the_cut_is_cut_whole(engine):
    out, _ = scrubbed({"message": "x " * 15 + "someone@example.org tail"}, [{"id": "e", "detect": ["email"]}],
                      engine, max_string_length=40)
    assert out["message"] == "x " * 15
    assert out["_meta"]["message"][""] == {"rem": [["!limit", "x", 30, 30]], "len": 54}


def test_empty_scrub_does_nothing():
    event = {"extra": {"password": "x"}}
    assert compile_scrubber(models.Scrub(), models.Options(), None).scrub_event(event) == {}
    assert event == {"extra": {"password": "x"}}


# ----------------------------------------------------------------- both engines agree

ALL_DETECTORS = [{"id": "all", "detect": sorted(models.DETECTORS)}, SECRET_KEYS,
                 {"id": "pat", "pattern": r"Z[0-9]{3}Z"}]
PLANTS = ["4111 1111 1111 1111", "DE89370400440532013000", "a@b.example", "10.0.0.1", "::1", "Bearer abcdefgh",
          "password=x1", "536-22-8741", "AKIAQZ7EXAMPLE4KEY23", "Z123Z", "token: t", "https://u:p@h"]


@pytest.mark.skipif(not accelerator_available(), reason="the C module is not built")
@given(st.lists(st.tuples(st.text(max_size=30), st.sampled_from(PLANTS), st.text(max_size=10)), max_size=8))
def test_c_and_python_give_identical_results(parts):
    event = {"extra": {f"k{i}": a + plant + b for i, (a, plant, b) in enumerate(parts)},
             "message": "".join(a for a, _, _ in parts)}
    results = []
    for engine in ("on", "off"):
        copy_ = copy.deepcopy(event)
        counts = scrubber(ALL_DETECTORS, engine=engine).scrub_event(copy_)
        results.append((copy_, counts))
    assert results[0] == results[1]
