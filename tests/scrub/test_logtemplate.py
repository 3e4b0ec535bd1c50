"""The key a log template names before each placeholder, and what the default ruleset makes of
the parameters it names, whichever engine runs."""

from __future__ import annotations

import pytest

from rules_engine.scrub.logtemplate import keys_of_parameters
from tests.corpus.checks import ENGINES
from tests.corpus.planting import default_ruleset


@pytest.mark.parametrize("template, keys", [
    ("login failed password=%s", [(0, "password")]),
    ("token: {} for {}", [(0, "token"), (1, "for")]),
    ("LDAP bind as %s with credentials %s failed", [(0, "as"), (1, "credentials")]),
    ("%s logged in", []),
    ("retry %d of %d", [(0, "retry"), (1, "of")]),
])
def test_the_key_before_each_placeholder(template, keys):
    assert list(keys_of_parameters(template)) == keys


@pytest.mark.parametrize("engine", ENGINES)
def test_a_parameter_named_in_prose_is_redacted_and_its_neighbours_stay(engine):
    event = {"event_id": "1" * 32, "level": "error", "platform": "python",
             "logentry": {"message": "LDAP bind as %s with credentials %s failed after %d tries",
                          "params": ["cn=admin,dc=shop,dc=test", "Ld4pQx8mLw", 3],
                          "formatted": "LDAP bind as cn=admin,dc=shop,dc=test with credentials Ld4pQx8mLw failed after 3 tries"}}
    out = default_ruleset(engine).before_send(event, {})
    assert out["logentry"]["params"] == ["cn=admin,dc=shop,dc=test", "[Filtered]", 3]
    assert "Ld4pQx8mLw" not in out["logentry"]["formatted"] and "cn=admin,dc=shop,dc=test" in out["logentry"]["formatted"]
