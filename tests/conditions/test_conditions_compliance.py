"""Runs the data-driven compliance cases in ``tests/compliance/*.yaml``.

Each file holds ``cases``; a case is either

* a condition case: ``when`` (and optional ``unless``, ``kind``) plus ``matches: true|false`` —
  the condition is compiled into a drop filter and the case checks whether it fires; or
* a ruleset case: ``ruleset`` (filters / grouping / options of a format-1 ruleset) plus
  ``expect`` with any of ``dropped``, ``fingerprint``, ``tags``, ``level``, ``transaction``, ``exception``
  (type / value of the main exception), ``logentry``, ``contexts``, ``absent_tags``.

``event`` is the payload (for ``kind: log`` and ``kind: metric``, the item as sentry-sdk hands it
to ``before_send_log`` / ``before_send_metric``), ``hint`` optionally builds a live exception:
``{raise: "module.Class", args: [...], kwargs: {...}, attrs: {...}}``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from rules_engine.model import models
from rules_engine.runtime.ruleset import Ruleset

HERE = Path(__file__).parent.parent / "compliance"


def _cases():
    yaml = YAML(typ="safe", pure=True)
    for path in sorted(HERE.glob("*.yaml")):
        for index, case in enumerate(yaml.load(path.read_text())["cases"]):
            yield pytest.param(case, id=f"{path.stem}:{index}:{case['name']}")


def _live_exception(spec: dict) -> BaseException:
    module_name, _, class_name = spec["raise"].rpartition(".")
    cls = getattr(importlib.import_module(module_name or "builtins"), class_name)
    exc = cls(*spec.get("args", []), **spec.get("kwargs", {}))
    for key, value in (spec.get("attrs") or {}).items():
        setattr(exc, key, value)
    return exc


def _hint(case: dict) -> dict:
    if not case.get("hint"):
        return {}
    exc = _live_exception(case["hint"])
    return {"exc_info": (type(exc), exc, None)}


def _ruleset(case: dict) -> Ruleset:
    if "ruleset" in case:
        body = dict(case["ruleset"])
    else:
        rule = {"id": "case", "on": [case.get("kind", "error")], "when": case["when"], "drop": True}
        if "unless" in case:
            rule["unless"] = case["unless"]
        body = {"filters": [rule]}
    return Ruleset.from_model(models.RulesetSpec.model_validate({"format": 1, "name": "compliance", **body}))


def _main_exception(event: dict) -> dict:
    return event["exception"]["values"][-1]


@pytest.mark.parametrize("case", list(_cases()))
def test_compliance_case(case):
    ruleset = _ruleset(case)
    ruleset.draw = lambda: 0.5
    kind = case.get("kind", "error")
    if kind in ("log", "metric"):  # items in sentry-sdk's shapes, through their own hooks
        result = ruleset.process(case["event"], _hint(case), kind)
    else:
        result = ruleset._run(case["event"], _hint(case), kind)
    assert ruleset.stats()["internal_errors"] == {}, "a rule failed on the case"
    if "matches" in case:
        assert (result is None) is case["matches"]
        return
    expect = case["expect"]
    assert (result is None) is expect.get("dropped", False)
    if result is None:
        return
    if "fingerprint" in expect:
        assert result.get("fingerprint") == expect["fingerprint"]
    for key, value in (expect.get("tags") or {}).items():
        assert result["tags"].get(key) == value, key
    for key in expect.get("absent_tags", []):
        assert key not in result.get("tags", {})
    if "level" in expect:
        assert result.get("level") == expect["level"]
    if "exception" in expect:
        main = _main_exception(result)
        assert {k: main.get(k) for k in expect["exception"]} == expect["exception"]
    if "transaction" in expect:
        assert (result.get("transaction"), result["transaction_info"]["source"]) == (expect["transaction"], "custom")
    if "logentry" in expect:
        assert {k: result["logentry"].get(k) for k in expect["logentry"]} == expect["logentry"]
    for name, value in (expect.get("contexts") or {}).items():
        assert result["contexts"][name] == value, name


def test_compliance_set_covers_every_field_and_matcher():
    """Every field of the vocabulary and every matcher operator appears in some case."""
    from rules_engine.conditions.fields import FAMILIES as FIELD_PREFIXES
    from rules_engine.conditions.fields import FIELDS
    from rules_engine.conditions.syntax import OPERATORS

    text = "\n".join(p.read_text() for p in HERE.glob("*.yaml"))
    for name in FIELDS:
        assert f"{name}:" in text, name
    for prefix in FIELD_PREFIXES:
        assert prefix in text, prefix
    for op in (*OPERATORS, "any", "all", "jmespath", "unless"):
        assert f"{op}:" in text, op
