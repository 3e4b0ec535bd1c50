"""Readable messages for the errors pydantic reports while validating a ruleset.

Pydantic says ``Input should be less than or equal to 1``; a ruleset author wants
``sample must be between 0 and 1, got 1.5``. Each error type has a small function
below; the models themselves are consulted for bounds, allowed keys and aliases,
so messages follow the models when they change.

Union fields (``redact``, ``revision``) make pydantic report one error per
branch. Those are folded into one: the branch the author evidently meant (the
one whose errors go deepest into the value), or a single "must be A, B or C"
when none fits.
"""

from __future__ import annotations

import datetime
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..errors import did_you_mean
from ..load.positions import KeyPath
from .models import (
    RULE_ID_PATTERN,
    FilterRule,
    GroupingRule,
    Limits,
    Mask,
    MaskRedaction,
    Options,
    ReplaceRedaction,
    RulesetSpec,
    Scrub,
    ScrubRule,
)

#: How a model is named in messages ("unknown key 'wen' in a filter rule").
MODEL_NOUNS: dict[type[BaseModel], str] = {
    RulesetSpec: "the ruleset",
    Options: "options",
    Limits: "options.limits",
    FilterRule: "a filter rule",
    GroupingRule: "a grouping rule",
    Scrub: "scrub",
    ScrubRule: "a scrub rule",
    Mask: "mask",
}


@dataclass(frozen=True)
class FieldProblem:
    """A validation problem at a key path of the file (``at_key``: point at the key, not the value)."""

    path: KeyPath
    message: str
    at_key: bool = False


def describe_validation_errors(errors: list[dict], data: Any, root: type[BaseModel] = RulesetSpec) -> list[FieldProblem]:
    """Turn ``ValidationError.errors()`` into :class:`FieldProblem` objects with readable messages."""
    plain: list[_Error] = []
    unions: dict[KeyPath, list[_Error]] = {}
    for raw in errors:
        error = _Error.of(raw, data)
        if error.branch is None:
            plain.append(error)
        else:
            unions.setdefault(error.union_path, []).append(error)
    problems = [_describe(error, root) for error in plain]
    for union_path, branch_errors in unions.items():
        problems.extend(_describe_union(union_path, branch_errors, data, root))
    return problems


# --------------------------------------------------------------------------- error shape


@dataclass
class _Error:
    raw: dict
    path: KeyPath  # loc without union branch names: a path into the file
    model_loc: tuple  # loc as pydantic gave it: a path into the models
    branch: str | None  # first union branch name in loc, if any
    union_path: KeyPath  # path of the union-typed value

    @property
    def type(self) -> str:
        return self.raw["type"]

    @property
    def input(self) -> Any:
        return self.raw.get("input")

    @classmethod
    def of(cls, raw: dict, data: Any) -> "_Error":
        loc = tuple(raw["loc"])
        path: list[Any] = []
        branch = None
        union_path: KeyPath = ()
        node = data
        for index, element in enumerate(loc):
            last = index == len(loc) - 1
            if isinstance(node, dict) and element in node:
                node = node[element]
            elif isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node):
                node = node[element]
            elif last and raw["type"] in ("missing", "extra_forbidden"):
                pass  # the key itself is the subject of the error
            else:
                if branch is None:
                    branch, union_path = str(element), tuple(path)
                continue
            path.append(element)
        return cls(raw, tuple(path), loc, branch, union_path)


# --------------------------------------------------------------------------- single errors


