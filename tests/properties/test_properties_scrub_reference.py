"""The scrubber, C walk and pure Python, gives what the plain-recursion reference gives
(``tests/reference_scrubber.py``): the same event, the same ``_meta``, the same counts, over
drawn rulesets (keys, detectors, patterns, ``in`` and ``allow`` selectors, every redaction) and
realistic events with planted secrets in every shape the walk knows."""

from __future__ import annotations

import copy
import functools
import re
from urllib.parse import quote

import pytest
from celery import Celery
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules_engine.load.loader import load_model
from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from tests import reference_scrubber
from tests import strategies as S

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
PROPERTY = settings(max_examples=S.scaled(60), suppress_health_check=list(HealthCheck), deadline=None)
#: No event drawn comes near a limit: the reference does not model them. Values named elsewhere
#: echoes and the shapes of key/value text are read (the default ruleset's packs turn them on).
OPTIONS = models.Options(limits=models.Limits(max_string_length=100_000, max_ms=60_000),
                         named_values=True, echoes=True, source_as_code=True, text_shapes=True)

KEY_GLOBS = ["*password*", "*token", "authorization", "cookie", "email", "ip_address", "x-*", "*secret*", "name",
             "account"]
EXCEPT_GLOBS = ["*_at", "*_count", "x-api-*", "api_*"]
DETECTORS = ["creditcard", "email", "bearer", "jwt", "aws_access_key", "password_pair", "url_userinfo", "argv_secret",
             "ipv4", "stripe_key", "us_ssn", "iban", "secret_assignment", "payment_card", "phone_number", "sql_params"]
PATTERNS = ["hunter2-[a-z0-9-]+", r"ACCT-[[:digit:]]{4,8}", r"(?i)order\s+(\d{6})", r"\pL{3}-\d+"]
SELECTORS = ["user", "extra.**.account", "request.headers", "extra.*", "**.vars.*", "exception.values.*.value",
             "breadcrumbs.values.*.message", "contexts.*", "request.data", "tags", "**.authorization", "extra.note"]
ALLOW = ["extra.public", "request.headers.user-agent", "**.vars.safe*", "user.id", "**.public", "contexts.*.inner"]
REDACTIONS = ["filter", "hash", "remove", {"replace": "<gone>"}, {"mask": {"keep_last": 4}},
              {"mask": {"keep_first": 2, "char": "#"}}]


@st.composite
def scrub_rules(draw, keys_first: bool = False) -> models.Scrub:
    """A ruleset; ``keys_first``: its first rule has key globs."""
    rules = []
    for index in range(draw(st.integers(1, 5))):
        rule: dict = {"id": f"r{index}", "redact": draw(st.sampled_from(REDACTIONS))}
        kinds = draw(st.sets(st.sampled_from(["keys", "detect", "pattern"]), min_size=1))
        if keys_first and index == 0:
            kinds.add("keys")
        if "keys" in kinds:
            rule["keys"] = draw(st.lists(st.sampled_from(KEY_GLOBS), min_size=1, max_size=3, unique=True))
            if draw(st.booleans()):
                rule["except_keys"] = draw(st.lists(st.sampled_from(EXCEPT_GLOBS), min_size=1, max_size=2, unique=True))
        if "detect" in kinds:
            rule["detect"] = draw(st.lists(st.sampled_from(DETECTORS), min_size=1, max_size=3, unique=True))
        if "pattern" in kinds:
            rule["pattern"] = draw(st.sampled_from(PATTERNS))
        if draw(st.booleans()):
            rule["in"] = draw(st.lists(st.sampled_from(SELECTORS), min_size=1, max_size=2, unique=True))
        rules.append(rule)
    allow = draw(st.lists(st.sampled_from(ALLOW), max_size=2, unique=True))
    return models.Scrub.model_validate({"rules": rules, "allow": allow})


PLANTED_KEYS = ["password", "api_token", "Authorization", "note", "email", "X-Secret", "name", "public", "account",
                "headers", "vars", "safe_value", "ip_address", "password_changed_at", "X-Api-Token"]


#: Routes as frameworks name transactions; a parameter a key rule names and ones none does.
ROUTES = ["/reset/{token}", "GET /users/<int:user_id>/<string:password>", "/files/{rest:path}", "/notes/{note}.json",
          "/a/{authorization}/{page}"]
ROUTE_PARAMETER = re.compile(r"\{[^}]*\}|<[^>]*>")


