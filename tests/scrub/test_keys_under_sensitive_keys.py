"""A dict under a sensitive key is that key's value, keys included: an API-key table
``{key: client}`` under ``api_keys``, a table of tables keyed by token under ``webhook_secrets``.
Each key that does not read as a name is redacted whole by the rule redacting the leaves, at every
depth below the key, renamed with its ``_meta``; keys reading as names stay. In real events from
a real client, on both engines, then the rules of it on hand-made events."""

from __future__ import annotations

import json


from tests.scrub.frame_scenarios import (ENGINES, capture_each, captured, engine, frame_meta, frame_vars,  # noqa: F401
                                         scrubbed_as_the_reference, sent)


#: Opaque keys (as ``secrets.token_urlsafe`` makes them): nothing but where they stand says they
#: are secrets. Looked up by name, so no source line the SDK sends holds one.
SECRETS = {
    "billing": "Kb7wQ2" + "mZ9xR4tYp8Lc",
    "reports": "Rp3nV8" + "qLz5Xw2Hm7Td",
    "github_hook": "Gh4kT9" + "pWq2Lx7Zm3Nv",
    "stripe_hook": "St8pM2" + "wQz6Lr3Xv9Hk",
}


def secret(name: str) -> str:
    return SECRETS[name]


def authorize(presented: str) -> None:
    api_keys = {secret("billing"): "billing-service", secret("reports"): "reports", "public-demo": "demo"}
    if api_keys.get(presented) != "admin":
        raise PermissionError("the key has no admin scope")


def verify_webhook(source: str) -> None:
    webhook_secrets = {"github": {secret("github_hook"): "active"}, "stripe": {"rotated": {secret("stripe_hook"): 3}}}
    raise ValueError(f"no webhook secret for {source} matches ({len(webhook_secrets)} sources)")


def reset_passwords() -> None:
    passwords = {"alice": "Wq3-alice-pw", "bob_smith": "Vx7-bob-pw"}
    raise RuntimeError(f"{len(passwords)} passwords could not be reset")


def scenarios() -> None:
    capture_each([lambda: authorize(secret("billing")), lambda: verify_webhook("stripe"), reset_passwords])


def test_the_captured_events_hold_the_secrets_as_keys():
    tables, hooks, passwords = map(frame_vars, captured(scenarios))
    assert secret("billing") in tables["api_keys"] and secret("reports") in tables["api_keys"]
    assert hooks["webhook_secrets"]["stripe"]["rotated"] == {secret("stripe_hook"): "3"}
    assert set(passwords["passwords"]) == {"alice", "bob_smith"}


def test_no_key_of_a_table_under_a_sensitive_name_is_sent(engine):
    output = json.dumps(sent(scenarios, engine))
    assert [name for name, value in SECRETS.items() if value in output] == []


def test_the_keys_are_renamed_apart_and_names_stay(engine):
    tables, hooks, passwords = map(frame_vars, sent(scenarios, engine))
    assert tables["api_keys"] == {"[Filtered]": "[Filtered]", "[Filtered] (2)": "[Filtered]",
                                  "public-demo": "[Filtered]"}
    assert tables["presented"] == "'[Filtered]'"  # an echo of the key redacted whole (its quotes stay)
    # every depth below the sensitive key; the names of the table of tables stay
    assert hooks["webhook_secrets"] == {"github": {"[Filtered]": "[Filtered]"},
                                        "stripe": {"rotated": {"[Filtered]": "[Filtered]"}}}
    assert passwords["passwords"] == {"alice": "[Filtered]", "bob_smith": "[Filtered]"}


def test_meta_moves_with_the_renamed_keys(engine):
    meta = frame_meta(sent(scenarios, engine)[0])["api_keys"]
    assert set(meta) == {"[Filtered]", "[Filtered] (2)", "public-demo"}
    assert meta["[Filtered] (2)"] == {"": {"rem": [["secret-keys", "s", 0, 10]], "len": len("'reports'")}}


def test_both_engines_send_the_same_events():
    assert len({json.dumps(sent(scenarios, engine), sort_keys=True) for engine in ENGINES}) == 1


# ------------------------------------------------------------------------- hand-made events

KEYS = {"id": "keys", "keys": ["*password*", "api_keys"]}


def test_each_key_is_counted_once_by_the_rule(engine):
    event = {"extra": {"api_keys": {"Xk2-9aa": "a", "Yk3-8bb": {"owner": "b"}}}}
    out, counts = scrubbed_as_the_reference(event, [KEYS], engine)
    assert out["extra"]["api_keys"] == {"[Filtered]": "[Filtered]", "[Filtered] (2)": {"owner": "[Filtered]"}}
    assert counts == {"keys": 4}  # two keys, two leaves


def test_the_rule_s_redaction_applies_to_the_keys(engine):
    rules = [{**KEYS, "redact": "hash"}]
    event = {"extra": {"api_keys": {"Xk2-9aa": 1, "Yk3-8bb": 2}}}
    out, _ = scrubbed_as_the_reference(event, rules, engine)
    keys = list(out["extra"]["api_keys"])
    assert len(keys) == 2 and keys[0] != keys[1] and not {"Xk2-9aa", "Yk3-8bb"} & set(keys)


def test_a_removing_rule_removes_the_dict_keys_and_all(engine):
    event = {"extra": {"api_keys": {"Xk2-9aa": 1}, "n": 1}}
    out, counts = scrubbed_as_the_reference(event, [{**KEYS, "redact": "remove"}], engine)
    assert out["extra"] == {"n": 1} and counts == {"keys": 1}


def test_keys_reading_as_names_are_still_searched(engine):
    # ``alice@example.org`` is no name: redacted whole; ``notes`` is a name, searched: a detector
    # finds nothing there, so it stays.
    rules = [KEYS, {"id": "mail", "detect": ["email"]}]
    event = {"extra": {"passwords": {"alice@example.org": "x", "notes": "y"}}}
    out, counts = scrubbed_as_the_reference(event, rules, engine)
    assert out["extra"]["passwords"] == {"[Filtered]": "[Filtered]", "notes": "[Filtered]"}
    assert counts == {"keys": 3}


def test_an_allowed_value_keeps_its_place_and_loses_its_key(engine):
    # The key is text of the dict, not of the allowed value: the rule redacting the dict has it.
    event = {"extra": {"api_keys": {"Xk2-9aa": "kept"}}}
    out, _ = scrubbed_as_the_reference(event, [KEYS], engine, allow=["extra.api_keys.*"])
    assert out["extra"]["api_keys"] == {"[Filtered]": "kept"}
