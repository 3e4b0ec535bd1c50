"""The fifth corpus (:mod:`tests.corpus.platforms`): real events from Bottle, Litestar, Dramatiq,
RQ, asyncpg, PyMySQL, Elasticsearch, kafka-python, Azure Blob Storage, google-auth, hvac, PyJWT,
gRPC and websockets, and the text shapes users log (credentials in prose, ``.htpasswd`` lines, an
OpenVPN profile, PHP PDO and JDBC connection strings, MongoDB shell calls, Java properties, a Kafka
JAAS line, a Kubernetes Secret), with secrets planted where those libraries put them. The default
ruleset lets none of them out, in any spelling the event may hold them, not even a
seven-character piece, and keeps the useful values, whichever engine runs (:class:`~tests.corpus.checks.CorpusChecks`); what it redacts in the same
events with no secret planted is counted."""

from __future__ import annotations

import pytest

from tests.corpus.checks import Captured, CorpusChecks, lost_values, outputs_fixture, remarks_by_rule

# The libraries of this corpus are in the ``dev`` extra only (the wheel tests install ``test``).
for _module in ("bottle", "litestar", "dramatiq", "rq", "fakeredis", "asyncpg", "pymysql", "elasticsearch", "kafka",
                "azure.storage.blob", "google.oauth2", "hvac", "jwt", "grpc", "google.protobuf", "websockets"):
    pytest.importorskip(_module)

from tests.corpus.platforms import DERIVED, SECRETS, capture_platforms  # noqa: E402 (after the skips)

CORPUS = Captured(capture_platforms)
default_outputs = outputs_fixture(CORPUS)
unplanted_outputs = outputs_fixture(CORPUS, planted=False)


class TestPlatformsCorpus(CorpusChecks):
    corpus = CORPUS
    names = frozenset(SECRETS) | frozenset(DERIVED)
    previous_leaks = 1 / 4


def test_events_without_secrets_keep_their_useful_values_and_their_redactions_are_counted(unplanted_outputs,
                                                                                         record_property):
    """With a harmless word where each secret stood, the useful values stay - ordinary prose about
    passwords and tokens among them; what the default ruleset still redacts (those words under secret
    keys and in secret shapes, addresses, false positives) is counted per rule."""
    assert lost_values(CORPUS(planted=False), unplanted_outputs) == []
    counts = remarks_by_rule(unplanted_outputs)
    record_property("unplanted_redactions", counts)
    assert counts.get("secret-keys", 0) > 0  # the words standing where secrets stood, under secret keys