#: Celery tasks, registered in an app of this process as a worker's are: arguments a key rule
#: names and ones none does, more arguments than parameters, ``*args``, a bound task's ``self``;
#: and a task no app holds.
CELERY = Celery("properties", broker="memory://", backend="cache+memory://")
TASKS = {"properties.unknown"}


@CELERY.task(name="properties.charge")
def charge(customer, api_token, amount):
    """(Registered, never run.)"""


@CELERY.task(name="properties.log_in", bind=True)
def log_in(self, name, *password):
    """(Registered, never run.)"""


TASKS |= {charge.name, log_in.name}


def redis_commands(text: str) -> list[str]:
    """Redis commands as sentry-sdk describes them, holding ``text``: a hash's fields, a key naming
    its value, a value cut short, and a text that only holds a command's name."""
    return [
        f"HSET 'user:42' 'api_token' {text!r} 'name' 'alice' 'n' 3",
        f"SET 'user:42:password' {text!r} 'EX' 3600",
        f"MSET b'cfg:X-Secret' b{text!r} 'note' \"it's\"",
        f"RPUSH 'account' {text!r} {text!r}",
        f"HSET 'h' 'password' '{text}",
        f"reset the password: SET 'password' {text!r}",
    ]


def shapes(text: str) -> list:
    """The shapes the walk treats apart, each holding ``text``."""
    return [
        text,
        [["Authorization", text], ["User-Agent", "curl/8 " + text], ("X-Api-Token", text)],
        {"inner": [text, (text, None, True)], "account": {"email": "a@b.example", "name": text}},
        [4111111111111111, 4111111111111111.0, 12, 2**70, 1.5],
        {"password": [text, {"deeper": text}], "public": {"token": text}, "cookie": ("s", text)},
        # pair dicts: a value named by a sibling (and ones whose name is no str)
        [{"name": "Authorization", "value": text, "path": "/"}, {"Key": "note", "Value": [text, {"k": text}]},
         {"key": 3, "value": text}, {"NAME": "X-Secret", "name": "public", "values": {"inner": text}},
         {"field": "email", "ParameterValue": text, "ParameterKey": "safe_value"}, {"value": text, "header": "account"}],
        # lone pairs: a list of two naming its second item (a loop's item, a split line), and lists
        # of two that are none (a sentence first), a lone pair whose value is a pair
        ["password", text], ("'api_token'", [text, "x"]), ["b'X-Secret'", {"inner": text}],
        ["a note on the password", text], ["Authorization", ["User-Agent", text]],
        # INSERT values named by their column list
        f"INSERT INTO users (name, \"Password\", note) VALUES ('bob', '{text}', 1), (?, {text!r}, 'x')",
        # pair dicts as sentry-sdk sends them when they sit too deep: their repr
        repr([{"name": "X-Secret", "value": text, "path": "/"}, {"Key": "account", "Value": [text]}]),
        *redis_commands(text),
        # key/value text in the shapes of textshapes.py: a YAML block scalar, Markdown, a table
        # under its header, a wrapping call, an Authorization line, keys holding spaces
        f"db:\n  password: |\n    {text}\n  note: 1\nx-secret:\n  {text}",
        f"- **Api Token**: `{text}`\n**X Secret:** {text}\n\n| note | password |\n|---|---|\n| a | {text} |",
        f"Config(password=SecretStr({text!r}), note=Note({text!r}))",
        repr(f'Authorization: Digest realm="r", nonce="n", response="{text}"\nnext line {text}'),
        repr({"API Token": text, "X Secret": [text], "Note Secret": text}),
        {"API Token": text, "Client Secret": text, "x secret": {"inner": text}},
        # keys holding the secret (a table keyed by token, pools keyed by URL): with values and
        # _meta below them, beside a key already named like a redaction, under a sensitive key,
        # and a sensitive key holding it (whose value a rule may remove)
        {text: "alice", "other": {text: [text, {"note": text}]}, "[Filtered]": 1, "<gone>": text},
        {f"postgres://app:{text}@db/x": {"pool": 3}, f"Authorization: Bearer {text}": "on", text + "2": None},
        {"password": {text: "v", "n": {text: 1}}, f"password={text}": "kept", f"email {text}": {"inner": text}},
    ]


