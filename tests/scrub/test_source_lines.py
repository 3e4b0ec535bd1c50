"""A Python frame's source lines: a key's value there counts when it is a literal, not when it is
code (``options.source_as_code``, set by the 2026.12 packs; ``scrub/sourcelines.py``)."""

from __future__ import annotations

import copy

import pytest
import sentry_sdk
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.model import models
from rules_engine.scrub.keytext import find_key_values, find_key_values_in_c
from rules_engine.scrub.sourcelines import code_value, find_source_key_values, scan_line, without_code_values
from tests import strategies as S
from tests.scrub.frame_scenarios import captured, engine, scrubbed_as_the_reference, sent  # noqa: F401


def _sensitive(key: str) -> int:
    return 1 if any(word in key.lower() for word in ("password", "passwd", "secret", "token", "key")) else 0


def _redacted(line: str) -> str:
    out, cursor = [], 0
    for start, end, _ in sorted(find_source_key_values(line, _sensitive)):
        out += [line[cursor:start], "«", line[start:end], "»"]
        cursor = end
    return "".join(out) + line[cursor:]


@pytest.mark.parametrize("line", [
    "password = get_password()",
    'headers={"X-Api-Key": secret("x")})',
    '{"FERNET_KEY": Fernet.generate_key(), "LOG_LEVEL": "info"})',
    'password=secret("psycopg_kwarg_password"),',
    "fallback_secret = some_name",
    "def change_password(self, login: str, password: str) -> None:",
    "api_key: Optional[str] = None,",
    'client = openai.OpenAI(api_key=provider_keys["openai"], base_url=url)',
    "self.user, self.password = user, password",
    "private_key = load_key(",
    "if password == stored:",
    'creds = {"user": user, "password": password}',
    "subprocess.run(f\"PGPASSWORD={secret('pg')} psql -h db\", shell=True)",
    "password = None",
])
def test_code_is_no_value(line):
    assert find_source_key_values(line, _sensitive) == []
    assert find_key_values(line, _sensitive) != []  # in any other text it is one


@pytest.mark.parametrize("line, expected", [
    ('password = "literal-secret"', 'password = "«literal-secret»"'),
    ("API_KEY = 'sk_live_abc'", "API_KEY = '«sk_live_abc»'"),
    ('token: str = "abc"', 'token: «str = "abc"»'),
    ("password = 12345", "password = «12345»"),
    ('password = rb"xyz"', 'password = rb"«xyz»"'),  # what a prefixed literal holds, not its prefix
    ('auth = make(token=f"svc:{password}")', 'auth = make(token=f"«svc:{password}»")'),
    ("# token: abc123", "# token: «abc123»"),  # a comment is no code
    ("token: abc123", "token: «abc123»"),  # a name with a digit may be a secret in a docstring
    ("password = pw2", "password = «pw2»"),
    ('x = "password=hunter2x"', 'x = "password=«hunter2x»"'),  # a string's text
    ('x = f"token=abc{y}"', 'x = f"token=«abc»{y}"'),
    ("passwd = passwd + 'anonymous@'", "passwd = «passwd» + 'anonymous@'"),  # a literal operand
    ('password = lambda: "x"', 'password = «lambda:» "x"'),
    ('creds = {"user": user, "password": "p"}', 'creds = {"user": user, "password": "«p»"}'),
    ('x = get(token="abc", password=pw)', 'x = get(token="«abc»", password=pw)'),  # a key among arguments
])
def test_literals_and_text_are_values(line, expected):
    assert _redacted(line) == expected


@pytest.mark.parametrize("line", [
    "password=" + "(" * 500_000,
    "password=" + '"' * 1_000_000,
    "password=f(" + "'" * 999_990,
    "password=" + "password=" * 100_000,
    "password=a" + " + a" * 250_000,
    'password=f"' + "{" * 999_990,
    "password=" + "[" * 300_000 + "]" * 300_000,
    "token: " + "a.b" * 333_333,
    "password = x # " + "token: y " * 100_000,
])
def test_hostile_lines(line):
    # A megabyte of unbalanced brackets, quotes or chained keys is read without raising; nothing
    # is kept that is not code.
    found = find_source_key_values(line, _sensitive)
    assert all(0 <= start < end <= len(line) for start, end, _ in found)
    scan = scan_line(line)
    assert code_value(line, 9, scan) in (True, False)


def test_key_value_detectors_read_code_as_keys_inside_text_do():
    line = "password = get_password()  # password = hunter2xyz"
    assert without_code_values(line, [(11, 23), (41, 50)]) == [(41, 50)]


