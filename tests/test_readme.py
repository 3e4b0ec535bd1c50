"""The README is right by test: every YAML and Python block runs, and its generated reference
(the case-file keys) matches the code.

* A ``yaml`` block is a ruleset: it must load. After ``<!-- readme: file PATH -->`` the block must
  be the repository's file PATH, loaded from there (so its relative ``extends`` resolve); a case
  file (``*.rules-test.yaml``) must pass.
* A ``python`` block runs in a fresh interpreter at the repository root.
* ``<!-- readme: partial -->`` marks a block that is deliberately a fragment: it must still parse.
* Between ``<!-- generated: NAME -->`` and ``<!-- end generated -->`` stands the output of
  ``GENERATED[NAME]``; ``python3 -m tests.test_readme`` rewrites those parts.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rules_engine.cli import COMMANDS, build_parser
from rules_engine.conditions.fields import FIELD_TABLE
from rules_engine.load.loader import load_model, load_model_from_text
from rules_engine.rules.templates import VARIABLE_PREFIXES, VARIABLES
from rules_engine.testing import assert_case_file
from rules_engine.testing.casefile import CaseFileModel
from tests import child_python

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

_BLOCK = re.compile(r"(?:<!-- readme: (?P<marker>[^>]*?) -->\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)```\n", re.S)
_GENERATED = re.compile(r"(<!-- generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)


def blocks(lang: str) -> list[tuple[int, str, str]]:
    """``(line, marker, body)`` of every fenced block of ``lang``."""
    text = README.read_text()
    return [(text.count("\n", 0, m.start("body")) + 1, m["marker"] or "", m["body"])
            for m in _BLOCK.finditer(text) if m["lang"] == lang]


def test_the_readme_has_few_partial_blocks():
    partial = [line for lang in ("yaml", "python") for line, marker, _ in blocks(lang) if marker == "partial"]
    assert len(partial) <= 2, partial


@pytest.mark.parametrize(("line", "marker", "body"), blocks("yaml"), ids=lambda v: str(v) if isinstance(v, int) else "")
def test_every_yaml_block_is_a_ruleset_that_loads(line, marker, body, monkeypatch):
    monkeypatch.delenv("RULES_ENGINE_HASH_KEY", raising=False)  # every ${VAR} has a default
    if marker == "partial":
        yaml.safe_load(body)
    elif marker.startswith("file "):
        path = ROOT / marker.split(" ", 1)[1]
        assert path.read_text() == body, f"README.md:{line} differs from {path.relative_to(ROOT)}"
        if path.name.endswith(".rules-test.yaml"):  # a case file: its cases must pass
            assert_case_file(path)
        else:
            load_model(path)
    else:
        assert not marker, f"README.md:{line}: unknown marker {marker!r}"
        load_model_from_text(body, f"README.md:{line}")


@pytest.mark.parametrize(("line", "marker", "body"), blocks("python"), ids=lambda v: str(v) if isinstance(v, int) else "")
def test_every_python_block_runs(line, marker, body):
    if marker == "partial":
        ast.parse(body)
        return
    environment = {**os.environ, "PYTHONPATH": child_python.pythonpath()}
    environment.pop("SENTRY_DSN", None)
    result = subprocess.run([sys.executable, "-c", body], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=child_python.TIMEOUT)
    assert result.returncode == 0, f"README.md:{line}:\n{result.stderr}"


def test_every_file_a_command_names_is_in_the_repository():
    text = README.read_text()
    for path in re.findall(r"(?<![\w/.-])((?:rulesets|examples|schema)/[\w./-]+\.(?:yaml|jsonl|json))", text):
        assert (ROOT / path).exists(), path


def test_the_template_variable_table_lists_every_variable():
    text = README.read_text()
    start = text.index("| variable | renders |")
    table = text[start:text.index("**Titles.**", start)]
    listed = set(re.findall(r"`([a-z_.]+)(?:<[a-z]+>)?`", table))
    expected = set(VARIABLES) | set(VARIABLE_PREFIXES)
    assert expected <= listed, sorted(expected - listed)


# ---------------------------------------------------------------- generated reference


def case_file_keys() -> str:
    """The case-file keys, from the case-file models' JSON Schema."""
    schema = CaseFileModel.model_json_schema()
    definitions = schema.get("$defs", {})
    rows = ["| key | meaning |", "|---|---|"]

    def describe(prefix: str, node: dict) -> None:
        for name, field in node.get("properties", {}).items():
            target = _referenced(field, definitions)
            text = field.get("description") or (target or {}).get("description") or ""
            if name == "cases":
                text = "The cases, at least one; each has the keys below."
            rows.append(f"| `{prefix}{name}` | {' '.join(text.split())} |")
            if target is not None and name != "cases":
                describe(f"{prefix}{name}.", target)
            if name == "cases":
                describe("cases[].", _referenced(field["items"], definitions))

    describe("", schema)
    return "\n".join(rows) + "\n"


def _referenced(field: dict, definitions: dict) -> dict | None:
    for option in [field, *field.get("anyOf", [])]:
        reference = option.get("$ref")
        if reference:
            return definitions[reference.rsplit("/", 1)[1]]
    return None


def command_options() -> str:
    """Every command and its arguments, from the command line's own parser."""
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    lines = []
    for name in COMMANDS:
        parser = subparsers.choices[name]
        lines.append(f"- **`rules-engine {name}`** — {_markdown(parser.description or '')}")
        for action in parser._actions:
            if action.help in (None, argparse.SUPPRESS) or isinstance(action, argparse._HelpAction):
                continue
            flag = ", ".join(f"`{option}`" for option in action.option_strings) or f"`{action.metavar or action.dest}`"
            lines.append(f"  - {flag}: {_markdown(action.help)}")
    return "\n".join(lines) + "\n"


def condition_fields() -> str:
    """Every condition field, from the fields table."""
    rows = ["| field | on | reads |", "|---|---|---|"]
    for field in FIELD_TABLE:
        name = f"{field.name}<name>" if field.is_family else field.name
        kinds = ", ".join(sorted(field.kinds)) if field.kinds else "any"
        rows.append(f"| `{name}` | {kinds} | {_markdown(field.doc)} |")
    return "\n".join(rows) + "\n"


def _markdown(text: str) -> str:
    """Help text on one line, its ``*`` shown as written (not as emphasis)."""
    return " ".join(text.split()).replace("*", "\\*").replace("|", "\\|")


GENERATED = {"case-file-keys": case_file_keys, "command-options": command_options,
             "condition-fields": condition_fields}


def test_generated_parts_match_the_code():
    text = README.read_text()
    found = {m["name"]: m["body"] for m in _GENERATED.finditer(text)}
    assert set(found) == set(GENERATED)
    for name, generate in GENERATED.items():
        assert found[name] == generate(), f"README.md part {name!r} is stale: run python3 -m tests.test_readme"


def regenerate() -> None:
    text = README.read_text()
    README.write_text(_GENERATED.sub(lambda m: m.group(1) + GENERATED[m["name"]]() + m.group(4), text))


if __name__ == "__main__":
    regenerate()
