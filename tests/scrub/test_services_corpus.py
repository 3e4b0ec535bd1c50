"""The fourth corpus (:mod:`tests.corpus.services`): real events from Tornado, Falcon, pymongo,
paramiko, pika, ldap3, python-oracledb, Huey and Strawberry, and the text shapes of services
(``.pgpass`` lines, Redis ``AUTH`` and ``requirepass`` as logs, ``MONITOR`` and RESP show them, JSON
escaped twice), with secrets planted where those libraries put them. The default ruleset lets none
of them out, in any spelling the event may hold them, not even a seven-character piece, and keeps
the useful values, whichever engine runs (:class:`~tests.corpus.checks.CorpusChecks`); what it
redacts in the same events with no secret planted is counted."""

from __future__ import annotations

import pytest

from tests.corpus.checks import Captured, CorpusChecks, lost_values, outputs_fixture, remarks_by_rule
from tests.corpus.services import SECRETS, capture_services

# The libraries of this corpus are in the ``dev`` extra only (the wheel tests install ``test``).
for _module in ("tornado", "falcon", "pymongo", "paramiko", "pika", "ldap3", "huey", "strawberry", "oracledb"):
    pytest.importorskip(_module)

CORPUS = Captured(capture_services)
default_outputs = outputs_fixture(CORPUS)
unplanted_outputs = outputs_fixture(CORPUS, planted=False)


class TestServicesCorpus(CorpusChecks):
    corpus = CORPUS
    names = frozenset(SECRETS)
    previous_leaks = 1 / 4


def test_events_without_secrets_keep_their_useful_values_and_their_redactions_are_counted(unplanted_outputs,
                                                                                         record_property):
    """With a harmless word where each secret stood, the useful values stay; what the default
    ruleset still redacts (those words under secret keys and in secret shapes, addresses, false
    positives) is counted per rule, for comparing rulesets and catalogue changes."""
    assert lost_values(CORPUS(planted=False), unplanted_outputs) == []
    counts = remarks_by_rule(unplanted_outputs)
    record_property("unplanted_redactions", counts)
    assert counts.get("secret-keys", 0) > 0  # the words standing where secrets stood, under secret keys
