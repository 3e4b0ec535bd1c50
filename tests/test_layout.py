"""The package keeps the shape ARCHITECTURE.md describes: one package per stage, small modules,
one name per concept."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rules_engine"
STAGES = {"load", "model", "conditions", "rules", "runtime", "scrub", "testing", "cli", "builtin", "detection"}


def test_the_package_root_holds_few_modules_and_one_package_per_stage():
    modules = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py"}
    assert len(modules) <= 6, modules
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith(("__", "."))}
    assert packages == STAGES


def test_no_module_is_longer_than_700_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700}
    assert long == {}


def test_exactly_one_class_is_named_ruleset():
    found = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
             for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(node, ast.ClassDef) and node.name == "Ruleset"]
    assert found == ["rules_engine/runtime/ruleset.py"]


def test_every_module_architecture_md_names_exists():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.(?:py|c))`", text))
    missing = sorted(name for name in named
                     if not (PACKAGE / name).exists() and not (ROOT / name).exists())
    assert named and missing == []


def test_the_public_imports_keep_working():
    import rules_engine
    from rules_engine.capture import capture_events
    from rules_engine.testing import assert_case_file

    for name in ("load_ruleset", "Ruleset", "RulesetError", "RulesEngineError", "Problem",
                 "RulesEngineIntegration"):
        assert hasattr(rules_engine, name), name
    assert callable(capture_events) and callable(assert_case_file)
