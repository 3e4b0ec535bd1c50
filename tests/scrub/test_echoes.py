"""Echoes: a value redacted once in an event is redacted wherever else the event repeats it, in the
forms text gives it, by the rule that redacted it; whichever engine runs, as the reference does."""

from __future__ import annotations

import base64
import html
import copy
import json
import logging
import warnings
from urllib.parse import quote, quote_plus

import pytest
import sentry_sdk
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.model import models
from rules_engine.scrub import EventChanged, accelerator_available, compile_scrubber
from rules_engine.scrub import echoes as echoes_module
from rules_engine.scrub.walk import ScrubOverBudget
from rules_engine.scrub.echoes import ENCODINGS, echo_forms, whole_value_secrets, worth_searching
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset
from tests.reference_scrubber import scrub as reference_scrub

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: Values named elsewhere and echoes are read, as the 2026.12 packs have them read.
READ_ALL = models.Options(named_values=True, echoes=True)
KEYS = {"id": "keys", "keys": ["*password*", "*token*", "authorization", "*secret*"]}


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def scrubbed(event, rules, engine, allow=(), **limits):
    scrub = models.Scrub.model_validate({"allow": list(allow), "rules": rules})
    options = READ_ALL.model_copy(update={"limits": models.Limits(**limits)})
    scrubber = compile_scrubber(scrub, options, None, accelerator=engine)
    event = copy.deepcopy(event)
    return event, scrubber.scrub_event(event)


def remarks_by_rule(meta, found=None) -> dict[str, int]:
    """How many ``_meta`` remarks name each rule."""
    found = {} if found is None else found
    for key, value in meta.items():
        if key == "" and isinstance(value, dict):
            for remark in value.get("rem", []):
                found[remark[0]] = found.get(remark[0], 0) + 1
        elif isinstance(value, dict):
            remarks_by_rule(value, found)
    return found


# ----------------------------------------------------------------- real events, the default ruleset

PASSWORD = 'Qz7"pw" ünï/+rd'  # quotes, a space, non-ASCII and URL-reserved characters
TOKEN = "tok9f8e7d6c5b4a3"


class Credentials:
    def __init__(self, user: str, secret: str):
        self.user, self.secret = user, secret

    def __repr__(self) -> str:  # no key names: only the value says it is a secret
        return f"Credentials({self.user!r}, {self.secret!r})"


def _login(password: str, session: dict) -> None:
    attempt = Credentials("bob", password)  # noqa: F841 - a frame variable no key rule names, sent as its repr
    body = json.dumps(["bob", password])  # noqa: F841 - a JSON body, keyless
    reset_link = f"https://shop.test/reset/{session['token']}/confirm?to={quote_plus(password)}"
    sentry_sdk.add_breadcrumb(category="mail", message=f"sent {reset_link}")
    logging.getLogger("auth").warning("login failed for bob with %s", password)
    raise ValueError(f"bad credentials {password!r} for bob")


def _echoing_event() -> dict:
    with capture_events() as events:
        try:
            _login(PASSWORD, {"token": TOKEN})
        except ValueError:
            sentry_sdk.capture_exception()
    return next(event for event in events if event.get("exception"))


def _echoes_of(value: str) -> set[str]:
    return {value, repr(value)[1:-1], json.dumps(value)[1:-1], quote(value, safe=""), quote_plus(value)}


@pytest.fixture(scope="module")
def echoing_event():
    return _echoing_event()


