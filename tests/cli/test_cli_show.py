"""``rules-engine show``, the README's generated detector table and the shipped pack versions."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from rules_engine.cli import main
from rules_engine.detection import catalogue
from rules_engine.detection.readme import updated
from rules_engine.load.builtin import pack_file
from rules_engine.load.loader import load_model

ROOT = Path(__file__).resolve().parents[2]

#: The 2026.11 packs as released: a ruleset pinned to them must scrub exactly as before.
RELEASED_2026_11 = {
    "secure-defaults": "e38383c41c58a80d2f591a6a0720f242d3959184f66beb9c951046853ebea567",
    "personal-data": "03a80d3eb5d64f58c6bc14db03ecb3df57186c579ce67525aaf58d10a786114c",
}


def test_released_packs_stay_byte_identical():
    for name, digest in RELEASED_2026_11.items():
        assert hashlib.sha256(pack_file(name, "2026.11").read_bytes()).hexdigest() == digest, name


def test_default_ruleset_extends_the_2026_12_packs():
    data = yaml.safe_load((ROOT / "rulesets" / "default.yaml").read_text())
    assert data["extends"] == ["builtin:secure-defaults@2026.12", "builtin:personal-data@2026.12"]


def test_the_2026_12_packs_use_every_catalogue_detector():
    used = set()
    for name in ("secure-defaults", "personal-data"):
        model = load_model(f"builtin:{name}@2026.12").model
        used |= {detector for rule in model.scrub.rules for detector in rule.detect or ()}
    assert {entry.id for entry in catalogue()} <= used


def test_show_prints_a_pack_as_shipped(capsys):
    assert main(["show", "builtin:secure-defaults@2026.12"]) == 0
    assert capsys.readouterr().out == pack_file("secure-defaults", "2026.12").read_text(encoding="utf-8")


def test_show_resolved_merges_what_a_ruleset_extends(capsys):
    assert main(["show", "--resolved", str(ROOT / "rulesets" / "default.yaml")]) == 0
    out = capsys.readouterr().out
    merged = yaml.safe_load(out)
    assert "extends" not in merged
    rule_ids = [rule["id"] for rule in merged["scrub"]["rules"]]
    assert "secret-keys" in rule_ids and "personal-identifiers" in rule_ids
    assert "# from builtin:secure-defaults@2026.12:" in out
    assert [rule["id"] for rule in merged["filters"]] == ["client-errors", "health-checks"]


def test_show_reports_an_unknown_pack(capsys):
    assert main(["show", "builtin:secure-defaults@1999.01"]) == 1
    assert "no version '1999.01'" in capsys.readouterr().err


def test_readme_detector_table_is_up_to_date():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert updated(readme) == readme, "run: python -m rules_engine.detection.readme README.md"
    for entry in catalogue():
        assert f"| `{entry.id}` |" in readme
