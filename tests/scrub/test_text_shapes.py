"""Keys in the shapes people write them in (``options.text_shapes``, the 2026.12 packs): keys
holding spaces, labels, Markdown emphasis and tables, YAML block scalars and values on the lines
below their key, triple-quoted strings and heredocs, calls wrapping a value, Authorization header
lines. Each shape's value is redacted wherever the text is sent (an exception's message, the
``repr()`` of a frame variable, a breadcrumb, a log message, request data), on both engines; a
ruleset pinned to 2026.11 sends them as it did; prose stays as it was."""

from __future__ import annotations

import copy
import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.load.loader import load_model_from_text
from rules_engine.model import models
from rules_engine.scrub.rule import key_matcher
from rules_engine.scrub.textshapes import find_shaped_values
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import built_ruleset, captured_failures, default_ruleset, frame_vars, pinned_ruleset
from tests.corpus.planting import processed_events
from tests.scrub.frame_scenarios import ENGINES, engine, scrubbed_as_the_reference  # noqa: F401

SECRET = "Hk4mW9pL2vB7nR3tK8sZ"

#: Each shape: its text, holding the secret, and what of it stays readable.
SHAPES = {
    "YAML block scalar": (f"db:\n  password: |\n    {SECRET}\n  host: db", "  host: db"),
    "YAML folded, chomped": (f"db:\n  password: >-\n    {SECRET}\n    {SECRET}\nport: 5432", "port: 5432"),
    "YAML value on the next line": (f"db:\n  password:\n    {SECRET}\n  user: ann", "user: ann"),
    "INI continuation line": (f"[db]\npassword =\n    {SECRET}\nuser = ann", "user = ann"),
    "quoted key with a space": (f"{{'api key': '{SECRET}', 'user': 'ann'}}", "'api key': '"),
    "JSON key with a space": (json.dumps({"Client Secret": SECRET, "Private Key": SECRET + "2"}), '"Private Key": "'),
    "label of words": (f"API key: {SECRET}\nuser: ann", "API key: "),
    "Markdown emphasis": (f"- **Password**: `{SECRET}`\n- **User**: `ann`", "- **User**: `ann`"),
    "Markdown emphasis around the colon": (f"**API key:** {SECRET}", "**API key:** "),
    "Markdown underscores": (f"__token__: {SECRET}", "__token__: "),
    "Markdown row": (f"| password | {SECRET} |\n| user | ann |", "| user | ann |"),
    "Markdown column": (f"| user | password |\n|------|----------|\n| ann | {SECRET} |", "| ann | "),
    "psql output": (f" user | password\n------+----------\n ann  | {SECRET}\n(1 row)", " ann  | "),
    "MySQL client output": (f"+------+----------------------+\n| user | password             |\n"
                            f"+------+----------------------+\n| ann  | {SECRET} |\n+------+----------------------+",
                            "| ann  | "),
    "wrapping call": (f"Config(db=DB(host='db', password=SecretStr('{SECRET}')))", "Config(db=DB(host='db', password="),
    "wrapping call with arguments": (f"token: Secret('{SECRET}', kind=2), user: 'ann'", "user: 'ann'"),
    "Digest authorization": (f'Authorization: Digest username="ann", realm="r", nonce="n", response="{SECRET}"\n'
                             "Host: example.com", "Host: example.com"),
    "AWS signature authorization": ("Proxy-Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101, "
                                    f"SignedHeaders=host, Signature={SECRET}", "Proxy-Authorization: "),
    "YAML block under a label": (f"API key: |\n  {SECRET}\nuser: ann", "user: ann"),
    "INI value going on below": (f"[db]\npassword = first\n  {SECRET}\nuser = ann", "user = ann"),
    "quoted value over lines": (f'PRIVATE_KEY="-----BEGIN KEY-----\n{SECRET}\n-----END KEY-----"\nDEBUG=0', "DEBUG=0"),
    "Ruby hash arrow": (f'{{"api key" => "{SECRET}", "user" => "ann"}}', '"user" => "ann"'),
    "HTML table row": (f"<table><tr><td>Password</td><td>{SECRET}</td></tr></table>", "<td>Password</td>"),
    "HTML table column": (f"<table><tr><th>user</th><th>password</th></tr><tr><td>ann</td><td>{SECRET}</td></tr></table>",
                          "<td>ann</td>"),
    "HTML definition list": (f"<dl><dt>API key</dt><dd>{SECRET}</dd></dl>", "<dt>API key</dt>"),
    "Jira table": (f"||user||password||\n|ann|{SECRET}|", "|ann|"),
    "CSV": (f'user,password,note\nann,{SECRET},"a, b"\nbob,x,y', "ann,"),
    "TSV": (f"user\tpassword\nann\t{SECRET}", "ann\t"),
    "CSV, the key last on its line": (f"user,token\nann,{SECRET}", "ann,"),
    "HTML cell naming a key": (f"<tr><td>token</td><td>{SECRET}</td></tr>", "<td>token</td>"),
    "TOML multi-line string": (f'[auth]\nsecret_key = """\n{SECRET}\n"""\nuser = "ann"', 'user = "ann"'),
    "heredoc": (f'resource "x" {{\n  password = <<EOT\n{SECRET}\nEOT\n  user = "ann"\n}}', 'user = "ann"'),
}


