"""Loading ruleset files: every kind of bad input is reported at its line and column, all at once."""

from __future__ import annotations

import textwrap

import pytest

from rules_engine.errors import RulesetError
from rules_engine.load.loader import LoadedRuleset, load_model, load_model_from_text
from rules_engine.model import models

HEADER = "format: 1\nname: shop\n"


def problems(text: str, path: str = "r.yaml") -> list[str]:
    """The problems loading ``text`` reports, as ``path:line:col: message`` strings."""
    with pytest.raises(RulesetError) as caught:
        load_model_from_text(textwrap.dedent(text), path)
    assert caught.value.problems, "a RulesetError must list its problems"
    return [str(problem) for problem in caught.value.problems]


# --------------------------------------------------------------------------- file-level problems


def test_empty_file():
    assert problems("") == ["r.yaml:1:1: the file is empty; a ruleset needs at least 'format' and 'name'"]


def test_file_with_only_comments_is_empty():
    assert problems("# nothing yet\n\n") == [
        "r.yaml:1:1: the file is empty; a ruleset needs at least 'format' and 'name'"
    ]


def test_root_must_be_a_mapping():
    assert problems("# rules\n- id: a\n- id: b\n") == [
        "r.yaml:2:1: a ruleset must be a mapping (format, name, filters, ...), not a list"
    ]


def test_root_scalar():
    assert problems("just text\n") == [
        "r.yaml:1:1: a ruleset must be a mapping (format, name, filters, ...), not a single str value"
    ]


def test_yaml_syntax_error_carries_ruamel_position():
    text = HEADER + "filters:\n  - id: a\n    when: {error.type: [X, Y}\n    drop: true\n"
    found = problems(text)
    assert len(found) == 1
    assert found[0] == (
        "r.yaml:5:29: YAML syntax error: the '[' opened at line 5, column 24 is not closed with ']' before this point\n"
        "    5 |     when: {error.type: [X, Y}\n"
        "      |                             ^")


def test_tabs_in_indentation_are_reported_per_line():
    text = HEADER + "filters:\n\t- id: a\n  \tdrop: true\n"
    assert problems(text) == [
        "r.yaml:4:1: tab character in indentation; YAML indents with spaces",
        "r.yaml:5:3: tab character in indentation; YAML indents with spaces",
    ]


def test_duplicate_keys_are_all_reported():
    text = HEADER + "name: again\noptions:\n  on_error: drop\n  on_error: send_filtered\n"
    assert problems(text) == [
        "r.yaml:3:1: duplicate key 'name' (first at line 2); YAML keeps only one of them",
        "r.yaml:6:3: duplicate key 'on_error' (first at line 5); YAML keeps only one of them",
    ]


def test_second_document():
    assert problems(HEADER + "---\nformat: 1\n") == [
        "r.yaml:3:1: a ruleset file holds a single YAML document; remove this second one"
    ]


def test_control_character():
    assert problems(HEADER + "description: a\x07b\n") == ["r.yaml:3:15: character U+0007 is not allowed in YAML"]


def test_custom_yaml_tag():
    assert problems(HEADER + "description: !secret x\n") == [
        "r.yaml:3:14: YAML tag '!secret' is not supported here; write a plain value"
    ]


# --------------------------------------------------------------------------- format version


def test_missing_format_says_which_version_this_release_reads():
    assert problems("name: shop\n") == ["r.yaml:1:1: missing key 'format': this release reads format 1 (add 'format: 1')"]


def test_newer_format_is_refused_clearly():
    assert problems("format: 2\nname: shop\n") == [
        "r.yaml:1:9: format 2 is newer than this release of rules-engine reads (format 1); "
        "upgrade rules-engine to load this ruleset"
    ]


def test_older_format_without_migration():
    assert problems("format: 0\nname: shop\n") == [
        "r.yaml:1:9: format 0 is no longer supported: this release reads format 1"
    ]


def test_format_must_be_a_number():
    assert problems("format: '1'\nname: shop\n") == [
        "r.yaml:1:9: format must be a whole version number, got '1'; this release reads format 1"
    ]


