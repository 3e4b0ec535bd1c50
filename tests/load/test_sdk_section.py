"""The ``sdk`` section is validated like the rest of a ruleset: every problem at its line and column."""

from __future__ import annotations

import pytest

from rules_engine.errors import RulesetError
from rules_engine.load.loader import load_model_from_text

BROKEN = """\
format: 1
name: svc
sdk:
  sample_rate: 0.5
  traces:
    sample_rate: 0.1
    rules:
      - id: health
        when: {transaction: "*/health", error.type: X}
        sample_rate: 0
      - id: health
        when: {environment: {bogus: 1}}
        sample_rate: 1.5
  failed_request_status_codes: [401, "500-599", 700, "599-500"]
  collect: {cookies: {mode: of}}
"""


def test_every_problem_of_the_sdk_section_is_reported_at_its_position():
    with pytest.raises(RulesetError) as caught:
        load_model_from_text(BROKEN, "svc.yaml")
    problems = [(p.line, p.col, p.message) for p in caught.value.problems]
    assert [(line, col) for line, col, _ in problems] == [(9, 41), (11, 13), (12, 30), (13, 22), (14, 32), (15, 29)]
    messages = [message for _, _, message in problems]
    assert messages[0].startswith("'error.type' is not known when a trace starts")
    assert "duplicate rule id 'health'" in messages[1]
    assert "unknown matcher operator 'bogus'" in messages[2]
    assert messages[3] == "sample_rate must be between 0 and 1, got 1.5"
    assert "700 is not an HTTP status code" in messages[4]
    assert "did you mean 'off'" in messages[5]


def test_a_valid_sdk_section_loads():
    loaded = load_model_from_text(BROKEN.replace("error.type: X", "request.method: GET")
                                  .replace("      - id: health\n        when: {environment: {bogus: 1}}\n"
                                           "        sample_rate: 1.5\n", "")
                                  .replace(', 700, "599-500"', "").replace("mode: of", 'mode: "off"'), "svc.yaml")
    assert loaded.model.sdk.traces.rules[0].sample_rate == 0
