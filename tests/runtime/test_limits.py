"""Per-event limits (``options.limits``) fail closed, and extreme events are handled safely.

* Deeper nesting than ``max_depth`` or more nodes than ``max_nodes``, or more time than ``max_ms``:
  the scrub phase cannot vouch for the event, so ``on_error`` applies — ``drop`` (default) returns
  ``None``; ``send_filtered`` returns the event with every string leaf ``[Filtered]``.
* Strings longer than ``max_string_length`` are cut to that length (the rest removed) and
  scanned; the event is still sent.
* Events 5,000 levels deep and strings of 5 MB return a safe outcome (no exception, no leak).
  Their time is recorded in the test output only with a loose sanity bound: speed is measured in
  ``benchmarks/``, not asserted here.
"""

from __future__ import annotations

import gc
import json
import time

import pytest

from rules_engine import budget
from rules_engine.model import models
from rules_engine.runtime.reloading import load_ruleset
from rules_engine.runtime.ruleset import Ruleset
from tests import strategies as S

SECRET = "4111 1111 1111 1111"  # a Luhn-valid test card number
SECRET_DIGITS = "4111111111111111"
LOOSE_BOUND_SECONDS = 10.0


def build(on_error: str = "drop", **limits) -> Ruleset:
    return Ruleset.from_model(models.RulesetSpec.model_validate({
        "format": 1, "name": "limits",
        "options": {"on_error": on_error, "limits": limits},
        "scrub": {"rules": [{"id": "cards", "detect": ["creditcard"]},
                            {"id": "passwords", "keys": ["*password*"]}]},
    }), hash_key=b"k")


def event_with(extra) -> dict:
    return {"event_id": "a" * 32, "level": "error", "platform": "python", "extra": extra,
            "exception": {"values": [{"type": "ValueError", "value": "failed for card " + SECRET}]}}


def assert_no_secret(result) -> None:
    if result is None:
        return
    text = json.dumps(result)
    assert SECRET not in text and SECRET_DIGITS not in text


def assert_all_strings_filtered(result: dict) -> None:
    """Every string value is "[Filtered]", except the structural keys and the ruleset's own tag."""
    structural = {"event_id", "timestamp", "start_timestamp", "type", "platform", "level"}
    result = dict(result)
    if isinstance(result.get("tags"), dict):
        result["tags"] = {k: v for k, v in result["tags"].items() if k != "ruleset"}
    for key, value in result.items():
        if key in structural:
            continue
        for leaf in S.string_leaves(value):
            if leaf in (value.keys() if isinstance(value, dict) else ()):
                continue
            assert leaf == "[Filtered]" or not _is_value(value, leaf), f"{key}: {leaf!r} was sent unfiltered"
    assert_no_secret(result)


def _is_value(container, text) -> bool:
    """True when ``text`` occurs as a value (not only as a key) inside ``container``."""
    stack = [container]
    while stack:
        node = stack.pop()
        if node == text:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    elapsed = time.perf_counter() - start
    assert elapsed < LOOSE_BOUND_SECONDS
    return result, elapsed


# --------------------------------------------------------------------------- depth and size


def test_within_limits_the_event_is_scrubbed_and_sent():
    result = build(max_depth=30).before_send(event_with({"deep": S.nested(10, {"password": "hunter2"})}), {})
    assert result is not None
    assert "hunter2" not in json.dumps(result)
    assert_no_secret(result)


@pytest.mark.parametrize("make", [S.nested, S.nested_list])
def test_too_deep_is_dropped_by_default(make):
    ruleset = build(max_depth=20)
    assert ruleset.before_send(event_with({"deep": make(40, "password=hunter2 " + SECRET)}), {}) is None
    assert ruleset.stats()["internal_errors"] or ruleset.stats()["dropped"]


def test_too_deep_is_sent_filtered_when_configured():
    result = build("send_filtered", max_depth=20).before_send(
        event_with({"deep": S.nested(40, "card " + SECRET), "note": "kept?"}), {})
    assert result is not None
    assert_all_strings_filtered(result)


def test_too_many_nodes_fails_closed():
    extra = {f"k{i}": f"value {i}" for i in range(500)}
    assert build(max_nodes=100).before_send(event_with(dict(extra)), {}) is None
    result = build("send_filtered", max_nodes=100).before_send(event_with(dict(extra)), {})
    assert result is not None
    assert_all_strings_filtered(result)


def test_long_strings_are_cut_and_scanned():
    ruleset = build(max_string_length=1000)
    text = "card " + SECRET + " " + "x" * 5000 + " tail " + SECRET
    result = ruleset.before_send(event_with({"note": text}), {})
    assert result is not None
    assert len(result["extra"]["note"]) <= 1000 + 64  # cut (a short truncation marker is allowed)
    assert_no_secret(result)


# --------------------------------------------------------------------------- time


@pytest.mark.wall_clock
def test_tiny_time_budget_on_a_large_event_fails_closed():
    big = {f"k{i}": [f"line {j} of {i}" for j in range(50)] for i in range(400)}
    assert build(max_ms=0.001).before_send(event_with(big), {}) is None
    result = build("send_filtered", max_ms=0.001).before_send(event_with(big), {})
    assert result is None or (assert_all_strings_filtered(result) is None)


