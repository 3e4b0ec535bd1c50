"""Values after secret flags in argv lists that sentry-sdk sends item by item: found, redacted
with the rule's redaction, counted and recorded in ``_meta`` like every other redaction, the same
with the C walk and in pure Python."""

from __future__ import annotations

import copy
import subprocess

import pytest
import sentry_sdk

from rules_engine.capture import capture_events
from rules_engine.load.loader import load_model_from_text
from rules_engine.model import models
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.argv import find_argv_secrets
from tests.scrub.test_scrub_c_walk import assert_same_outcome

ENGINES = ["auto", "off"] if accelerator_available() else ["off"]


def _event(variables: dict) -> dict:
    return {"exception": {"values": [{"stacktrace": {"frames": [{"vars": variables}]}}]}}


def _secrets(event: dict, flag_values: bool = True, joined: bool = True) -> list[str]:
    return [found.items[found.index][found.start : found.end] for found in find_argv_secrets(event, flag_values, joined)]


# ----------------------------------------------------------------- what is found


def test_the_item_after_a_secret_flag_inside_its_quotes():
    event = _event({"argv": ["'deploy'", "'--api-token'", "'tok-123'", "'--region'", "'eu'"]})
    assert _secrets(event) == ["tok-123"]


def test_flags_in_every_repr_quoting_are_found():
    # sentry-sdk sends each item as its repr: bytes and str items, either quote
    for flag, value in [("b'--password'", "b'pw-b'"), ('"--token"', '"tok-d"'), ("u'-pwd'", "u'pw-u'"),
                        ("--secret", "s-plain")]:
        found = _secrets(_event({"argv": ["'tool'", flag, value]}))
        assert found == [value.split("'")[1] if "'" in value else value.strip('"')], (flag, found)


def test_a_flag_followed_by_another_flag_keeps_it():
    assert _secrets(_event({"argv": ["'tool'", "'--token'", "'--verbose'"]})) == []


def test_the_joined_password_of_mysql_clients():
    event = _event({"commands": [["'mysql'", "'-u'", "'root'", "'-pS3cret'", "'-P'", "'3306'"]]})
    assert _secrets(event) == ["S3cret"]
    assert _secrets(event, joined=False) == []


@pytest.mark.parametrize("argv, secret", [
    (["'ldapsearch'", "'-x'", "'-D'", "'cn=admin'", "'-w'", "'Ld-pw-1'", "'-p'", "'389'"], "Ld-pw-1"),
    (["'/opt/mssql-tools/bin/sqlcmd'", "'-S'", "'db'", "'-U'", "'sa'", "'-P'", "'Sq-pw-1'"], "Sq-pw-1"),
    (["'docker'", "'login'", "'-u'", "'deploy'", "'-p'", "'Dk-pw-1'", "'registry.shop.test'"], "Dk-pw-1"),
    (["'snmpwalk'", "'-v3'", "'-A'", "'Sn-pw-1'", "'10.0.0.1'"], "Sn-pw-1"),
])
def test_the_short_password_flag_of_the_client_that_defines_it(argv, secret):
    assert _secrets(_event({"command": argv})) == [secret]


@pytest.mark.parametrize("argv", [
    ["'docker'", "'run'", "'-p'", "'8080:80'", "'shop/web'"],
    ["'ldapsearch'", "'-x'", "'-p'", "'389'"],
    ["'deploy'", "'-w'", "'4'"],
])
def test_a_short_flag_is_no_password_flag_elsewhere(argv):
    assert _secrets(_event({"command": argv})) == []


def test_lists_in_extra_are_argv_lists_too():
    assert _secrets({"extra": {"celery-job": {"args": [["deploy", "--password", "pw-1"]]}}}) == ["pw-1"]


def test_other_commands_keep_a_dash_p_flag():
    assert _secrets(_event({"argv": ["'grep'", "'-pattern'"]})) == []


def test_an_item_already_redacted_is_not_found_again():
    assert _secrets(_event({"argv": ["'tool'", "'--password'", "'[Filtered]'"]})) == []


# ----------------------------------------------------------------- redacted like every other redaction

SCRUB = {"rules": [{"id": "flags", "detect": ["argv_secret", "mysql_password_flag"], "redact": "filter"}]}


