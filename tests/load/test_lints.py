"""``validate`` warns, at file:line:col, about rules that load but can never fire or never change
anything; ``--strict`` fails on them. Each lint has a ruleset file under ``lint_rulesets/``, and
where it can be shown, a check that the rule really does nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import sentry_sdk

from rules_engine.capture import capture_events
from rules_engine.cli import main
from rules_engine.load.loader import load_model, load_model_from_text
from rules_engine.runtime.ruleset import Ruleset

HERE = Path(__file__).resolve().parent / "lint_rulesets"


def validate(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(["validate", *args])
    return code, capsys.readouterr().out.splitlines()


def warnings_of(name: str) -> list[tuple[int, int, str]]:
    return [(w.line, w.col, w.message) for w in load_model(HERE / name, require_env=False).warnings]


EXPECTED = {
    "key-as-path.yaml": [(6, 14, "keys match key names, not paths: 'request.headers.x-token' matches no key; "
                                 "write keys: [x-token] with in: [request.headers]")],
    "regex-in-glob.yaml": [(6, 25, "glob '/(health|ping)' holds regex syntax '(health|ping)'"),
                           (11, 25, "glob '^read timed out$' holds regex syntax '^'"),
                           (12, 24, "glob '.*TimeoutError' holds regex syntax '.*'")],
    "title-on-transaction.yaml": [(7, 12, "title has no effect on transactions")],
    "shadowed-by-parent.yaml": [(6, 11, "scrub rule 'loud-passwords' never changes anything: rule 'secret-keys' "
                                        "(builtin:secure-defaults@2026.11:15) comes first")],
    "wrong-module.yaml": [(5, 25, "error.type 'pydantic.errors.ValidationError' never matches: module "
                                  "pydantic.errors has no 'ValidationError' (did you mean pydantic.ValidationError"),
                          (5, 58, "error.type 'starlette.exceptions.ValidationError' never matches")],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_lint_is_reported_at_its_line_and_column(name):
    import starlette.exceptions  # noqa: F401 - the lint checks modules already imported

    found = warnings_of(name)
    assert [(line, col) for line, col, _ in found] == [(line, col) for line, col, _ in EXPECTED[name]]
    for (_, _, message), (_, _, expected) in zip(found, EXPECTED[name]):
        assert message.startswith(expected), message


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_prints_warnings_and_strict_fails_on_them(name, capsys):
    path = str(HERE / name)
    code, lines = validate(capsys, "--import", path)
    assert code == 0
    first_line, first_col, _ = EXPECTED[name][0]
    assert lines[0].startswith(f"{path}:{first_line}:{first_col}: ") and lines[0].endswith("(warning)")
    code, _ = validate(capsys, "--strict", "--import", path)
    assert code == 1


def test_a_ruleset_without_lints_passes_strict(capsys):
    code, lines = validate(capsys, "--strict", "--import", str(HERE / "clean.yaml"))
    assert (code, lines[-1]) == (0, "1 file checked: all valid")


def test_the_bundled_rulesets_pass_strict(capsys):
    root = Path(__file__).resolve().parents[2]
    code, lines = validate(capsys, "--strict", str(root / "rulesets"), str(root / "rules_engine" / "builtin"))
    assert code == 0, "\n".join(lines)


def test_the_ruleset_init_writes_passes_strict(capsys, tmp_path):
    assert main(["init", str(tmp_path / "svc")]) == 0
    code, lines = validate(capsys, "--strict", str(tmp_path / "svc" / "ruleset.yaml"))
    assert code == 0, "\n".join(lines)


def test_import_reports_modules_it_cannot_import(capsys, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("format: 1\nname: r\nfilters:\n  - id: x\n    when: {error.type: no_such_pkg.errors.Boom}\n"
                    "    drop: true\n")
    assert main(["validate", "--import", str(path)]) == 0
    assert "--import: no module named 'no_such_pkg' is installed" in capsys.readouterr().err


# ---------------------------------------------------------------- the flagged rules really do nothing


def sent(rules: Ruleset, headers: dict | None = None, **capture) -> list[dict]:
    with capture_events(**rules.sentry_options()) as events:
        with sentry_sdk.new_scope() as scope:
            if headers:
                scope.add_event_processor(lambda event, hint: {**event, "request": {"headers": headers}})
            sentry_sdk.capture_message("checkout failed", **capture)
    return events


def test_a_key_written_as_a_path_lets_the_secret_through():
    rules = Ruleset.from_loaded(load_model(HERE / "key-as-path.yaml"))
    [event] = sent(rules, headers={"X-Token": "tok-4b1d", "X-Api-Key": "key-9f2e"})
    assert event["request"]["headers"] == {"X-Token": "tok-4b1d", "X-Api-Key": "[Filtered]"}


def test_a_regex_in_a_glob_matches_nothing_it_was_meant_to():
    rules = Ruleset.from_loaded(load_model(HERE / "regex-in-glob.yaml"))
    event = {"type": "transaction", "transaction": "/health", "contexts": {"trace": {}}}
    assert rules.before_send_transaction(copy.deepcopy(event), {}) is not None
    assert rules.stats()["dropped"] == {}


def test_a_shadowed_scrub_rule_changes_nothing():
    with_rule = Ruleset.from_loaded(load_model(HERE / "shadowed-by-parent.yaml"))
    text = (HERE / "shadowed-by-parent.yaml").read_text()
    without_rule = Ruleset.from_loaded(load_model_from_text(text.split("scrub:")[0]))
    event = {"message": "x", "extra": {"password": "hunter2", "api_key": "k-1", "db_secret": "s", "note": "keep"}}
    assert with_rule.before_send(copy.deepcopy(event), {}) == without_rule.before_send(copy.deepcopy(event), {})
    assert with_rule.before_send(copy.deepcopy(event), {})["extra"]["password"] == "[Filtered]"


def test_lints_are_marked_in_json_output(capsys):
    code, lines = validate(capsys, "--format", "json", str(HERE / "title-on-transaction.yaml"))
    [result] = json.loads("\n".join(lines))
    assert code == 0 and [w["lint"] for w in result["warnings"]] == [True]
