"""Key names in every language and every Unicode spelling: a secret under ``пароль``,
``contraseña`` (composed or decomposed), ``ŞİFRE``, ``ΚΩΔΙΚΌΣ`` or ``密碼`` is redacted as a real
dict key (request data of Django, Flask and FastAPI, frame variables, ``extra``) exactly as it is
inside text, with the C walk and in pure Python."""

from __future__ import annotations

import functools
import itertools
import json
import re
import sys
import types
import unicodedata

import pytest
import sentry_sdk
from fastapi import Request  # (FastAPI reads route annotations from this module)

from rules_engine.capture import capture_events
from rules_engine.detection import catalogue
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import accelerator_available
from rules_engine.scrub.keytext import KEY_MARKS, find_key_values, find_key_values_in_c
from rules_engine.scrub.prefilter import CASE_FOLDS
from rules_engine.scrub.rule import key_matcher
from rules_engine.scrub.selectors import normalize_key
from tests.corpus.planting import default_ruleset

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: The web integrations passed here report sentry-sdk's own status codes, not the ruleset's; which
#: requests are reported is not under test.
pytestmark = pytest.mark.filterwarnings("ignore::rules_engine.runtime.sdk_options.RulesetOptionWarning")
FINDERS = [find_key_values] + ([find_key_values_in_c] if find_key_values_in_c is not None else [])

#: How key names are written besides their dictionary form.
SPELLINGS = {
    "as is": lambda word: word,
    "upper": str.upper,
    "title": str.title,
    "decomposed": lambda word: unicodedata.normalize("NFD", word),
    "decomposed upper": lambda word: unicodedata.normalize("NFD", word.upper()),
    "prefixed": lambda word: "user_" + word,
    "suffixed": lambda word: word + "_confirmation",
}
#: Password words of several languages and scripts, as people write them.
WORDS = ["пароль", "contraseña", "mot_de_passe", "密码", "密碼", "パスワード", "비밀번호", "şifre", "κωδικός_πρόσβασης",
         "סיסמה", "كلمة_المرور", "hasło", "lösenord", "jelszó", "senha", "passwort", "paßwort", "пароль_пользователя"]


@functools.lru_cache(maxsize=None)
def _default(engine: str) -> Ruleset:
    return default_ruleset(engine)


@pytest.fixture(scope="module", params=ENGINES)
def default(request) -> Ruleset:
    return _default(request.param)


def _form() -> dict[str, str]:
    """Every word in every spelling as a form field, each holding its own secret."""
    fields = {}
    for word in WORDS:
        for spelling in SPELLINGS.values():
            fields.setdefault(spelling(word), f"Sekret-{len(fields):03d}-xq")
    return fields


def _leaked(events: list, form: dict[str, str]) -> list[str]:
    text = json.dumps(events, ensure_ascii=False)
    return [key for key, secret in form.items() if secret in text]


# ----------------------------------------------------------------- the fold itself


def test_spellings_of_a_key_name_compare_alike():
    assert normalize_key(unicodedata.normalize("NFD", "Contraseña")) == normalize_key("contraseña") == "contraseña"
    assert normalize_key("ŞİFRE") == normalize_key("şifre") == normalize_key("şıfre")
    assert normalize_key("ΚΩΔΙΚΌΣ") == normalize_key("κωδικόσ") == normalize_key("κωδικός")
    assert normalize_key("Mot-De-Passe") == "mot_de_passe"


def test_a_fold_gives_an_ascii_letter_only_where_the_prefilter_folds_one():
    # Keys inside text are looked for by caseless ASCII literals first: a character the key fold
    # turned into an ASCII letter the prefilter does not fold would be a miss in text only.
    folding = set()
    for code in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        if any(piece.isascii() and piece.isalpha() for piece in normalize_key(char)):
            folding.add(char)
    assert folding <= set(CASE_FOLDS)
    for char in folding:
        assert normalize_key(char) == CASE_FOLDS[char]


