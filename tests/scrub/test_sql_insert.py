"""``INSERT`` values named by their column list (``scrub/sqlinsert.py``): the shape itself, then
real events — a sqlite3 ``IntegrityError`` from a real multi-row INSERT (the statement in the
frame's variables), SQLAlchemy's exception message and ``query`` breadcrumbs, a log line — under
the default ruleset, in both engines."""

from __future__ import annotations

import functools
import json
import logging
import sqlite3

import pytest
import sentry_sdk
import sqlalchemy
from hypothesis import given, settings
from hypothesis import strategies as st
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration

from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.sqlinsert import find_insert_values
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: Values named elsewhere and echoes are read, as the 2026.12 packs have them read.
READ_ALL = models.Options(named_values=True, echoes=True)


def decide(column: str) -> int:
    return 1 if "password" in column.lower() or column.lower() in ("pin", "token") else 0


def values_found(text: str) -> list[str]:
    return [text[start:end] for start, end, _ in find_insert_values(text, decide)]


@pytest.mark.parametrize("text, expected", [
    ("INSERT INTO users (name, password) VALUES ('bob', 'Pa55wordZZ')", ["Pa55wordZZ"]),
    ("insert into users(name,password,pin) values ('bob','it''s', 1234), ('ann', 'x', 99)",
     ["it''s", "1234", "x", "99"]),
    ('INSERT INTO "users" ("name", "Password") VALUE (\'bob\', \'pw\')', ["pw"]),
    ("INSERT OR REPLACE INTO t (`token`) VALUES ('tok1')", ["tok1"]),
    ("INSERT IGNORE INTO t ([pin]) VALUES (4321)", ["4321"]),
    ("REPLACE INTO t (name, token) VALUES ('a', 'tok2')", ["tok2"]),
    ("INSERT INTO t (a, password) VALUES (1, crypt('pw', gen_salt('bf')))", ["crypt('pw', gen_salt('bf'))"]),
    # placeholders, NULL and DEFAULT hold nothing
    ("INSERT INTO t (a, password) VALUES (?, ?), (%s, %s), (%(a)s, %(p)s), (:a, :p), ($1, $2), (@a, @p)", []),
    ("INSERT INTO t (a, password) VALUES ('x', NULL), ('y', default)", []),
    # no column list, or no sensitive column: nothing is named
    ("INSERT INTO t VALUES ('bob', 'pw')", []),
    ("INSERT INTO audit (action, actor) VALUES ('login', 'bob')", []),
    ("INSERT INTO t (password) SELECT password FROM old", []),
    # several statements; prose before and after
    ("[SQL: INSERT INTO a (password) VALUES ('p1')] then INSERT INTO b (pin) VALUES (7)]", ["p1", "7"]),
    # a statement cut short: the rest of the open value is redacted
    ("INSERT INTO t (name, password) VALUES ('bob', 'Pa55wo", ["Pa55wo"]),
    ("INSERT INTO t (password, name) VALUES (crypt('pw', gen_sa", ["crypt('pw', gen_sa"]),
])
def test_values_named_by_their_column(text, expected):
    assert values_found(text) == expected


def test_a_backslash_is_read_both_ways():
    # Standard SQL: 'C:\' is a string; MySQL: \' is a quote inside one. Either way the password goes.
    assert "secret" in values_found("INSERT INTO t (path, password) VALUES ('C:\\', 'secret')")
    found = values_found("INSERT INTO t (note, password) VALUES ('it\\'s', 'secret2')")
    assert any("secret2" in value for value in found) and not any("it" in value for value in found)


def test_hostile_texts_end():
    # Unclosed quotes, brackets and rows, many rows, many backslashes: linear, and bounded.
    texts = ["INSERT INTO t (password) VALUES (" + "(" * 50_000, "INSERT INTO t (password) VALUES ('" + "\\" * 60_000,
             "INSERT INTO t (a, password) VALUES " + ", ".join(f"('{n}', 'p{n}')" for n in range(5_000)),
             "INSERT INTO t (password) VALUES " * 5_000]
    for text in texts:
        found = find_insert_values(text, decide)
        assert all(0 <= start < end <= len(text) for start, end, _ in found)
    assert len(find_insert_values(texts[2], decide)) == 5_000


RULES = models.Scrub.model_validate({"rules": [{"id": "keys", "keys": ["*password*"]},
                                               {"id": "scoped", "keys": ["pin"], "in": ["extra.cards"]}]})


@pytest.mark.parametrize("engine", ENGINES)
def test_rules_active_where_the_text_sits(engine):
    scrubber = compile_scrubber(RULES, READ_ALL, None, accelerator=engine)
    statement = "INSERT INTO c (pin, password) VALUES ({}, '{}')"
    event = {"extra": {"cards": statement.format(1234, "pw"), "other": statement.format(5678, "pw")}}
    counts = scrubber.scrub_event(event)
    assert event["extra"] == {"cards": statement.format("[Filtered]", "[Filtered]"),
                              "other": statement.format(5678, "[Filtered]")}
    assert counts == {"keys": 2, "scoped": 1}
    pin, password = statement.index("{}"), statement.format("[Filtered]", "").index("''") + 1
    assert event["_meta"]["extra"]["cards"] == {"": {"rem": [["scoped", "s", pin, pin + 10],
                                                             ["keys", "s", password, password + 10]],
                                                     "len": len(statement.format(1234, "pw"))}}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text", ["INSERT INTO t (token) VALUES ('tok-1')", "insert into t(user_token) values(tok1)",
                                  "INSERT INTO t (AccessToken) VALUES ('tok-1')"])