def test_a_password_and_a_token_echoed_across_a_real_event_are_redacted_everywhere(echoing_event, engine):
    event = copy.deepcopy(echoing_event)
    sent = json.dumps(event)
    assert any(form in sent for form in _echoes_of(PASSWORD) - {PASSWORD})  # the event does echo them
    assert TOKEN in sent
    counts = default_ruleset(engine)._scrubber.scrub_event(event)
    out = json.dumps({key: value for key, value in event.items() if key != "_meta"})
    for value in (PASSWORD, TOKEN):
        for form in _echoes_of(value):
            assert form not in out, form
    # the useful text around each echo stays, and the echo says which rule redacted it
    assert event["exception"]["values"][0]["value"] == "bad credentials '[Filtered]' for bob"
    frame = event["exception"]["values"][0]["stacktrace"]["frames"][-1]
    assert frame["vars"]["attempt"] == "Credentials('bob', '[Filtered]')"
    assert frame["vars"]["body"].startswith('\'["bob", ')
    crumbs = [crumb["message"] for crumb in event["breadcrumbs"]["values"]]
    assert "sent https://shop.test/reset/[Filtered]/confirm?to=[Filtered]" in crumbs
    assert "login failed for bob with [Filtered]" in crumbs
    meta = event["_meta"]
    frame_meta = meta["exception"]["values"]["0"]["stacktrace"]["frames"][str(len(
        event["exception"]["values"][0]["stacktrace"]["frames"]) - 1)]["vars"]
    rule = frame_meta["password"][""]["rem"][0][0]  # the rule that redacted the original
    assert frame_meta["attempt"][""]["rem"][0][0] == rule
    assert meta["exception"]["values"]["0"]["value"][""]["rem"][0][:2] == [rule, "s"]
    # every redaction counted once per remark
    assert {name: count for name, count in counts.items() if "/" not in name} == remarks_by_rule(meta)


def test_both_engines_and_the_reference_write_the_same_real_event(echoing_event):
    outputs = []
    for engine in ENGINES:
        event = copy.deepcopy(echoing_event)
        outputs.append((default_ruleset(engine)._scrubber.scrub_event(event), event))
    assert all(output == outputs[0] for output in outputs)


def _flask_reset_event() -> dict:
    import flask
    from sentry_sdk.integrations.flask import FlaskIntegration

    app = flask.Flask("echoes_flask")

    @app.get("/reset/<code>")
    def reset(code):
        raise LookupError(f"no pending reset for {code}")

    with capture_events(integrations=[FlaskIntegration()]) as events:
        app.test_client().get(f"/reset/{TOKEN}?next=/home", headers={"X-Reset-Token": TOKEN})
    return next(event for event in events if event.get("exception"))


def test_a_token_in_a_request_header_is_redacted_in_the_url_path_and_the_message(engine):
    event = _flask_reset_event()
    assert event["request"]["headers"]["X-Reset-Token"] == TOKEN and TOKEN in event["request"]["url"]
    counts = default_ruleset(engine)._scrubber.scrub_event(event)
    assert TOKEN not in json.dumps(event)
    assert event["request"]["url"] == "http://localhost/reset/[Filtered]"
    assert event["exception"]["values"][0]["value"] == "no pending reset for [Filtered]"
    rule = event["_meta"]["request"]["headers"]["X-Reset-Token"][""]["rem"][0][0]
    start = len("http://localhost/reset/")
    assert event["_meta"]["request"]["url"][""]["rem"] == [[rule, "s", start, start + len("[Filtered]")]]
    assert {name: count for name, count in counts.items() if "/" not in name} == remarks_by_rule(event["_meta"])


# ----------------------------------------------------------------- forms, and what is not searched


def test_each_encoding_of_a_secret_is_found_as_its_echo(engine):
    secret = 'p@ss "wörd"/+&<x>'
    quoted = {name: list(encode(secret)) for name, encode, _ in ENCODINGS}
    texts = {f"{name}{n}": f"said {form} here" for name, forms in quoted.items() if name != "base64"
             for n, form in enumerate(forms)}
    texts["basic"] = "sent Basic " + base64.b64encode(f"bob:{secret}".encode()).decode()
    out, counts = scrubbed({"extra": {"password": secret, **texts}}, [KEYS], engine)
    for name in texts:
        assert out["extra"][name] in ("said [Filtered] here", "sent Basic [Filtered]"), name
    assert counts == {"keys": 1 + len(texts)}