def _describe(error: _Error, root: type[BaseModel]) -> FieldProblem:
    name = _field_name(error.path)
    kind = error.type
    if kind == "extra_forbidden":
        owner = _model_at(root, error.model_loc[:-1])
        return FieldProblem(error.path, _unknown_key(str(error.path[-1]), owner), at_key=True)
    if kind == "missing":
        owner = _model_at(root, error.model_loc[:-1])
        where = f" in {MODEL_NOUNS[owner]}" if owner in MODEL_NOUNS else ""
        return FieldProblem(error.path[:-1], f"missing required key '{error.path[-1]}'{where}")
    if kind == "value_error":
        return FieldProblem(error.path, str(error.raw.get("ctx", {}).get("error", error.raw["msg"])))
    if kind == "literal_error":
        return FieldProblem(error.path, _literal_message(name, error, _field_at(root, error.model_loc)))
    if kind in _TYPE_NOUNS:
        return FieldProblem(error.path, _type_message(name, _TYPE_NOUNS[kind], error.input))
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return FieldProblem(error.path, _range_message(name, error.input, _field_at(root, error.model_loc)))
    if kind == "too_short":
        minimum = error.raw.get("ctx", {}).get("min_length", 1)
        return FieldProblem(error.path, f"{name} needs at least {minimum} item{'s' if minimum != 1 else ''}")
    if kind == "string_too_short":
        return FieldProblem(error.path, f"{name} must not be empty")
    if kind == "string_too_long":
        maximum = error.raw.get("ctx", {}).get("max_length")
        if maximum == 1:
            return FieldProblem(error.path, f"{name} must be a single character, got {_show(error.input)}")
        return FieldProblem(error.path, f"{name} must be at most {maximum} characters long")
    if kind == "string_pattern_mismatch" and error.raw.get("ctx", {}).get("pattern") == RULE_ID_PATTERN:
        return FieldProblem(
            error.path,
            f"{name} {_show(error.input)} may contain only letters, digits, '_', '.', ':' and '-', "
            "and must start with a letter or digit",
        )
    return FieldProblem(error.path, f"{name}: {error.raw['msg']}")


_TYPE_NOUNS = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _unknown_key(key: str, owner: type[BaseModel] | None) -> str:
    where = f" in {MODEL_NOUNS[owner]}" if owner in MODEL_NOUNS else ""
    if owner is None:
        return f"unknown key '{key}'{where}"
    known = _keys_of(owner)
    hint = did_you_mean(key, known)
    if hint:
        return f"unknown key '{key}'{where}{hint}"
    return f"unknown key '{key}'{where}; known keys: {', '.join(known)}"


def _keys_of(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts, as written in files (aliases such as 'in' and 'continue')."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _literal_message(name: str, error: _Error, field: FieldInfo | None) -> str:
    value = error.input
    allowed = _literal_values(field.annotation) if field is not None else []
    if allowed == [True]:
        return f"{name} must be true, got {_show(value)} (to keep matching events, remove the rule)"
    if name.startswith("detect[") and isinstance(value, str):
        hint = did_you_mean(value, allowed)
        return f"unknown detector {value!r}{hint or '; known detectors: ' + ', '.join(allowed)}"
    expected = error.raw.get("ctx", {}).get("expected") or _or_list([repr(v) for v in allowed])
    hint = did_you_mean(value, [str(v) for v in allowed]) if isinstance(value, str) else ""
    return f"{name} must be {expected}, got {_show(value)}{hint}"


def _type_message(name: str, noun: str, value: Any) -> str:
    message = f"{name} must be {noun}, got {_show(value)}"
    if noun == "a list" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        message += f" (write [{value}] for a list of one)"
    if isinstance(value, (datetime.date, datetime.datetime)):
        message += " (quote it to make it a string)"
    return message


def _range_message(name: str, value: Any, field: FieldInfo | None) -> str:
    bounds = {type(m): m for m in (field.metadata if field is not None else [])}
    low = bounds.get(Ge) or bounds.get(Gt)
    high = bounds.get(Le) or bounds.get(Lt)
    if isinstance(low, Ge) and isinstance(high, Le):
        return f"{name} must be between {_num(low.ge)} and {_num(high.le)}, got {_show(value)}"
    parts = []
    if isinstance(low, Ge):
        parts.append(f"at least {_num(low.ge)}")
    elif isinstance(low, Gt):
        parts.append(f"greater than {_num(low.gt)}")
    if isinstance(high, Le):
        parts.append(f"at most {_num(high.le)}")
    elif isinstance(high, Lt):
        parts.append(f"less than {_num(high.lt)}")
    return f"{name} must be {' and '.join(parts) or 'in range'}, got {_show(value)}"


# --------------------------------------------------------------------------- unions


def _describe_union(path: KeyPath, errors: list[_Error], data: Any, root: type[BaseModel]) -> list[FieldProblem]:
    """One union-typed value: report the intended branch's errors, or one 'must be A or B' message."""
    by_branch: dict[str, list[_Error]] = {}
    for error in errors:
        by_branch.setdefault(error.branch or "", []).append(error)
    depth = {branch: max(len(e.path) for e in errs) - len(path) for branch, errs in by_branch.items()}
    deepest = max(depth.values())
    if deepest > 0:
        candidates = [b for b in by_branch if depth[b] == deepest]
        chosen = min(candidates, key=lambda b: len(by_branch[b]))
        branch_errors = [_strip_branch(e) for e in by_branch[chosen]]
        return [_describe(e, root) for e in branch_errors]
    value = errors[0].input
    name = _field_name(path)
    alternatives = [_branch_noun(branch, errs[0]) for branch, errs in by_branch.items()]
    literals = [v for branch, errs in by_branch.items() if branch.startswith("literal[")
                for v in _literal_values_from_ctx(errs[0])]
    hint = did_you_mean(value, literals) if isinstance(value, str) else ""
    return [FieldProblem(path, f"{name} must be {_or_list(alternatives)}, got {_show(value)}{hint}")]


def _strip_branch(error: _Error) -> _Error:
    """The same error, described on its own (its loc still names the branch, for model lookups)."""
    return _Error(error.raw, error.path, error.model_loc, None, ())


def _branch_noun(branch: str, error: _Error) -> str:
    if branch.startswith("literal["):
        return error.raw.get("ctx", {}).get("expected", branch)
    simple = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}
    if branch in simple:
        return simple[branch]
    model = _MODELS_BY_NAME.get(branch)
    if model is not None:
        keys = _keys_of(model)
        return "{" + ", ".join(f"{k}: ..." for k in keys) + "}"
    return branch


