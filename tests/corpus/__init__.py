"""A corpus of real sentry-sdk events with planted secrets and values that must survive.

``build_corpus()`` runs small FastAPI, Flask, SQLAlchemy, logging and HTTPX code under a real
sentry-sdk client (its own scrubber off, ``send_default_pii`` and local variables on, every
transaction sampled) and returns the raw events with the list of secrets planted in them and the
useful values a scrubber must keep::

    corpus = build_corpus()
    after = [ruleset.process(copy.deepcopy(event)) for event in corpus.events]
    assert leaked(after, corpus.secrets) == []

``corpus.hints[i]`` is the hint sentry-sdk gave ``before_send`` for ``events[i]`` (its live
``exc_info``, ``log_record``...), so hooks can be called exactly as the SDK calls them::

    ruleset.before_send(copy.deepcopy(corpus.events[i]), corpus.hints[i])

The capture runs once per process; every call returns fresh copies of the events (the hints'
live exceptions are shared).
"""

from __future__ import annotations

import copy
import functools

from .model import Corpus, Kept, Planted, kept_in, leaked, resolve, serialize

__all__ = ["Corpus", "Kept", "Planted", "build_corpus", "kept_in", "leaked", "resolve", "serialize"]


@functools.lru_cache(maxsize=1)
def _captured() -> Corpus:
    from .scenarios import capture_all

    recorder = capture_all()
    return Corpus(
        events=recorder.events,
        secrets=recorder.secrets,
        keep=recorder.keep,
        scenarios=recorder.scenarios,
        hints=recorder.hints(),
    )


def build_corpus() -> Corpus:
    """The corpus; events are deep copies, so callers may process them in place."""
    captured = _captured()
    return Corpus(
        events=copy.deepcopy(captured.events),
        secrets=list(captured.secrets),
        keep=list(captured.keep),
        scenarios={name: list(indexes) for name, indexes in captured.scenarios.items()},
        hints=[dict(hint) for hint in captured.hints],
    )
