"""What the tests of frame scenarios share: the events a function of scenarios makes under a real
client, what the default ruleset sends of them on each engine, a frame's variables and their
``_meta``, and hand-made events scrubbed and checked against the reference scrubber."""

from __future__ import annotations

import functools
import json
from typing import Callable

import pytest

from rules_engine.model import models
from rules_engine.scrub import accelerator_available, compile_scrubber
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import capture_each, captured_failures, default_ruleset, frame_vars, processed_events  # noqa: F401
from tests.reference_scrubber import scrub as reference_scrub

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: Values named elsewhere and echoes read, as the default ruleset's packs read them.
READ_ALL = models.Options(named_values=True, echoes=True)


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


@functools.lru_cache(maxsize=8)
def captured(scenarios: Callable[[], None]) -> tuple:
    """The events ``scenarios`` makes under a real client (made once)."""
    with capture_events() as events:
        scenarios()
    return tuple(events)


@functools.lru_cache(maxsize=16)
def sent(scenarios: Callable[[], None], engine: str) -> tuple:
    """What the default ruleset sends of those events on ``engine``."""
    return tuple(processed_events(default_ruleset(engine), captured(scenarios)))


def frame_meta(event: dict) -> dict:
    """The ``_meta`` node of those variables."""
    frames = event["_meta"]["exception"]["values"]["0"]["stacktrace"]["frames"]
    return frames[str(len(event["exception"]["values"][-1]["stacktrace"]["frames"]) - 1)]["vars"]


def scrubbed_as_the_reference(event: dict, rules: list, engine: str, allow=(),
                              options: models.Options = READ_ALL) -> tuple[dict, dict]:
    """``event`` scrubbed in place by ``rules`` on ``engine`` (hash key ``k``), and the counts,
    once checked to be what the reference scrubber makes of it."""
    scrub = models.Scrub.model_validate({"allow": list(allow), "rules": rules})
    expected = json.loads(json.dumps(event))
    expected_counts = reference_scrub(scrub, expected, b"k", options)
    counts = compile_scrubber(scrub, options, b"k", accelerator=engine).scrub_event(event)
    assert event == expected and counts == expected_counts
    return event, counts


def raising_with(text: str) -> Callable[[], None]:
    """A function raising ``ValueError(text)`` whose frame holds ``text`` as ``shown`` too."""
    def fail():
        shown = text  # noqa: F841 - a frame variable too
        raise ValueError(text)
    return fail


def raised_with(texts) -> tuple:
    """The events a real client sends of ``ValueError(text)`` raised with each of ``texts``."""
    return captured_failures(*map(raising_with, texts))