@pytest.mark.parametrize("value", ["true", "null", "hunter2", "12345678", "2024-01-02 10:00", "********",
                                   "[Filtered]", "xxxxxxxxxxxxxxxx", "password", "abababab",
                                   "<requests.sessions.Session object at 0x7f8b21587790>"])
def test_short_common_numeric_and_placeholder_values_are_not_searched(engine, value):
    out, counts = scrubbed({"extra": {"password": value, "note": f"status {value} ok"}}, [KEYS], engine)
    assert out["extra"]["note"] == f"status {value} ok"
    assert counts == {"keys": 1}


def test_numbers_and_booleans_under_sensitive_keys_are_not_searched(engine):
    out, _ = scrubbed({"extra": {"token": 123456789012, "secret": True, "n": "id 123456789012"}}, [KEYS], engine)
    assert out["extra"]["n"] == "id 123456789012"


@given(st.text(alphabet="ABCXYZabcxyz0189._~-", min_size=8, max_size=30))
def test_a_secret_no_escaping_changes_is_its_own_form_but_for_hex_and_base64(secret):
    escapings = {form for name, encode, _ in ENCODINGS if name not in ("hex", "base64") for form in encode(secret)}
    assert escapings == {secret}
    assert set(echo_forms(secret)) == {form for _, encode, _ in ENCODINGS for form in encode(secret)}


# ----------------------------------------------------------------- where rules apply


def test_an_echo_under_allow_or_outside_the_rule_stays(engine):
    rules = [{"id": "keys", "keys": ["*password*"], "in": ["extra.**"]}]
    event = {"extra": {"password": "Tr0ub4dor&3x", "log": "used Tr0ub4dor&3x"},
             "contexts": {"app": {"note": "used Tr0ub4dor&3x"}}, "tags": {"why": "used Tr0ub4dor&3x"}}
    out, counts = scrubbed(event, rules, engine, allow=["tags"])
    assert out["extra"]["log"] == "used [Filtered]"
    assert out["contexts"]["app"]["note"] == "used Tr0ub4dor&3x"  # the rule applies under extra only
    assert out["tags"]["why"] == "used Tr0ub4dor&3x"
    assert counts == {"keys": 2}


def test_a_secret_equal_to_a_dict_key_renames_the_key(engine):
    event = {"extra": {"password": "sessionkey9Q", "sessions": {"sessionkey9Q": "open sessionkey9Q"}}}
    out, counts = scrubbed(event, [KEYS], engine)
    assert out["extra"]["sessions"] == {"[Filtered]": "open [Filtered]"}
    assert out["_meta"]["extra"]["sessions"] == {"[Filtered]": {"": {"rem": [["keys", "s", 5, 15]], "len": 17}}}
    assert counts == {"keys": 3}


# ----------------------------------------------------------------- hostile


def test_a_secret_inside_another_and_overlapping_echoes_merge(engine):
    event = {"extra": {"password": "alpha-secret-1", "token": "alpha-secret-1-and-more",
                       "secret": "more-and-zeta9", "a": "x alpha-secret-1-and-more y alpha-secret-1 z",
                       "b": "[alpha-secret-1-and-more-and-zeta9]"}}
    out, counts = scrubbed(event, [KEYS], engine)
    assert out["extra"]["a"] == "x [Filtered] y [Filtered] z"
    assert out["extra"]["b"] == "[[Filtered]]"  # overlapping echoes: one redaction
    assert counts == {"keys": 3 + 2 + 1}


def test_an_echo_a_detector_also_finds_is_counted_once(engine):
    rules = [{"id": "mail", "detect": ["email"]}]
    event = {"extra": {"a": "from ann.k@shop.test", "b": "to ann.k%40shop.test and ann.k@shop.test"}}
    out, counts = scrubbed(event, rules, engine)
    assert out["extra"] == {"a": "from [Filtered]", "b": "to [Filtered] and [Filtered]"}
    assert counts == {"mail": 3, "mail/email": 3}


