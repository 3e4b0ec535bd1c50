"""Hostile rule files: each must fail loading with a clear RulesetError (never a RecursionError,
a ValueError, a hang or a file's contents in the message), or load with the promised meaning.
Each runs in a child process with a hard timeout."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.hostile.harness import attack

HEADER = "format: 1\nname: hostile\n"

#: 377 bytes: nine levels of aliases, each a list of nine of the level below (9**9 leaves).
ALIAS_BOMB = HEADER + "x:\n" + "".join(
    f"- &{chr(97 + n)} [{','.join([f'*{chr(96 + n)}'] * 9) if n else '1,1,1,1,1,1,1,1,1'}]\n" for n in range(9)
)

#: What each hostile ruleset is, as Python source building the YAML text in the child.
HOSTILE_TEXTS = {
    "alias bomb": repr(ALIAS_BOMB),
    "100,000 nested flow lists": 'HEADER + "x: " + "[" * 100_000 + "]" * 100_000',
    "20,000 nested condition maps": (
        'HEADER + "filters:\\n  - id: deep\\n    drop: true\\n    when: " + "{all: [" * 20_000 + "{level: error}" + "]}" * 20_000'
    ),
    "3,000 nots": 'HEADER + "filters:\\n  - id: nots\\n    drop: true\\n    when: " + "{not: " * 3000 + "{level: error}" + "}" * 3000',
    "an integer of 100,000 digits": 'HEADER.replace("name: hostile", "name: hostile\\nrevision: " + "9" * 100_000)',
    "a limit of 100,000 digits": 'HEADER + "options: {limits: {max_depth: " + "9" * 100_000 + "}}"',
    "lt: .nan": 'HEADER + "filters:\\n  - {id: nan, drop: true, when: {exc.status_code: {lt: .nan}}}"',
    "max_ms: 1e400 (no budget at all)": 'HEADER + "options: {limits: {max_ms: 1e400}}"',
    "gte: 1e400": 'HEADER + "filters:\\n  - {id: inf, drop: true, when: {exc.status_code: {gte: 1e400}}}"',
    "a 5 MB ruleset": 'HEADER + "filters:\\n" + "".join(f"  - {{id: r{n}, drop: true, when: {{transaction: /p{n}/*}}}}\\n" for n in range(120_000))',
}


@pytest.mark.parametrize("name", list(HOSTILE_TEXTS))
def test_a_hostile_ruleset_fails_loading_with_a_clear_error(name):
    result = attack(f"""
        HEADER = {HEADER!r}
        text = {HOSTILE_TEXTS[name]}
        try:
            error = load_error(text)
        except BaseException as exc:
            error = "ESCAPED " + type(exc).__name__ + ": " + str(exc)[:200]
        report({{"error": error, "size": len(text)}})
    """)
    error = result["error"]
    assert error is not None, f"{name} loaded"
    assert not error.startswith("ESCAPED"), error
    assert "Traceback" not in error and "RecursionError" not in error
    assert len(error) < 2000, error[:2000]


def test_500_nested_brace_globs_load_and_mean_what_they_say():
    """A glob of 500 nested braces is no threat on RE2 (it was a RecursionError on Python's re)."""
    result = attack('''
        glob = "{a," * 500 + "b" + "}" * 500
        ruleset = compiled(HEADER + "filters:\\n  - {id: braces, on: [transaction], drop: true, when: {transaction: '" + glob + "'}}\\n")
        kept = [name for name in ("a", "b", "c", "ab") if ruleset.before_send_transaction(
            {"type": "transaction", "transaction": name}, {}) is not None]
        report({"kept": kept})
    '''.replace("HEADER", repr(HEADER)))
    assert result == {"kept": ["c", "ab"]}


def test_the_alias_bomb_is_only_377_bytes():
    assert len(ALIAS_BOMB.encode()) <= 400


# ------------------------------------------------------------------ extends


@pytest.fixture
def project(tmp_path):
    """A ruleset directory, and a secret file outside it."""
    rulesets = tmp_path / "project" / "rulesets"
    (rulesets / "common").mkdir(parents=True)
    (rulesets / "common" / "shared.yaml").write_text(HEADER.replace("hostile", "shared"))
    secret = tmp_path / "secret.pem"
    secret.write_text("-----BEGIN PRIVATE KEY-----\nMIIEplantedsecretkeymaterial\n-----END PRIVATE KEY-----\n")
    (rulesets / "link.yaml").symlink_to(secret)
    return rulesets, secret


def load_with_extends(rulesets, target: str, env=None) -> dict:
    main = rulesets / "main.yaml"
    main.write_text(HEADER + f"extends: [{target!r}]\n")
    return attack(f"""
        import logging
        records = []
        class Keep(logging.Handler):
            def emit(self, record):
                records.append(self.format(record))
        logging.getLogger("rules_engine").addHandler(Keep())
        from rules_engine import load_ruleset
        try:
            load_ruleset({str(main)!r})
            error = None
        except RulesetError as exc:
            error = str(exc)
        report({{"error": error, "logged": records}})
    """, env=env)


@pytest.mark.parametrize("target", ["{secret}", "../../secret.pem", "./link.yaml", "/etc/passwd"])
def test_extends_outside_the_ruleset_tree_is_refused_without_quoting_the_file(project, target):
    rulesets, secret = project
    result = load_with_extends(rulesets, target.format(secret=secret))
    assert result["error"] is not None
    assert "outside" in result["error"], result["error"]
    everything = result["error"] + "".join(result["logged"])
    assert "planted" not in everything and "BEGIN PRIVATE" not in everything and "root:" not in everything


def test_extends_inside_the_tree_and_builtin_packs_still_load(project):
    rulesets, _ = project
    assert load_with_extends(rulesets, "./common/shared.yaml")["error"] is None
    assert load_with_extends(rulesets, "builtin:secure-defaults@2026.11")["error"] is None


def test_other_roots_are_an_explicit_opt_in(project, tmp_path):
    rulesets, _ = project
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "team.yaml").write_text(HEADER.replace("hostile", "team"))
    refused = load_with_extends(rulesets, str(elsewhere / "team.yaml"))
    assert refused["error"] is not None and "RULES_ENGINE_EXTENDS_ROOTS" in refused["error"]
    allowed = load_with_extends(rulesets, str(elsewhere / "team.yaml"), env={"RULES_ENGINE_EXTENDS_ROOTS": str(elsewhere)})
    assert allowed["error"] is None, allowed