def _scrubber(scrub: dict, engine: str):
    return compile_scrubber(models.Scrub.model_validate(scrub), models.Options(), b"k" * 32, accelerator=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_argv_redactions_are_written_in_meta_with_their_rule_type_and_range(engine):
    event = _event({"argv": ["'deploy'", "'--api-token'", "'tok-123'"],
                    "commands": [["'mysql'", "'-u'", "'root'", "'-pS3cret'"]]})
    counts = _scrubber(SCRUB, engine).scrub_event(event)
    variables = event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert variables["argv"][2] == "'[Filtered]'" and variables["commands"][0][3] == "'-p[Filtered]'"
    meta = event["_meta"]["exception"]["values"]["0"]["stacktrace"]["frames"]["0"]["vars"]
    assert meta["argv"]["2"] == {"": {"rem": [["flags", "s", 1, 11]], "len": len("'tok-123'")}}
    assert meta["commands"]["0"]["3"] == {"": {"rem": [["flags", "s", 3, 13]], "len": len("'-pS3cret'")}}
    assert counts == {"flags": 2, "flags/argv_secret": 1, "flags/mysql_password_flag": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_redaction_type_names_its_range_over_the_new_text(engine):
    for redact, remark in (("remove", "x"), ({"mask": {"keep_last": 2}}, "m"), ("hash", "p"),
                           ({"replace": "<secret>"}, "s")):
        scrub = {"rules": [{"id": "flags", "detect": ["argv_secret"], "redact": redact}]}
        event = {"extra": {"job": ["deploy", "--password", "pw-12345"]}}
        _scrubber(scrub, engine).scrub_event(event)
        value = event["extra"]["job"][2]
        (rule_id, kind, start, end), = event["_meta"]["extra"]["job"]["2"][""]["rem"]
        assert (rule_id, kind, start, end) == ("flags", remark, 0, len(value)) and "pw-123" not in value


@pytest.mark.parametrize("engine", ENGINES)
def test_a_value_also_under_a_sensitive_key_keeps_both_remarks(engine):
    scrub = {"rules": [{"id": "keys", "keys": ["*secret*"], "redact": "filter"}, *SCRUB["rules"]]}
    event = {"extra": {"secret_args": ["tool", "--token", "tok-1"]}}
    _scrubber(scrub, engine).scrub_event(event)
    assert event["extra"]["secret_args"] == ["[Filtered]"] * 3
    remarks = event["_meta"]["extra"]["secret_args"]["2"][""]
    assert remarks == {"rem": [["flags", "s", 0, 10], ["keys", "s", 0, 10]], "len": len("tok-1")}


@pytest.mark.parametrize("engine", ENGINES)
def test_in_and_allow_decide_where_argv_values_are_redacted(engine):
    scrub = {"allow": ["extra.public"],
             "rules": [{"id": "frames-only", "detect": ["argv_secret"], "in": ["**.vars"], "redact": "filter"}]}
    event = {"extra": {"public": ["tool", "--token", "tok-1"], "job": ["tool", "--token", "tok-2"]},
             **_event({"argv": ["'tool'", "'--token'", "'tok-3'"]})}
    counts = _scrubber(scrub, engine).scrub_event(event)
    assert event["extra"] == {"public": ["tool", "--token", "tok-1"], "job": ["tool", "--token", "tok-2"]}
    assert event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["argv"][2] == "'[Filtered]'"
    assert counts == {"frames-only": 1, "frames-only/argv_secret": 1}
    assert set(event["_meta"]) == {"exception"}


def test_both_engines_write_the_same_event_down_to_meta():
    pair = [_scrubber({"rules": [{"id": "keys", "keys": ["*token*"], "redact": "filter"}, *SCRUB["rules"]]}, engine)
            for engine in (ENGINES[0], ENGINES[-1])]
    event = {**_event({"argv": ["'deploy'", "'--api-token'", "'tok-123'", "'--pass'", "'pw'"],
                       "cmds": [["'mysql'", "'-pS3cret'"], ["'ls'", "'-p'"]], "token_list": ["'--token'", "'x'"]}),
             "extra": {"job": {"args": [["a", "--secret", "s-1"]]}}, "contexts": {"job": {"argv": ["--pwd", "p"]}}}
    scrubbed, outcome = assert_same_outcome(*pair, event)
    assert outcome[0] == "counts" and scrubbed["_meta"]


# ----------------------------------------------------------------- real events

RULESET = """format: 1
name: argv
scrub:
  rules:
    - id: flags
      detect: [argv_secret, mysql_password_flag]
      redact: filter
"""


def _run_failing_command(flag: str, *pieces: str) -> None:
    """Run a command that fails, its secret joined from ``pieces`` here: the event quotes the
    source lines and the caller's locals, which must not hold the secret whole."""
    command = ["false", flag, "-".join(pieces), "--region", "eu"]
    subprocess.run(command, check=True, capture_output=True)


def _captured_failure(flag: str, *pieces: str, **options) -> dict:
    with capture_events(include_local_variables=True, **options) as events:
        try:
            _run_failing_command(flag, *pieces)
        except subprocess.CalledProcessError as error:
            sentry_sdk.capture_exception(error)
    (event,) = events
    return event


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failed_subprocess_s_argv_reaches_sentry_redacted_with_its_remarks(engine, monkeypatch):
    monkeypatch.setenv("RULES_ENGINE_ACCELERATOR", engine)
    ruleset = Ruleset.from_loaded(load_model_from_text(RULESET, "argv.yaml"))
    event = _captured_failure("--api-token", "tok", "7Hq2Lm9Xv4", **ruleset.sentry_options())
    assert "tok-7Hq2Lm9Xv4" not in repr(event)
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    holding = [index for index, frame in enumerate(frames) if "command" in frame.get("vars", {})]
    assert holding
    meta_frames = event["_meta"]["exception"]["values"]["0"]["stacktrace"]["frames"]
    for index in holding:
        assert frames[index]["vars"]["command"][2] == "'[Filtered]'"
        assert meta_frames[str(index)]["vars"]["command"]["2"] == {"": {"rem": [["flags", "s", 1, 11]], "len": 16}}


def test_argv_remarks_are_the_same_on_a_real_event_in_both_engines():
    spec = load_model_from_text(RULESET, "argv.yaml").model
    raw = _captured_failure("--password", "pw", "77")
    assert "'pw-77'" in repr(raw)
    pair = [compile_scrubber(spec.scrub, spec.options, b"k" * 32, accelerator=engine) for engine in (ENGINES[0], ENGINES[-1])]
    scrubbed, outcome = assert_same_outcome(*pair, copy.deepcopy(raw))
    assert "pw-77" not in repr(scrubbed) and outcome[1]["flags/argv_secret"] >= 1


# ----------------------------------------------------------------- lists changed while they are scrubbed


def _moved_after_reading(monkeypatch, move) -> None:
    """``find_argv_secrets`` as if another thread ran ``move(event)`` right after it read the lists."""
    import rules_engine.scrub.scrubber as scrubber_module

    def found_then_moved(event, *flags):
        secrets = find_argv_secrets(event, *flags)
        move(event)
        return secrets

    monkeypatch.setattr(scrubber_module, "find_argv_secrets", found_then_moved)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_argv_list_whose_items_moved_after_they_were_read_fails_closed(engine, monkeypatch):
    from rules_engine.scrub.changes import EventChanged

    def rotate(event):  # same size, every item one place on: the secret would be written next to
        job = event["extra"]["job"]
        job.insert(0, job.pop())

    _moved_after_reading(monkeypatch, rotate)
    event = {"extra": {"job": ["deploy", "--password", "pw-12345", "--region"]}}
    with pytest.raises(EventChanged):
        _scrubber(SCRUB, engine).scrub_event(event)


@pytest.mark.parametrize("engine", ENGINES)
def test_container_subclasses_are_left_to_the_walk(engine):
    class Endless(dict):  # says it holds one item; its items() never end
        def items(self):
            n = 0
            while True:
                n += 1
                yield f"k{n}", ["--password", "pw"]

    assert _secrets({"extra": {"job": Endless(a=1)}}) == []
    assert _secrets({"extra": {"job": type("Args", (list,), {})(["--password", "pw-1"])}}) == []