def test_an_argv_secret_is_an_echo_source(engine):
    event = {"exception": {"values": [{"stacktrace": {"frames": [{"vars": {
        "argv": ["'deploy'", "'--api-token'", "'Zk4argvTok3n'"], "cmd": "'deploy --api-token Zk4argvTok3n'"}}]}}]}}
    out, counts = scrubbed(event, [{"id": "argv", "detect": ["argv_secret"]}], engine)
    variables = out["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert variables["cmd"] == "'deploy --api-token [Filtered]'"
    assert counts == {"argv": 2, "argv/argv_secret": 2}


def test_non_ascii_and_lone_surrogates(engine):
    secret = "pässwörd-\ud800-geheim"
    event = {"extra": {"password": secret, "raw": f"<{secret}>", "json": json.dumps({"v": secret})}}
    out, counts = scrubbed(event, [KEYS], engine)
    assert out["extra"] == {"password": "[Filtered]", "raw": "<[Filtered]>", "json": '{"v": "[Filtered]"}'}
    assert counts == {"keys": 3}


def test_thousands_of_distinct_secrets_in_one_event(engine):
    secrets = {f"password_{n}": f"Pw{n:05d}-{n * 7919 % 10007:05d}x" for n in range(3000)}
    quoted = " ".join(list(secrets.values())[::30])
    out, counts = scrubbed({"extra": {**secrets, "log": f"tried {quoted}"}}, [KEYS], engine)
    assert out["extra"]["log"] == "tried " + " ".join(["[Filtered]"] * 100)
    assert counts == {"keys": 3000 + 100}


def test_the_time_budget_stops_a_search_of_thousands_of_secrets(engine, monkeypatch):
    secrets = {f"password_{n}": f"Pw{n:05d}-long-enough" for n in range(3000)}
    original = echoes_module.KnownSecrets.echoes
    calls = []

    def spent(self, texts, actives, check_time):  # the budget is spent once the search starts
        calls.append(1)
        return original(self, texts, actives, lambda: (_ for _ in ()).throw(ScrubOverBudget("spent")))

    monkeypatch.setattr(echoes_module.KnownSecrets, "echoes", spent)
    with pytest.raises(ScrubOverBudget):
        scrubbed({"extra": {**secrets, "log": "nothing"}}, [KEYS], engine)
    assert calls


def test_a_list_changed_while_echoes_are_searched_fails_closed(engine, monkeypatch):
    items = ["Sup3rS3cretValue", "echo Sup3rS3cretValue", "harmless"]
    event = {"extra": {"password": "Sup3rS3cretValue", "lines": items}}
    original = echoes_module.KnownSecrets.echoes

    def moving(self, texts, actives, check_time):
        found = original(self, texts, actives, check_time)
        lines = event["extra"]["lines"]
        lines[1], lines[2] = lines[2], lines[1]  # another thread reorders the list meanwhile
        return found

    monkeypatch.setattr(echoes_module.KnownSecrets, "echoes", moving)
    scrub = models.Scrub.model_validate({"rules": [KEYS]})
    scrubber = compile_scrubber(scrub, READ_ALL, None, accelerator=engine)
    with pytest.raises(EventChanged):
        scrubber.scrub_event(event)


@pytest.mark.parametrize(("value", "secret"), [
    ("'Qz7-plain-pw'", "Qz7-plain-pw"), ('"it\'s-Qz7-pw"', "it's-Qz7-pw"), ("'caf\\xe9-Qz7-pw'", "caf\xe9-Qz7-pw"),
    ("b'Qz7-bytes-pw'", "Qz7-bytes-pw"), ("'Qz7-truncated-pw...", "'Qz7-truncated-pw..."),
    ("Qz7-bare-pw", "Qz7-bare-pw"), ("'Qz7' + 'x'", "'Qz7' + 'x'"),
])
def test_a_frame_variable_literal_is_searched_as_the_text_it_stands_for(value, secret):
    assert whole_value_secrets(value) == [secret]


def test_a_message_is_not_searched_and_a_scheme_and_credential_also_by_the_credential(engine):
    event = {"extra": {"password": "530 Login incorrect.", "authorization": "Bearer Qz7bearerTok3n",
                       "log": "ftp said 530 Login incorrect.", "curl": "curl -H 'X-Tok: Qz7bearerTok3n'"}}
    out, counts = scrubbed(event, [KEYS], engine)
    assert out["extra"]["log"] == "ftp said 530 Login incorrect."
    assert out["extra"]["curl"] == "curl -H 'X-Tok: [Filtered]'"
    assert counts == {"keys": 3}


def test_a_dsn_redacted_whole_is_searched_also_by_its_password(engine):
    """A client's frames hold a DSN's password parsed out of it (asyncpg's connection parameters, a
    list without field names), as written and percent-decoded."""
    event = {"extra": {"secret_dsn": "postgresql://shop:Qz7dsn%40Pw-5521@db.internal:5432/shop",
                       "params": ["shop", "Qz7dsn@Pw-5521", "db.internal"], "quoted": "'Qz7dsn%40Pw-5521'",
                       "other": "https://docs.internal/guide"}}
    out, counts = scrubbed(event, [KEYS], engine)
    assert out["extra"]["params"] == ["shop", "[Filtered]", "db.internal"]
    assert out["extra"]["quoted"] == "'[Filtered]'"
    assert out["extra"]["other"] == "https://docs.internal/guide"
    assert counts == {"keys": 3}


@pytest.mark.parametrize("secret, searched", [
    ("postgresql://shop:Qz7dsnPw-5521@db:5432/shop", ["Qz7dsnPw-5521"]),
    ("mongodb://ann:M0ngo@Unesc-2209@h/db", ["M0ngo@Unesc-2209"]),  # an @ of the password's own
    ("redis://:p%40ss%3AEnc-9xyz@h:6379/0", ["p%40ss%3AEnc-9xyz", "p@ss:Enc-9xyz"]),
    ("http://justauser@host.internal/x", []),  # no password
    ("https://host.internal/a@b:c", []),  # an @ in the path is no userinfo
])
def test_a_urls_password_is_searched_for_as_written_and_decoded(secret, searched):
    assert echoes_module.searched_texts(secret) == [secret, *searched]


@pytest.mark.parametrize("secret, searched", [
    ("app:Cr9dS4vLm2Qx7Wp3Tz", ["Cr9dS4vLm2Qx7Wp3Tz"]),
    ("default:Rd5pass:with:colons", ["Rd5pass:with:colons"]),  # a password may hold colons
    ("Basic bob:Qz7basicPw", ["bob:Qz7basicPw", "Qz7basicPw"]),  # the last word's password too
    ("bob:short", []),  # a password too short to search for
    ("postgresql://shop:Qz7dsnPw-5521@db:5432/shop", ["Qz7dsnPw-5521"]),  # a URL's own reading
])
def test_credentials_written_user_colon_password_are_searched_also_by_the_password(secret, searched):
    assert echoes_module.searched_texts(secret) == [secret, *searched]


def test_a_password_split_off_credentials_in_a_frame_is_redacted(engine):
    """``user, _, password = creds.partition(":")``: the frame sends both parts, one beside the other."""
    event = {"extra": {"creds": "app:Cr9dS4vLm2Qx7Wp3Tz", "user": "app", "_": "Cr9dS4vLm2Qx7Wp3Tz",
                       "label": "app:other"}}
    out, counts = scrubbed(event, [{"id": "keys", "keys": ["creds"]}], engine)
    assert out["extra"] == {"creds": "[Filtered]", "user": "app", "_": "[Filtered]", "label": "app:other"}
    assert counts == {"keys": 2}


def test_hex_of_a_secret_is_redacted_inside_a_longer_hex_text(engine):
    """``secret_key.hex()`` beside ``secret_key``, and the hex of a text holding it (either case)."""
    secret = "Hx2kS9eCr7Tq4Wm5Zp"
    framed = ("key=" + secret + ";").encode().hex()
    event = {"extra": {"secret_key": secret, "key_hex": secret.encode().hex(), "dump": framed.upper(),
                       "digest": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}
    out, counts = scrubbed(event, [KEYS], engine)
    prefix, suffix = "key=".encode().hex().upper(), ";".encode().hex().upper()
    assert out["extra"]["key_hex"] == "[Filtered]"
    assert out["extra"]["dump"] == prefix + "[Filtered]" + suffix
    assert out["extra"]["digest"].startswith("9f86d081")
    assert counts == {"keys": 3}


@given(st.text(max_size=20))
def test_a_literal_of_any_text_or_its_bytes_is_read_back_as_that_text(text):
    assert whole_value_secrets(repr(text)) == [text]
    data = text.encode("utf-8", "surrogatepass")
    assert whole_value_secrets(repr(data)) == [data.decode("utf-8", "replace")]


@given(st.text(alphabet="'\"bux\\ ", max_size=8))
def test_every_value_the_literal_pattern_reads_is_read_as_a_literal(value):
    """The check before the pattern only spares values the pattern cannot read."""
    if echoes_module._PYTHON_LITERAL.fullmatch(value) is None:
        assert whole_value_secrets(value) == [value]
    else:  # a literal's text lacks at least its quotes
        assert whole_value_secrets(value) != [value]


def test_an_unknown_escape_is_read_as_python_reads_it_and_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an application may run with -W error
        assert whole_value_secrets("'Qz7\\%pw-long'") == ["Qz7\\%pw-long"]


def test_worth_searching_refuses_texts_holding_a_replacement():
    assert not worth_searching("user [Filtered] again", ("[Filtered]",))
    assert worth_searching("user Filtered again", ("[Filtered]",))


# ----------------------------------------------------------------- against the reference

SECRET_TEXTS = st.text(alphabet="aZ9 \"'\\/+%&<ü\ud800", min_size=8, max_size=14).filter(
    lambda text: worth_searching(text))
RULES = [{"id": "keys", "keys": ["*password*"], "in": ["extra.**"]}, {"id": "mail", "detect": ["email"]},
         {"id": "late", "keys": ["*secret*", "*token*"], "redact": "hash"}]


@st.composite
def echoing_events(draw) -> dict:
    secrets = draw(st.lists(SECRET_TEXTS, min_size=1, max_size=3))
    holders = draw(st.lists(st.sampled_from(["password", "token", "api_secret"]), min_size=len(secrets),
                            max_size=len(secrets)))
    extra = {f"{holder}_{n}": secret for n, (holder, secret) in enumerate(zip(holders, secrets))}
    for n in range(draw(st.integers(1, 4))):
        secret = draw(st.sampled_from(secrets))
        name, encode, _ = draw(st.sampled_from(ENCODINGS))
        forms = list(encode(secret)) or [secret]
        form = draw(st.sampled_from(forms))
        if name == "base64":
            form = base64.b64encode(b"u:" + secret.encode("utf-8", "surrogatepass")).decode()
        extra[f"note{n}"] = draw(st.sampled_from(["{}", "x {} y", "{}{}", "a@b.test {}"])).format(form, form)
    allowed = draw(st.sampled_from([[], ["extra.note0"]]))
    # tags: where the password rule does not apply
    return {"extra": extra, "tags": {"t": extra.get("note1", "")}, "allow": allowed}


@settings(max_examples=150, deadline=None)
@given(echoing_events())
def test_drawn_echoes_scrub_as_the_reference(drawn):
    allow = drawn.pop("allow")
    scrub = models.Scrub.model_validate({"allow": allow, "rules": RULES})
    expected = copy.deepcopy(drawn)
    expected_counts = reference_scrub(scrub, expected, b"k", options=READ_ALL)
    for engine in ENGINES:
        event = copy.deepcopy(drawn)
        counts = compile_scrubber(scrub, READ_ALL, b"k", accelerator=engine).scrub_event(event)
        assert (event, counts) == (expected, expected_counts), engine


def _unshortened_forms(secret: str) -> set[str]:
    """The escaped and hex forms of ``secret`` by the plain library calls, none skipped."""
    data = secret.encode("utf-8", "surrogatepass")
    once = json.dumps(secret)[1:-1]
    return {secret, repr(secret)[1:-1], repr(secret + "'\"")[1:-4], repr(data)[2:-1], once,
            json.dumps(secret, ensure_ascii=False)[1:-1], json.dumps(once)[1:-1],
            quote(secret, safe="", errors="surrogatepass"), quote(secret, errors="surrogatepass"),
            quote_plus(secret, errors="surrogatepass"), html.escape(secret), data.hex(), data.hex().upper()}


@given(st.text(min_size=8, max_size=20))
def test_the_table_of_encodings_gives_the_forms_of_the_library_calls(secret):
    escaped = {form for form, widens in echo_forms(secret).items() if not widens}
    base64_forms = {form for form, widens in echo_forms(secret).items() if widens}
    assert escaped | base64_forms == set(echo_forms(secret))
    assert escaped == _unshortened_forms(secret) - base64_forms


# ----------------------------------------------------------------- where forms occur, scanned or not

def _every_occurrence(texts: list[str], forms: list[str]) -> set[tuple[int, int, int]]:
    """Every (string, start, form) by trying each form at each place of each string."""
    return {(index, start, number) for index, text in enumerate(texts) for number, form in enumerate(forms)
            for start in range(len(text)) if text.startswith(form, start)}


_PIECES = st.sampled_from(["ab", "abab", "Zq9", "é", "\x00", "x", "ab\x00ab", "😀", "Zq9ab"])


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.builds("".join, st.lists(_PIECES, max_size=8)), max_size=6),
       forms=st.lists(st.builds("".join, st.lists(_PIECES, min_size=1, max_size=3)), min_size=1, max_size=6,
                      unique=True))
