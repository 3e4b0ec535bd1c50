"""A string sentry-sdk cut (``max_value_length``) keeps no beginning of a secret.

sentry-sdk cuts a longer string to ``max_value_length - 3`` characters and ``...`` before
``before_send`` runs, and says so in ``_meta`` (a ``!limit`` remark). A secret crossing the cut
loses its end, and with it what every detector recognises; with ``options.partial_tokens`` (the
2026.12 packs) the token the cut ends in is redacted when it could begin a secret."""

from __future__ import annotations

import copy
import json

import pytest
import sentry_sdk
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.load.loader import load_model_from_text
from rules_engine.model import models
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import compile_scrubber
from rules_engine.scrub.cut_values import MAX_PARTIAL, cut_strings, partial_token
from tests.corpus.planting import captured_failures, frame_vars, pinned_ruleset
from tests.scrub.frame_scenarios import ENGINES, engine, frame_meta, scrubbed_as_the_reference  # noqa: F401

GITHUB_TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJlbWFpbCI6ImFubmFAZXhhbXBsZS5jb20iLCJzdWIiOiIxMjM0In0."
       "c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU")
CARD = "4111 1111 1111 1111"
EMAIL = "anna.k@example-shop.com"
#: sentry-sdk keeps max_value_length - 3 characters of a longer string
LIMIT = 110


