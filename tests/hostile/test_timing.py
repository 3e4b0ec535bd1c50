"""Hostile timing: inputs chosen to make one event slow. Each runs in a child process with a hard
timeout; the promise is that the hook returns and sends nothing unscrubbed: the event is kept or
dropped as the rules say, or fails closed by ``on_error``. The attacks on the time budget itself
time the hook in the child and allow it ``limits.max_ms`` plus a slack far below what the attack
costs unbounded (a bound that tells a checked loop from an unchecked one, not a speed figure;
speed is measured in benchmarks/)."""

from __future__ import annotations

import pytest

from tests.hostile.harness import SLACK_SECONDS, attack

#: The time budget (``limits.max_ms``) of the attacks that show where it is checked.
BUDGET_MS = 100

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
    """The bound at load cannot know the event: a projection over a huge event is stopped by
    max_ms as it runs, and the event fails closed on its budget (``max_nodes`` is raised so that
    the scrubber's node limit, which would drop this event anyway, is not what stops it)."""
    result = attack(f"""
        ruleset = compiled({SLOW_JMESPATH!r})
        items = [f"item {{n}}" for n in range(300_000)]
        report(timed_hook(ruleset, {{"level": "error", "extra": {{"items": items, "note": SECRET}}}}))
    """)
    assert not result["leaked"]
    assert_within_the_budget(result)


SLOW_JMESPATH = """
format: 1
name: jmes
options: {limits: {max_ms: %s, max_nodes: 10000000}}
filters:
  - id: sorts
    when: {jmespath: "length(sort_by(extra.items[*].to_string(@), &@)[?contains(@, 'zz')]) > `0`"}
    drop: true
scrub:
  rules:
    - {id: secret, pattern: 'hunter2-[a-z-]+'}
""" % BUDGET_MS


#: Log message templates with many placeholders: 30,000 words, then "%(" 200,000 times (the
#: placeholder search tries 128 characters at each), and a JSON body with a placeholder per value.
LOG_TEMPLATES = {
    "words": '("a" * 100 + " %s ") * 30_000',
    "named": '"%(" * 200_000',
    "braces": '"{" + ",".join(f\'"k{n}": "{{}}"\' for n in range(30_000)) + "}"',
}


@pytest.mark.parametrize("shape", list(LOG_TEMPLATES))
def test_a_log_message_template_with_many_placeholders(shape):
    result = attack(f"""
        template = {LOG_TEMPLATES[shape]}
        ruleset = scrubbing(limits="max_ms: {BUDGET_MS}")
        event = {{"level": "error", "logentry": {{"message": template, "params": [SECRET] * 3000}}}}
        report(timed_hook(ruleset, event))
    """)
    assert not result["leaked"], result["text"][:500]
    assert_within_the_budget(result)


def assert_within_the_budget(result: dict) -> None:
    """The hook returned within the budget plus :data:`SLACK_SECONDS` (the attacks take seconds
    to minutes unbounded): sent, when the work fitted in the budget, else failed closed on it
    (``on_error: drop``)."""
    assert result["seconds"] < BUDGET_MS / 1000 + SLACK_SECONDS, result["seconds"]
    if result["errors"]:
        assert result["errors"] == {"max_ms": 1}, result["errors"]
        assert result["sent"] == 0, result
    else:
        assert result["sent"] == 1, result


#: A frame's function name an attacker chooses; a regex condition reads it whole.
LONG_NAME = "f" * 20_000
#: Frames enough that trying one condition on each takes seconds (about 10 s on a busy 2-core machine).
FRAMES = 1_000_000


@pytest.mark.parametrize("step", ["filters", "grouping"])
def test_one_rule_over_a_huge_stack_is_stopped_by_the_budget(step):
    """One rule, tried on every frame of a huge stack: the budget is checked inside the loop
    over the frames, not only between rules."""
    rule = "drop: true" if step == "filters" else "fingerprint: [slow]"
    ruleset = RULE_OVER_FRAMES % {"budget": BUDGET_MS, "step": step, "rule": rule}
    result = attack(f"""
        ruleset = compiled({ruleset!r})
        frames = [{{"function": {LONG_NAME!r}, "in_app": True}}] * {FRAMES}
        event = {{"level": "error", "extra": {{"note": SECRET}},
                 "exception": {{"values": [{{"type": "E", "value": "v", "stacktrace": {{"frames": frames}}}}]}}}}
        report(timed_hook(ruleset, event))
    """)
    assert not result["leaked"]
    assert_within_the_budget(result)


RULE_OVER_FRAMES = """
format: 1
name: frames
options: {limits: {max_ms: %(budget)s}}
%(step)s:
  - id: slow
    when: {stack.function: {regex: "zz.*yy"}}
    %(rule)s
"""

#: One fingerprint template naming the error value 2,000 times.
MANY_PLACEHOLDERS = """
format: 1
name: template
options: {limits: {max_ms: %(budget)s}}
grouping:
  - id: slow
    when: {error.type: E}
    fingerprint: ["%(template)s"]
""" % {"budget": BUDGET_MS, "template": "{{ error.value }}-" * 2000}


def test_a_fingerprint_naming_a_long_value_many_times_is_stopped_by_the_budget():
    """One template rendered: 2,000 placeholders, each parameterizing a 100 KB error value."""
    result = attack(f"""
        ruleset = compiled({MANY_PLACEHOLDERS!r})
        event = {{"level": "error", "exception": {{"values": [{{"type": "E", "value": "id 12 and a value " * 6000}}]}}}}
        report(timed_hook(ruleset, event))
    """)
    assert_within_the_budget(result)


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