def test_forms_are_found_alike_with_the_scan_and_without(texts, forms):
    expected = _every_occurrence(texts, forms)
    scanners = [None] + ([echoes_module_scanner()] if accelerator_available() else [])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(echoes_module, "_SCAN_FROM", 0)  # a scan however little there is to search
        for scanner in scanners:
            found = list(echoes_module.occurrences(texts, forms, scanner, lambda: None))
            assert len(found) == len(set(found)), scanner  # each occurrence once
            assert set(found) == expected, scanner


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.sampled_from(["abab", "Zq9ab", "x", "ab\x00ab", "é abZq9", ""]), max_size=10),
       forms=st.lists(st.sampled_from(["ab", "abab", "Zq9", "b\x00a", "é"]), min_size=1, max_size=4, unique=True))
def test_a_string_repeated_holds_its_occurrences_at_each_place_in_the_order_it_holds_them_alone(texts, forms):
    # Without the scan each distinct string is searched once: its occurrences must reach every
    # place it stands, as they come when it stands alone (by form, then by place).
    found = list(echoes_module.occurrences(texts, forms, None, lambda: None))
    for index, text in enumerate(texts):
        alone = [(start, number) for _, start, number in echoes_module.occurrences([text], forms, None, lambda: None)]
        assert [(start, number) for at, start, number in found if at == index] == alone


