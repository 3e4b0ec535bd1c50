"""Rules that can never fire load with a warning (not an error), at the line and column to fix."""

from __future__ import annotations

import textwrap

import pytest

from rules_engine.cli import main
from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.ruleset import Ruleset

HEADER = "format: 1\nname: shop\n"


def warnings(text: str) -> list[str]:
    loaded = load_model_from_text(textwrap.dedent(text), "r.yaml")  # loads: a warning never fails it
    return [str(warning) for warning in loaded.warnings]


def test_grouping_rule_on_breadcrumbs_only_never_fires():
    text = HEADER + "grouping:\n  - id: crumbs\n    on: [breadcrumb]\n    level: info\n"
    assert warnings(text) == [
        "r.yaml:5:9: grouping rule 'crumbs' never fires: grouping does not apply to breadcrumbs"
    ]


def test_breadcrumb_among_other_kinds_of_a_grouping_rule_is_pointed_at():
    text = HEADER + "grouping:\n  - id: g\n    on: [error, breadcrumb]\n    level: info\n"
    assert warnings(text) == [
        "r.yaml:5:17: 'breadcrumb' has no effect in a grouping rule: grouping does not apply to breadcrumbs"
    ]


@pytest.mark.parametrize(
    "on, field, line_text, expected",
    [
        ("[breadcrumb]", "error.type", "{error.type: ValueError}",
         "condition field 'error.type' exists only on errors, and the rule applies to breadcrumbs only"),
        ("[breadcrumb]", "stack.module", "{stack.module: 'app.*'}",
         "condition field 'stack.module' exists only on errors, and the rule applies to breadcrumbs only"),
        ("[transaction]", "exc.status_code", "{exc.status_code: {gte: 500}}",
         "condition field 'exc.status_code' exists only on errors, and the rule applies to transactions only"),
        ("[error]", "category", "{category: httplib}",
         "condition field 'category' exists only on breadcrumbs, and the rule applies to errors only"),
        ("[error, transaction]", "data.status_code", "{data.status_code: 500}",
         ("condition field 'data.status_code' exists only on breadcrumbs, and the rule applies to errors "
          "and transactions only")),
        ("[error]", "duration_ms", "{duration_ms: {gt: 1000}}",
         "condition field 'duration_ms' exists only on transactions, and the rule applies to errors only"),
    ],
)
def test_filter_on_a_field_its_events_never_have(on, field, line_text, expected):
    text = HEADER + f"filters:\n  - id: f\n    on: {on}\n    when: {line_text}\n    drop: true\n"
    column = len("    when: {") + 1
    assert warnings(text) == [f"r.yaml:6:{column}: rule 'f' never fires: {expected}"]


def test_default_kind_is_errors():
    text = HEADER + "filters:\n  - id: f\n    when:\n      level: info\n      category: query\n    drop: true\n"
    assert warnings(text) == [
        ("r.yaml:7:7: rule 'f' never fires: condition field 'category' exists only on breadcrumbs, "
         "and the rule applies to errors only")
    ]


def test_grouping_rule_field_checked_against_the_kinds_grouping_applies_to():
    text = HEADER + "grouping:\n  - id: g\n    on: [error, breadcrumb]\n    when: {category: query}\n    level: info\n"
    assert warnings(text) == [
        "r.yaml:5:17: 'breadcrumb' has no effect in a grouping rule: grouping does not apply to breadcrumbs",
        ("r.yaml:6:12: rule 'g' never fires: condition field 'category' exists only on breadcrumbs, "
         "and the rule applies to errors only"),
    ]


@pytest.mark.parametrize(
    "on, when",
    [
        ("[error, breadcrumb]", "{category: query}"),  # fires on breadcrumbs
        ("[breadcrumb]", "{category: query, message: '*select*'}"),
        ("[breadcrumb]", "{error.type: {not: ValueError}}"),  # holds when there is no error at all
        ("[breadcrumb]", "{error.type: {exists: false}}"),
        ("[transaction]", "{transaction: '/health', duration_ms: {lt: 5}}"),
        ("[error]", "{any: [{category: query}, {level: error}]}"),  # only the top level is checked
    ],
)
def test_rules_that_can_fire_load_without_warnings(on, when):
    text = HEADER + f"filters:\n  - id: f\n    on: {on}\n    when: {when}\n    drop: true\n"
    assert warnings(text) == []


def test_the_warned_rule_really_never_fires():
    """What the warning claims holds at run time: the breadcrumb filter on error.type keeps every crumb."""
    text = HEADER + "filters:\n  - id: f\n    on: [breadcrumb]\n    when: {error.type: '*'}\n    drop: true\n"
    loaded = load_model_from_text(text, "r.yaml")
    assert loaded.warnings
    ruleset = Ruleset.from_loaded(loaded)
    crumb = {"category": "query", "message": "SELECT 1", "type": "default", "level": "info"}
    assert ruleset.before_breadcrumb(dict(crumb), {}) is not None


def test_validate_prints_warnings_and_passes(tmp_path, capsys):
    path = tmp_path / "r.yaml"
    path.write_text(HEADER + "grouping:\n  - id: crumbs\n    on: [breadcrumb]\n    level: info\n")
    code = main(["validate", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"{path}:5:9: grouping rule 'crumbs' never fires: grouping does not apply to breadcrumbs (warning)" in out