def _fail_with(text: str):
    def fail():
        shown = text  # noqa: F841 - a frame variable too, sent as its repr()
        logging.getLogger("shapes").warning(text)  # a breadcrumb
        raise ValueError(text)
    return fail


@pytest.fixture(scope="module")
def shaped_events():
    return captured_failures(*(_fail_with(text) for text, _ in SHAPES.values()))


@pytest.mark.parametrize("index", range(len(SHAPES)), ids=list(SHAPES))
def test_the_value_of_each_shape_is_redacted_wherever_the_text_is_sent(shaped_events, index, engine):
    text, kept = list(SHAPES.values())[index]
    event = shaped_events[index]
    assert event["exception"]["values"][-1]["value"] == text
    assert event["breadcrumbs"]["values"][-1]["message"] == text
    sent, = processed_events(default_ruleset(engine), [event])
    assert SECRET not in json.dumps(sent)
    message = sent["exception"]["values"][-1]["value"]
    assert kept in message and "[Filtered]" in message
    assert sent["breadcrumbs"]["values"][-1]["message"] == message
    assert frame_vars(sent)["shown"] != frame_vars(event)["shown"] and "[Filtered]" in frame_vars(sent)["shown"]


def test_a_ruleset_pinned_to_2026_11_sends_the_shapes_as_it_did(shaped_events, engine):
    sent = processed_events(pinned_ruleset("2026.11", engine), list(shaped_events))
    leaked = [name for name, event in zip(SHAPES, sent) if SECRET in event["exception"]["values"][-1]["value"]]
    assert set(leaked) >= {"YAML block scalar", "quoted key with a space", "Markdown emphasis", "Markdown row",
                           "wrapping call", "Digest authorization"}


def without_shapes(engine: str):
    """The 2026.12 packs with ``text_shapes`` turned off."""
    text = ("format: 1\nname: off\nextends: [builtin:secure-defaults@2026.12, builtin:personal-data@2026.12]\n"
            "options:\n  text_shapes: false\n")
    return built_ruleset(load_model_from_text(text, "ruleset.yaml"), engine)


def test_without_the_option_the_2026_12_packs_read_text_as_before(shaped_events, engine):
    sent = processed_events(without_shapes(engine), list(shaped_events))
    assert SECRET in sent[list(SHAPES).index("Markdown row")]["exception"]["values"][-1]["value"]


def test_the_redactions_read_as_the_shape_was_written(shaped_events, engine):
    sent = processed_events(default_ruleset(engine), list(shaped_events))
    messages = dict(zip(SHAPES, (event["exception"]["values"][-1]["value"] for event in sent)))
    assert messages["YAML block scalar"] == "db:\n  password: [Filtered]\n  host: db"
    assert messages["Markdown emphasis"] == "- **Password**: `[Filtered]`\n- **User**: `ann`"
    assert messages["Markdown column"] == "| user | password |\n|------|----------|\n| ann | [Filtered] |"
    assert messages["wrapping call"] == "Config(db=DB(host='db', password=[Filtered]))"
    assert messages["Digest authorization"] == "Authorization: [Filtered]\nHost: example.com"
    assert messages["quoted key with a space"] == "{'api key': '[Filtered]', 'user': 'ann'}"


