"""Keys inside encoded text (``options.encoded_text``, the 2026.12 packs): key/value text written
percent-encoded (once or twice), HTML-escaped or with JSON's ``\\u`` escapes is read through its
decoding, and the value is redacted escapes and all, in the text as it was written."""

from __future__ import annotations

import copy
import html
import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sentry_sdk.integrations.starlette import StarletteIntegration
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from rules_engine.scrub.encoded_text import MAX_LAYERS, decoded_views, in_decoded_views
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, frame_vars, pinned_ruleset, processed_events
from tests.scrub.frame_scenarios import ENGINES, engine, raised_with, scrubbed_as_the_reference  # noqa: F401

SECRET = "Qx7mW2pL9vB4nR8tK3sZ"
PAYLOAD = json.dumps({"user": "ann", "password": SECRET})

ENCODED = {
    "query parameter": urlencode({"next": PAYLOAD}),
    "percent-encoded twice": "next=" + quote(quote(PAYLOAD)),
    "HTML-escaped": "<pre>" + html.escape(PAYLOAD) + "</pre>",
    "numeric references": PAYLOAD.replace('"', "&#34;"),
    "JSON's \\u escapes": PAYLOAD.replace('"', "\\u0022"),
}


@pytest.fixture(scope="module")
def encoded_events():
    return raised_with(ENCODED.values())


@pytest.mark.parametrize("index", range(len(ENCODED)), ids=list(ENCODED))
def test_a_value_inside_encoded_key_value_text_is_redacted(encoded_events, index, engine):
    event = encoded_events[index]
    assert SECRET in event["exception"]["values"][0]["value"]
    sent, = processed_events(default_ruleset(engine), [event])
    assert SECRET not in json.dumps(sent)
    message = sent["exception"]["values"][0]["value"]
    assert "[Filtered]" in message and "user" in message and "ann" in message  # the rest stays readable
    assert frame_vars(sent)["shown"] == repr(message)


def test_the_escapes_around_the_value_stay_as_they_were(encoded_events, engine):
    sent = processed_events(default_ruleset(engine), list(encoded_events))
    messages = [event["exception"]["values"][0]["value"] for event in sent]
    assert "%22password%22%3A+%22[Filtered]%22%7D" in messages[0]
    assert "&quot;password&quot;: &quot;[Filtered]&quot;}" in messages[2]
    assert "\\u0022password\\u0022: \\u0022[Filtered]\\u0022}" in messages[4]


def test_a_request_whose_query_parameter_carries_json(engine):
    async def callback(request):
        raise RuntimeError("state rejected")

    app = Starlette(routes=[Route("/callback", callback)])
    with capture_events(integrations=[StarletteIntegration()], send_default_pii=True) as events:
        TestClient(app, raise_server_exceptions=False).get("/callback?" + urlencode({"next": PAYLOAD, "page": "2"}))
    event, = events
    assert quote(SECRET) in json.dumps(event["request"]), "the query string was not sent"
    sent, = processed_events(default_ruleset(engine), [event])
    assert SECRET not in json.dumps(sent) and "page=2" in sent["request"]["query_string"]


def test_a_ruleset_pinned_to_2026_11_reads_text_as_written(encoded_events, engine):
    sent = pinned_ruleset("2026.11", engine).before_send(copy.deepcopy(encoded_events[0]), {})
    assert SECRET in sent["exception"]["values"][0]["value"]


# ---------------------------------------------------------------- the views


def test_each_view_maps_its_characters_to_the_escapes_they_came_from():
    text = "a%3Db&amp;c\\u003dd"
    views = {view: (starts, ends) for view, starts, ends in decoded_views(text)}
    assert "a=b&amp;c\\u003dd" in views and "a%3Db&c\\u003dd" in views and "a%3Db&amp;c=d" in views
    assert "a=b&c=d" in views  # the decodings one after another
    starts, ends = views["a=b&c=d"]
    assert [text[start:end] for start, end in zip(starts, ends)] == ["a", "%3D", "b", "&amp;", "c", "\\u003d", "d"]


def test_a_finding_in_a_view_covers_its_escapes_in_the_text():
    text = "x=%22s%40cret%22"
    found = in_decoded_views(text, lambda view: [(view.index("s"), view.index("t") + 1, "value")])
    assert found == [(text.index("s"), text.index("t") + 1, "value")]
    assert text[found[0][0]:found[0][1]] == "s%40cret"


def test_text_encoded_more_often_than_the_layers_read_is_read_as_far_as_they_go():
    text = "password=hunter2-secret"
    for _ in range(MAX_LAYERS + 1):
        text = quote(text)
    assert not any("password=" in view for view, *_ in decoded_views(text))
    assert any("password%3D" in view for view, *_ in decoded_views(text))


@pytest.mark.parametrize("text", ["%" * 100_000, "%41" * 100_000, "&" * 50_000 + "&quot;" * 50_000,
                                  "\\u" * 100_000, "%2525252525" * 10_000, ""])
def test_hostile_text_gives_views_no_longer_than_itself(text):
    for view, starts, ends in decoded_views(text):
        assert len(view) <= len(text) and len(starts) == len(ends) == len(view)


# ---------------------------------------------------------------- against the reference


PIECES = st.sampled_from(['"password"', '"user"', '"ann"', ":", ",", "=", " ", "{", "}", "+", "&", "'",
                          SECRET, "token", "%22", "%3A", "%2522", "&quot;", "&#34;", "\\u0022", "%"])
SCRUB = [{"id": "keys", "keys": ["*password*", "*token*"], "redact": {"mask": {"keep_last": 2}}}]


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(PIECES, max_size=14))
def test_keys_inside_encoded_text_are_redacted_as_the_reference_redacts_them(pieces):
    from rules_engine.model import models

    text = "".join(pieces)
    for engine_name in ENGINES:
        scrubbed_as_the_reference({"extra": {"note": text, "list": [text]}}, SCRUB, engine_name,
                                  options=models.Options(encoded_text=True, named_values=True, echoes=True))