# --------------------------------------------------------------------------- model problems


def test_unknown_keys_point_at_the_key_with_did_you_mean():
    text = HEADER + """\
filters:
  - id: a
    wen: {level: error}
    drop: true
scrub:
  rules:
    - id: s
      keys: [x]
      inn: [extra]
grouping:
  - id: g
    level: error
    continu: true
"""
    assert problems(text) == [
        "r.yaml:5:5: unknown key 'wen' in a filter rule (did you mean 'when'?)",
        "r.yaml:11:7: unknown key 'inn' in a scrub rule (did you mean 'in'?)",
        "r.yaml:15:5: unknown key 'continu' in a grouping rule (did you mean 'continue'?)",
    ]


def test_unknown_key_without_a_near_miss_lists_the_known_keys():
    assert problems(HEADER + "options:\n  colour: red\n") == [
        "r.yaml:4:3: unknown key 'colour' in options; known keys: on_error, hash_key, revision_tag, "
        "explain_context, named_values, echoes, source_as_code, encoded_text, numbered_keys, partial_tokens, attachments, limits"
    ]


def test_missing_required_keys():
    assert problems("format: 1\nfilters:\n  - drop: true\n") == [
        "r.yaml:1:1: missing required key 'name' in the ruleset",
        "r.yaml:3:5: missing required key 'id' in a filter rule",
    ]


def test_out_of_range_values_read_naturally():
    text = HEADER + """\
options:
  limits: {max_depth: 0, max_ms: 0}
filters:
  - id: a
    sample: 1.5
  - id: b
    sample: -0.5
"""
    assert problems(text) == [
        "r.yaml:4:23: max_depth must be between 1 and 10000, got 0",
        "r.yaml:4:34: max_ms must be greater than 0, got 0",
        "r.yaml:7:13: sample must be between 0 and 1, got 1.5",
        "r.yaml:9:13: sample must be between 0 and 1, got -0.5",
    ]


def test_wrong_types():
    text = HEADER + """\
revision: 1.5
extends: builtin:secure-defaults@2026.11
filters:
  - id: a
    on: error
    drop: true
grouping:
  - id: g
    title: 7
    continue: yes please
"""
    assert problems(text) == [
        "r.yaml:3:11: revision must be an integer or a string, got 1.5",
        "r.yaml:4:10: extends must be a list, got 'builtin:secure-defaults@2026.11' "
        "(write [builtin:secure-defaults@2026.11] for a list of one)",
        "r.yaml:7:9: on must be a list, got 'error' (write [error] for a list of one)",
        "r.yaml:11:12: title must be a string, got 7",
        "r.yaml:12:15: continue must be true or false, got 'yes please'",
    ]


def test_enums_with_did_you_mean():
    text = HEADER + """\
options: {on_error: dorp}
filters:
  - id: a
    on: [transactions]
    drop: true
grouping:
  - id: g
    level: warn
scrub:
  rules:
    - id: s
      detect: [creditcrd, email]
"""
    assert problems(text) == [
        "r.yaml:3:21: on_error must be 'drop' or 'send_filtered', got 'dorp' (did you mean 'drop'?)",
        "r.yaml:6:10: on[0] must be 'error', 'transaction', 'breadcrumb', 'log', 'metric' or 'span', got 'transactions' "
        "(did you mean 'transaction'?)",
        "r.yaml:10:12: level must be 'fatal', 'error', 'warning', 'info' or 'debug', got 'warn' "
        "(did you mean 'warning'?)",
        "r.yaml:14:16: unknown detector 'creditcrd' (did you mean 'creditcard'?)",
    ]


def test_drop_false_explains_itself():
    assert problems(HEADER + "filters:\n  - id: a\n    drop: false\n") == [
        "r.yaml:5:11: drop must be true, got false (to keep matching events, remove the rule)"
    ]


