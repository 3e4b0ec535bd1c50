"""Values after secret flags in argv lists that sentry-sdk sends item by item."""

from __future__ import annotations

from rules_engine.scrub.argv import redact_argv_values

FILTER = lambda value: "[Filtered]"  # noqa: E731


def _event(variables: dict) -> dict:
    return {"exception": {"values": [{"stacktrace": {"frames": [{"vars": variables}]}}]}}


def test_the_item_after_a_secret_flag_is_redacted_inside_its_quotes():
    event = _event({"argv": ["'deploy'", "'--api-token'", "'tok-123'", "'--region'", "'eu'"]})
    assert redact_argv_values(event, FILTER, None) == 1
    assert event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["argv"] == [
        "'deploy'", "'--api-token'", "'[Filtered]'", "'--region'", "'eu'"]


def test_a_flag_followed_by_another_flag_keeps_it():
    event = _event({"argv": ["'tool'", "'--token'", "'--verbose'"]})
    assert redact_argv_values(event, FILTER, None) == 0


def test_the_joined_password_of_mysql_clients():
    event = _event({"commands": [["'mysql'", "'-u'", "'root'", "'-pS3cret'", "'-P'", "'3306'"]]})
    assert redact_argv_values(event, None, FILTER) == 1
    assert event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["commands"][0][3] == "'-p[Filtered]'"


def test_lists_in_extra_are_argv_lists_too():
    event = {"extra": {"celery-job": {"args": [["deploy", "--password", "pw-1"]]}}}
    assert redact_argv_values(event, FILTER, None) == 1
    assert event["extra"]["celery-job"]["args"][0][2] == "[Filtered]"


def test_other_commands_keep_a_dash_p_flag():
    event = _event({"argv": ["'grep'", "'-pattern'"]})
    assert redact_argv_values(event, FILTER, FILTER) == 0
