"""The committed JSON Schema: generated from the models, used by editors, and in agreement with the loader.

An independent validator (the ``jsonschema`` package, Draft 2020-12) must accept every bundled
ruleset and reject what the models reject. Some checks are semantic and cannot be written in JSON
Schema; :data:`SEMANTIC_ONLY` lists them, and the test proves the schema lets them through while the
loader does not, so the split stays documented and true.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from rules_engine.cli import main
from rules_engine.cli.schema import schema_text
from rules_engine.errors import RulesetError
from rules_engine.load.loader import load_model, load_model_from_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "schema" / "ruleset.v1.schema.json"
BUNDLED = sorted((ROOT / "rulesets").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def plain(text: str):
    return YAML(typ="safe", pure=True).load(text)


def test_committed_schema_matches_the_models():
    committed = SCHEMA_PATH.read_text()
    assert committed == schema_text(), "schema/ruleset.v1.schema.json is stale: run rules-engine schema -o schema/ruleset.v1.schema.json"
    assert committed.endswith("}\n")
    parsed = json.loads(committed)
    assert json.dumps(parsed, indent=2, sort_keys=True, ensure_ascii=False) + "\n" == committed


def test_schema_command_prints_the_committed_schema(capsys, tmp_path):
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == SCHEMA_PATH.read_text()
    out = tmp_path / "s.json"
    assert main(["schema", "-o", str(out)]) == 0
    assert out.read_text() == SCHEMA_PATH.read_text()


def test_schema_is_draft_2020_12_with_an_id(validator):
    schema = validator.schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/ruleset.v1.schema.json")


def _properties(node, path=()):
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            yield path + (name,), sub
        for key, value in node.items():
            yield from _properties(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _properties(value, path + (index,))


def test_every_field_has_a_description_for_hover_docs(validator):
    schema = validator.schema
    fields = [
        (path, sub) for path, sub in _properties(schema)
        if isinstance(sub, dict) and not _is_action_check(path)
    ]
    assert len(fields) > 50
    missing = [path for path, sub in fields if not _description(schema, sub)]
    assert missing == []


def _is_action_check(path) -> bool:
    """The one-action / some-action constraints of rules restate fields documented beside them."""
    return (len(path) > 3 and path[0] == "$defs" and path[1] in ("FilterRule", "GroupingRule", "ScrubRule")
            and path[2] in ("oneOf", "anyOf") and isinstance(path[3], int))


def _description(schema, sub) -> str | None:
    if sub.get("description"):
        return sub["description"]
    if "$ref" in sub:  # the referenced definition's text is what editors show
        return schema["$defs"][sub["$ref"].rsplit("/", 1)[1]].get("description")
    return None


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_rulesets_validate_against_the_schema(validator, path):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(plain(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_rulesets_point_editors_at_the_schema(path):
    first_line = path.read_text().splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first_line)
    assert match, first_line
    assert (path.parent / match.group(1)).resolve() == SCHEMA_PATH


def test_there_are_bundled_examples():
    names = {p.name for p in BUNDLED}
    assert {"default.yaml", "fastapi.yaml", "django.yaml", "celery.yaml"} <= names


# --------------------------------------------------------------------------- agreement on bad input

BASE = "format: 1\nname: shop\n"

#: Structural mistakes: the schema and the models must both refuse them.
STRUCTURAL = {
    "missing name": "format: 1\n",
    "missing format": "name: shop\n",
    "newer format": "format: 2\nname: shop\n",
    "format as text": "format: '1'\nname: shop\n",
    "bad name": "format: 1\nname: my shop\n",
    "unknown top-level key": BASE + "filter: []\n",
    "revision as float": BASE + "revision: 1.5\n",
    "extends not a list": BASE + "extends: builtin:secure-defaults@2026.11\n",
    "unknown option": BASE + "options: {colour: red}\n",
    "on_error enum": BASE + "options: {on_error: dorp}\n",
    "limits range": BASE + "options: {limits: {max_depth: 0}}\n",
    "max_ms must be positive": BASE + "options: {limits: {max_ms: 0}}\n",
    "unknown rule key": BASE + "filters:\n  - id: a\n    wen: {level: error}\n    drop: true\n",
    "rule without id": BASE + "filters:\n  - drop: true\n",
    "bad rule id": BASE + "filters:\n  - id: -a\n    drop: true\n",
    "drop false": BASE + "filters:\n  - id: a\n    drop: false\n",
    "sample above 1": BASE + "filters:\n  - id: a\n    sample: 1.5\n",
    "sample below 0": BASE + "filters:\n  - id: a\n    sample: -0.1\n",
    "filter without action": BASE + "filters:\n  - id: a\n    when: {level: error}\n",
    "filter with both actions": BASE + "filters:\n  - id: a\n    drop: true\n    sample: 0.5\n",
    "on enum": BASE + "filters:\n  - id: a\n    on: [errors]\n    drop: true\n",
    "empty on": BASE + "filters:\n  - id: a\n    on: []\n    drop: true\n",
    "condition not a mapping": BASE + "filters:\n  - id: a\n    when: [level]\n    drop: true\n",
    "empty condition": BASE + "filters:\n  - id: a\n    when: {}\n    drop: true\n",
    "unknown condition field": BASE + "filters:\n  - id: a\n    when: {error.typ: X}\n    drop: true\n",
    "unknown matcher operator": BASE + "filters:\n  - id: a\n    when: {level: {regx: a}}\n    drop: true\n",
    "comparison with text": BASE + "filters:\n  - id: a\n    when: {duration_ms: {lt: fast}}\n    drop: true\n",
    "empty any": BASE + "filters:\n  - id: a\n    when: {any: []}\n    drop: true\n",
    "grouping without action": BASE + "grouping:\n  - id: g\n    when: {level: error}\n",
    "level enum": BASE + "grouping:\n  - id: g\n    level: warn\n",
    "empty fingerprint": BASE + "grouping:\n  - id: g\n    fingerprint: []\n",
    "tags values are text": BASE + "grouping:\n  - id: g\n    tags: {team: [a]}\n",
    "continue as text": BASE + "grouping:\n  - id: g\n    level: info\n    continue: 'yes'\n",
    "scrub rule without matcher": BASE + "scrub:\n  rules:\n    - id: s\n      redact: filter\n",
    "unknown detector": BASE + "scrub:\n  rules:\n    - id: s\n      detect: [creditcrd]\n",
    "keys not a list": BASE + "scrub:\n  rules:\n    - id: s\n      keys: password\n",
    "redact enum": BASE + "scrub:\n  rules:\n    - id: s\n      keys: [x]\n      redact: flter\n",
    "mask key typo": BASE + "scrub:\n  rules:\n    - id: s\n      keys: [x]\n      redact: {mask: {keep_lst: 1}}\n",
    "mask char too long": BASE + "scrub:\n  rules:\n    - id: s\n      keys: [x]\n      redact: {mask: {char: '**'}}\n",
    "replace not text": BASE + "scrub:\n  rules:\n    - id: s\n      keys: [x]\n      redact: {replace: 3}\n",
    "allow not a list": BASE + "scrub:\n  allow: request.headers.user-agent\n",
    "except_keys without keys": BASE + "scrub:\n  rules:\n    - id: s\n      detect: [jwt]\n      except_keys: ['*_at']\n",
    "except_keys not a list": BASE + "scrub:\n  rules:\n    - id: s\n      keys: [x]\n      except_keys: '*_at'\n",
}

#: Checks JSON Schema cannot express: the schema accepts these documents, the loader does not.
SEMANTIC_ONLY = {
    "duplicate rule ids": BASE + "filters:\n  - id: a\n    drop: true\ngrouping:\n  - id: a\n    level: info\n",
    "invalid regex in a condition": BASE + "filters:\n  - id: a\n    when: {message: {regex: 'a(?=b)'}}\n    drop: true\n",
    "invalid glob in a condition": BASE + "filters:\n  - id: a\n    when: {message: '{a,b'}\n    drop: true\n",
    "invalid JMESPath": BASE + "filters:\n  - id: a\n    when: {jmespath: 'foo['}\n    drop: true\n",
    "invalid scrub pattern": BASE + "scrub:\n  rules:\n    - id: s\n      pattern: '(a)\\1'\n",
    "invalid key glob": BASE + "scrub:\n  rules:\n    - id: s\n      keys: ['[abc']\n",
    "invalid except_keys glob": BASE + "scrub:\n  rules:\n    - id: s\n      keys: [x]\n      except_keys: ['[abc']\n",
    "invalid selector": BASE + "scrub:\n  rules:\n    - id: s\n      keys: [x]\n      in: ['request..data']\n",
    "unknown builtin pack": BASE + "extends: ['builtin:nope@1']\n",
    "missing extends file": BASE + "extends: [./does-not-exist.yaml]\n",
    "unset hash_key variable": BASE + "options: {hash_key: '${RULES_ENGINE_SURELY_UNSET_VARIABLE}'}\n",
    "duplicate YAML keys": BASE + "name: again\n",
    "unknown template variable": BASE + "grouping:\n  - id: g\n    title: '{{ error.vaule }}'\n",
}


def loader_accepts(text: str) -> bool:
    try:
        load_model_from_text(text, "case.yaml")
    except RulesetError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_schema_and_models_both_reject_structural_mistakes(validator, name):
    document = plain(STRUCTURAL[name])
    assert not validator.is_valid(document), f"the schema accepts: {name}"
    assert not loader_accepts(STRUCTURAL[name]), f"the loader accepts: {name}"


@pytest.mark.parametrize("name", sorted(SEMANTIC_ONLY))
def test_semantic_checks_are_the_loaders_alone(validator, name, monkeypatch):
    monkeypatch.delenv("RULES_ENGINE_SURELY_UNSET_VARIABLE", raising=False)
    text = SEMANTIC_ONLY[name]
    if name != "duplicate YAML keys":  # a YAML parser keeps one of the keys; the schema never sees two
        assert validator.is_valid(plain(text)), f"the schema now expresses: {name}"
    assert not loader_accepts(text)


def test_schema_and_loader_accept_the_same_valid_variants(validator):
    variants = [
        BASE,
        BASE + "revision: '2026.11'\n",
        BASE + "filters:\n  - id: a\n    drop: true\n    sample: null\n",
        BASE + "grouping:\n  - id: g\n    fingerprint: ['{{ default }}']\n    continue: true\n",
        BASE + "scrub:\n  rules:\n    - id: s\n      pattern: 'x'\n      redact: {mask: {keep_first: 2, char: '#'}}\n",
        BASE + "scrub:\n  rules:\n    - id: s\n      detect: [email]\n      in: [extra]\n      redact: remove\n",
    ]
    for text in variants:
        assert validator.is_valid(plain(text)), text
        assert loader_accepts(text), text


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_rulesets_load(path):
    load_model(path, require_env=False)