def test_missing_actions():
    text = HEADER + """\
filters:
  - id: f
    when: {level: error}
grouping:
  - id: g
    when: {level: error}
scrub:
  rules:
    - id: s
      redact: filter
"""
    assert problems(text) == [
        "r.yaml:4:5: a filter needs exactly one action: 'drop: true' or 'sample: <0..1>'",
        "r.yaml:7:5: a grouping rule needs at least one action: fingerprint, title, tags, level, contexts or rename",
        "r.yaml:11:7: a scrub rule needs at least one of: keys, detect, pattern",
    ]


def test_both_filter_actions():
    assert problems(HEADER + "filters:\n  - id: f\n    drop: true\n    sample: 0.5\n") == [
        "r.yaml:4:5: a filter needs exactly one action: 'drop: true' or 'sample: <0..1>'"
    ]


def test_rule_id_and_name_syntax():
    assert problems("format: 1\nname: my shop\nfilters:\n  - id: -a\n    drop: true\n") == [
        "r.yaml:2:7: name 'my shop' may contain only letters, digits, '_', '.', ':' and '-', "
        "and must start with a letter or digit",
        "r.yaml:4:9: id '-a' may contain only letters, digits, '_', '.', ':' and '-', "
        "and must start with a letter or digit",
    ]


def test_redaction_union_reports_the_intended_branch():
    text = HEADER + """\
scrub:
  rules:
    - id: a
      keys: [x]
      redact: flter
    - id: b
      keys: [x]
      redact: {mask: {keep_lst: 4}}
    - id: c
      keys: [x]
      redact: {replace: 3}
    - id: d
      keys: [x]
      redact: {mask: {char: '**'}}
"""
    assert problems(text) == [
        "r.yaml:7:15: redact must be 'filter', 'hash' or 'remove', {replace: ...} or {mask: ...}, got 'flter' "
        "(did you mean 'filter'?)",
        "r.yaml:10:23: unknown key 'keep_lst' in mask (did you mean 'keep_last'?)",
        "r.yaml:13:25: replace must be a string, got 3",
        "r.yaml:16:29: char must be a single character, got '**'",
    ]


def test_empty_lists_and_strings():
    text = HEADER + """\
grouping:
  - id: g
    fingerprint: []
    title: ''
"""
    assert problems(text) == [
        "r.yaml:5:18: fingerprint needs at least 1 item",
        "r.yaml:6:12: title must not be empty",
    ]


def test_null_section():
    assert problems(HEADER + "filters:\n") == ["r.yaml:3:1: filters must be a list, got null"]


def test_unquoted_date_is_explained():
    assert problems(HEADER + "revision: 1\ndescription: 2026-11-01\n") == [
        "r.yaml:4:14: description must be a string, got a date (2026-11-01) (quote it to make it a string)"
    ]


# --------------------------------------------------------------------------- conditions, globs, regexes


def test_condition_problems_point_at_key_or_value():
    text = HEADER + """\
filters:
  - id: a
    when:
      error.typ: X
      error.value: "{a,b"
      exc.status_code: {lt: "500", regx: a}
      any: []
    unless: {not: {transaction: {regex: "a(?=b)"}}}
    drop: true
  - id: b
    when: {jmespath: "foo[", tags.: x}
    drop: true
grouping:
  - id: g
    when: {}
    level: error
"""
    assert problems(text) == [
        "r.yaml:6:7: unknown condition field 'error.typ' (did you mean 'error.type'?)",
        "r.yaml:7:20: glob '{a,b' has an unclosed '{'",
        "r.yaml:8:29: 'lt' takes a number, not a string",
        "r.yaml:8:36: unknown matcher operator 'regx' (did you mean 'regex'?)",
        "r.yaml:9:12: 'any' takes a non-empty list of conditions",
        "r.yaml:10:41: invalid regex 'a(?=b)': a lookaround; RE2 (linear time) has none: match the surrounding "
        "text too and put the part to redact in a capture group (only groups are redacted), or add a 'not:' "
        "condition (RE2: invalid perl operator: (?=)",
        "r.yaml:13:22: invalid JMESPath expression 'foo[': Invalid jmespath expression: Incomplete expression:",
        "r.yaml:13:30: unknown condition field 'tags.' (did you mean 'tags.<name>'?)",
        "r.yaml:17:11: a condition needs at least one field",
    ]