class _SlowCollections:
    """A ``gc.callbacks`` entry that, once armed, makes the next collection last ``seconds``
    longer (as a full collection of a large application's heap does). It sleeps between the
    budget's own two calls, as the collection's work would: at the stop when it is called before
    the budget's entry, at the start otherwise."""

    def __init__(self, seconds: float):
        self.seconds, self.armed, self.paused = seconds, False, 0

    def __call__(self, phase: str, info: dict) -> None:
        if self.armed and phase == ("stop" if self._before_the_budget() else "start"):
            self.armed = False
            time.sleep(self.seconds)
            self.paused += 1

    def _before_the_budget(self) -> bool:
        callbacks = gc.callbacks
        timing = budget._collector_pauses
        return timing in callbacks and callbacks.index(self) < callbacks.index(timing)


@pytest.fixture
def slow_collections():
    slow = _SlowCollections(0.3)
    thresholds = gc.get_threshold()
    gc.callbacks.append(slow)
    gc.set_threshold(1)  # a collection at the hook's first allocations
    try:
        yield slow
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(slow)


@pytest.mark.wall_clock
def test_a_garbage_collection_during_the_hook_is_not_counted(slow_collections):
    ruleset = build(max_ms=100)

    watched = []

    class Collecting(dict):  # read by the walk, in the hook: the next collection is slow
        def items(self):
            watched.append(budget._collector_pauses in gc.callbacks)
            slow_collections.armed = True
            return list(super().items())

    event = event_with({"password": "hunter2", "profile": Collecting(note="kept")})
    started = time.perf_counter()
    result = ruleset.before_send(event, {})
    elapsed = time.perf_counter() - started
    assert slow_collections.paused == 1 and elapsed > 0.3  # the pause fell inside the hook
    assert result is not None and "hunter2" not in json.dumps(result)
    assert result["extra"]["profile"] == {"note": "kept"}
    assert_no_secret(result)
    assert ruleset.stats()["internal_errors"] == {}
    # The collector is timed while the event is in the hook, and only then: a callback would tax
    # every collection of the application between events.
    assert watched == [True] and budget._collector_pauses not in gc.callbacks


@pytest.mark.wall_clock
def test_a_pause_outside_the_collector_still_counts(slow_collections):
    ruleset = build(max_ms=100)
    big = {f"k{i}": [f"line {j} of {i}" for j in range(50)] for i in range(400)}

    class Sleepy(dict):  # a dict subclass the walk copies item by item: time passes in the hook
        def items(self):
            time.sleep(0.3)
            return super().items()

    assert ruleset.before_send(event_with(Sleepy(big)), {}) is None
    assert ruleset.stats()["internal_errors"].get("max_ms") == 1


# --------------------------------------------------------------------------- extreme events, default ruleset


@pytest.fixture(scope="module")
def default_ruleset():
    return load_ruleset("rulesets/default.yaml")


@pytest.mark.parametrize("where", ["extra", "contexts", "frame vars", "breadcrumb data", "list"])
def test_five_thousand_levels_deep(default_ruleset, where, record_property):
    leaf = {"password": "hunter2", "note": "card " + SECRET}
    deep = S.nested_list(5000, leaf) if where == "list" else S.nested(5000, leaf)
    event = event_with({})
    if where in ("extra", "list"):
        event["extra"] = {"deep": deep}
    elif where == "contexts":
        event["contexts"] = {"app": deep}
    elif where == "frame vars":
        event["exception"]["values"][0]["stacktrace"] = {"frames": [{"function": "f", "vars": {"v": deep}}]}
    else:
        event["breadcrumbs"] = {"values": [{"message": "m", "data": {"d": deep}}]}
    result, elapsed = timed(default_ruleset.before_send, event, {})
    record_property("seconds", round(elapsed, 4))
    # 5,000 levels exceed the default max_depth (100) and on_error is drop: the event fails closed.
    assert result is None
    filtered, _ = timed(build("send_filtered").before_send, event_with({"deep": deep}), {})
    if filtered is not None:  # too deep even to copy filtered is dropped; else nothing of the leaf remains
        assert "hunter2" not in json.dumps(filtered)
        assert_no_secret(filtered)


@pytest.mark.parametrize("position", ["start", "middle", "end"])
def test_five_megabyte_strings(default_ruleset, position, record_property):
    filler = "lorem ipsum " * (5 * 1024 * 1024 // 12)
    cut = {"start": 0, "middle": len(filler) // 2, "end": len(filler)}[position]
    text = filler[:cut] + " " + SECRET + " password=hunter2 " + filler[cut:]
    event = event_with({"blob": text})
    event["logentry"] = {"formatted": text}
    result, elapsed = timed(default_ruleset.before_send, event, {})
    record_property("seconds", round(elapsed, 4))
    assert result is not None, "a long string is cut, not a reason to drop the event"
    out = json.dumps(result)
    assert SECRET not in out and "hunter2" not in out
    default_cut = models.Limits().max_string_length
    assert len(result["extra"]["blob"]) <= default_cut + 64
    assert len(result["logentry"]["formatted"]) <= default_cut + 64
