"""The field table is the one source of the vocabulary: the parser, the schema, the getters, the
index, the never-fires warning and the template variables all follow it."""

from __future__ import annotations

import pytest

from rules_engine.conditions import fields as F
from rules_engine.conditions.syntax import parse_condition
from rules_engine.load.loader import load_model_from_text
from rules_engine.model.models import RulesetSpec
from rules_engine.model.schema import ruleset_json_schema
from rules_engine.rules import templates
from rules_engine.runtime.ruleset import Ruleset

CONDITION_SCHEMA = ruleset_json_schema()["$defs"]["Condition"]


@pytest.mark.parametrize("name", sorted(F.FIELDS))
def test_every_field_parses_and_is_in_the_schema(name):
    assert parse_condition({name: "x"}, ("when",)) is not None
    assert CONDITION_SCHEMA["properties"][name]["description"] == F.FIELDS[name].doc


@pytest.mark.parametrize("prefix", sorted(F.FAMILIES))
def test_every_family_parses_and_is_in_the_schema(prefix):
    assert parse_condition({prefix + "some.name": "x"}, ("when",)) is not None
    patterns = CONDITION_SCHEMA["patternProperties"]
    assert any(pattern.startswith("^" + prefix.replace(".", "\\.")) for pattern in patterns)


def test_an_unknown_field_is_refused_with_a_suggestion():
    with pytest.raises(ValueError, match="did you mean 'stack.package'"):
        parse_condition({"stack.pakage": "x"}, ("when",))


def _ruleset(when: dict, on: str = "error") -> Ruleset:
    return Ruleset.from_model(_model({"filters": [{"id": "r", "on": [on], "when": when, "drop": True}]}))


def _model(body: dict) -> RulesetSpec:
    return RulesetSpec.model_validate({"format": 1, "name": "fields", **body})


def _error_with_frame(frame: dict) -> dict:
    return {"exception": {"values": [{"type": "E", "value": "v", "stacktrace": {"frames": [frame]}}]}}


@pytest.mark.parametrize("name", sorted(F.PATH_FIELDS))
def test_path_fields_match_as_path_globs_ignoring_case(name):
    key = {"stack.abs_path": "abs_path", "stack.filename": "filename", "stack.package": "package"}[name]
    one_level = _ruleset({name: "app/*"})
    any_level = _ruleset({name: "APP/**"})
    event = _error_with_frame({key: "app/models/user"})
    assert one_level.before_send(dict(event), {}) is not None  # '*' stops at '/'
    assert any_level.before_send(dict(event), {}) is None  # '**' crosses it, case ignored


def test_error_and_stack_fields_are_per_element_and_every_other_field_is_event_wide():
    assert F.ERROR_FIELDS == {name for name in F.FIELDS if name.startswith("error.")}
    assert F.STACK_FIELDS == {name for name in F.FIELDS if name.startswith("stack.")}
    for name in set(F.FIELDS) - F.ERROR_FIELDS - F.STACK_FIELDS:
        assert callable(F.scalar_getter(name)), name


def test_indexable_fields_are_event_wide_or_error_type():
    assert F.INDEXABLE_FIELDS == ("error.type", "transaction", "logger")


@pytest.mark.parametrize("name", sorted(n for n, f in F.FIELDS.items() if f.kinds == F.ERRORS))
def test_a_rule_on_transactions_testing_an_error_only_field_warns_that_it_never_fires(name):
    loaded = load_model_from_text(
        f"format: 1\nname: svc\nfilters:\n  - id: r\n    on: [transaction]\n    when: {{{name}: x}}\n"
        "    drop: true\n"
    )
    assert any("never" in warning.message for warning in loaded.warnings), loaded.warnings


def test_template_variables_are_the_fields_marked_for_templates_plus_sentrys_aliases():
    marked = [name for name, field in F.FIELDS.items() if field.template]
    assert list(templates.VARIABLES[: len(marked)]) == marked
    assert set(templates.VARIABLE_PREFIXES) == {p for p, family in F.FAMILIES.items() if family.template}
