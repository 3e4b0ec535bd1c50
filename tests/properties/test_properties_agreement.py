"""The compiled rules agree with the reference evaluator (tests/reference_evaluator.py).

Rulesets are generated from the condition vocabulary (fields, globs, regexes, equality,
comparisons, exists, negation, any/all/not, unless, ``on``, first-match and ``continue``) and
events from the same values, so conditions hit and miss both. Agreement is checked on: whether the
event is dropped and by which filter, which grouping rules applied, and the resulting fingerprint,
level and tags. Templates and jmespath are outside the reference (templates have Sentry's
placeholder semantics of their own), so generated actions are literal.

Two families of events: single-exception single-frame events with conditions nested freely, and
chains of several exceptions and frames, where the same-element rule of ``error.*`` / ``stack.*``
tests matters.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules_engine.conditions import syntax as cs
from rules_engine.model import models
from rules_engine.runtime.ruleset import Ruleset
from tests import reference_evaluator as ref
from tests import strategies as S

SETTINGS = settings(max_examples=S.scaled(150), suppress_health_check=list(HealthCheck), deadline=None)


def compiled_outcome(ruleset: Ruleset, event: dict, hint):
    explanation = ruleset.explain(copy.deepcopy(event), hint)
    result = ruleset.process(copy.deepcopy(event), hint)
    filters = [t for t in explanation.rules if t.phase == "filter" and t.matched]
    grouping = [t.rule_id for t in explanation.rules if t.phase == "grouping" and t.matched]
    return result, (filters[0].rule_id if filters else None), grouping


def normalized_tags(result: dict) -> dict:
    tags = ref.as_mapping(result.get("tags"))
    tags.pop("ruleset", None)
    return tags


def check_agreement(doc: dict, event: dict, hint) -> None:
    model = models.RulesetSpec.model_validate(doc)
    ruleset = Ruleset.from_model(model)
    kind = "transaction" if event.get("type") == "transaction" else "error"
    expected = ref.evaluate(model, copy.deepcopy(event), hint, kind)
    result, decided_by, grouping = compiled_outcome(ruleset, event, hint)
    context = f"event={event!r}"
    assert decided_by == expected.decided_by, context
    assert (result is None) == expected.dropped, context
    if result is None:
        return
    assert grouping == expected.grouping_applied, context
    assert result.get("fingerprint") == expected.fingerprint, context
    assert result.get("level") == expected.level, context
    assert normalized_tags(result) == expected.tags, context
    assert ruleset.explain(copy.deepcopy(event), hint).after == result, "explain and the hooks disagree"


@SETTINGS
@given(doc=S.ruleset_documents(), pair=S.vocabulary_events(max_exceptions=1, max_frames=1))
def test_compiled_rules_agree_with_reference_on_simple_events(doc, pair):
    check_agreement(doc, *pair)


@SETTINGS
@given(doc=S.ruleset_documents(), pair=S.vocabulary_events(max_exceptions=3, max_frames=3))
def test_compiled_rules_agree_with_reference_on_chains(doc, pair):
    check_agreement(doc, *pair)


# The reference itself, on cases worked out by hand from the design's semantics.


def _holds(condition: dict, event: dict, hint=None) -> bool:
    return ref.holds(cs.parse_condition(condition), event, hint)


CHAIN = {"exception": {"values": [
    {"type": "OperationalError", "module": "sqlalchemy.exc", "value": "could not connect"},
    {"type": "ValueError", "value": "bad input",
     "stacktrace": {"frames": [{"function": "connect", "module": "app.db", "abs_path": "/srv/app/db.py",
                                "in_app": True},
                               {"function": "handler", "module": "app.views", "in_app": False}]}},
]}}


def test_reference_same_element_semantics():
    assert _holds({"error.type": "sqlalchemy.exc.OperationalError", "error.value": "*connect*"}, CHAIN)
    assert not _holds({"error.type": "ValueError", "error.value": "*connect*"}, CHAIN)
    # Only tests side by side in one mapping share an element; a nested any/not stands on its own.
    assert _holds({"error.type": "ValueError", "any": [{"error.value": "*connect*"}]}, CHAIN)
    assert _holds({"stack.function": "connect", "stack.in_app": True}, CHAIN)
    assert not _holds({"stack.function": "handler", "stack.in_app": True}, CHAIN)


def test_reference_negation_semantics():
    assert _holds({"error.type": {"not": "ValueError"}}, CHAIN)  # some exception is not a ValueError
    assert not _holds({"not": {"error.type": "ValueError"}}, CHAIN)  # ... but one is
    assert _holds({"error.type": {"not": "ValueError"}}, {"message": "no exception"})
    assert not _holds({"error.type": "*"}, {"message": "no exception"})
    assert _holds({"tags.team": {"exists": False}}, {"tags": [["region", "eu"]]})
    assert _holds({"tags.region": "eu"}, {"tags": [["region", "eu"]]})


def test_reference_live_exception_base_classes():
    hint = {"exc_info": S._live_exc_info(S.HTTPError(404))}
    event = {"exception": {"values": [{"type": "HTTPError", "module": S.HTTPError.__module__, "value": "x"}]}}
    assert _holds({"error.type": "Exception", "exc.status_code": {"lt": 500}}, event, hint)
    assert _holds({"error.type": "Exception"}, event)  # offline: its module is imported here
    unknown = {"exception": {"values": [{"type": "HTTPError", "module": "shop.not_imported", "value": "x"}]}}
    assert not _holds({"error.type": "Exception"}, unknown)
    assert not _holds({"exc.status_code": {"exists": True}}, event)


def test_reference_message_reads_log_message_and_exception_values():
    assert _holds({"message": "*CONNECT*"}, CHAIN)
    assert _holds({"message": "cache miss"}, {"logentry": {"formatted": "cache miss", "message": "cache %s"}})
    assert not _holds({"message": "cache %s"}, {"logentry": {"formatted": "cache miss", "message": "cache %s"}})


def test_reference_filters_and_grouping_order():
    model = models.RulesetSpec.model_validate({
        "format": 1, "name": "t",
        "filters": [{"id": "keep", "when": {"level": "info"}, "sample": 1.0},
                    {"id": "drop-info", "when": {"level": "info"}, "drop": True}],
        "grouping": [{"id": "a", "when": {"level": "info"}, "tags": {"x": "1"}, "continue": True},
                     {"id": "b", "fingerprint": ["b"], "tags": {"x": "2", "y": "3"}},
                     {"id": "c", "fingerprint": ["c"]}],
    })
    outcome = ref.evaluate(model, {"level": "info"})
    assert (outcome.decided_by, outcome.dropped) == ("keep", False)
    assert outcome.grouping_applied == ["a", "b"]
    assert outcome.fingerprint == ["b"] and outcome.tags == {"x": "2", "y": "3"}
    assert ref.evaluate(model, {"level": "info", "type": "transaction"}, kind="transaction").decided_by is None


# Matchers built around the value the event really has, so boundaries (lt vs lte, case, anchors)
# are hit on purpose rather than by chance.


def actual_value(field: str, event: dict, hint, data) -> object:
    if field.startswith("error."):
        chain = ref.exception_list(event)
        value = ref.error_field(field, data.draw(st.sampled_from(chain)), ref.live_exception(hint)) if chain else ref.MISSING
    elif field.startswith("stack."):
        frames = ref.frame_list(event)
        value = ref.stack_field(field, data.draw(st.sampled_from(frames))) if frames else ref.MISSING
    else:
        value = ref.event_field(field, event, hint)
    if isinstance(value, tuple):
        value = data.draw(st.sampled_from(value))
    return data.draw(st.sampled_from(S.FIELD_VALUES[field])) if value is ref.MISSING else value


def matcher_around(value, data):
    if isinstance(value, bool):
        return data.draw(st.sampled_from([value, not value, {"equals": value}, {"not": value}]))
    if isinstance(value, (int, float)):
        bound = value + data.draw(st.sampled_from([-1, 0, 0, 1]))
        op = data.draw(st.sampled_from(["lt", "lte", "gt", "gte"]))
        return data.draw(st.sampled_from([{op: bound}, bound, {"not": {op: bound}}, [bound, value + 7]]))
    text = str(value)
    variant = data.draw(st.sampled_from([text, text.upper(), text.lower(), text.swapcase()]))
    cut = data.draw(st.integers(0, len(variant)))
    return data.draw(st.sampled_from([
        S._escape_glob(variant),
        S._escape_glob(variant[:cut]) + "*",
        "*" + S._escape_glob(variant[cut:]),
        "?" + S._escape_glob(variant[1:]) if variant else "*",
        {"equals": variant},
        {"regex": "^" + S._regex_literal(variant[:cut]) if cut else "$"},
        {"regex": S._regex_literal(variant[cut:]) + "$"},
        {"not": S._escape_glob(variant)},
        {"glob": S._escape_glob(variant), "not": {"equals": "zzz"}},
    ]))


@pytest.mark.parametrize("field", S.CONDITION_FIELDS)
@settings(max_examples=S.scaled(30), suppress_health_check=list(HealthCheck), deadline=None)
@given(pair=S.vocabulary_events(), data=st.data())
def test_matchers_agree_at_the_boundaries(field, pair, data):
    event, hint = pair
    matcher = matcher_around(actual_value(field, event, hint, data), data)
    doc = {"format": 1, "name": "boundary", "filters": [
        {"id": "probe", "on": ["error", "transaction"], "when": {field: matcher}, "drop": True}]}
    check_agreement(doc, event, hint)