#: Prose and code the shapes must leave as they were.
PROSE = [
    "echo $password | base64 -d",
    "fields: user, password\nplease fill in both, then retry",
    "Password must be 8 characters or more",
    "the token table | name | kind |",
    "| field | type |\n|---|---|\n| password | string |",
    "password=get_password()",
    "class PasswordForm:\n    fields = ['user']",
    "Authorization failed for user ann",
    "check the **password** field",
    "reset your password at /account/reset",
    "see the secret santa list: bob, ann",
]


def test_prose_and_code_stay_as_they_were(engine):
    events = captured_failures(*(_fail_with(text) for text in PROSE))
    sent = processed_events(default_ruleset(engine), list(events))
    before = processed_events(without_shapes(engine), list(events))
    assert [event["exception"]["values"][-1]["value"] for event in sent] == \
        [event["exception"]["values"][-1]["value"] for event in before]
    assert sent[0]["exception"]["values"][-1]["value"] == PROSE[0] and sent[2]["exception"]["values"][-1]["value"] == PROSE[2]


def test_a_log_message_and_request_data_are_read_in_their_shapes(engine):
    import flask
    from sentry_sdk.integrations.flask import FlaskIntegration

    app = flask.Flask("text_shapes")

    @app.post("/login")
    def login():
        logging.getLogger("shapes").error("vault answer:\n| key | value |\n|---|---|\n| api key | %s |", SECRET)
        raise RuntimeError("login failed")

    body = {"API Key": SECRET, "notes": f"- **Secret**: `{SECRET}`", "user": "ann"}
    with capture_events(integrations=[FlaskIntegration()], send_default_pii=True) as events:
        app.test_client().post("/login", json=body)
    assert len(events) == 2 and all(event["request"]["data"] == body for event in events)
    sent = processed_events(default_ruleset(engine), list(events))
    assert SECRET not in json.dumps(sent)
    log_event, = [event for event in sent if "logentry" in event]
    assert "| api key | [Filtered] |" in log_event["logentry"]["formatted"]
    for event in sent:
        assert event["request"]["data"] == {"API Key": "[Filtered]", "notes": "- **Secret**: `[Filtered]`", "user": "ann"}


def test_a_dict_key_holding_spaces_is_matched_with_them_as_underscores(engine):
    events = captured_failures(_fail_with("x"))
    event = copy.deepcopy(events[0])
    event["extra"] = {"settings": {"API Key": SECRET, "Private  Key": SECRET, "Key Name": "kept", "Api Key Length": 20}}
    sent, = processed_events(default_ruleset(engine), [event])
    assert sent["extra"]["settings"] == {"API Key": "[Filtered]", "Private  Key": "[Filtered]", "Key Name": "kept",
                                         "Api Key Length": 20}
    pinned, = processed_events(pinned_ruleset("2026.11", engine), [copy.deepcopy(event)])
    assert pinned["extra"]["settings"]["API Key"] == SECRET


# ---------------------------------------------------------------- the finder


DECIDE = key_matcher(["*password*", "*secret*", "token", "*api_key*", "authorization"], spaced=True)


def shaped(text: str) -> str:
    out = text
    for start, end, _ in sorted(find_shaped_values(text, lambda key: int(DECIDE(key))), reverse=True):
        out = out[:start] + "<>" + out[end:]
    return out


def test_block_values_end_where_the_indentation_does():
    assert shaped("a:\n  password: |\n    one\n\n    two\n  b: 1\n") == "a:\n  password: <>\n  b: 1\n"
    assert shaped("- password: >+\n    one\n- user: x") == "- password: <>\n- user: x"
    assert shaped("password: |\n") == "password: |\n"  # no line below: nothing to find
    assert shaped("'db:\\n  password: |\\n    one\\n  b: 1'") == "'db:\\n  password: <>\\n  b: 1'"


def test_a_table_header_is_no_value_and_its_columns_end_with_the_table():
    text = "| password | user |\n|---|---|\n| one | ann |\n\n| two | bob |"
    assert shaped(text) == "| password | user |\n|---|---|\n| <> | ann |\n\n| two | bob |"