def _crossing(secret: str, before: str, filler: str = "x") -> str:
    """Text in which ``secret`` (after ``before``) crosses sentry-sdk's cut at LIMIT - 3."""
    head = filler * (LIMIT - 3 - len(before) - len(secret) // 2) + before
    return head + secret + " and more text after it"


def _fail_with_message(secret: str, before: str):
    def fail():
        raise ValueError(_crossing(secret, before))
    return fail


def _fail_with_local(secret: str, before: str):
    def fail():
        payload = _crossing(secret, before)  # noqa: F841 - a frame variable
        raise RuntimeError("rejected")
    return fail


def _fail_after_breadcrumb(secret: str, before: str):
    def fail():
        sentry_sdk.add_breadcrumb(category="auth", message=_crossing(secret, before))
        raise RuntimeError("rejected")
    return fail


SECRETS = [(GITHUB_TOKEN, " auth "), (JWT, " header "), (CARD, " card "), (EMAIL, " mail to ")]


def _captured(make_failure) -> list[dict]:
    failures = [make_failure(secret, before) for secret, before in SECRETS]
    return list(captured_failures(*failures, max_value_length=LIMIT))


def _beginnings(secret: str) -> list[str]:
    """Every beginning of ``secret`` of six characters or more (what a cut could have left)."""
    return [secret[:length] for length in range(6, len(secret) + 1)]


@pytest.mark.parametrize("make_failure", [_fail_with_message, _fail_with_local, _fail_after_breadcrumb])
def test_no_beginning_of_a_secret_cut_by_the_sdk_is_sent(make_failure, engine):
    events = _captured(make_failure)
    for event, (secret, before) in zip(events, SECRETS):
        assert "!limit" in json.dumps(event["_meta"]), "sentry-sdk cut nothing: the test proves nothing"
        assert any(beginning in json.dumps(event) for beginning in _beginnings(secret)), "no beginning was sent"
        sent = pinned_ruleset("2026.12", engine).before_send(copy.deepcopy(event), {})
        text = json.dumps(sent)
        assert not [beginning for beginning in _beginnings(secret) if beginning in text], (secret, text)
        assert "[Filtered]..." in text and before.strip() in text  # what came before the token stays


def test_the_redaction_is_counted_and_the_sdk_remark_moves_to_the_new_cut(engine):
    event, = captured_failures(_fail_with_message(GITHUB_TOKEN, " auth "), max_value_length=LIMIT)
    ruleset = pinned_ruleset("2026.12", engine)
    sent = ruleset.before_send(copy.deepcopy(event), {})
    value = sent["exception"]["values"][0]["value"]
    remarks = sent["_meta"]["exception"]["values"]["0"]["value"][""]
    (limit, kind, cut, end), (rule_id, remark, start, stop) = remarks["rem"]
    assert (limit, kind) == ("!limit", "x") and value[cut:end] == "..." and end == len(value)
    assert value[start:stop] == "[Filtered]" and stop == cut and remark == "s"
    assert remarks["len"] == len(_crossing(GITHUB_TOKEN, " auth "))
    assert ruleset.stats()["redactions"].get(f"{rule_id}/partial_token", 0) >= 1


def test_a_string_cut_by_its_utf8_length_is_read_at_its_cut_too(engine):
    """Beyond ASCII, sentry-sdk cuts by UTF-8 bytes and says where in bytes."""
    event, = captured_failures(_fail_with_message(GITHUB_TOKEN, " clé d'accès "), max_value_length=LIMIT)
    value = event["exception"]["values"][0]["value"]
    assert value.endswith("...") and not value.isascii() and GITHUB_TOKEN[:6] in value
    sent = pinned_ruleset("2026.12", engine).before_send(copy.deepcopy(event), {})
    assert sent["exception"]["values"][0]["value"].endswith("accès [Filtered]...")
    (limit, _, cut, end), _ = sent["_meta"]["exception"]["values"]["0"]["value"][""]["rem"]
    assert sent["exception"]["values"][0]["value"][cut:end] == "..."


def test_a_cut_word_of_prose_and_an_ellipsis_of_the_text_itself_stay(engine):
    def cut_in_a_word():
        raise ValueError("w" * 96 + " the connection was refused by the upstream service")

    def own_ellipsis():
        raise ValueError("retrying job 4242...")  # not cut: its remark is missing

    cut, own = captured_failures(cut_in_a_word, own_ellipsis, max_value_length=LIMIT)
    ruleset = pinned_ruleset("2026.12", engine)
    for event in (cut, own):
        sent = ruleset.before_send(copy.deepcopy(event), {})
        assert sent["exception"]["values"][0]["value"] == event["exception"]["values"][0]["value"]


def test_a_ruleset_pinned_to_2026_11_scrubs_as_it_did(engine):
    event, = captured_failures(_fail_with_message(GITHUB_TOKEN, " auth "), max_value_length=LIMIT)
    sent = pinned_ruleset("2026.11", engine).before_send(copy.deepcopy(event), {})
    assert sent["exception"]["values"][0]["value"] == event["exception"]["values"][0]["value"]


def test_a_value_under_a_sensitive_key_is_the_walks_to_redact(engine):
    def fail():
        api_token = _crossing(GITHUB_TOKEN, " auth ")  # noqa: F841
        raise RuntimeError("rejected")

    event, = captured_failures(fail, max_value_length=LIMIT)
    ruleset = pinned_ruleset("2026.12", engine)
    sent = ruleset.before_send(copy.deepcopy(event), {})
    assert frame_vars(sent)["api_token"] == "[Filtered]"
    (limit, *_), (rule_id, *_) = frame_meta(sent)["api_token"][""]["rem"]
    assert limit == "!limit" and rule_id == "secret-keys"  # one remark: the key rule's


# ---------------------------------------------------------------- the token a cut ends in


@pytest.mark.parametrize(("text", "token"), [
    ("auth ghp_aB3dE5fG7", "ghp_aB3dE5fG7"),
    ("card 4111 1111 1111 ", "4111 1111 1111 "),  # the cut after a group's space
    ("card 4111-1111-11", "4111-1111-11"),
    ("to anna.k@exam", "anna.k@exam"),
    ("url=https://api.test/v1?x", "https://api.test/v1?x"),  # the key before "=" stays
    ("{'token': 'eyJhbGciOiJIUzI1", "eyJhbGciOiJIUzI1"),
    ("id 1234", "1234"),
])
def test_the_token_a_cut_ends_in(text, token):
    assert text[partial_token(text, len(text)):] == token


@pytest.mark.parametrize("text", ["the connection was ref", "Traceback (most rec", "id 123", "", "ends in space ",
                                  "{'token': 'eyJhbGci"])
def test_what_could_not_begin_a_secret_is_no_partial_token(text):
    assert partial_token(text, len(text)) is None


def test_a_token_longer_than_the_bound_is_redacted_over_the_bound():
    text = "a1" * 100_000
    assert partial_token(text, len(text)) == len(text) - MAX_PARTIAL


# ---------------------------------------------------------------- against the reference


TOKEN_CHARACTERS = st.text(alphabet="ab09_-.@:/ '\"=", max_size=40)
SCRUB = [{"id": "keys", "keys": ["*token*"], "redact": "filter"},
         {"id": "shapes", "detect": ["github_token"], "redact": {"mask": {"keep_last": 2}}}]


@settings(max_examples=150, deadline=None)
@given(head=TOKEN_CHARACTERS, key=st.sampled_from(["message", "api_token", "note"]),
       in_list=st.booleans(), allow=st.booleans())
def test_partial_tokens_are_redacted_as_the_reference_redacts_them(head, key, in_list, allow):
    text = head + "ghp_aB3dE5" + "..."
    cut = len(text) - 3
    container_meta = {"": {"len": 200, "rem": [["!limit", "x", cut, cut + 3]]}}
    value, meta = ([text], {"0": container_meta}) if in_list else (text, container_meta)
    for engine_name in ENGINES:
        event = {"extra": {key: copy.deepcopy(value)}, "_meta": {"extra": {key: copy.deepcopy(meta)}}}
        scrubbed_as_the_reference(event, SCRUB, engine_name, allow=["extra.note"] if allow else (),
                                  options=models.Options(partial_tokens=True, echoes=True))


@pytest.mark.parametrize("meta", [
    "not a dict", {"extra": "x"}, {"extra": {"note": {"": {"rem": "x"}}}},
    {"extra": {"note": {"": {"rem": [["!limit", "x", "7", 10]]}}}},
    {"extra": {"note": {"": {"rem": [["!limit", "x", 999, 1002]]}}}},
    {"extra": {"missing": {"": {"rem": [["!limit", "x", 4, 7]]}}}},
    {"extra": {"note": {"0": {"": {"rem": [["!limit", "x", 4, 7]]}}}}},
])
def test_hostile_meta_is_passed_over(meta, engine):
    event = {"extra": {"note": "abc1234..."}, "_meta": meta}
    scrubber = compile_scrubber(models.Scrub.model_validate({"rules": SCRUB}),
                                models.Options(partial_tokens=True), b"k", accelerator=engine)
    scrubber.scrub_event(event)
    assert event["extra"]["note"] == "abc1234..."


def test_meta_nested_past_the_depth_limit_is_not_read():
    meta = node = {}
    event = container = {}
    for _ in range(500):
        node["a"] = {}
        container["a"] = {}
        node, container = node["a"], container["a"]
    container["s"] = "abc1234..."
    node["s"] = {"": {"rem": [["!limit", "x", 7, 10]]}}
    assert list(cut_strings({"_meta": meta, **event}, 64)) == []


@pytest.mark.parametrize(("pack", "secret", "before"), [("secure-defaults", GITHUB_TOKEN, " auth "),
                                                        ("personal-data", EMAIL, " mail to ")])
def test_each_2026_12_pack_alone_redacts_partial_tokens(pack, secret, before):
    ruleset = Ruleset.from_loaded(load_model_from_text(f"format: 1\nname: one\nextends: [builtin:{pack}@2026.12]\n",
                                                       "ruleset.yaml"))
    event, = captured_failures(_fail_with_message(secret, before), max_value_length=LIMIT)
    sent = ruleset.before_send(copy.deepcopy(event), {})
    assert not [beginning for beginning in _beginnings(secret) if beginning in json.dumps(sent)]