def named_locals(text: str) -> list[dict]:
    """A frame's variables as sentry-sdk sends them, where a local holds a name: before ``text``,
    before a local a key names already (or a pair dict's names), before an allowed one, and after
    one (a name after its value names nothing)."""
    value = repr(text)
    return [
        {"env_var": "'password'", "setting": value, "count": "3"},
        {"field": "'api_token'", "raw": value, "name": "'note'", "entry": value},
        {"option": "'public'", "chosen": value, "attr": "'Authorization'", "token": value},
        {"k": "'account'", "v": value, "key": "'email'", "val": "'x'", "other": value},
        {"setting": "'password'", "safe_value": value, "label": "b'ip_address'", "data": value},
        {"found": value, "wanted": "'password'", "plain": text},
    ]


@st.composite
def planted_events(draw, named_elsewhere: bool = False) -> dict:
    """An event with a secret planted; ``named_elsewhere``: always with a task's job and a Redis
    command's span holding it too."""
    event = draw(S.events)
    text = S.embed(draw(S.secrets), draw(st.sampled_from(S.SURROUNDINGS)))
    S.SECRET_PLACES[draw(st.sampled_from(sorted(S.SECRET_PLACES)))](event, text)
    where = draw(st.sampled_from(["extra", "contexts", "request", "user"]))
    holder = event.get(where)
    if not isinstance(holder, dict):
        holder = event[where] = {}
    for key in draw(st.lists(st.sampled_from(PLANTED_KEYS), min_size=1, max_size=4, unique=True)):
        holder[key] = draw(st.sampled_from(shapes(text)))
    if draw(st.booleans()):  # a route naming parts of the request's URL
        route = draw(st.sampled_from(ROUTES))
        event["transaction"] = route
        path = ROUTE_PARAMETER.sub(lambda _: quote(text, safe=draw(st.sampled_from(["", "/"]))), route.split()[-1])
        request = event.get("request") if isinstance(event.get("request"), dict) else {}
        event["request"] = {**request, "url": "https://app.example" + path + draw(st.sampled_from(["", "/", "?a=1"]))}
    if draw(st.booleans()):  # a frame whose locals name one another (a loop's name and value)
        variables = draw(st.sampled_from(named_locals(text)))
        event.setdefault("exception", {"values": [{"type": "ValueError", "value": "x"}]})
        frame = {"function": "check", "vars": variables}
        event["exception"]["values"][-1].setdefault("stacktrace", {"frames": []})["frames"].append(frame)
    if named_elsewhere:
        event["spans"] = [{"op": "db.redis", "description": draw(st.sampled_from(redis_commands(text)))}]
    if named_elsewhere or draw(st.booleans()):  # a Celery task's job: its positional arguments, named by its signature
        extra = event.get("extra") if isinstance(event.get("extra"), dict) else {}
        task = draw(st.sampled_from(sorted(TASKS)))
        arguments = draw(st.lists(st.sampled_from([text, "bob", 4111111111111111, 7, 1.5, None, True, [text],
                                                   {"password": text}]), max_size=5))
        arguments = [copy.deepcopy(argument) for argument in arguments]  # a sent event shares no container
        event["extra"] = {**extra, "celery-job": {"task_name": task, "args": arguments, "kwargs": {"api_token": text}}}
    if draw(st.booleans()):
        event["logentry"] = {"message": draw(st.sampled_from(["login password=%s for %s", "token: {} and %%", "%s"])),
                             "params": [text, "bob " + text]}
    return event


@functools.lru_cache(maxsize=64)
def scrubbers(rules_json: str, engine: str):
    """(production scrubber, reference scrubber) of a ruleset, compiled once."""
    scrub = models.Scrub.model_validate_json(rules_json)
    return (compile_scrubber(scrub, OPTIONS, b"k", accelerator=engine),
            reference_scrubber.ReferenceScrubber(scrub, b"k", OPTIONS))


def assert_as_the_reference(scrub: models.Scrub, event: dict, engine: str) -> None:
    production, reference = scrubbers(scrub.model_dump_json(by_alias=True), engine)
    production_event, reference_event = copy.deepcopy(event), copy.deepcopy(event)
    counts = production.scrub_event(production_event)
    expected_counts = reference.scrub_event(reference_event)
    assert production_event == reference_event
    assert counts == expected_counts


@pytest.mark.parametrize("engine", ENGINES)
@PROPERTY
@given(scrub=scrub_rules(), event=planted_events())
def test_drawn_rulesets_scrub_as_the_reference(engine, scrub, event):
    assert_as_the_reference(scrub, event, engine)


