import gc
import os
import time

import pytest
from hypothesis import HealthCheck, settings

# Property-test profiles: "ci" (the default) keeps the suite within minutes; "long" is for local
# soak runs: HYPOTHESIS_PROFILE=long python3 -m pytest tests/properties/
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile(
    "long", max_examples=5_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# "sanitizers": the same properties on fewer examples, for runs under AddressSanitizer (.ci/sanitizers).
settings.register_profile(
    "sanitizers", max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The tests read the project's files by their path in the checkout (rulesets/default.yaml): they
# run there wherever pytest was started (cibuildwheel starts it in a directory of its own).
os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pytest_report_header(config):
    import rules_engine
    from rules_engine.scrub.prefilter import accelerators_built

    return f"rules_engine: {os.path.dirname(rules_engine.__file__)} ({accelerators_built()})"


def pytest_sessionstart(session):
    """With ``RULES_ENGINE_TESTS_NOT_FROM=<dir>`` (.ci/wheel runs the suite against the installed
    wheel), the run fails unless ``rules_engine`` is imported from outside that directory."""
    checkout = os.environ.get("RULES_ENGINE_TESTS_NOT_FROM")
    if not checkout:
        return
    import rules_engine

    imported = os.path.realpath(rules_engine.__file__)
    if os.path.commonpath([imported, os.path.realpath(checkout)]) == os.path.realpath(checkout):
        raise pytest.UsageError(f"rules_engine was imported from the checkout ({imported}), not the installed package")


@pytest.fixture(autouse=True)
def _budget_on_the_threads_own_time(request, monkeypatch):
    """The time budget (``limits.max_ms``) counts on the wall clock, and leaves out the garbage
    collector only while a hook runs. So a test host that stalls the process for a second (a
    loaded CI machine, a paused VM), or a full collection of the suite's large heap while a test
    calls a scrubber directly, would fail whichever test was scrubbing at that moment. Tests whose
    subject is something else read the budget on the thread's CPU time without the collector's:
    a stall and a collection leave it alone, and every scrubbing step still advances it. Tests
    marked ``wall_clock`` (a pause inside the hook must count) keep the real clock."""
    if request.node.get_closest_marker("wall_clock"):
        yield
        return
    from rules_engine import budget

    collecting = [0.0, None]  # CPU seconds in collections so far, and when the running one started

    def collector(phase: str, info: dict) -> None:
        if phase == "start":
            collecting[1] = time.thread_time()
        elif collecting[1] is not None:
            collecting[0] += time.thread_time() - collecting[1]
            collecting[1] = None

    gc.callbacks.append(collector)
    monkeypatch.setattr(budget, "clock", lambda: time.thread_time() - collecting[0])
    try:
        yield
    finally:
        gc.callbacks.remove(collector)


@pytest.fixture(scope="session")
def corpus():
    """Real events produced by sentry-sdk integrations, with planted secrets and values to keep."""
    from tests.corpus import build_corpus

    return build_corpus()
