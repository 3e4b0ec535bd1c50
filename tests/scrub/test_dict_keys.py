"""Dict keys are text: a secret used as a key (a session table keyed by token, connection pools
keyed by their URL, a dict keyed by header lines, breadcrumb data keyed by an API key) is found as
any string is, and the key is renamed to its redaction, in real events from a real client, on both
engines; what the key held stays, and its ``_meta`` moves with it. Then the rules of renaming,
learning harmless keys and echoes in keys, on hand-made events."""

from __future__ import annotations

import functools
import json

import pytest
import sentry_sdk

from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.dictkeys import reads_as_a_name, renamed_keys
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, processed_events
from tests.reference_scrubber import scrub as reference_scrub

ENGINES = ["on", "off"] if accelerator_available() else ["off"]

#: Secrets by name: the scenarios look them up, so no source line the SDK sends holds one.
SECRETS = {
    "session_github": "ghp_" + "K7wQ2mZ9xR4tY8uP1sD6fG3hJ5kL0zXcV2bN",
    "session_stripe": "sk_live_" + "51Hx9QmZr2TvWp8LkYd4NcBs",
    "pool_password": "P00l-Dsn-Pw-8841",
    "bearer": "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiJhbGljZSJ9." + "Qm9vZ3VzU2lnbmF0dXJlVmFsdWU",
    "echoed_password": "EchoKey-Pw-5530",
    "crumb_key": "sk_live_" + "51Qz3RtYu7IoPa9SdFg2HjKl",
    "extra_key": "xoxb-" + "1234567890-0987654321-" + "AbCdEfGhIjKlMnOpQrStUvWx",
}
#: What must stay: the values the keys held, and harmless keys beside them.
KEPT = ["'alice'", "'bob'", ":5432/app", "'pool-open'", "scope:read", "hit", "timeout"]


def secret(name: str) -> str:
    return SECRETS[name]


def open_sessions() -> None:
    sessions = {secret("session_github"): "alice", secret("session_stripe"): "bob", "timeout": 30}
    raise RuntimeError(f"{len(sessions)} sessions expired")


def connect_pools() -> None:
    pools = {f"postgresql://app:{secret('pool_password')}@db.internal:5432/app": {"state": "pool-open", "size": 5}}
    raise ConnectionError(f"{len(pools)} pools failed")


def count_headers() -> None:
    seen = {f"Authorization: Bearer {secret('bearer')}": 2, "Accept: */*": 1}
    raise ValueError(f"{len(seen)} header lines repeated")


def login(password: str) -> None:
    attempts = {password: 3}
    raise PermissionError(f"too many attempts: {max(attempts.values())}")


def scenarios() -> None:
    """(A function of its own: the frames of the exceptions captured here hold no event. A scope
    of its own: the breadcrumb and the extra stay out of other tests' events.)"""
    with sentry_sdk.isolation_scope():
        sentry_sdk.add_breadcrumb(category="cache", message="lookup", data={secret("crumb_key"): "hit"})
        sentry_sdk.set_extra("tokens", {secret("extra_key"): "scope:read"})
        for fail in (open_sessions, connect_pools, count_headers, lambda: login(secret("echoed_password"))):
            try:
                fail()
            except Exception:
                sentry_sdk.capture_exception()


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    with capture_events() as events:
        scenarios()
    return tuple(events)


@functools.lru_cache(maxsize=2)
def outputs(engine: str) -> list:
    return processed_events(default_ruleset(engine), captured())


def cache_crumb(event: dict) -> dict:
    return next(crumb for crumb in event["breadcrumbs"]["values"] if crumb.get("category") == "cache")


def last_frame_vars(event: dict) -> dict:
    return event["exception"]["values"][-1]["stacktrace"]["frames"][-1]["vars"]


def test_the_captured_events_hold_every_secret_as_a_key():
    # The checks below could fail: the secrets are there, as keys, before scrubbing.
    events = captured()
    assert secret("session_github") in last_frame_vars(events[0])["sessions"]
    assert any(secret("pool_password") in key for key in last_frame_vars(events[1])["pools"])
    assert any(secret("bearer") in key for key in last_frame_vars(events[2])["seen"])
    assert secret("echoed_password") in last_frame_vars(events[3])["attempts"]
    assert secret("crumb_key") in cache_crumb(events[0])["data"]
    assert secret("extra_key") in events[0]["extra"]["tokens"]
    text = json.dumps(events)
    assert all(json.dumps(value)[1:-1] in text for value in KEPT)


