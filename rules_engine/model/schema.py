"""The JSON Schema of the ruleset format, generated from the models (``schema/ruleset.v1.schema.json``)."""

from __future__ import annotations

from typing import Any

from ..conditions import syntax as condition_syntax
from .models import CONDITION_MARKER, RulesetSpec


def ruleset_json_schema() -> dict[str, Any]:
    """The JSON Schema of format 1, as committed in ``schema/ruleset.v1.schema.json``."""
    schema = RulesetSpec.model_json_schema(by_alias=True)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    schema.setdefault("$defs", {}).update(condition_syntax.json_schema_defs())
    return _point_markers_at_condition(schema)


def _point_markers_at_condition(node: Any) -> Any:
    """Replace the condition placeholders pydantic emitted with references to ``$defs/Condition``."""
    if isinstance(node, dict):
        if node.get(CONDITION_MARKER):
            return {"$ref": "#/$defs/Condition"}
        return {key: _point_markers_at_condition(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_point_markers_at_condition(item) for item in node]
    return node