@pytest.mark.skipif(not accelerator_available(), reason="the C module was not built here")
def test_more_forms_than_one_scan_takes_are_found_alike(monkeypatch):
    monkeypatch.setattr(echoes_module, "_SCAN_FROM", 0)
    monkeypatch.setattr(echoes_module, "_SCAN_WORK", 0)  # the fewest starts per scan: three scans
    forms = [f"Qz{n:03d}-form" for n in range(150)]
    texts = [f"a {forms[n]} b {forms[(n * 7) % 150]}" for n in range(0, 150, 3)] + ["Qz149-formQz000-form"]
    expected = _every_occurrence(texts, forms)
    assert set(echoes_module.occurrences(texts, forms, echoes_module_scanner(), lambda: None)) == expected
    assert len(expected) == 2 * 50 + 2


@pytest.mark.skipif(not accelerator_available(), reason="the C module was not built here")
@pytest.mark.parametrize("characters, scans", [(30_000, 1), (100_000, 2)])
def test_a_scan_looks_for_as_many_starts_as_its_work_allows(characters, scans):
    """Over a short text one scan looks for every start (each scan reads all the text); over a
    long one no more than the fewest, so that the budget is checked between scans that are short."""
    built = []

    def scanner(*arguments):
        built.append(arguments)
        return echoes_module_scanner()(*arguments)

    forms = [f"Qz{n:03d}-form" for n in range(100)]
    texts = [f"a {form} b" for form in forms] + ["z" * (characters - 1000)]
    assert len(forms) * sum(map(len, texts)) >= echoes_module._SCAN_FROM
    found = set(echoes_module.occurrences(texts, forms, scanner, lambda: None))
    assert found == {(n, 2, n) for n in range(100)}
    assert len(built) == scans


