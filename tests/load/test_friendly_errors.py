"""Errors a new user can act on: YAML syntax errors explained, with the line drawn and a caret,
and the rest of the file still checked; RE2 errors that name the construct RE2 leaves out and the
linear-time way to the same effect, with the regex shown as written."""

from __future__ import annotations

import pytest

from rules_engine.errors import RulesetError
from rules_engine.load.loader import load_model_from_text


def problems(text: str) -> list[str]:
    with pytest.raises(RulesetError) as raised:
        load_model_from_text(text, "r.yaml")
    return [str(problem) for problem in raised.value.problems]


OVER_INDENTED = """\
format: 1
name: shop
filters:
  - id: probes
    when: {transaction: /health}
     drop: true
  - id: noisy
    sample: 1.5
"""


def test_an_indentation_error_is_explained_and_the_rest_of_the_file_is_still_checked():
    assert problems(OVER_INDENTED) == [
        "r.yaml:6:6: YAML syntax error: this line is indented by 5 spaces, which matches no enclosing block "
        "(the block started at line 4, column 5): indent it like the keys above it\n"
        "    6 |      drop: true\n"
        "      |      ^",
        "r.yaml:8:13: sample must be between 0 and 1, got 1.5",
    ]


def test_a_dedented_line_names_its_indent_and_where_the_block_started():
    text = "format: 1\nname: shop\nfilters:\n  - id: probes\n    when: {level: info}\n   drop: true\n"
    [found] = problems(text)
    assert found == (
        "r.yaml:6:4: YAML syntax error: this line is indented by 3 spaces, which matches no enclosing block "
        "(the block started at line 4, column 3): indent it like the keys above it\n"
        "    6 |    drop: true\n"
        "      |    ^")  # and not "a filter rule needs drop or sample" about the broken rule itself


def test_an_unclosed_bracket_is_reported_once():
    text = "format: 1\nname: shop\nfilters:\n  - id: a\n    when: {level: error\n    drop: true\n  - id: b\n"
    [found] = problems(text)
    assert found.startswith("r.yaml:6:9: YAML syntax error: the '{' opened at line 5, column 11 is not closed "
                            "with '}' before this point\n")


def test_a_value_with_a_colon_suggests_quotes():
    text = "format: 1\nname: shop\ngrouping:\n  - id: a\n    title: Database Error: {{ error.value }}\n"
    [found] = problems(text)
    assert "a value holds ': ' and needs quotes" in found
    assert found.endswith("    5 |     title: Database Error: {{ error.value }}\n      |                          ^")


UNSUPPORTED = [
    (r"(\w+) \1", "a backreference; RE2 (linear time) has none"),
    (r"(?P<word>\w+) (?P=word)", "a backreference; RE2 (linear time) has none"),
    (r"token(?=[0-9])", "a lookaround; RE2 (linear time) has none: match the surrounding text too and put the "
                        "part to redact in a capture group"),
    (r"(?<!test_)secret", "a lookaround; RE2 (linear time) has none"),
    (r"\d++", "a possessive quantifier or atomic group; RE2 never backtracks, so the plain quantifier"),
    (r"(?>ab|a)c", "a possessive quantifier or atomic group"),
    (r"end\Z", "\\Z; RE2 writes the end of the text as \\z (or $)"),
]


@pytest.mark.parametrize(("pattern", "explanation"), UNSUPPORTED)
def test_a_scrub_pattern_re2_cannot_run_names_the_construct_and_shows_the_regex_as_written(pattern, explanation):
    text = f"format: 1\nname: shop\nscrub:\n  rules:\n    - id: p\n      pattern: '{pattern}'\n"
    [found] = problems(text)
    assert found.startswith(f"r.yaml:6:16: invalid regex '{pattern}': {explanation}")


@pytest.mark.parametrize(("pattern", "explanation"), UNSUPPORTED[:3])
def test_a_condition_regex_gets_the_same_explanation(pattern, explanation):
    text = f"format: 1\nname: shop\nfilters:\n  - id: f\n    when: {{message: {{regex: '{pattern}'}}}}\n    drop: true\n"
    [found] = problems(text)
    assert f"invalid regex '{pattern}': {explanation}" in found


@pytest.mark.parametrize(("template", "suggestion"), [
    ("{{ duration_ms | int }} ms", "{{ duration_ms }}"),
    ("{{ error.value|truncate(20) }}", "{{ error.value }}"),
])
def test_a_template_filter_is_explained(template, suggestion):
    text = f"format: 1\nname: shop\ngrouping:\n  - id: a\n    tags: {{shown: '{template}'}}\n"
    [found] = problems(text)
    assert found.endswith(f"templates hold one variable each, without filters or expressions; write '{suggestion}'")
