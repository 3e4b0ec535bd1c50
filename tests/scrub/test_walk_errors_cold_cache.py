"""A failed walk reports its own error, whatever state the interpreter's caches are in.

CPython looks attributes up through a global type attribute cache. On a miss it searches the
classes' dicts and, should that search find an error already set, it *clears* it (the lookup is
documented as never raising, so it assumes any error is its own). C code that reads or writes an
attribute while its error is pending therefore loses the error only when that attribute's cache
entry happens to be gone — which depends on every lookup made before (earlier tests, the hash
seed), so it shows as an intermittent ``SystemError: ... returned NULL without setting an
exception``.

These tests make it deterministic: a profile hook clears the type cache each time a Python
function returns (normally or by raising), so every attribute lookup the C walk makes after
handing over to Python misses the cache. Each failing event must then still raise the error the
pure-Python walk raises, and each good event scrub the same.
"""

from __future__ import annotations

import copy
import math
import sys
from contextlib import contextmanager

import pytest

from rules_engine.errors import UnsendableValue
from rules_engine.model import models
from rules_engine.scrub import (
    ScrubLimitExceeded,
    accelerator_available,
    compile_scrubber,
)
from tests import strategies as S

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
RULES = {"allow": ["extra.public"],
         "rules": [{"id": "keys", "keys": ["*password*", "*token"]}, {"id": "e", "detect": ["email"]},
                   {"id": "in", "in": ["extra.form.*"], "keys": ["card"]}]}


@contextmanager
def cold_type_cache():
    """Clear the type attribute cache whenever a Python function returns or raises."""

    def clear(frame, event, arg):
        if event in ("return", "c_return", "c_exception"):
            sys._clear_type_cache()

    sys.setprofile(clear)
    try:
        yield
    finally:
        sys.setprofile(None)


def scrubber(engine: str, **limits):
    scrub = models.Scrub.model_validate(RULES)
    return compile_scrubber(scrub, models.Options(limits=models.Limits(**limits)), None, accelerator=engine)


class FailingItems(dict):
    """A dict subclass whose iteration fails: the walk hands it to Python, which raises."""

    def items(self):
        raise LookupError("items() failed")


def cyclic():
    event = {"extra": {"a": []}}
    event["extra"]["a"].append(event["extra"])
    return event


FAILING = [
    ("too deep", lambda: {"extra": S.nested(60)}, {}, ScrubLimitExceeded),
    ("too deep in a list", lambda: {"extra": S.nested_list(60)}, {}, ScrubLimitExceeded),
    ("cyclic", cyclic, {}, ScrubLimitExceeded),
    ("too many", lambda: {"extra": {"l": list(range(500))}}, {"max_nodes": 100}, ScrubLimitExceeded),
    ("too many under a key", lambda: {"extra": {"password": list(range(500))}}, {"max_nodes": 100}, ScrubLimitExceeded),
    ("too deep under a key", lambda: {"extra": {"token": S.nested(60)}}, {}, ScrubLimitExceeded),
    ("too deep where a selector may match", lambda: {"extra": {"form": S.nested(60)}}, {}, ScrubLimitExceeded),
    ("non-string key", lambda: {"extra": {1: "x"}}, {}, UnsendableValue),
    ("non-string key under a key", lambda: {"extra": {"password": {1: "x"}}}, {}, UnsendableValue),
    ("non-string key under allow", lambda: {"extra": {"public": {"a": {1: "x"}}}}, {}, UnsendableValue),
    ("bytes", lambda: {"extra": {"x": [b"bytes"]}}, {}, UnsendableValue),
    ("NaN", lambda: {"extra": {"x": math.nan}}, {}, UnsendableValue),
    ("object", lambda: {"extra": {"ok": {"deeper": object()}}}, {}, UnsendableValue),
    ("failing container", lambda: {"extra": {"x": FailingItems(a=1)}}, {}, LookupError),
    ("too slow", lambda: {"extra": {str(i): f"a{i}@b.example" for i in range(3000)}}, {"max_ms": 0.001},
     ScrubLimitExceeded),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name, make, limits, error", FAILING, ids=[case[0] for case in FAILING])
def test_a_failed_walk_raises_its_own_error_with_a_cold_type_cache(engine, name, make, limits, error):
    scrub = scrubber(engine, max_depth=20, **limits)
    for _ in range(3):  # the first run also fills the scrubber's memos; later ones take other paths
        with pytest.raises(error), cold_type_cache():
            scrub.scrub_event(make())


@pytest.mark.parametrize("engine", ENGINES)
def test_a_good_walk_scrubs_the_same_with_a_cold_type_cache(engine):
    event = {"extra": {"password": "p", "note": "mail a@b.example", "form": {"card": "4111", "x": ("t", 1)},
                       "public": {"token": "kept"}, "pairs": [["token", "t"], ["a", "b"]]}}
    expected = copy.deepcopy(event)
    expected_counts = scrubber(engine).scrub_event(expected)
    with cold_type_cache():
        counts = scrubber(engine).scrub_event(event)
    assert (event, counts) == (expected, expected_counts)
    assert event["extra"]["password"] == "[Filtered]" and event["extra"]["public"] == {"token": "kept"}
