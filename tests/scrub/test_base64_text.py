"""Keys inside base64 (``options.encoded_text``, the 2026.12 packs): key/value text sent
base64-encoded (a ``state``, ``RelayState`` or cursor token, a cookie, a frame variable holding
an encoded body) is read through its decoding, and a run holding a sensitive key is redacted
whole, as written; base64 holding no key (images, hashes, JWTs of harmless claims) is left alone."""

from __future__ import annotations

import base64
import copy
import json
import logging
import random
from urllib.parse import quote, urlencode

import flask
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.httpx import HttpxIntegration

from rules_engine.model import models
from rules_engine.scrub.encoded_text import MIN_BASE64_RUN, decoded_views, in_decoded_views
from rules_engine.scrub.keytext import find_key_values
from rules_engine.scrub.prefilter import make_prefilter
from rules_engine.scrub.rule import compile_rule, key_word_base64_probe
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import captured_failures, default_ruleset, frame_vars, pinned_ruleset, processed_events
from tests.scrub.frame_scenarios import ENGINES, engine, raised_with, scrubbed_as_the_reference  # noqa: F401

SECRET = "Qx7mW2pL9vB4nR8tK3sZ"
PAYLOAD = json.dumps({"user": "ann", "password": SECRET})


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


#: Text as applications log and raise it, each holding SECRET inside base64 once.
ENCODED = {
    "JSON, standard alphabet": "data=" + b64(PAYLOAD),
    "JSON, URL-safe without padding": "ctx=" + b64url(PAYLOAD),
    "a form body": "body: " + b64(urlencode({"user": "ann", "password": SECRET})),
    "key=value lines": "config blob " + b64(f"region=eu\nclient_secret={SECRET}\n"),
    "a JSON value": json.dumps({"state": b64(json.dumps({"nonce": "n-1", "access_token": SECRET})), "page": 2}),
    "a RelayState query parameter": "/sso/acs?" + urlencode({"RelayState": b64(f"return=/cart&token={SECRET}")}),
    "a cursor of camelCase JSON": "next page: " + b64url(json.dumps({"offset": 40, "sessionToken": SECRET})),
    "URL-encoded text": "q=" + b64(urlencode({"next": "/cart", "api_key": SECRET})),
}


@pytest.fixture(scope="module")
def encoded_events():
    return raised_with(ENCODED.values())


@pytest.mark.parametrize("index", range(len(ENCODED)), ids=list(ENCODED))
def test_a_key_inside_base64_redacts_its_run(encoded_events, index, engine):
    event = encoded_events[index]
    message = event["exception"]["values"][0]["value"]
    assert message == list(ENCODED.values())[index]
    sent, = processed_events(default_ruleset(engine), [event])
    scrubbed = sent["exception"]["values"][0]["value"]
    assert scrubbed != message and "[Filtered]" in scrubbed
    for view, *_ in decoded_views(json.dumps(sent)):
        assert SECRET not in view
    assert frame_vars(sent)["shown"] == repr(scrubbed)


def test_the_run_is_redacted_whole_and_the_text_around_it_stays(encoded_events, engine):
    sent = processed_events(default_ruleset(engine), list(encoded_events))
    messages = [event["exception"]["values"][0]["value"] for event in sent]
    assert messages[0] == "data=[Filtered]"
    assert messages[1] == "ctx=[Filtered]"
    assert messages[4] == json.dumps({"state": "[Filtered]", "page": 2})
    # the padding was percent-encoded: the run's escapes go with it
    assert messages[5] == "/sso/acs?RelayState=[Filtered]"
    meta = sent[0]["_meta"]["exception"]["values"]["0"]["value"][""]
    assert meta["rem"] == [["secret-keys", "s", 5, 15]] and meta["len"] == len(ENCODED["JSON, standard alphabet"])


def test_a_ruleset_pinned_to_2026_11_sends_base64_as_it_was(encoded_events, engine):
    sent = pinned_ruleset("2026.11", engine).before_send(copy.deepcopy(encoded_events[0]), {})
    assert sent["exception"]["values"][0]["value"] == ENCODED["JSON, standard alphabet"]


def test_a_kubernetes_secret_manifest_keeps_its_base64_values_out(engine):
    manifest = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  username: {b64('ann')}\n  password: {b64(SECRET)}\n"
    event, = raised_with([manifest])
    sent, = processed_events(default_ruleset(engine), [event])
    assert b64(SECRET) not in json.dumps(sent) and "name: db" in sent["exception"]["values"][0]["value"]


# ---------------------------------------------------------------- requests, clients, breadcrumbs


