"""Scrub precedence, one rule: ``allow`` wins; a value under a key a ``keys`` rule matches is
replaced whole by the first such rule; other text is redacted per finding, overlapping findings
merged and redacted by the first of their rules. "First" is ruleset order: extended rulesets'
rules first, a rule replaced by id or changed by ``override`` keeping its place.

``override: <id>`` changes an extended rule in place, e.g. only its ``redact``."""

from __future__ import annotations

import pytest
import sentry_sdk

from rules_engine.capture import capture_events
from rules_engine.errors import RulesetError
from rules_engine.load.loader import load_model_from_text
from rules_engine.runtime.ruleset import Ruleset


def ruleset(text: str) -> Ruleset:
    return Ruleset.from_loaded(load_model_from_text("format: 1\nname: precedence\n" + text))


def sent(rules: Ruleset, **extra) -> dict:
    """The event a real sentry-sdk client sends with these rules and ``extra`` set on the scope."""
    with capture_events(**rules.sentry_options()) as events:
        with sentry_sdk.new_scope() as scope:
            for key, value in extra.items():
                scope.set_extra(key, value)
            sentry_sdk.capture_message("checkout failed")
    [event] = events
    return event


TWO_KEY_RULES = """
scrub:
  allow: [extra.public_token]
  rules:
    - id: first
      keys: ["*token*"]
      redact: {replace: FIRST}
    - id: second
      keys: [session_token, "*card*"]
      redact: {replace: SECOND}
    - id: cards
      detect: [creditcard]
      redact: {mask: {keep_last: 4}}
    - id: accounts
      pattern: 'ACCT-[0-9]{4}'
      redact: {replace: ACCOUNT}
    - id: account-numbers
      pattern: '[0-9]{4}-X'
      redact: {replace: NUMBER}
"""


def test_the_first_keys_rule_in_order_redacts_a_value():
    event = sent(ruleset(TWO_KEY_RULES), session_token="s-1", card_holder="Ann")
    assert event["extra"]["session_token"] == "FIRST"
    assert event["extra"]["card_holder"] == "SECOND"
    assert event["_meta"]["extra"]["session_token"][""]["rem"][0][0] == "first"


def test_allow_wins_over_every_rule():
    assert sent(ruleset(TWO_KEY_RULES), public_token="p-1")["extra"]["public_token"] == "p-1"


def test_a_value_under_a_sensitive_key_is_replaced_whole_before_text_rules_look_at_it():
    event = sent(ruleset(TWO_KEY_RULES), card_number="4111 1111 1111 1111")
    assert event["extra"]["card_number"] == "SECOND"  # not the card detector's mask


def test_overlapping_findings_merge_and_the_first_rule_redacts_them():
    event = sent(ruleset(TWO_KEY_RULES), note="id ACCT-1234-X and 5678-X")
    assert event["extra"]["note"] == "id ACCOUNT and NUMBER"


# ---------------------------------------------------------------- override


PACK = "extends: [builtin:secure-defaults@2026.11]\n"


def test_override_changes_a_parent_rules_redaction_without_copying_its_keys():
    rules = ruleset(PACK + 'scrub:\n  rules:\n    - override: secret-keys\n      redact: {replace: "[FILTERED]"}\n')
    event = sent(rules, password="hunter2", api_key="k-1", db_secret="s-2", note="kept")
    assert [event["extra"][k] for k in ("password", "api_key", "db_secret", "note")] == [
        "[FILTERED]", "[FILTERED]", "[FILTERED]", "kept"]
    assert event["_meta"]["extra"]["password"][""]["rem"][0][0] == "secret-keys"  # same id, same place
    parent = ruleset(PACK)
    [changed] = [r for r in rules.model.scrub.rules if r.id == "secret-keys"]
    [original] = [r for r in parent.model.scrub.rules if r.id == "secret-keys"]
    assert changed.keys == original.keys and changed.redact != original.redact
    assert [r.id for r in rules.model.scrub.rules] == [r.id for r in parent.model.scrub.rules]


def test_override_can_narrow_where_a_parent_rule_applies():
    rules = ruleset(PACK + "scrub:\n  rules:\n    - override: secret-keys\n      in: [request]\n")
    assert sent(rules, password="hunter2")["extra"]["password"] == "hunter2"


def test_an_override_of_an_unknown_rule_is_a_load_error_with_a_suggestion():
    with pytest.raises(RulesetError) as raised:
        ruleset(PACK + "scrub:\n  rules:\n    - override: secret-key\n      redact: remove\n")
    [problem] = raised.value.problems
    assert (problem.line, problem.col) == (6, 17)
    assert problem.message == ("override: no scrub rule 'secret-key' in the extended rulesets to change "
                               "(did you mean 'secret-keys'?)")


@pytest.mark.parametrize(("entry", "message"), [
    ("    - override: secret-keys\n      id: mine\n", "an override keeps the id of the rule it changes; remove 'id'"),
    ("    - keys: [x]\n", "a scrub rule needs an 'id' (or 'override: <id>' to change an extended rule)"),
])
def test_an_override_has_no_id_and_a_rule_needs_one(entry, message):
    with pytest.raises(RulesetError) as raised:
        ruleset(PACK + "scrub:\n  rules:\n" + entry)
    assert [p.message for p in raised.value.problems] == [message]