def test_every_word_the_text_detector_knows_is_a_key_name_of_the_pack():
    """``secret_assignment_unicode`` finds ``пароль=…`` in text; the same words as dict keys
    are redacted by the key vocabulary."""
    pack = _default("off").model.scrub
    globs = [pattern for rule in pack.rules if rule.id.startswith("secret-keys") for pattern in rule.keys]
    sensitive = key_matcher(globs)
    (entry,) = [entry for entry in catalogue() if entry.id == "secret_assignment_unicode"]
    # The other keywords are the first \u escape of each word, as JSON text writes it: no key name.
    words = [word for word in entry.keywords if not re.fullmatch(r"u[0-9a-f]{4}", word)]
    assert words and [word for word in words if not sensitive(word)] == []


def test_every_mark_of_a_decomposed_letter_goes_on_with_a_key_inside_text():
    word = re.compile(r"\w")
    marks = {mark for code in range(sys.maxunicode + 1) if not 0xD800 <= code < 0xE000 and word.match(chr(code))
             for mark in unicodedata.normalize("NFD", chr(code)) if not word.match(mark)}
    assert marks and all(any(first <= ord(mark) <= last for first, last in KEY_MARKS) for mark in marks)


@pytest.mark.parametrize("word", ["пароль", "ŞİFRE", "पासवर्ड", "รหัสผ่าน", "סִיסְמָה", "كَلِمَة_المرور", "パスワード"])
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_a_bare_key_of_any_script_is_read_whole(word, form):
    key = unicodedata.normalize(form, word)
    for find in FINDERS:
        seen: list[str] = []
        assert find(f"a=1&{key}=v&b=2", lambda name: seen.append(name) or 0) == []
        assert seen == ["a", key, "b"]


def test_keys_inside_text_are_read_alike_in_c_and_python_for_every_character():
    if len(FINDERS) == 1:
        return  # no C module here: nothing to compare
    python, c = FINDERS
    edges = {code + delta for first, last in KEY_MARKS for code in (first, last) for delta in (-1, 0, 1)}
    for code in sorted(set(range(0x3200)) | edges | set(range(0x10000, sys.maxunicode + 1, 997))):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        for text in (f"x{char}=1", f"{char}x=1", f"a {char}=1", f"ab{char}cd: 2"):
            seen_python: list[str] = []
            seen_c: list[str] = []
            found = python(text, lambda name: seen_python.append(name) or 1)
            assert c(text, lambda name: seen_c.append(name) or 1) == found and seen_c == seen_python, hex(code)


# ----------------------------------------------------------------- real events


def test_flask_form_and_json_bodies(default):
    import flask
    from sentry_sdk.integrations.flask import FlaskIntegration

    app = flask.Flask("unicode_keys")

    @app.post("/signup")
    def signup():
        raise ValueError("signup failed")

    form = _form()
    with capture_events(**default.sentry_options(integrations=[FlaskIntegration()], send_default_pii=True)) as events:
        app.test_client().post("/signup", data={**form, "username": "ann.k"})
        app.test_client().post("/signup", json={**form, "username": "ann.k"})
    assert len(events) == 2 and all(event["request"]["data"]["username"] == "ann.k" for event in events)
    assert _leaked(events, form) == []


def test_django_form_post(default):
    from django.test import Client, override_settings
    from django.urls import path
    from sentry_sdk.integrations.django import DjangoIntegration

    from tests.corpus.frameworks import _configure_django

    _configure_django()

    def signup(request):
        raise PermissionError(f"signup rejected for {request.POST['username']}")

    urls = types.ModuleType("unicode_keys_urls")
    urls.urlpatterns = [path("signup/", signup)]
    form = _form()
    with capture_events(**default.sentry_options(integrations=[DjangoIntegration()], send_default_pii=True)) as events:
        # (an isolation scope: Django's request leaves its event processor on the scope it ran in)
        with sentry_sdk.isolation_scope(), override_settings(ROOT_URLCONF=urls, DEBUG=False, ALLOWED_HOSTS=["*"]):
            Client(raise_request_exception=False).post("/signup/", {**form, "username": "ann.k"})
    assert events and events[0]["request"]["data"]["username"] == "ann.k"
    assert _leaked(events, form) == []