def test_a_flask_request_carrying_base64_state_in_its_body_and_query(engine):
    app = flask.Flask("sso")

    @app.route("/callback", methods=["POST"])
    def callback():
        raise RuntimeError("state rejected")

    state = b64(json.dumps({"client_secret": SECRET, "redirect": "/cart"}))
    with capture_events(integrations=[FlaskIntegration()], send_default_pii=True) as events:
        app.test_client().post("/callback?" + urlencode({"SAMLRequest": b64(f"<r>password={SECRET}</r>")}),
                               json={"state": state, "code": "c-1"})
    event, = events
    raw = json.dumps(event["request"])
    assert state in raw and "SAMLRequest=" in event["request"]["query_string"], "the request was not sent"
    sent, = processed_events(default_ruleset(engine), [event])
    assert sent["request"]["data"] == {"state": "[Filtered]", "code": "c-1"}
    assert sent["request"]["query_string"] == "SAMLRequest=[Filtered]"


def test_an_httpx_request_and_a_log_line_leave_breadcrumbs_with_base64(engine):
    cursor = b64url(json.dumps({"after": 40, "api_key": SECRET}))
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200)))

    def fail():
        client.get("https://api.shop.test/orders", params={"cursor": cursor})
        logging.getLogger("shop.sync").warning("resuming from cursor %s", cursor)
        raise ConnectionError("sync failed")

    event, = captured_failures(fail, integrations=[HttpxIntegration()])
    crumbs = event["breadcrumbs"]["values"]
    assert any(cursor in json.dumps(crumb) for crumb in crumbs if crumb.get("type") == "http")
    assert any(crumb.get("message") == f"resuming from cursor {cursor}" for crumb in crumbs)
    sent, = processed_events(default_ruleset(engine), [event])
    assert cursor not in json.dumps(sent)
    assert any(crumb.get("message") == "resuming from cursor [Filtered]" for crumb in sent["breadcrumbs"]["values"])


# ---------------------------------------------------------------- base64 holding no key


def test_base64_without_a_sensitive_key_is_left_alone(engine):
    rng = random.Random(7)
    image = "data:image/png;base64," + base64.b64encode(bytes(rng.randrange(256) for _ in range(3000))).decode()
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}))
    claims = b64url(json.dumps({"sub": "1042", "name": "Ann", "scope": "orders:read"}))
    texts = [image, header, claims, b64(json.dumps({"user": "ann", "page": 2})),
             base64.b64encode(random.Random(3).randbytes(32)).decode()]
    events = raised_with(texts)
    sent = processed_events(default_ruleset(engine), list(events))
    for text, event in zip(texts, sent):
        assert event["exception"]["values"][0]["value"] == text
        assert "value" not in event.get("_meta", {}).get("exception", {}).get("values", {}).get("0", {})


def test_long_base64_is_read_whole(engine):
    noise = base64.b64encode(random.Random(4).randbytes(12_288)).decode()  # 16 KiB (strings up to max_string_length are read whole)
    ruleset = default_ruleset(engine)
    sent = ruleset.before_send({"extra": {"blob": noise, "wrapped": f"data={noise}"}}, {})
    assert sent["extra"] == {"blob": noise, "wrapped": f"data={noise}"}
    sent = ruleset.before_send({"extra": {"blob": noise + "&" + b64(PAYLOAD) + "&" + noise}}, {})
    assert sent["extra"]["blob"] == noise + "&[Filtered]&" + noise


