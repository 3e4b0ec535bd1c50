"""A coverage-guided fuzz target (atheris) for the scrubber's walk in C.

Each input is turned into an event of the shapes the walk treats differently: nested dicts,
lists, tuples and ``[name, value]`` pairs, sensitive and harmless keys, str subclasses (also as
keys), dict and list subclasses, objects posing as ``str``, numbers of card length, lone
surrogates, secrets. The event is scrubbed by the C walk; the target fails on a crash (run it
under AddressSanitizer, see ``.ci/sanitizers``), on an exception other than the limits and
unsendable values the hooks turn into ``on_error``, and when a planted secret survives a scrub
that succeeded::

    python3 tests/fuzz/fuzz_walk.py -max_total_time=60

Run so, libFuzzer's coverage comes from the Python code only. ``.ci/sanitizers`` builds the C
modules with coverage counters and preloads a runtime with libFuzzer in it, so that the inputs
that reach new edges of the C walk are the ones kept.
"""

from __future__ import annotations

import sys
from unittest.mock import MagicMock

import atheris

# The Python side is instrumented for rules_engine only (instrumenting sentry-sdk and all it imports
# takes minutes under ASan); the C modules bring their own coverage counters when built with
# -fsanitize=fuzzer-no-link (.ci/sanitizers).
with atheris.instrument_imports(include=["rules_engine"]):
    from rules_engine.errors import UnsendableValue
    from rules_engine.model import models
    from rules_engine.scrub import compile_scrubber
    from rules_engine.scrub.walk import ScrubLimitExceeded

SECRET = "hunter2-planted"
KEYS = ["note", "password", "token", "user", "headers", "data", "vars", "a", "b", "card"]
SCRUB = models.Scrub.model_validate({"rules": [
    {"id": "keys", "keys": ["*password*", "token"]},
    {"id": "cards", "detect": ["creditcard"]},
    {"id": "planted", "pattern": "hunter2-[a-z]+"},
    # a selector alive through all of ``extra``: its dicts and lists take the walk that steps it
    {"id": "selected", "keys": ["note"], "in": ["extra.**"]},
]})
OPTIONS = models.Options.model_validate({"limits": {"max_depth": 20, "max_nodes": 2000, "max_string_length": 200}})
SCRUBBER = compile_scrubber(SCRUB, OPTIONS, None, accelerator="on")


class Text(str):
    pass


class Mapping(dict):
    pass


class Items(list):
    pass


def poser() -> MagicMock:
    fake = MagicMock(spec=str)
    fake.__len__.return_value = 10**6
    return fake


def text(data: atheris.FuzzedDataProvider) -> str:
    choice = data.ConsumeIntInRange(0, 5)
    if choice == 0:
        return SECRET
    if choice == 1:
        return "x" * data.ConsumeIntInRange(0, 300) + " " + SECRET
    if choice == 2:
        return "\ud800" + SECRET
    return data.ConsumeUnicodeNoSurrogates(data.ConsumeIntInRange(0, 40))


def value(data: atheris.FuzzedDataProvider, depth: int):
    choice = data.ConsumeIntInRange(0, 13 if depth < 6 else 7)
    if choice <= 2:
        return text(data)
    if choice == 3:
        return Text(text(data))
    if choice == 4:
        return data.ConsumeIntInRange(0, 10**19)
    if choice == 5:
        return float(data.ConsumeIntInRange(0, 10**16))
    if choice == 6:
        return data.PickValueInList([None, True, False, 4111111111111111])
    if choice == 7:
        return poser() if data.ConsumeBool() else 1.5
    if choice in (8, 9):
        container = Mapping() if choice == 9 else {}
        for _ in range(data.ConsumeIntInRange(0, 5)):
            key = data.PickValueInList(KEYS)
            container[Text(key) if data.ConsumeBool() else key] = value(data, depth + 1)
        return container
    items = [value(data, depth + 1) for _ in range(data.ConsumeIntInRange(0, 5))]
    if choice == 10:
        return [data.PickValueInList(KEYS), text(data)]  # a header pair
    if choice == 11:
        return tuple(items)
    return Items(items) if choice == 12 else items


def test_one_input(raw: bytes) -> None:
    data = atheris.FuzzedDataProvider(raw)
    event = {"level": "error", "extra": value(data, 0), "request": {"headers": value(data, 1)}}
    try:
        SCRUBBER.scrub_event(event)
    except (ScrubLimitExceeded, UnsendableValue):
        return
    if survives(event):
        raise AssertionError(f"a planted secret survived: {event!r}")


def survives(node) -> bool:
    """Whether a planted secret is in a value (keys and the names of ``[name, value]`` pairs are
    names, not values: they are never scrubbed)."""
    if type(node) is dict:
        return any(survives(child) for child in node.values())
    if type(node) is list:
        if len(node) == 2 and type(node[0]) is str:
            return survives(node[1])
        return any(survives(child) for child in node)
    return SECRET in str(node) if type(node) is str else False


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