def test_a_file_that_is_not_yaml_is_reported_without_its_contents(project):
    rulesets, secret = project
    (rulesets / "notes.yaml").write_text("password: [unclosed hunter2-planted\n  - x: {")
    result = load_with_extends(rulesets, "./notes.yaml")
    assert result["error"] is not None
    assert "hunter2" not in result["error"] + "".join(result["logged"])


# ------------------------------------------------------------------ ${ENV}


@pytest.mark.parametrize("reference", ["${A:-${B}}", "${A:-x${B}y}", "${A:-$B}", "$B", "${B}${A:-${B}}"])
def test_nested_env_references_are_refused_or_expanded_never_literal(reference):
    result = attack(f"""
        import os
        os.environ.pop("A", None)
        os.environ["B"] = "the-b-key"
        text = HEADER + "options: {{hash_key: '{reference}'}}\\n"
        try:
            loaded = load_model_from_text(text)
            report({{"key": loaded.hash_key.decode() if loaded.hash_key else None}})
        except RulesetError as exc:
            report({{"error": str(exc)}})
    """.replace("HEADER", repr(HEADER)))
    if "key" in result:
        assert "$" not in result["key"] and "{" not in result["key"] and "}" not in result["key"], result
    else:
        assert "malformed ${...} reference" in result["error"], result


# ------------------------------------------------------------------ hot reload


def test_a_fifo_at_a_reloaded_path_does_not_hang_the_hook(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(HEADER)
    result = attack(f"""
        import os, time
        from rules_engine import load_ruleset
        ruleset = load_ruleset({str(path)!r}, reload=0.01)
        os.unlink({str(path)!r})
        os.mkfifo({str(path)!r})                 # nobody ever writes to it
        time.sleep(0.05)
        out = ruleset.before_send({{"level": "error", "message": "m"}}, {{}})
        report({{"sent": out is not None, "failed_reloads": ruleset.failed_reloads}})
    """)  # a hook blocked on the FIFO would never return
    assert result == {"sent": True, "failed_reloads": 1}