def _literal_values_from_ctx(error: _Error) -> list[str]:
    expected = error.raw.get("ctx", {}).get("expected", "")
    return [part.strip(" '") for part in expected.replace(" or ", ", ").split(",") if part.strip(" '")]


# --------------------------------------------------------------------------- model lookup


_UNIONS = (Union, types.UnionType)


def _walk_type(tp: Any, element: Any) -> Any:
    """The type one loc element further down from ``tp`` (model field, list item, dict value, union branch)."""
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = _field_by_key(tp, element)
        return field.annotation if field is not None else None
    origin = get_origin(tp)
    if origin is list and isinstance(element, int):
        return get_args(tp)[0]
    if origin is dict:
        return get_args(tp)[1]
    if origin in _UNIONS:
        for member in get_args(tp):
            member = _unwrap(member)
            if getattr(member, "__name__", None) == element:
                return member
            if get_origin(member) is Literal and str(element).startswith("literal["):
                return member
    return None


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional, which do not appear in pydantic's loc."""
    while True:
        if get_origin(tp) is typing.Annotated:
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in _UNIONS:
            members = [m for m in get_args(tp) if m is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _field_by_key(model: type[BaseModel], key: Any) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    tp: Any = root
    for element in loc:
        tp = _walk_type(tp, element)
        if tp is None:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _field_at(root: type[BaseModel], loc: tuple) -> FieldInfo | None:
    """The model field that holds the value at ``loc`` (for list items: the list's field)."""
    field: FieldInfo | None = None
    tp: Any = root
    for element in loc:
        current = _unwrap(tp)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = _field_by_key(current, element)
        tp = _walk_type(tp, element)
        if tp is None:
            break
    if field is not None and loc and isinstance(loc[-1], int):
        # A list item: literal values come from the item type, bounds do not apply.
        item = _unwrap(get_args(_unwrap(field.annotation))[0]) if get_args(_unwrap(field.annotation)) else None
        return FieldInfo(annotation=item) if item is not None else field
    return field


def _literal_values(tp: Any) -> list[Any]:
    tp = _unwrap(tp)
    if get_origin(tp) is Literal:
        return list(get_args(tp))
    if get_origin(tp) in _UNIONS:
        return [v for member in get_args(tp) for v in _literal_values(member)]
    return []


_MODELS_BY_NAME = {model.__name__: model for model in (*MODEL_NOUNS, MaskRedaction, ReplaceRedaction)}


# --------------------------------------------------------------------------- wording


def _field_name(path: KeyPath) -> str:
    """'sample', 'keys[1]', 'on[0]': the last key of a path, with any list indexes after it."""
    name = ""
    for element in reversed(path):
        if isinstance(element, int):
            name = f"[{element}]{name}"
        else:
            return f"{element}{name}"
    return name or "the ruleset"


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return _num(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"a date ({value.isoformat()})"
    return type(value).__name__


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _or_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
