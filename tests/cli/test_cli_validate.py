"""``rules-engine validate``: files and directories, human and JSON output, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rules_engine.cli import main

ROOT = Path(__file__).resolve().parents[2]

GOOD = "format: 1\nname: good\nfilters:\n  - id: a\n    drop: true\n"
BAD = textwrap.dedent("""\
    format: 1
    name: bad
    filters:
      - id: a
        wen: {level: error}
        drop: true
      - id: b
        sample: 2
""")


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "team").mkdir()
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "team" / "bad.yml").write_text(BAD)
    (tmp_path / "team" / "notes.txt").write_text("not yaml, not looked at")
    (tmp_path / "team" / "good.rules-test.yaml").write_text("ruleset: ../good.yaml\ncases: []\n")
    return tmp_path


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_valid_file(tree, capsys):
    code, out, err = run(["validate", str(tree / "good.yaml")], capsys)
    assert code == 0 and err == ""
    assert out == f"{tree}/good.yaml: ok\n1 file checked: all valid\n"


def test_directory_recursion_human_output(tree, capsys):
    code, out, _ = run(["validate", str(tree)], capsys)
    assert code == 1
    assert out.splitlines() == [
        f"{tree}/good.yaml: ok",
        f"{tree}/team/bad.yml:5:5: unknown key 'wen' in a filter rule (did you mean 'when'?)",
        f"{tree}/team/bad.yml:8:13: sample must be between 0 and 1, got 2",
        f"{tree}/team/good.rules-test.yaml: skipped (a case file for 'rules-engine test', not a ruleset)",
        "2 files checked: 1 valid, 1 invalid (2 problems)",
    ]


def test_json_output(tree, capsys):
    code, out, _ = run(["validate", "--format", "json", str(tree / "good.yaml"), str(tree / "team" / "bad.yml")],
                       capsys)
    assert code == 1
    report = json.loads(out)
    assert report == [
        {"path": f"{tree}/good.yaml", "valid": True, "problems": [], "warnings": []},
        {
            "path": f"{tree}/team/bad.yml",
            "valid": False,
            "problems": [
                {"path": f"{tree}/team/bad.yml", "line": 5, "col": 5,
                 "message": "unknown key 'wen' in a filter rule (did you mean 'when'?)"},
                {"path": f"{tree}/team/bad.yml", "line": 8, "col": 13,
                 "message": "sample must be between 0 and 1, got 2"},
            ],
            "warnings": [],
        },
    ]


def test_missing_path_is_a_usage_error(tree, capsys):
    code, out, err = run(["validate", str(tree / "good.yaml"), str(tree / "nope.yaml")], capsys)
    assert code == 2 and out == ""
    assert err == f"rules-engine validate: no such file or directory: {tree}/nope.yaml\n"


def test_directory_without_rulesets_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = run(["validate", str(tmp_path / "empty")], capsys)
    assert code == 2
    assert err == f"rules-engine validate: no *.yaml or *.yml files found in {tmp_path}/empty\n"


def test_no_arguments_is_a_usage_error(capsys):
    code, _, err = run(["validate"], capsys)
    assert code == 2 and "PATH" in err


def test_unset_env_variable_is_a_warning_when_validating(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RULES_ENGINE_VALIDATE_KEY", raising=False)
    path = tmp_path / "keyed.yaml"
    path.write_text("format: 1\nname: keyed\noptions:\n  hash_key: ${RULES_ENGINE_VALIDATE_KEY}\n")
    code, out, _ = run(["validate", str(path)], capsys)
    assert code == 0
    assert out.splitlines() == [
        f"{path}:4:13: hash_key: environment variable RULES_ENGINE_VALIDATE_KEY is not set "
        "(write ${RULES_ENGINE_VALIDATE_KEY:-default} for a fallback) (warning)",
        f"{path}: ok",
        "1 file checked: all valid (1 warning)",
    ]
    assert run(["validate", "--strict", str(path)], capsys)[0] == 0  # an unset secret is no dead rule


def test_problems_of_extended_files_are_reported_under_their_own_path(tmp_path, capsys):
    (tmp_path / "base.yaml").write_text("format: 1\nname: base\nfilters:\n  - id: a\n")
    (tmp_path / "child.yaml").write_text("format: 1\nname: child\nextends: [./base.yaml]\n")
    code, out, _ = run(["validate", str(tmp_path / "child.yaml")], capsys)
    assert code == 1
    assert out.splitlines()[0] == (
        f"{tmp_path}/base.yaml:4:5: a filter needs exactly one action: 'drop: true' or 'sample: <0..1>'"
    )


def test_bundled_rulesets_are_valid(capsys):
    code, out, _ = run(["validate", str(ROOT / "rulesets")], capsys)
    assert code == 0, out
    assert out.splitlines()[-1].endswith("checked: all valid")


def test_through_the_python_module_entry_point(tree):
    result = subprocess.run(
        [sys.executable, "-m", "rules_engine", "validate", "good.yaml", "team/bad.yml"],
        cwd=tree, capture_output=True, text=True,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == (
        "good.yaml: ok\n"
        "team/bad.yml:5:5: unknown key 'wen' in a filter rule (did you mean 'when'?)\n"
        "team/bad.yml:8:13: sample must be between 0 and 1, got 2\n"
        "2 files checked: 1 valid, 1 invalid (2 problems)\n"
    )
    usage = subprocess.run([sys.executable, "-m", "rules_engine", "validate", "missing.yaml"],
                           cwd=tree, capture_output=True, text=True)
    assert usage.returncode == 2
    assert usage.stderr == "rules-engine validate: no such file or directory: missing.yaml\n"


def test_pre_commit_hook_definition():
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    validate = next(h for h in hooks if h["id"] == "rules-engine-validate")
    assert validate["entry"] == "rules-engine validate"
    assert validate["language"] == "python"
    import re

    pattern = re.compile(validate["files"])
    excluded = re.compile(validate["exclude"])
    assert pattern.search("rulesets/shop.yaml") and pattern.search("svc/rulesets/a.yml")
    assert not pattern.search("config/app.yaml")
    assert excluded.search("rulesets/shop.rules-test.yaml")
