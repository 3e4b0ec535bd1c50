"""Record the events sentry-sdk would send (:mod:`rules_engine.testing.capture`).

Documented as ``from rules_engine.capture import capture_events``, so it stays importable here.
"""

from .testing.capture import CapturingTransport, capture_events, capture_transport

__all__ = ["CapturingTransport", "capture_events", "capture_transport"]