def test_scrub_patterns_and_key_globs_are_compiled():
    text = HEADER + """\
scrub:
  rules:
    - id: s
      keys: ["*password*", "[abc", "x\\\\"]
      pattern: '(a)\\1'
"""
    assert problems(text) == [
        "r.yaml:6:28: glob '[abc' has an unclosed '['",
        "r.yaml:6:36: glob 'x\\\\' ends with a lone backslash",
        "r.yaml:7:16: invalid regex '(a)\\1': a backreference; RE2 (linear time) has none: match the repeated "
        "text explicitly (e.g. [a-z]+ twice), or test equality in a second rule (RE2: invalid escape sequence: \\1)",
    ]


def test_selectors_are_checked_with_the_scrubbers_grammar():
    from rules_engine.scrub.selectors import parse_selector

    bad = "request..data"
    with pytest.raises(ValueError) as reason:
        parse_selector(bad)
    text = HEADER + f"scrub:\n  allow: [request.headers.user-agent, '{bad}']\n  rules:\n" \
                    f"    - id: s\n      keys: [x]\n      in: [extra, '{bad}']\n"
    assert problems(text) == [
        f"r.yaml:4:39: invalid selector '{bad}': {reason.value}",
        f"r.yaml:8:19: invalid selector '{bad}': {reason.value}",
    ]


def test_grouping_templates_are_checked():
    text = HEADER + """\
grouping:
  - id: g
    fingerprint: [database-error, '{{ default }}-x', '{{ error.vaule }}']
    title: 'Database Error: {{ error.value }'
    tags: {team: '{{ tag.team }}', kind: '{{ error.type }}'}
    contexts: {location: {function: '{{ functon }}'}}
"""
    assert problems(text) == [
        "r.yaml:5:35: '{{ default }}' must be a fingerprint item of its own",
        "r.yaml:5:54: unknown template variable 'error.vaule' (did you mean 'error.value'?)",
        "r.yaml:6:12: unbalanced '{{' or '}}' in template",
        "r.yaml:7:18: unknown template variable 'tag.team' (did you mean 'tags.<name>'?)",
        "r.yaml:8:37: unknown template variable 'functon' (did you mean 'function'?)",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "    fingerprint: [db, '{{ eror.type }}']",
        "    title: 'Database Error: {{ eror.type }}'",
        "    tags: {kind: '{{ eror.type }}'}",
        "    contexts: {where: {kind: '{{ eror.type }}'}}",
    ],
    ids=["fingerprint", "title", "tags", "contexts"],
)
def test_unknown_template_variable_is_reported_at_its_value(line):
    text = HEADER + "grouping:\n  - id: g\n" + line + "\n"
    column = line.index("'") + 1  # the value starts at its opening quote
    assert problems(text) == [
        f"r.yaml:5:{column}: unknown template variable 'eror.type' (did you mean 'error.type'?)"
    ]


def test_templates_nested_inside_a_context_are_checked():
    text = HEADER + """\
grouping:
  - id: g
    contexts:
      where:
        frame: {function: '{{ function }}', module: '{{ modul }}'}
        trail: [fixed, '{{ lineno }}', '{{ paht }}']
"""
    assert problems(text) == [
        "r.yaml:7:53: unknown template variable 'modul' (did you mean 'module'?)",
        "r.yaml:8:40: unknown template variable 'paht' (did you mean 'path'?)",
    ]


def test_duplicate_rule_ids_across_sections():
    text = HEADER + """\
filters:
  - id: noise
    drop: true
grouping:
  - id: noise
    level: info
scrub:
  rules:
    - id: noise
      keys: [x]
"""
    assert problems(text) == [
        "r.yaml:7:9: duplicate rule id 'noise' (already used by the filter rule at line 4); "
        "rule ids must be unique across the ruleset",
        "r.yaml:11:11: duplicate rule id 'noise' (already used by the filter rule at line 4); "
        "rule ids must be unique across the ruleset",
    ]