@pytest.mark.parametrize("engine", ENGINES)
def test_no_secret_held_in_a_key_is_sent(engine):
    text = json.dumps(outputs(engine))  # _meta included
    assert [name for name, value in SECRETS.items() if value in text] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_keys_are_renamed_and_what_they_held_stays(engine):
    events = outputs(engine)
    assert last_frame_vars(events[0])["sessions"] == {"[Filtered]": "'alice'", "[Filtered] (2)": "'bob'",
                                                      "timeout": "30"}
    (pool_key, pool), = last_frame_vars(events[1])["pools"].items()
    assert pool_key.startswith("postgresql://") and pool_key.endswith(":5432/app")
    assert pool == {"state": "'pool-open'", "size": "5"}
    seen = last_frame_vars(events[2])["seen"]
    assert seen["Accept: */*"] == "1" and any(key.startswith("Authorization: ") for key in seen)
    assert last_frame_vars(events[3])["attempts"] == {"[Filtered]": "3"}  # an echo of the password
    assert cache_crumb(events[0])["data"] == {"[Filtered]": "hit"}
    assert events[0]["extra"]["tokens"] == {"[Filtered]": "scope:read"}


@pytest.mark.parametrize("engine", ENGINES)
def test_meta_below_a_renamed_key_moves_with_it(engine):
    event = outputs(engine)[3]
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    meta = event["_meta"]["exception"]["values"]["0"]["stacktrace"]["frames"][str(len(frames) - 1)]["vars"]
    assert meta["password"] == {"": {"rem": [["secret-keys", "s", 0, 10]], "len": 17}}
    assert "attempts" not in meta  # the key gets no remark of its own: its value is untouched


def test_both_engines_give_the_same_events():
    if len(ENGINES) < 2:
        pytest.skip("the C module was not built here: one engine only")
    assert outputs("on") == outputs("off")


# ----------------------------------------------------------------- the rules, on hand-made events

READ_ALL = models.Options(named_values=True, echoes=True)
KEYS = {"id": "keys", "keys": ["*password*", "*token*"]}
TOKENS = {"id": "tokens", "detect": ["github_token"]}
GITHUB = secret("session_github")


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def scrubber_of(rules, engine, allow=(), **limits):
    scrub = models.Scrub.model_validate({"allow": list(allow), "rules": rules})
    return compile_scrubber(scrub, READ_ALL.model_copy(update={"limits": models.Limits(**limits)}), None,
                            accelerator=engine)


def scrubbed(event, rules, engine, **options):
    counts = scrubber_of(rules, engine, **options).scrub_event(event)
    return event, counts


def test_renamed_keys_keep_their_order_and_never_merge():
    wanted = {"a1": "[x]", "b2": "[x]", "c3": "[x] (2)"}
    assert renamed_keys(["a1", "[x]", "b2", "keep", "c3"], wanted) == {"a1": "[x] (2)", "b2": "[x] (3)",
                                                                         "c3": "[x] (2) (2)"}
    assert renamed_keys(["k"], {"k": "k"}) == {"k": "k"}


def test_a_key_named_like_a_redaction_keeps_its_name(engine):
    event = {"extra": {"[Filtered]": "was here", GITHUB: "v", "z": 1}}
    out, counts = scrubbed(event, [TOKENS], engine)
    assert list(out["extra"].items()) == [("[Filtered]", "was here"), ("[Filtered] (2)", "v"), ("z", 1)]
    assert counts == {"tokens": 1, "tokens/github_token": 1}


def test_a_removed_values_key_is_renamed_in_meta(engine):
    rules = [{"id": "gone", "keys": ["*password*"], "redact": "remove"}, {"id": "pairs", "detect": ["password_pair"]}]
    out, _ = scrubbed({"extra": {"password=Tr0ub4dor3x": "x", "kept": 1}}, rules, engine)
    assert out["extra"] == {"kept": 1}
    # the key rule matches the key, and the key's text holds its value too: removed there as well
    assert out["_meta"]["extra"] == {"password=": {"": {"rem": [["gone", "x"]]}}}


def test_keys_are_searched_by_the_rules_active_at_their_dict(engine):
    rules = [{"id": "people", "detect": ["email"], "in": ["extra.people"]}]
    event = {"extra": {"people": {"ann@example.com": {"bob@example.com": 1}}, "other": {"cy@example.com": 2}}}
    out, _ = scrubbed(event, rules, engine)
    assert out["extra"]["people"] == {"[Filtered]": {"[Filtered]": 1}}
    assert out["extra"]["other"] == {"cy@example.com": 2}