@pytest.mark.skipif(not accelerator_available(), reason="the C module was not built here")
@pytest.mark.parametrize("forms", [
    [f"AAAA{n:04d}AAAAAAAA" for n in range(640)],  # 640 starts sharing four characters
    [f"AAAAAAAAAAAA{n:04d}" for n in range(640)],  # one start
], ids=["starts-alike", "one-start"])
def test_forms_starting_alike_are_searched_with_the_budget_checked(forms, monkeypatch):
    """Forms an event chose can all start alike, so that each place of a text is compared
    against each of them: the budget can stop the search long before it is done. (The text is
    short, so the fewest starts a scan takes are made as many as a long text would allow.)"""
    monkeypatch.setattr(echoes_module, "_SCAN_WORK", 0)
    checks = []

    def check_time():
        checks.append(1)
        if len(checks) == 3:
            raise ScrubOverBudget("spent")

    text = "AAAA" * 500 + "".join(forms[::7])
    assert len(forms) * len(text) >= echoes_module._SCAN_FROM  # enough to search that a scan is built
    with pytest.raises(ScrubOverBudget):
        list(echoes_module.occurrences([text], forms, echoes_module_scanner(), check_time))
    assert len(checks) == 3
    found = set(echoes_module.occurrences([text], forms, echoes_module_scanner(), lambda: None))
    assert found == _every_occurrence([text], forms)


def echoes_module_scanner():
    from rules_engine.scrub.prefilter import CAnchorScanner

    return CAnchorScanner


def test_many_secrets_over_many_strings_are_each_found_where_they_echo(engine):
    secrets = [f"Pw{n:05d}-long-enough" for n in range(300)]
    lines = [f"line {n} mentions {secrets[n % 300] if n % 97 == 0 else 'nothing'}" for n in range(20_000)]
    event = {"extra": {**{f"password_{n}": secret for n, secret in enumerate(secrets)}, "lines": lines}}
    event, counts = scrubbed(event, [KEYS], engine, max_ms=60_000)
    assert counts == {"keys": 300 + len(range(0, 20_000, 97))}
    sent = json.dumps(event)
    assert not any(secret in sent for secret in secrets)
    assert event["extra"]["lines"][1] == "line 1 mentions nothing"