# ---------------------------------------------------------------- real events


def _get_password() -> str:
    return "runtime-only-value"


def secret(name: str) -> str:
    return "runtime-" + name


def _source_lines() -> None:
    token = "echoed-literal-8841x"
    try:
        password = _get_password()  # (a) code
        password = "literal-secret-7713q"  # (b) a literal
        headers = {"X-Api-Key": secret("x")}  # (c) code
        note = "echoed-literal-8841x"  # (d) an echo of the token above
        raise RuntimeError(f"boom {len(password) + len(headers) + len(note) + len(token)}")
    except RuntimeError:
        sentry_sdk.capture_exception()


def _frame(event: dict) -> dict:
    return event["exception"]["values"][-1]["stacktrace"]["frames"][-1]


def test_real_source_lines(engine):
    (event,) = sent(_source_lines, engine)
    frame = _frame(event)
    lines = frame["pre_context"] + [frame["context_line"]] + frame["post_context"]
    assert "        password = _get_password()  # (a) code" in lines
    assert '        password = "[Filtered]"  # (b) a literal' in lines
    assert '        headers = {"X-Api-Key": secret("x")}  # (c) code' in lines
    assert '        note = "[Filtered]"  # (d) an echo of the token above' in lines
    assert not any("literal-secret-7713q" in line or "echoed-literal-8841x" in line for line in lines)


def test_real_source_lines_with_and_without_the_option(engine):
    # A ruleset pinned to the 2026.11 packs (source_as_code off) redacts code as it did; both
    # engines give what the reference gives.
    rules = [{"id": "k", "keys": ["*password*", "*key*", "*token*"]}]
    for source_as_code, kept, literal in [
        (True, "        password = _get_password()  # (a) code", '        password = "[Filtered]"  # (b) a literal'),
        (False, "        password = [Filtered]()  # (a) code", '        password = "[Filtered]"  # (b) a literal'),
    ]:
        (event,) = copy.deepcopy(captured(_source_lines))
        options = models.Options(named_values=True, echoes=True, source_as_code=source_as_code)
        scrubbed, _ = scrubbed_as_the_reference(event, rules, engine, options=options)
        frame = _frame(scrubbed)
        lines = frame["pre_context"] + [frame["context_line"]] + frame["post_context"]
        assert kept in lines and literal in lines


def test_template_frames_are_text(engine):
    # A frame of a file that is no Python (a template's lines) is read as any text.
    rules = [{"id": "k", "keys": ["*password*"]}]
    options = models.Options(source_as_code=True)
    for path, expected in [("/app/views.py", "password = get_password()"),
                           ("/app/templates/login.html", "password = [Filtered]()")]:
        event = {"exception": {"values": [{"stacktrace": {"frames": [
            {"abs_path": path, "context_line": "password = get_password()"}]}}]}}
        scrubbed, _ = scrubbed_as_the_reference(event, rules, engine, options=options)
        assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["context_line"] == expected


def test_key_value_detectors_still_find_their_examples_in_source_lines():
    # What a key/value detector finds in its examples is a literal or no name a program writes
    # (Tr0ub4dor&3x, abcYnzNLeK6kj{x}): read as a source line, each is still found.
    from rules_engine.detection import catalogue
    from rules_engine.scrub.detectors import BUILTIN

    entries = [entry for entry in catalogue() if entry.key_value]
    assert {entry.id for entry in entries} >= {"secret_assignment", "secret_assignment_unicode"}
    assert BUILTIN["password_pair"].key_value
    for entry in entries:
        detector = BUILTIN[entry.id]
        for example in entry.true_examples:
            spans = detector.spans(example.text)
            assert spans and without_code_values(example.text, spans) == spans, example


@pytest.mark.skipif(find_key_values_in_c is None, reason="the C module is not built")
@given(st.lists(st.one_of(S.source_line, st.sampled_from(["password=", "=", ":", "(", ")", "{", "}", '"', "'", "#", " ",
                                                         "f", "x", "token: ", "\\\\"])), max_size=12).map("".join))
@settings(max_examples=S.scaled(300), deadline=None)
def test_the_c_finder_first_changes_nothing(text):
    # With the C walk, a source line is searched in C first and in Python only when C finds a
    # sensitive key: the decision only ever lets a key go, so the results are the Python search's.
    assert find_source_key_values(text, _sensitive, first=find_key_values_in_c) == find_source_key_values(
        text, _sensitive)