def test_allow_leaves_keys_alone(engine):
    event = {"extra": {"public": {GITHUB: 1}, "private": {GITHUB: 2}}}
    out, _ = scrubbed(event, [TOKENS], engine, allow=["extra.public"])
    assert out["extra"] == {"public": {GITHUB: 1}, "private": {"[Filtered]": 2}}


def test_keys_under_a_sensitive_key_are_redacted_by_its_rule(engine):
    # (test_keys_under_sensitive_keys.py has the rest: names kept, depth, collisions, echoes.)
    out, counts = scrubbed({"extra": {"password": {GITHUB: "v"}}}, [KEYS, TOKENS], engine)
    assert out["extra"]["password"] == {"[Filtered]": "[Filtered]"}
    assert counts == {"keys": 2}  # the value and its key, not searched by the detector


@pytest.mark.parametrize("text", ["session_token", "insecure", "SECRET_KEY", "new-credentials", "db.password"])
def test_names_a_program_chose_read_as_names(text):
    assert reads_as_a_name(text)


@pytest.mark.parametrize("text", ["sessionToken", "hunter2", "Tr0ub4dor&3", "p@ss", "Zq8-Echo-Key-771"])
def test_secrets_do_not_read_as_names(text):
    assert not reads_as_a_name(text)


def test_an_echo_in_a_key_counts_unless_the_key_reads_as_a_name(engine):
    # A loop's ``key`` local redacted whole holds the name of the field it is at: that name stays
    # a key; a password used as a key does not.
    event = {"extra": {"password": "session_id", "fields": {"session_id": 1, "db_session_id": 2}},
             "contexts": {"c": {"password": "Sess10n-Tok", "attempts": {"Sess10n-Tok": 3}},
                          "d": {"password": "correct-horse-battery", "attempts": {"user:correct-horse-battery": 3}}}}
    out, _ = scrubbed(event, [KEYS], engine)
    assert out["extra"]["fields"] == {"session_id": 1, "db_session_id": 2}
    assert out["contexts"]["c"]["attempts"] == {"[Filtered]": 3}
    assert out["contexts"]["d"]["attempts"] == {"user:[Filtered]": 3}  # the key is no name


def test_a_key_learnt_harmless_is_still_searched_for_echoes(engine):
    # The first event teaches the scrubber that the key holds nothing; the second holds it as a
    # password too: the key is its echo there.
    scrubber = scrubber_of([KEYS], engine)
    first = {"extra": {"attempts": {"Zq8-Echo-Key-771": 1}}}
    scrubber.scrub_event(first)
    assert first["extra"]["attempts"] == {"Zq8-Echo-Key-771": 1}
    assert any("Zq8-Echo-Key-771" in known for known in scrubber._harmless.values())
    second = {"extra": {"password": "Zq8-Echo-Key-771", "attempts": {"Zq8-Echo-Key-771": 1}}}
    scrubber.scrub_event(second)
    assert second["extra"] == {"password": "[Filtered]", "attempts": {"[Filtered]": 1}}


def test_a_key_holding_a_secret_is_never_learnt_harmless(engine):
    scrubber = scrubber_of([TOKENS], engine)
    for _ in range(3):
        event = {"extra": {"sessions": {GITHUB: 1, "timeout": 2}}}
        scrubber.scrub_event(event)
        assert event["extra"]["sessions"] == {"[Filtered]": 1, "timeout": 2}
    learnt = set().union(*scrubber._harmless.values())
    assert "timeout" in learnt and "sessions" in learnt and GITHUB not in learnt


def test_a_key_cut_for_scanning_stays_cut(engine):
    key = "x" * 300 + GITHUB
    out, _ = scrubbed({"extra": {"k": {key: 1}}}, [TOKENS], engine, max_string_length=100)
    assert out["extra"]["k"] == {"x" * 100: 1}


@pytest.mark.parametrize("rules", [[TOKENS], [KEYS, TOKENS], [{"id": "mail", "detect": ["email"]}]])
def test_the_rules_above_are_the_references(engine, rules):
    event = {"extra": {"[Filtered]": 1, GITHUB: {"password": "hunter2-xyz", "a@b.example": GITHUB},
                       "password": {GITHUB: 1}, "l": [{"c@d.example": 1}]}}
    scrub = models.Scrub.model_validate({"rules": rules})
    expected = json.loads(json.dumps(event))
    expected_counts = reference_scrub(scrub, expected, None, READ_ALL)
    out, counts = scrubbed(event, rules, engine)
    assert out == expected and counts == expected_counts
