"""Properties of loading: round trips through the models, agreement with the JSON Schema, no crashes.

The JSON Schema describes structure: keys, types, enums, ranges, patterns, the condition
grammar's shape, and which actions a rule needs (exactly one of ``drop`` / ``sample``, at least one
grouping action, at least one scrub matcher). Some checks are semantic and cannot be expressed in it; generated documents never
break those, so schema and loader must agree on everything generated here:

* rule ids are unique within a section;
* globs and regexes compile, JMESPath expressions parse, selectors are well-formed;
* ``extends`` targets exist and do not form a cycle; ``${ENV}`` references are set;
* YAML-level rules: no tabs, no duplicate keys.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from rules_engine.errors import RulesetError
from rules_engine.load.loader import load_model_from_text
from rules_engine.model import models
from tests import strategies as S

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "ruleset.v1.schema.json"
SETTINGS = settings(max_examples=S.scaled(60), suppress_health_check=list(HealthCheck), deadline=None)


@pytest.fixture(scope="module")
def schema_validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema)


def to_yaml(data) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def loads(text: str):
    try:
        return load_model_from_text(text).model
    except RulesetError:
        return None


@st.composite
def full_documents(draw):
    doc = draw(S.ruleset_documents(with_scrub=True))
    if draw(st.booleans()):
        doc["description"] = draw(S.sentence)
    if draw(st.booleans()):
        doc["options"] = {
            "on_error": draw(st.sampled_from(["drop", "send_filtered"])),
            "revision_tag": draw(st.booleans()),
            "explain_context": draw(st.booleans()),
            "limits": {"max_depth": draw(st.integers(1, 10_000)), "max_ms": draw(st.floats(0.5, 1000)),
                       "max_string_length": draw(st.integers(1, 10**6))},
        }
    return doc


def dump_model(model: models.RulesetSpec) -> dict:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


@SETTINGS
@given(doc=full_documents())
def test_accepted_documents_round_trip_through_the_models(doc):
    first = load_model_from_text(to_yaml(doc)).model
    second = load_model_from_text(to_yaml(dump_model(first))).model
    assert second == first
    assert first == models.RulesetSpec.model_validate(doc)


# --------------------------------------------------------------------------- schema agreement


def _mapping_slots(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _mapping_slots(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _mapping_slots(value, path + (index,))


def _scalar_slots(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _scalar_slots(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _scalar_slots(value, path + (index,))
    else:
        yield path


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _is_semantic_slot(path) -> bool:
    """Slots whose change could break a check the schema cannot express (see the module doc)."""
    last = path[-1] if path else None
    if last in ("id", "drop", "sample", "fingerprint", "title", "tags", "level", "contexts",
                "keys", "detect", "pattern"):
        return True  # removing/retyping an action or an id can break the one-action or unique-id rules
    if any(p in ("when", "unless") for p in path):
        return True  # glob and regex validity inside conditions
    return False


@st.composite
def mutated_documents(draw):
    """A valid document with one structural change: unknown key, wrong type, out of range..."""
    doc = copy.deepcopy(draw(full_documents()))
    kind = draw(st.sampled_from(["unknown_key", "wrong_type", "format", "name", "sample_range",
                                 "level_enum", "detector", "condition_field", "limits", "actions", "none"]))
    if kind == "unknown_key":
        slots = list(_mapping_slots(doc))
        path, mapping = draw(st.sampled_from(slots))
        if any(p in ("when", "unless", "tags", "contexts") for p in path):
            path, mapping = (), doc  # keep away from free-form mappings
        mapping[draw(st.sampled_from(["wen", "dropp", "extra_key", "Format"]))] = 1
    elif kind == "wrong_type":
        slots = [p for p in _scalar_slots(doc) if p and not _is_semantic_slot(p)]
        if slots:
            _set(doc, draw(st.sampled_from(slots)), draw(st.sampled_from([[1], {"a": 1}, 3.5, True, "text"])))
    elif kind == "format":
        doc["format"] = draw(st.sampled_from([2, 0, "1", None]))
    elif kind == "name":
        doc["name"] = draw(st.sampled_from(["-bad", "has space", "", "ok.name"]))
    elif kind == "sample_range" and doc["filters"]:
        rule = draw(st.sampled_from(doc["filters"]))
        rule.pop("drop", None)
        rule["sample"] = draw(st.sampled_from([-0.1, 1.5, 0.5, "half"]))
    elif kind == "level_enum" and doc["grouping"]:
        draw(st.sampled_from(doc["grouping"]))["level"] = draw(st.sampled_from(["critical", "ERROR", "info"]))
    elif kind == "detector":
        doc["scrub"]["rules"].append({"id": "extra-detector", "detect": [draw(st.sampled_from(
            ["creditcard", "credit_card", "ssn", "email"]))]})
    elif kind == "condition_field" and doc["filters"]:
        rule = draw(st.sampled_from(doc["filters"]))
        rule["when"] = {draw(st.sampled_from(["error.typ", "tags.team", "exc.code", "nope"])): "x*"}
    elif kind == "actions":
        _break_actions(draw, doc)
    elif kind == "limits":
        doc["options"] = {"limits": {draw(st.sampled_from(["max_depth", "max_nodes", "max_ms"])):
                                     draw(st.sampled_from([0, -1, 5, 10_001]))}}
    return doc


def _break_actions(draw, doc) -> None:
    """Remove, double or null the actions of one rule."""
    section = draw(st.sampled_from(["filters", "grouping", "scrub"]))
    rules = doc["scrub"]["rules"] if section == "scrub" else doc[section]
    if not rules:
        rules.append({"id": "added", "when": {"level": "info"}} if section != "scrub" else {"id": "added"})
    rule = draw(st.sampled_from(rules))
    actions = {"filters": ("drop", "sample"), "grouping": ("fingerprint", "tags", "level"),
               "scrub": ("keys", "detect", "pattern")}[section]
    change = draw(st.sampled_from(["remove", "both", "null"]))
    for name in actions:
        rule.pop(name, None)
    if change == "both" and section == "filters":
        rule.update(drop=True, sample=0.5)
    elif change == "null":
        rule[actions[0]] = None
        if section == "filters" and draw(st.booleans()):
            rule["sample"] = 0.25  # drop: null plus a sample is one action


@SETTINGS
@given(doc=mutated_documents())
def test_schema_agrees_with_the_loader(schema_validator, doc):
    schema_ok = schema_validator.is_valid(doc)
    model = loads(to_yaml(doc))
    errors = [e.message for e in schema_validator.iter_errors(doc)][:3]
    assert schema_ok == (model is not None), f"schema says {schema_ok} ({errors}), loader says {model is not None}"


# --------------------------------------------------------------------------- no crashes on any text


def assert_loads_or_points(text: str) -> None:
    try:
        load_model_from_text(text, path="fuzz.yaml")
    except RulesetError as error:
        assert error.problems, "a RulesetError without problems"
        for problem in error.problems:
            assert problem.line >= 1 and problem.col >= 1, f"problem without a position: {problem!r}"
            assert problem.message


yamlish = st.sampled_from(["format: 1\n", "name: x\n", "filters:\n", "  - id: a\n", "    when: {a: 1}\n",
                           "    drop: true\n", "grouping: [", "]", "{", "}", ": ", "- ", "\t", "&a ", "*a ",
                           "!!python/object:os.system ", "'", '"', "\n", "---\n", "...\n", "%YAML 1.1\n",
                           "? ", "#", "<<: *a\n", "scrub:\n  rules:\n", "    - id: s\n      keys: [x]\n"])


@settings(max_examples=S.scaled(150), suppress_health_check=list(HealthCheck), deadline=None)
@given(text=st.one_of(st.text(max_size=200), st.lists(yamlish, max_size=25).map("".join)))
def test_loader_never_crashes_on_arbitrary_text(text):
    assert_loads_or_points(text)


@settings(max_examples=S.scaled(80), suppress_health_check=list(HealthCheck), deadline=None)
@given(doc=full_documents(), data=st.data())
def test_loader_never_crashes_on_damaged_rulesets(doc, data):
    text = to_yaml(doc)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 20)))
    insert = data.draw(st.one_of(st.text(max_size=5), yamlish))
    assert_loads_or_points(text[:start] + insert + text[end:])