@pytest.mark.parametrize("engine", ENGINES)
@PROPERTY
@given(scrub=scrub_rules(keys_first=True), event=planted_events(named_elsewhere=True))
def test_values_named_by_a_signature_or_a_command_scrub_as_the_reference(engine, scrub, event):
    # Every event holds a Celery task's job and a Redis command: the values their names stand for
    # are redacted as the reference redacts them.
    assert_as_the_reference(scrub, event, engine)


@pytest.fixture(scope="module")
def default_scrub():
    return load_model("rulesets/default.yaml").model.scrub


@pytest.mark.parametrize("engine", ENGINES)
@PROPERTY
@given(scrub=scrub_rules(), first=planted_events(), later=planted_events())
def test_events_in_a_row_scrub_as_the_reference(engine, scrub, first, later):
    """A scrubber remembers the echoes of earlier events: a later event sending a string of an
    earlier one (a breadcrumb, the scope's extra) without its secret, and one sending it with."""
    production = compile_scrubber(scrub, OPTIONS, b"k", accelerator=engine)
    reference = reference_scrubber.ReferenceScrubber(scrub, b"k", OPTIONS)
    without_the_secret = {key: value for key, value in first.items() if key in ("breadcrumbs", "message", "tags")}
    for event in (first, without_the_secret, later, first):
        production_event, reference_event = copy.deepcopy(event), copy.deepcopy(event)
        assert production.scrub_event(production_event) == reference.scrub_event(reference_event)
        assert production_event == reference_event


@pytest.mark.parametrize("engine", ENGINES)
@settings(PROPERTY, max_examples=S.scaled(15))  # the catalogue's 216 detectors, on every string
@given(event=planted_events())
def test_the_default_ruleset_scrubs_as_the_reference(engine, default_scrub, event):
    assert_as_the_reference(default_scrub, event, engine)


def test_the_reference_redacts_what_it_promises():
    # The oracle itself, on one event whose result is written out by hand.
    scrub = models.Scrub.model_validate({
        "allow": ["extra.public"],
        "rules": [{"id": "keys", "keys": ["*password*", "authorization"]},
                  {"id": "mail", "detect": ["email"], "redact": {"mask": {"keep_last": 4}}},
                  {"id": "gone", "keys": ["ip_address"], "in": ["user"], "redact": "remove"}]})
    event = {"user": {"ip_address": "10.0.0.1", "id": 7},
             "request": {"headers": [["Authorization", "Bearer x"], ["Accept", "a@b.example"]]},
             "extra": {"password": {"a": "p", "n": [1, None]}, "public": {"password": "kept"}, "ip_address": "1.2.3.4"}}
    counts = reference_scrubber.scrub(scrub, event)
    assert event["user"] == {"id": 7}
    assert event["request"]["headers"] == [["Authorization", "[Filtered]"], ["Accept", "*******mple"]]
    assert event["extra"] == {"password": {"a": "[Filtered]", "n": ["[Filtered]", None]},
                              "public": {"password": "kept"}, "ip_address": "1.2.3.4"}
    assert event["_meta"]["user"] == {"ip_address": {"": {"rem": [["gone", "x"]]}}}
    assert event["_meta"]["request"]["headers"]["1"]["1"] == {"": {"rem": [["mail", "m", 0, 11]], "len": 11}}
    assert counts == {"keys": 3, "mail": 1, "mail/email": 1, "gone": 1}


def test_the_reference_decides_pair_dicts_by_their_names():
    scrub = models.Scrub.model_validate({"allow": ["extra.public"], "rules": [{"id": "keys", "keys": ["*password*"]}]})
    event = {"extra": {"env": [{"name": "DB_PASSWORD", "value": "p1", "path": "/"}, {"name": "HOME", "value": "/root"},
                               {"name": 7, "value": "kept"}],
                       "public": [{"name": "password", "value": "kept too"}]}}
    unread = copy.deepcopy(event)
    reference_scrubber.scrub(scrub, unread)  # a ruleset that does not read values named elsewhere
    assert unread["extra"] == event["extra"]
    reference_scrubber.scrub(scrub, event, options=OPTIONS)
    assert event["extra"]["env"] == [{"name": "DB_PASSWORD", "value": "[Filtered]", "path": "/"},
                                     {"name": "HOME", "value": "/root"}, {"name": 7, "value": "kept"}]
    assert event["extra"]["public"] == [{"name": "password", "value": "kept too"}]
    assert event["_meta"]["extra"]["env"] == {"0": {"value": {"": {"rem": [["keys", "s", 0, 10]], "len": 2}}}}