def test_a_megabyte_of_base64_gives_views_no_longer_than_itself():
    noise = base64.b64encode(random.Random(5).randbytes(786_432)).decode()
    # no text as a whole; of its pieces between "/" and "+" a few decode to text by chance
    assert all(len(view) < len(noise) // 100 for view, *_ in decoded_views(noise))
    assert in_decoded_views(noise, lambda view: find_key_values(view, lambda key: True)) == []
    text = base64.b64encode(("password=abcdefgh&" * 45_000).encode()).decode()[:1_000_000]
    views = list(decoded_views(text))
    assert [len(view) <= len(text) for view, *_ in views] == [True]


# ---------------------------------------------------------------- the views


def test_a_base64_view_maps_each_decoded_character_to_its_whole_run():
    text = "a=1&data=" + b64(PAYLOAD) + "&b=2"
    run_start, run_end = text.index("data=") + 5, text.index("&b=2")
    (view, starts, ends), = [view for view in decoded_views(text) if view[0].startswith("{")]
    assert view == PAYLOAD + "\n"
    assert set(starts) == {run_start} and set(ends) == {run_end}
    found = in_decoded_views(text, lambda view: find_key_values(view, lambda key: key == "password"))
    assert found == [(run_start, run_end, True)]


@pytest.mark.parametrize("text", [
    "/oauth/callback/" + b64url(PAYLOAD),  # a URL path around a URL-safe token
    "x=" + b64(PAYLOAD).rstrip("=") + " y",  # no padding
    "(" + quote(b64(PAYLOAD)) + ")",  # its padding percent-encoded
])
def test_runs_are_found_wherever_base64_is_written(text):
    found = in_decoded_views(text, lambda view: find_key_values(view, lambda key: key == "password"))
    assert len(found) == 1
    start, end, _ = found[0]
    assert SECRET in "".join(view for view, *_ in decoded_views(text[start:end]))


@pytest.mark.parametrize("text", [
    b64("ann")[:8] * 1,  # shorter than a run read
    b64(PAYLOAD).replace("e", "-", 1).replace("J", "/", 1),  # two alphabets
    base64.b64encode(b"\x00\x01password=x\x02" * 3).decode(),  # bytes, not text
])
def test_what_is_no_base64_of_text_gives_no_view(text):
    assert not [view for view, *_ in decoded_views(text) if "password" in view]


def test_what_base64_gives_is_not_read_as_base64_again():
    twice = b64(b64(PAYLOAD))
    assert b64(PAYLOAD) + "\n" in [view for view, *_ in decoded_views(twice)]
    assert not [view for view, *_ in decoded_views(twice) if "password" in view]
    inside_percent = quote(PAYLOAD)  # but other decodings are read inside base64
    assert any(PAYLOAD in view for view, *_ in decoded_views(b64(inside_percent)))


def test_runs_shorter_than_a_key_and_its_value_are_not_read():
    assert len(b64("pin=12345")) == MIN_BASE64_RUN
    assert any("pin=12345" in view for view, *_ in decoded_views("x " + b64("pin=12345")))
    assert not list(decoded_views("x " + b64("pin=1234")))


# ---------------------------------------------------------------- the prefilter


KEY_RULES = [models.ScrubRule.model_validate({"id": "keys", "keys": keys, "redact": "filter"})
             for keys in (["*password*", "*secret*", "token", "*token", "pwd", "pass"],)]


@pytest.mark.parametrize("accelerator", ENGINES)
@pytest.mark.parametrize("key", ["password", "Password", "PASSWORD", "client_secret", "clientSecret",
                                 "CLIENT_SECRET", "token", "accessToken", "pwd", "PWD", "pass"])
def test_the_prefilter_flags_base64_of_each_key_at_each_alignment(key, accelerator):
    probe = key_word_base64_probe([compile_rule(0, rule, None) for rule in KEY_RULES])
    prefilter = make_prefilter((probe,), accelerator)
    for before in ("", "{", '{"'):
        for text in (f'{before}{key}=x1y2z3w4', f'{before}"{key}": "x1y2z3w4"'):
            for encode in (b64, b64url):
                assert prefilter.candidates([encode(text)]) == {0: 1}, (text, encode)


@pytest.mark.parametrize("accelerator", ENGINES)
def test_the_prefilter_passes_over_base64_of_other_text(accelerator):
    probe = key_word_base64_probe([compile_rule(0, rule, None) for rule in KEY_RULES])
    prefilter = make_prefilter((probe,), accelerator)
    texts = [b64(json.dumps({"user": "ann", "page": n})) for n in range(50)] + ["plain words, no base64 at all"]
    assert prefilter.candidates(texts) == {}


# ---------------------------------------------------------------- against the reference


PIECES = st.sampled_from(['"password"', '"user"', '"ann"', ":", ",", "=", " ", "{", "}", "&", "'",
                          SECRET, "token", "%22", "\n"])
ENCODINGS = st.sampled_from([b64, b64url, lambda text: b64(text).rstrip("="), lambda text: quote(b64(text))])
SCRUB = [{"id": "keys", "keys": ["*password*", "*token*"], "redact": {"mask": {"keep_last": 2}}}]


@settings(max_examples=150, deadline=None)
@given(before=st.lists(PIECES, max_size=4), inside=st.lists(PIECES, min_size=3, max_size=12),
       after=st.lists(PIECES, max_size=4), encode=ENCODINGS)
def test_keys_inside_base64_are_redacted_as_the_reference_redacts_them(before, inside, after, encode):
    text = "".join(before) + encode("".join(inside)) + "".join(after)
    for engine_name in ENGINES:
        scrubbed_as_the_reference({"extra": {"note": text, "list": [text]}}, SCRUB, engine_name,
                                  options=models.Options(encoded_text=True, named_values=True, echoes=True))


@pytest.mark.parametrize("engine_name", ENGINES)
def test_a_key_glob_of_one_character_reads_every_string_through_base64(engine_name):
    text = "blob " + b64(json.dumps({"x": SECRET}))
    event, _ = scrubbed_as_the_reference({"extra": {"note": text}}, [{"id": "x", "keys": ["x"], "redact": "filter"}],
                                         engine_name, options=models.Options(encoded_text=True))
    assert event["extra"]["note"] == "blob [Filtered]"