def _fastapi_app():
    """An app whose route reads a JSON body (made after ``sentry_sdk.init``, which patches the
    routing it builds on). Form bodies need python-multipart, which is no dependency here."""
    from fastapi import FastAPI

    api = FastAPI()

    @api.post("/json")
    async def by_json(request: Request):
        fields = await request.json()
        raise ValueError(f"{len(fields)} fields rejected")

    return api


def test_fastapi_json_bodies(default):
    from fastapi.testclient import TestClient
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration

    form = _form()
    integrations = [StarletteIntegration(), FastApiIntegration()]
    with capture_events(**default.sentry_options(integrations=integrations, send_default_pii=True)) as events:
        client = TestClient(_fastapi_app(), raise_server_exceptions=False)
        client.post("/json", json={**form, "username": "ann.k"})
    (event,) = events
    assert event["request"]["data"]["username"] == "ann.k"
    assert _leaked(events, form) == []


def _register(chunk: dict):
    payload = {"locale": "ru", **chunk}
    raise ValueError(f"{len(payload)} fields rejected")


def _report(chunk: dict) -> None:
    """One event whose frame variables and ``extra`` hold ``chunk`` (the frames of the stack
    are this one and :func:`_register`: the caller's list of events stays out of it)."""
    with sentry_sdk.isolation_scope():  # (where set_extra writes)
        sentry_sdk.set_extra("profile", {"locale": "ru", **chunk})
        try:
            _register(chunk)
        except ValueError as error:
            sentry_sdk.capture_exception(error)


def test_frame_variables_and_extra(default):
    # sentry-sdk keeps ten items of a dict in frame variables and extra: one event per nine fields
    form = _form()
    fields = list(form.items())
    chunks = [dict(fields[start : start + 9]) for start in range(0, len(fields), 9)]
    with capture_events(include_local_variables=True, **default.sentry_options()) as events:
        for chunk in chunks:
            _report(chunk)
    assert len(events) == len(chunks)
    for event, chunk in zip(events, chunks):
        assert event["extra"]["profile"]["locale"] == "ru"
        payload = event["exception"]["values"][0]["stacktrace"]["frames"][-1]["vars"]["payload"]
        assert payload["locale"] == "'ru'" and set(payload) == {"locale", *chunk}
    assert _leaked(events, form) == []


# ----------------------------------------------------------------- the same in text and as a key

TEXT_FORMS = {
    "query string": lambda key, value: f"a=1&{key}={value}&b=2",
    "json": lambda key, value: json.dumps({key: value, "b": 2}, ensure_ascii=False),
    "repr": lambda key, value: repr({key: value, "b": 2}),
    "header line": lambda key, value: f"{key}: {value}",
}


@pytest.mark.parametrize("word", WORDS + ["locale", "комментарий", "备注", "ünvan"])
def test_a_key_is_redacted_in_text_exactly_when_it_is_as_a_dict_key(word):
    value = "Sekret-4242-xq"
    for engine in ENGINES:
        ruleset = _default(engine)
        for spelling, form in itertools.product(SPELLINGS, TEXT_FORMS):
            key = SPELLINGS[spelling](word)
            as_key = ruleset.before_send({"extra": {"fields": {key: value}}}, {})
            in_text = ruleset.before_send({"extra": {"note": TEXT_FORMS[form](key, value)}}, {})
            redacted_as_key = value not in json.dumps(as_key, ensure_ascii=False)
            redacted_in_text = value not in json.dumps(in_text, ensure_ascii=False)
            assert redacted_as_key == redacted_in_text, (key, form, engine, in_text["extra"])
            assert redacted_as_key == (word in WORDS), (key, engine)
