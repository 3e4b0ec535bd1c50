"""The second corpus (:mod:`tests.corpus.frameworks`): real events from Django, Flask, aiohttp,
Celery, httpx, requests, boto3, psycopg, redis, SQLAlchemy, subprocess, graphql-core, pydantic
and Jinja2, with secrets planted in the shapes real code leaks them in. The default ruleset lets
none of them out, in any spelling the event may hold them, not even a seven-character piece, and
keeps the useful values, whichever engine runs (:class:`~tests.corpus.checks.CorpusChecks`)."""

from __future__ import annotations

from tests.corpus.checks import Captured, CorpusChecks, outputs_fixture
from tests.corpus.frameworks import SECRETS, capture_frameworks

CORPUS = Captured(capture_frameworks)
default_outputs = outputs_fixture(CORPUS)


class TestFrameworksCorpus(CorpusChecks):
    corpus = CORPUS
    names = frozenset(SECRETS)
    previous_leaks = 1 / 2


def _frame_variables(events: list):
    for event in events:
        for exception in (event or {}).get("exception", {}).get("values", []):
            for frame in exception.get("stacktrace", {}).get("frames", []):
                yield frame.get("vars") or {}


def _values_under(node, name: str):
    """Every value held under a key called ``name`` at any depth of ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == name:
                yield value
            yield from _values_under(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _values_under(value, name)


def test_a_local_named_key_is_redacted_and_keys_named_key_inside_variables_stay(default_outputs):
    """Django's signing code holds SECRET_KEY in a local named ``key``; boto3's parameters hold
    the S3 object's name under ``Key`` in several frames' variables. Only the first is a secret."""
    corpus = CORPUS()
    django = [default_outputs[index] for index in corpus.scenarios["django_signup"]]
    locals_named_key = [variables["key"] for variables in _frame_variables(django) if "key" in variables]
    assert locals_named_key and set(locals_named_key) == {"[Filtered]"}
    boto = [default_outputs[index] for index in corpus.scenarios["boto3_upload"]]
    object_keys = [value for variables in _frame_variables(boto) for value in _values_under(variables, "Key")]
    assert len(object_keys) >= 3 and set(object_keys) == {"'2026/11/inv-1042.pdf'"}
