"""The third corpus (:mod:`tests.corpus.protocols`): real events from smtplib, ftplib, urllib,
http.client, urllib3, Starlette, the OpenAI client, tomllib and json, with secrets planted where
those libraries put them. The default ruleset lets none of them out, in any spelling the event
may hold them (as planted, escaped by ``repr()`` or by JSON), not even a seven-character piece,
and keeps the useful values, whichever engine runs (:class:`~tests.corpus.checks.CorpusChecks`)."""

from __future__ import annotations

from tests.corpus.checks import Captured, CorpusChecks, outputs_fixture
from tests.corpus.protocols import DERIVED, SECRETS, capture_protocols

CORPUS = Captured(capture_protocols)
default_outputs = outputs_fixture(CORPUS)


class TestProtocolsCorpus(CorpusChecks):
    corpus = CORPUS
    names = frozenset(SECRETS) | frozenset(DERIVED)
    previous_leaks = 1 / 3