def test_the_prefilter_flags_a_column_with_no_separator_after_it(engine, text):
    # No "token=" nor "token:" here: the key-word probe alone would not flag these strings.
    scrub = models.Scrub.model_validate({"rules": [{"id": "keys", "keys": ["*token"]}]})
    event = {"extra": {"sql": text}}
    compile_scrubber(scrub, READ_ALL, None, accelerator=engine).scrub_event(event)
    assert "tok1" not in event["extra"]["sql"] and "tok-1" not in event["extra"]["sql"]
    assert "[Filtered]" in event["extra"]["sql"]


# ---------------------------------------------------------------- real events

#: (No key word in them: a quoted value followed by ", '...'" reads as a (key, value) tuple in text.)
SECRETS = {"sqlite_row1": "Sq1-Zk7q-row1", "sqlite_row2": "Sq1-Zk7q-row2", "alchemy": "Sq1-Zk7q-alchemy",
           "logged": "Sq1-Zk7q-logged"}


def secret(name: str) -> str:
    return SECRETS[name]


def sqlite_insert() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE users (name TEXT PRIMARY KEY, password TEXT, team TEXT)")
    statement = (f"INSERT INTO users (name, password, team) VALUES ('bob', '{secret('sqlite_row1')}', 'payments'), "
                 f"('bob', '{secret('sqlite_row2')}', 'payments')")
    try:
        db.execute(statement)  # the second row breaks the primary key
    except sqlite3.IntegrityError:
        sentry_sdk.capture_exception()


def sqlalchemy_insert() -> None:
    engine = sqlalchemy.create_engine("sqlite://")
    statement = sqlalchemy.text(f"INSERT INTO users (name, password) VALUES ('ann', '{secret('alchemy')}')")
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE users (name TEXT PRIMARY KEY, password TEXT)"))
        connection.execute(statement)
        try:
            connection.execute(statement)
        except sqlalchemy.exc.IntegrityError:
            sentry_sdk.capture_exception()


def logged_insert() -> None:
    logging.getLogger("shop.db").error("slow statement: %s",
                                       f"INSERT INTO users (name, password) VALUES ('cy', '{secret('logged')}')")


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    with capture_events(integrations=[SqlalchemyIntegration(), LoggingIntegration(event_level=logging.ERROR)],
                        traces_sample_rate=1.0) as events:
        sqlite_insert()
        sqlalchemy_insert()
        logged_insert()
    return tuple(events)


@functools.lru_cache(maxsize=2)
def outputs(engine: str) -> list:
    return processed_events(default_ruleset(engine), captured())


def test_the_captured_events_hold_the_statements():
    events = captured()
    assert len(events) == 3
    text = json.dumps(events)
    assert all(value in text for value in SECRETS.values())
    assert "[SQL: INSERT INTO users (name, password) VALUES ('ann'" in events[1]["exception"]["values"][-1]["value"]
    assert any(crumb.get("category") == "query" and secret("alchemy") in crumb["message"]
               for crumb in events[1]["breadcrumbs"]["values"])


@pytest.mark.parametrize("engine", ENGINES)
def test_no_inserted_secret_is_sent(engine):
    text = json.dumps(outputs(engine))
    assert [name for name, value in SECRETS.items() if value in text] == []
    # what is no secret stays: the statement, the names and the other columns
    assert "INSERT INTO users (name, password, team) VALUES ('bob', '[Filtered]', 'payments')" in text
    assert "VALUES ('ann', '[Filtered]')" in text and "VALUES ('cy', '[Filtered]')" in text


@pytest.mark.parametrize("engine", ENGINES)
def test_meta_of_an_exception_message_and_a_breadcrumb(engine):
    event = outputs(engine)[1]
    value = event["exception"]["values"][-1]["value"]
    last = str(len(event["exception"]["values"]) - 1)  # SQLAlchemy's error, raised from sqlite3's
    meta = event["_meta"]["exception"]["values"][last]["value"][""]
    start = value.index("[Filtered]")
    assert ["secret-keys", "s", start, start + 10] in meta["rem"]
    crumbs = event["breadcrumbs"]["values"]
    inserts = [str(n) for n, crumb in enumerate(crumbs) if "INSERT" in (crumb.get("message") or "")]
    assert inserts and all(event["_meta"]["breadcrumbs"]["values"][n]["message"][""]["rem"] for n in inserts)


@pytest.mark.skipif(len(ENGINES) < 2, reason="the C walk is not built")
def test_both_engines_give_the_same_events():
    assert outputs("on") == outputs("off")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("insertREPLACINSERT \u0130\u0131\u017f\u212a(),x"), max_size=24))
def test_the_quick_look_for_a_head_misses_no_head_the_pattern_finds(text):
    """The words are looked for in lowered text before the caseless pattern is searched: whatever
    the pattern finds (``İnſert`` included), the quick look finds too."""
    from rules_engine.scrub.sqlinsert import _ANCHOR, _may_hold_head

    if _ANCHOR.search(text) is not None:
        assert _may_hold_head(text)


@pytest.mark.parametrize("text", ["\u0130NSERT INTO t (password) VALUES ('Pw-12345')",
                                  "in\u017fert into t (password) values ('Pw-12345')"])
def test_a_head_with_letters_the_caseless_pattern_folds_is_read(text):
    assert find_insert_values(text, decide) == [(text.index("Pw"), text.index("Pw") + 8, 1)]
