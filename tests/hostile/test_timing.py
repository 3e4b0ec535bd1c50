"""Hostile timing: inputs chosen to make one event slow. Each runs in a child process with a hard
timeout; the promise is that the hook returns (within ``limits.max_ms``, measured in benchmarks/,
not here) and sends nothing unscrubbed: the event is kept or dropped as the rules say, or fails
closed by ``on_error``."""

from __future__ import annotations

import pytest

from tests.hostile.harness import attack

BACKTRACKING_GLOB = "*a*a*a*a*a*a*a*a*a*a*b"
#: A transaction name an attacker chooses (a URL path): backtracking globs take minutes on it.
ATTACKER_NAME = "a" * 64


def test_a_backtracking_filter_glob_against_a_long_transaction_name():
    result = attack(f"""
        ruleset = compiled('''
        format: 1
        name: globs
        filters:
          - id: slow
            on: [transaction]
            when: {{transaction: "{BACKTRACKING_GLOB}"}}
            drop: true
          - id: also-slow
            on: [transaction]
            when: {{transaction: {{glob: "{BACKTRACKING_GLOB}", not: {{regex: "zz"}}}}}}
            drop: true
        ''')
        kept = ruleset.before_send_transaction({{"type": "transaction", "transaction": "/{ATTACKER_NAME}"}}, {{}})
        dropped = ruleset.before_send_transaction({{"type": "transaction", "transaction": "/{ATTACKER_NAME}b"}}, {{}})
        report({{"kept": kept is not None, "dropped": dropped is None}})
    """)
    assert result == {"kept": True, "dropped": True}


def test_a_backtracking_grouping_glob_against_a_long_error_value():
    result = attack(f"""
        ruleset = compiled('''
        format: 1
        name: globs
        grouping:
          - id: slow
            when: {{error.value: "{BACKTRACKING_GLOB}"}}
            fingerprint: [slow]
        ''')
        event = {{"level": "error", "exception": {{"values": [{{"type": "E", "value": "{ATTACKER_NAME}"}}]}}}}
        out = ruleset.before_send(event, {{}})
        report({{"fingerprint": out.get("fingerprint")}})
    """)
    assert result == {"fingerprint": None}


def test_a_backtracking_key_glob_against_a_long_key():
    result = attack(f"""
        ruleset = compiled('''
        format: 1
        name: globs
        scrub:
          rules:
            - {{id: slow, keys: ["{BACKTRACKING_GLOB}"]}}
        ''')
        event = {{"level": "error", "extra": {{"{ATTACKER_NAME}": "kept", "{ATTACKER_NAME}b": SECRET}}}}
        out = ruleset.before_send(event, {{}})
        report(outcome([out]))
    """)
    assert result["sent"] == 1 and not result["leaked"], result["text"]
    assert "kept" in result["text"]


def test_a_jmespath_expression_that_explodes_is_refused_at_load():
    expression = "a" + ".[@,@,@,@][]" * 12  # 4**12 copies: minutes and gigabytes per event
    result = attack(f"""
        report({{"error": load_error('''
        format: 1
        name: jmes
        filters:
          - id: explode
            when: {{jmespath: "{expression}"}}
            drop: true
        ''')}})
    """)
    assert result["error"] is not None and "jmespath" in result["error"].lower(), result


def test_a_slow_jmespath_within_the_load_bounds_is_stopped_by_the_time_budget():
    """The bound at load cannot know the event: a projection over a huge event is cut by max_ms,
    and the rule counts as failed (skipped) while the event still goes through scrubbing."""
    result = attack("""
        ruleset = compiled('''
        format: 1
        name: jmes
        options: {limits: {max_ms: 300}}
        filters:
          - id: sorts
            when: {jmespath: "length(sort_by(extra.items[*].to_string(@), &@)[?contains(@, 'zz')]) > `0`"}
            drop: true
        scrub:
          rules:
            - {id: secret, pattern: 'hunter2-[a-z-]+'}
        ''')
        items = [f"item {n}" for n in range(300_000)]
        out = ruleset.before_send({"level": "error", "extra": {"items": items, "note": SECRET}}, {})
        report({"outcome": outcome([] if out is None else [out]), "errors": ruleset.stats()["internal_errors"]})
    """)
    assert not result["outcome"]["leaked"]
    assert result["errors"].get("sorts") == 1 or result["outcome"]["sent"] == 0, result


@pytest.mark.parametrize("shape", ["words", "named", "braces"])
def test_a_log_message_template_with_many_placeholders(shape):
    templates = {
        "words": '("a" * 100 + " %s ") * 3000',
        "named": '"%(" * 200_000',
        "braces": '"{" + ",".join(f\'"k{n}": "{{}}"\' for n in range(3000)) + "}"',
    }
    result = attack(f"""
        template = {templates[shape]}
        def plant(event):
            event["logentry"] = {{"message": template, "params": [SECRET] * 3000}}
        events = send(scrubbing(), plant)
        report(outcome(events))
    """)
    assert not result["leaked"], result["text"][:500]


def test_many_rules_over_a_huge_event_share_one_budget():
    """The budget is the event's, checked between rules: 300 rules that each scan a large value
    cannot keep a hook busy for the sum of all of them; the event fails closed."""
    result = attack("""
        rules = "\\n".join(f'''
          - id: r{n}
            when: {{jmespath: "length(extra.items[?contains(@, 'needle{n}')]) > `0`"}}
            drop: true''' for n in range(300))
        ruleset = compiled("format: 1\\nname: many\\noptions: {limits: {max_ms: 200}}\\nfilters:" + rules)
        items = [f"item {n}" for n in range(300_000)]
        out = ruleset.before_send({"level": "error", "extra": {"items": items, "note": SECRET}}, {})
        report({"dropped": out is None, "errors": ruleset.stats()["internal_errors"]})
    """)
    assert result["dropped"] and result["errors"].get("max_ms") == 1, result


def test_a_fingerprint_parameterizing_a_long_json_error_value():
    """``{{ error.value }}`` in a fingerprint is parameterized like Sentry does; a JSON body with
    a long value and an ``@`` after it made the e-mail pattern quadratic."""
    result = attack("""
        ruleset = compiled('''
        format: 1
        name: json
        grouping:
          - id: by-value
            when: {error.type: E}
            fingerprint: ["{{ error.value }}"]
        ''')
        value = '{"body": "' + "a" * 90_000 + '", "by": "someone@example.org"}'
        out = ruleset.before_send({"level": "error", "exception": {"values": [{"type": "E", "value": value}]}}, {})
        report({"fingerprint": out["fingerprint"][0][-30:]})
    """)
    assert result["fingerprint"].endswith('"by": "<email>"}')
