import os

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
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def corpus():
    """Real events produced by sentry-sdk integrations, with planted secrets and values to keep."""
    from tests.corpus import build_corpus

    return build_corpus()
