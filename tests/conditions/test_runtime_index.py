"""The rule index never changes which rule decides: candidates keep the file's order."""

from __future__ import annotations

import itertools

import pytest

from rules_engine.conditions.event_view import EventView
from rules_engine.conditions.glob import compile_glob
from rules_engine.conditions.index import literal_expansions
from rules_engine.model import models
from rules_engine.runtime.ruleset import Ruleset

# Conditions that all hold for EVENT; some are indexable (literal error.type / transaction /
# logger), some are not.
HOLDING = [
    {"error.type": "KeyError"},                       # indexed by error.type
    {"error.type": ["builtins.KeyError", "Nope"]},    # indexed, dotted
    {"error.type": "LookupError"},                    # indexed, base class via the live exception
    {"transaction": {"equals": "/orders/{id}"}},      # indexed by transaction
    {"transaction": "/orders/\\{id\\}"},              # indexed: escaped braces are literal
    {"logger": "shop.{api,web}"},                     # indexed: braces expand to two loggers
    {"level": "error"},                               # not indexed
    {"error.type": "*Error"},                         # not indexed (wildcard)
    {"transaction": "/orders/*"},                     # indexed by its literal prefix
    {"error.type": "builtins.Key*"},                  # indexed by prefix, dotted name
]
FAILING = [{"error.type": "ValueError"}, {"transaction": "/carts/{id}"}, {"logger": "other"}, {"level": "info"},
           {"transaction": "/carts/*"}, {"logger": "shop.web*"}]

EVENT = {
    "level": "error",
    "logger": "shop.api",
    "transaction": "/orders/{id}",
    "exception": {"values": [{"type": "KeyError", "value": "'id'"}]},
}


def hint():
    exc = KeyError("id")
    return {"exc_info": (KeyError, exc, None)}


def grouping_ruleset(conditions):
    return Ruleset.from_model(models.RulesetSpec.model_validate({
        "format": 1, "name": "order",
        "grouping": [{"id": f"r{i}", "when": c, "tags": {"winner": f"r{i}"}} for i, c in enumerate(conditions)],
    }))


@pytest.mark.parametrize("order", list(itertools.permutations(range(len(HOLDING)), 3)))
def test_first_holding_rule_wins_whatever_the_index(order):
    conditions = [FAILING[0], *(HOLDING[i] for i in order), FAILING[1]]
    result = grouping_ruleset(conditions).process(dict(EVENT), hint())
    assert result["tags"]["winner"] == "r1"


def test_prefix_indexed_rules_are_candidates_only_for_values_they_start():
    ruleset = grouping_ruleset([FAILING[4], FAILING[5], HOLDING[8], HOLDING[9], HOLDING[6],
                                {"transaction": ["/ord*", "/x"]}, {"logger": "shop.{api,web}.*"}])
    view = EventView(dict(EVENT), hint(), "error")
    candidates = [r.id for r in ruleset._rules.grouping["error"].candidates(view)]
    # r0 (/carts/*) and r1 (shop.web*) cannot match; r6 needs a logger below shop.api. or shop.web.
    assert candidates == ["r2", "r3", "r4", "r5"]
    result = ruleset.process(dict(EVENT), hint())
    assert result["tags"]["winner"] == "r2"


@pytest.mark.parametrize("pattern,prefixes", [
    ("/internal/*", ["/internal/"]), ("a{b,c}**", ["ab", "ac"]), ("a\\*", None), ("*", None), ("a?b*", None),
    ("a*b*", None), ("plain", None),
])
def test_glob_prefixes(pattern, prefixes):
    from rules_engine.conditions.index import _glob_prefixes

    assert _glob_prefixes(pattern) == prefixes


def test_indexed_rules_are_skipped_for_other_events():
    ruleset = grouping_ruleset([*FAILING[:4], HOLDING[0], HOLDING[3], HOLDING[6]])
    view = EventView(dict(EVENT), hint(), "error")
    candidates = [r.id for r in ruleset._rules.grouping["error"].candidates(view)]
    # r0..r2 require other literal values and are not candidates; r3 (level: info) and r6 are
    # not indexable, r4 / r5 are indexed under this event's values.
    assert candidates == ["r3", "r4", "r5", "r6"]


@pytest.mark.parametrize("pattern", ["a{b,c}d", "/orders/\\{id\\}", "{x,y}{1,2}", "plain", "a{b,{c,d}}e"])
def test_literal_expansions_are_exactly_what_the_glob_matches(pattern):
    expansions = literal_expansions(pattern)
    match = compile_glob(pattern)
    assert expansions and all(match(e) for e in expansions)
    # Every other string built from the same characters is rejected by the glob.
    alphabet = sorted(set("".join(expansions)))
    for length in range(1, 5):
        for chars in itertools.product(alphabet, repeat=length):
            text = "".join(chars)
            assert match(text) == (text in expansions)


def test_wildcards_are_not_expanded():
    assert literal_expansions("a*") is None and literal_expansions("a?") is None
    assert literal_expansions("[ab]") is None


def test_explain_context_lists_matched_rules():
    ruleset = Ruleset.from_model(models.RulesetSpec.model_validate({
        "format": 1, "name": "ctx", "revision": 2, "options": {"explain_context": True},
        "grouping": [{"id": "g", "when": {"level": "error"}, "level": "warning"}],
    }))
    result = ruleset.process({"level": "error", "message": "m"})
    assert result["contexts"]["rules_engine"] == {"ruleset": "ctx@2", "matched": ["g"]}
