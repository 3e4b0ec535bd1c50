"""Differential test against Sentry's server-side scrubber (Relay) on the real-event corpus.

Every string Relay's default data scrubbing redacts must be redacted by rulesets/default.yaml too,
with two deliberate exceptions (both Relay matching a sensitive word *inside* other text):

* keys that merely contain the word inside another word keep their values here
  (``token_count``, ``max_tokens``, ``authored_by``, ``sessions_total``);
* Relay filters a whole string when its text merely mentions a sensitive word (SQL naming an
  ``api_secret`` column, an object repr mentioning ``auth``); here values next to sensitive keys
  are redacted inside the text instead, and the rest of the text stays readable.
"""

import copy
import re

import pytest

sentry_relay = pytest.importorskip("sentry_relay")

from rules_engine.load.loader import load_model
from rules_engine.scrub import compile_scrubber

RELAY_DEFAULTS = {"scrubData": True, "scrubDefaults": True, "scrubIpAddresses": True,
                  "sensitiveFields": [], "excludeFields": []}
#: Relay's @password rule: these words anywhere in a key name or a value.
RELAY_WORDS = re.compile(r"password|secret|passwd|api_key|apikey|auth|credentials|mysql_pwd|privatekey|private_key|token|session", re.I)
WORD_INSIDE_KEYS = {"token_count", "max_tokens", "authored_by", "sessions_total"}


def _remarks(meta, path=()):
    if isinstance(meta, dict):
        for key, value in meta.items():
            if key == "" and isinstance(value, dict):
                for remark in value.get("rem", []):
                    yield path, remark[0]
            else:
                yield from _remarks(value, path + (key,))


def _get(node, path):
    for key in path:
        if isinstance(node, dict):
            if key not in node:
                return _MISSING
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return _MISSING
    return node


_MISSING = object()


def _is_deliberate_exception(path, original, rule):
    if not rule.startswith("@password"):
        return False
    key = path[-1].lower() if path else ""
    if key in WORD_INSIDE_KEYS:
        return True
    return isinstance(original, str) and RELAY_WORDS.search(key) is None and RELAY_WORDS.search(original) is not None


def test_default_ruleset_redacts_whatever_relay_redacts(corpus):
    config = sentry_relay.convert_datascrubbing_config(RELAY_DEFAULTS)
    loaded = load_model("rulesets/default.yaml")
    scrubber = compile_scrubber(loaded.model.scrub, loaded.model.options, loaded.hash_key)
    compared = 0
    missed = []
    exceptions = set()
    for event in corpus.events:
        relay = sentry_relay.pii_strip_event(config, copy.deepcopy(event))
        ours = copy.deepcopy(event)
        scrubber.scrub_event(ours)
        for path, rule in _remarks(relay.get("_meta", {})):
            original = _get(event, path)
            if original is _MISSING or original is None or isinstance(original, bool):
                continue  # Relay normalized the shape (e.g. headers into pairs) or removed nothing
            compared += 1
            if _get(ours, path) != original:
                continue
            if _is_deliberate_exception(path, original, rule):
                exceptions.add((path[-1], rule))
                continue
            missed.append((".".join(path), rule, str(original)[:80]))
    assert compared > 20, "the corpus must give Relay something to redact"
    assert missed == []