def test_every_problem_of_a_file_is_reported_at_once():
    text = "\n".join([
        "format: 1",
        "name: shop",
        "options: {on_error: dropp}",
        "filters:",
        "  - id: a",
        "    when: {error.typ: X}",
        "    drop: true",
        "  - id: a",
        "    sample: 2",
        "scrub:",
        "  rules:",
        "    - id: s",
        "      pattern: '('",
        "",
    ])
    found = problems(text)
    assert [line.split(": ", 1)[0] for line in found] == [
        "r.yaml:3:21", "r.yaml:6:12", "r.yaml:8:9", "r.yaml:9:13", "r.yaml:13:16"
    ]


# --------------------------------------------------------------------------- what a valid file gives


def test_valid_file_loads_into_the_models(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text(HEADER + textwrap.dedent("""\
        revision: 7
        filters:
          - id: health
            on: [transaction]
            when: {transaction: "*/health"}
            drop: true
        grouping:
          - id: db
            when: {error.type: sqlalchemy.exc.OperationalError}
            fingerprint: [database-error]
            continue: true
        scrub:
          rules:
            - id: cards
              detect: [creditcard]
              in: [extra]
              redact: {mask: {keep_last: 4}}
    """))
    loaded = load_model(path)
    assert isinstance(loaded, LoadedRuleset)
    assert loaded.path == str(path)
    assert loaded.model.name == "shop" and loaded.model.revision == 7
    assert loaded.model.filters[0].on == ["transaction"]
    assert loaded.model.grouping[0].continue_ is True
    rule = loaded.model.scrub.rules[0]
    assert rule.in_ == ["extra"]
    assert isinstance(rule.redact, models.MaskRedaction) and rule.redact.mask.keep_last == 4
    assert loaded.origins == {"health": f"{path}:5", "db": f"{path}:10", "cards": f"{path}:16"}
    assert loaded.hash_key is None
    assert loaded.warnings == []


def test_values_are_plain_python_types():
    loaded = load_model_from_text(HEADER + "revision: 0x1F\nfilters:\n  - id: a\n    when: {level: !!str 5}\n"
                                           "    sample: 0.50\n")
    assert type(loaded.model.revision) is int and loaded.model.revision == 31
    condition = loaded.model.filters[0].when
    assert type(condition) is dict and condition == {"level": "5"}
    assert type(loaded.model.filters[0].sample) is float


def test_missing_file_is_a_ruleset_error(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RulesetError) as caught:
        load_model(missing)
    assert [p.message for p in caught.value.problems] == [
        "cannot read the file: No such file or directory"
    ]


def test_every_error_rules_engine_raises_has_one_root():
    from rules_engine import RulesEngineError
    from rules_engine.conditions.glob import GlobError, compile_glob
    from rules_engine.conditions.regex import RegexError, compile_regex
    from rules_engine.rules.compile import RuleCompileError
    from rules_engine.rules.templates import TemplateError
    from rules_engine.scrub import ScrubLimitExceeded, UnsendableValue

    for error in (RulesetError, GlobError, RegexError, RuleCompileError, TemplateError,
                  ScrubLimitExceeded, UnsendableValue):
        assert issubclass(error, RulesEngineError), error
    with pytest.raises(RulesEngineError):
        compile_glob("{unclosed")
    with pytest.raises(RulesEngineError):
        compile_regex("(a")
    with pytest.raises(RulesEngineError):
        load_model_from_text("format: 1\nname: x\nfilters: [{id: r, wen: {}}]\n")


def test_a_rule_origin_is_data_and_reads_as_file_and_line(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("format: 1\nname: x\nfilters:\n  - id: r\n    when: {level: error}\n    drop: true\n")
    origin = load_model(path).origins["r"]
    assert (origin.path, origin.line) == (str(path), 4)
    assert origin == f"{path}:4"
