"""Scrubbing: removes secrets and PII from events and breadcrumbs (the ``scrub`` section).

``compile_scrubber(scrub, options, hash_key)`` resolves every rule once (key globs, detectors,
RE2 patterns, selectors, redactions, the prefilter database); the returned :class:`Scrubber`
scrubs events in place. See :mod:`.scrubber` for how, :mod:`.selectors` for the ``in:`` /
``allow:`` grammar and :mod:`.detectors` for the builtin detectors.
"""

from __future__ import annotations

from ..errors import UnsendableValue
from ..model import models
from .detectors import BUILTIN as DETECTORS
from .prefilter import accelerator_available
from .redactions import FILTERED
from .scrubber import Scrubber
from .selectors import parse_selector
from .changes import EventChanged
from .walk import ScrubLimitExceeded

__all__ = [
    "DETECTORS", "FILTERED", "EventChanged", "Scrubber", "ScrubLimitExceeded", "UnsendableValue",
    "accelerator_available", "compile_scrubber", "parse_selector",
]


def compile_scrubber(scrub: models.Scrub, options: models.Options, hash_key: bytes | None = None,
                     *, accelerator: str | None = None) -> Scrubber:
    """Compile the ``scrub`` section. ``accelerator``: ``"auto"`` (the C walk and prefilter scan
    when the C modules were built, the default; also set by ``RULES_ENGINE_ACCELERATOR``), ``"on"``
    (require them) or ``"off"`` (pure Python). Results are identical either way; only speed
    differs."""
    return Scrubber(scrub, options, hash_key, accelerator=accelerator)