def test_an_authorization_line_inside_a_string_ends_at_its_closing_quote():
    assert shaped("""{'h': 'Authorization: Digest a="1", response="x"', 'n': 1}""") == "{'h': 'Authorization: <>', 'n': 1}"
    assert shaped('["Authorization: Basic \\"x\\", y", 2]') == '["Authorization: <>", 2]'


def test_a_call_holding_nothing_is_no_value():
    assert shaped("password=make_password()") == "password=make_password()"
    assert shaped("password=Secret(')')") == "password=<>"
    assert shaped("password=Secret('cut short") == "password=<>"


@pytest.mark.parametrize("text", ["|" * 100_000, "| password " * 10_000, "|---|\n" * 20_000,
                                  "".join(" " * i + "password:\n" for i in range(500)), "password=X(" * 10_000,
                                  " _a" * 30_000, "**a_" * 30_000, "authorization: " * 10_000,
                                  'password = """' * 10_000, "password = <<EOT\n" * 10_000, "\\npassword:\\n " * 10_000,
                                  "user,password\n" + "a,b\n" * 20_000, "<tr><td>password</td>" * 10_000,
                                  "password => " * 10_000, 'password: "\n' * 10_000, "<dt>a" * 20_000,
                                  '"password",' * 10_000 + "\n"])
def test_hostile_text_gives_spans_inside_itself(text):
    for start, end, _ in find_shaped_values(text, lambda key: int(DECIDE(key))):
        assert 0 <= start < end <= len(text)


# ---------------------------------------------------------------- against the reference


PIECES = st.sampled_from(["password", "api key", "token", "user", ":", "=", " ", "\n", "  ", "|", "---", "**", "__",
                          "`", "'", '"', "(", ")", "Secret", "\\n", '"""', "<<EOT", "EOT", "Authorization: ", "-",
                          ">", ",", "\t", "<td>", "</td>", "<th>", SECRET])
SCRUB = [{"id": "keys", "keys": ["*password*", "token", "*api_key*", "authorization"], "redact": {"mask": {"keep_last": 2}}}]


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(PIECES, max_size=16))
def test_keys_in_their_shapes_are_redacted_as_the_reference_redacts_them(pieces):
    text = "".join(pieces)
    options = models.Options(text_shapes=True, named_values=True, echoes=True, encoded_text=True)
    for engine_name in ENGINES:
        scrubbed_as_the_reference({"extra": {"note": text, "list": [text], text: 1}}, SCRUB, engine_name,
                                  options=options)


def test_scrubbing_what_was_sent_changes_nothing(shaped_events, engine):
    # A value already redacted is no value to read again: no shape reaches past a redaction.
    ruleset = default_ruleset(engine)
    sent = processed_events(ruleset, list(shaped_events))
    again = processed_events(ruleset, copy.deepcopy(sent))
    strip = lambda event: {key: value for key, value in event.items() if key != "_meta"}  # noqa: E731
    assert [strip(event) for event in again] == [strip(event) for event in sent]


#: Pieces of text with tables of lines in it, or text that only looks like one (``str | None``).
TABLE_PIECES = st.sampled_from([
    "|", "||", " | ", "+", "-", "---", "===", ":--", " ", "\t", "\u00a0", "\u2003", "\n", "\r\n", "\\n", "\\r",
    "password", "Password", "secret", "Value", "name", "str", "None", "x1", "Qz7", "'", '"',
])


@settings(max_examples=300, deadline=None)
@given(st.lists(TABLE_PIECES, max_size=40).map("".join))
def test_text_a_table_of_lines_is_skipped_in_holds_no_value_a_table_names(text):
    # find_table_values reads tables of lines only in text holding a rule line or a line starting
    # with "|" (after any whitespace): text without either yields nothing when read whole
    from rules_engine.scrub import texttables
    from rules_engine.scrub.texttables import LINE_END, LINE_END_ESCAPED

    decide = lambda key: 1 if key.lower() in ("password", "secret") else 0  # noqa: E731
    for line_end in (LINE_END, LINE_END_ESCAPED):
        if texttables._TABLE_OF_LINES.search(text) is None:
            read_whole: list = []
            texttables._tables(text, decide, line_end, read_whole)
            assert read_whole == []
