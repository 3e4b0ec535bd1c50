"""A ruleset applied to its own output gives the same fingerprint, title and tags.

Exports and replays run events through a ruleset again. A ``title`` rewrites the main exception's
type and value (or the log message), so rules must read the originals kept in the
``original_exception`` / ``original_message`` contexts, or a second pass would see the rendered
title, match other rules and move the event to another group. The events are the real-event
corpus; the rulesets are the bundled ones and generated grouping rules with titles."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rules_engine.cli.report import sentry_title
from rules_engine.load.loader import load_model, load_model_from_text
from rules_engine.runtime.ruleset import Ruleset

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "rulesets").glob("*.yaml"))

#: Template pieces of generated titles, fingerprints and tags.
VARIABLES = ["{{ error.type }}", "{{ error.value }}", "{{ message }}", "{{ transaction }}", "{{ level }}",
             "{{ logger }}", "{{ function }}", "{{ module }}"]
PIECES = st.sampled_from(VARIABLES + ["Database Error", "checkout", ": ", " in ", "-"])
CONDITIONS = st.sampled_from([
    "{error.type: '*Error'}", "{error.type: '*'}", "{message: '*'}", "{error.value: '*'}",
    "{level: [error, warning]}", "{error.type: '*Integrity*'}", "{message: '*login*'}", "{level: '*'}",
])


@st.composite
def grouping_rulesets(draw) -> str:
    rules = []
    for index in range(draw(st.integers(1, 4))):
        title = "".join(draw(st.lists(PIECES, min_size=1, max_size=5)))
        fingerprint = draw(st.lists(st.sampled_from(VARIABLES + ["{{ default }}", "group"]), min_size=1, max_size=3))
        rules.append(
            f"  - id: rule-{index}\n"
            f"    when: {draw(CONDITIONS)}\n"
            f"    title: {title!r}\n"
            f"    fingerprint: {fingerprint!r}\n"
            f"    tags: {{shown: {draw(st.sampled_from(VARIABLES))!r}}}\n"
            f"    continue: {str(draw(st.booleans())).lower()}\n"
        )
    return "format: 1\nname: generated\nextends: [builtin:secure-defaults@2026.11]\ngrouping:\n" + "".join(rules)


def grouping_of(event: dict) -> tuple:
    return event.get("fingerprint"), sentry_title(event), event.get("tags")


def assert_stable(rules: Ruleset, event: dict, hint: dict) -> bool:
    """Process the event twice and compare; False when the first pass dropped it."""
    rules.draw = lambda: 0.0  # sampling keeps every event: only grouping is under test
    once = rules.before_send(copy.deepcopy(event), hint)
    if once is None:
        return False
    twice = rules.before_send(copy.deepcopy(once), hint)
    assert twice is not None
    assert grouping_of(twice) == grouping_of(once)
    return True


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_rulesets_are_idempotent_on_the_corpus(path, corpus):
    rules = Ruleset.from_loaded(load_model(path, require_env=False))
    for event, hint in zip(corpus.events, corpus.hints):
        if event.get("type") != "transaction":
            for this_hint in (hint, {}):  # in process, and as an export read back offline
                assert_stable(rules, event, this_hint)


@given(text=grouping_rulesets(), index=st.integers(0, 10_000), live=st.booleans())
def test_generated_title_rules_are_idempotent_on_the_corpus(corpus, text, index, live):
    rules = Ruleset.from_loaded(load_model_from_text(text))
    errors = [i for i, e in enumerate(corpus.events) if e.get("type") != "transaction"]
    chosen = errors[index % len(errors)]
    assume(assert_stable(rules, corpus.events[chosen], corpus.hints[chosen] if live else {}))


def test_a_retitled_event_processed_again_keeps_its_group(corpus):
    """The case that moved exported events to other groups: a title that no longer matches the
    rule that produced it."""
    rules = Ruleset.from_loaded(load_model_from_text(
        "format: 1\nname: retitle\ngrouping:\n"
        "  - id: integrity\n    when: {error.type: sqlalchemy.exc.IntegrityError}\n"
        "    title: 'Database Error: {{ error.value }}'\n    fingerprint: [database-error, integrity]\n"
        "    tags: {error_group: database_error}\n"
        "  - id: database-word\n    when: {error.type: 'Database*'}\n    fingerprint: [other]\n"
    ))
    [index] = corpus.scenarios["sqlalchemy_integrity_error"]
    once = rules.before_send(copy.deepcopy(corpus.events[index]), {})
    twice = rules.before_send(copy.deepcopy(once), {})
    assert once["fingerprint"] == ["database-error", "integrity"]
    assert grouping_of(twice) == grouping_of(once)
    assert rules.stats()["matched"] == {"integrity": 2}  # never the rule matching the rendered type
    assert twice["contexts"]["original_exception"]["type"] == "IntegrityError"
