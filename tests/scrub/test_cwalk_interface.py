"""The C walk's one interface with Python (``scrub/cwalk.py``): checked when a scrubber is built."""

from __future__ import annotations

import pytest

from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.scrub.scrubber import Scrubber
from rules_engine.scrub.walk import Run

pytestmark = pytest.mark.skipif(not accelerator_available(), reason="the C module is not built")

SCRUB = models.Scrub.model_validate({"rules": [{"id": "keys", "keys": ["*password*"]},
                                               {"id": "in", "in": ["extra.form.*"], "detect": ["email"]}]})
RUN_METHODS = ["place", "redact_all", "walk_dict", "walk_list", "walk_selected_dict", "check_subtree",
               "too_deep", "too_many", "changed", "check_time", "exact_key", "find_secrets", "pair_decision",
               "pair_dict_unchanged"]
SCRUBBER_METHODS = ["_key_decision", "_harmless_keys", "_step"]


def build(accelerator="auto"):
    return compile_scrubber(SCRUB, models.Options(), None, accelerator=accelerator)


def test_the_c_walk_is_chosen_once_per_scrubber():
    from rules_engine.scrub.cwalk import CRun

    fast, slow = build(), build("off")
    assert fast._run is CRun and slow._run is Run
    events = [{"extra": {"password": "p", "form": {"to": "mail a@b.example"}}} for _ in range(2)]
    assert fast.scrub_event(events[0]) == slow.scrub_event(events[1]) == {"keys": 1, "in": 1, "in/email": 1}
    assert events[0] == events[1]
    assert events[0]["extra"] == {"password": "[Filtered]", "form": {"to": "mail [Filtered]"}}


@pytest.mark.parametrize("name", RUN_METHODS)
def test_a_run_method_the_c_walk_calls_missing_fails_when_the_scrubber_is_built(monkeypatch, name):
    defined_in = next(kind for kind in Run.__mro__ if name in vars(kind))  # Run, or a base of it
    monkeypatch.delattr(defined_in, name)
    with pytest.raises(AttributeError, match=name):
        build()


@pytest.mark.parametrize("name", SCRUBBER_METHODS)
def test_a_scrubber_method_the_c_walk_calls_missing_fails_when_the_scrubber_is_built(monkeypatch, name):
    monkeypatch.delattr(Scrubber, name)
    with pytest.raises(AttributeError, match=name):
        build()


def fields_of(scrubber) -> dict:
    interface = scrubber._c_interface
    fields = {name: getattr(Run, name) for name in RUN_METHODS}
    fields.update(run_class=Run, key_decision=scrubber._key_decision, harmless_keys=scrubber._harmless_keys,
                  step=scrubber._step, key_memo={}, harmless={}, steps={}, redactions=[], constants=[],
                  whole_tally_keys=[], pair_values=frozenset(), pair_names=frozenset(),
                  lone_pair_name=scrubber._lone_pair_name,
                  key_rules=interface.key_rules == 1, max_depth=interface.max_depth,
                  max_nodes=interface.max_nodes)
    return fields


def test_the_interface_takes_every_field_by_name_and_checks_its_kind():
    from rules_engine.scrub.cwalk import Interface

    fields = fields_of(build())
    Interface(**fields)  # complete and well typed
    with pytest.raises(TypeError, match="by name"):
        Interface(**{name: value for name, value in fields.items() if name != "too_deep"})
    with pytest.raises(TypeError, match="by name"):
        Interface(**fields, walk_tuple=Run.walk)
    with pytest.raises(TypeError, match="missing"):
        Interface(**{("too_deeper" if name == "too_deep" else name): value for name, value in fields.items()})
    with pytest.raises(TypeError, match="place=.*a function"):
        Interface(**{**fields, "place": "place"})
    with pytest.raises(TypeError, match="key_memo=.*a dict"):
        Interface(**{**fields, "key_memo": []})
    with pytest.raises(TypeError, match="max_depth"):
        Interface(**{**fields, "max_depth": "20"})
    with pytest.raises(TypeError, match="pair_values=.*a frozenset"):
        Interface(**{**fields, "pair_values": {"value"}})


def test_a_walker_is_a_run_given_its_interface():
    from rules_engine.scrub.cwalk import CRun, Walker

    scrubber = build()
    with pytest.raises(TypeError, match="run_class"):
        Walker(scrubber._c_interface)  # a bare walker is no run
    unready = CRun.__new__(CRun)
    with pytest.raises(RuntimeError, match="no interface"):
        unready.walk_dict({}, None, 0, 1)
    run = CRun(scrubber, meta_root=None)
    with pytest.raises(TypeError, match="texts is exactly a list"):
        run.texts = ("not", "a", "list")


def test_the_node_count_and_collections_are_one_field_for_both_walks():
    from rules_engine.scrub.cwalk import CRun

    scrubber = build()
    run = CRun(scrubber, meta_root=None)
    run.walk_dict({"a": "x", "b": {"c": "y"}}, None, scrubber._everywhere, 1)  # C
    assert run.nodes == 3 and run.texts == ["x", "y"]
    run.enter([1, 2], 2)  # Python
    assert run.nodes == 5
    assert "nodes" not in vars(run) and "texts" not in vars(run)


def test_a_run_starts_with_the_walkers_empty_collections_and_again_when_initialised_again():
    from rules_engine.scrub.cwalk import CRun

    scrubber = build()
    event = {"a": "x"}
    run = CRun(scrubber, meta_root=event)
    assert run.meta_root is event and run.texts == [] and run.whole == [] and run.written == set()
    run.walk_dict(event, None, scrubber._everywhere, 1)
    texts = run.texts
    run.__init__(scrubber, None)
    assert run.meta_root is None and run.nodes == 0 and run.texts == [] and texts == ["x"]
