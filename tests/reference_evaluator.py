"""A small, obviously-correct evaluator of rulesets, for checking the compiled runtime against.

Plain recursion over the tree :func:`rules_engine.conditions.syntax.parse_condition` returns:
every call re-reads the payload, nothing is indexed or cached, and there is one function per
node and matcher type. It shares no code with the compiled path (only the glob and regex
primitives, which have tests of their own).

Semantics, as the design states them (Sentry's fingerprint matchers):

* A mapping is AND; ``any``/``all``/``not`` nest; a list is any-of; strings are globs.
* ``error.*`` fields read one exception of the chain, ``stack.*`` fields one frame. Tests on
  fields of the same family that sit side by side in one mapping must hold for the *same*
  element. When the event has no exception (frame), tests run against one empty element, so a
  negated matcher or ``exists: false`` holds and a positive one fails.
* ``error.type`` matches the bare type, ``module.type``, and when the class is known (the live
  exception's, a builtin, or one of an already imported module) every base class (bare, qualified,
  and as exported by the packages above its module) except ``object`` and ``BaseException``.
* ``message`` matches the log message (``logentry.formatted``, else ``logentry.message``, else
  ``message``) and every exception value, as Sentry's ``message`` matcher does.
* As in Sentry, globs and ``equals`` ignore case on ``error.value``, ``message``, ``level``,
  ``request.method`` and the path fields, and respect it everywhere else. Path globs also try a
  relative path as if it started with ``/``.
* A field whose value is absent (or ``None``) is missing: globs, regexes, comparisons and
  equality fail on it, ``exists: false`` and negations hold.
* Filters: the first rule (among those whose ``on`` includes the event kind) whose ``when``
  holds and ``unless`` does not decides. Grouping: matching rules apply in order; the first
  match stops unless it says ``continue``; later rules overwrite fingerprint/level and merge tags.
"""

from __future__ import annotations

import builtins
import sys
from dataclasses import dataclass, field
from typing import Any

from rules_engine.conditions import syntax as cs
from rules_engine.conditions.glob import compile_glob
from rules_engine.conditions.regex import compile_regex

MISSING = object()

ERROR_FAMILY = "error."
STACK_FAMILY = "stack."


# --------------------------------------------------------------------------- reading the event


def get_path(node: Any, keys: list[str]) -> Any:
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return MISSING if node is None else node


def as_mapping(raw: Any) -> dict:
    """Tags and headers come as a dict or as ``[name, value]`` pairs."""
    if isinstance(raw, dict):
        return dict(raw)
    result = {}
    if isinstance(raw, list):
        for pair in raw:
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                result[pair[0]] = pair[1]
    return result


def exception_list(event: dict) -> list[dict]:
    container = event.get("exception")
    values = container.get("values") if isinstance(container, dict) else container
    return [e for e in values if isinstance(e, dict)] if isinstance(values, list) else []


def frame_list(event: dict) -> list[dict]:
    frames = []
    for exc in exception_list(event):
        stacktrace = exc.get("stacktrace")
        if isinstance(stacktrace, dict) and isinstance(stacktrace.get("frames"), list):
            frames.extend(f for f in stacktrace["frames"] if isinstance(f, dict))
    return frames


def live_exception(hint: Any) -> BaseException | None:
    exc_info = hint.get("exc_info") if isinstance(hint, dict) else None
    if isinstance(exc_info, tuple) and len(exc_info) == 3 and isinstance(exc_info[1], BaseException):
        return exc_info[1]
    return None


def type_names(exc: dict, live: BaseException | None) -> tuple[str, ...]:
    bare = exc.get("type")
    if not isinstance(bare, str):
        return ()
    names = [bare]
    module = exc.get("module")
    if isinstance(module, str) and module:
        names.append(f"{module}.{bare}")
    cls = type(live) if live is not None else _class_named(module, bare)
    if cls is not None and cls.__name__ == bare and cls.__module__ == (module or "builtins"):
        for klass in cls.__mro__:
            if klass not in (object, BaseException):
                names += [klass.__name__, f"{klass.__module__}.{klass.__qualname__}"]
                names += [f"{package}.{klass.__name__}" for package in _packages_exporting(klass)]
    return tuple(names)


def _class_named(module: Any, bare: str) -> type | None:
    """Offline, the class is known when it is a builtin or its module is already imported."""
    owner = sys.modules.get(module) if isinstance(module, str) and module else builtins
    found = owner.__dict__.get(bare) if owner is not None else None
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _packages_exporting(cls: type) -> list[str]:
    parts = cls.__module__.split(".")
    packages = [".".join(parts[:i]) for i in range(1, len(parts))]
    return [p for p in packages if p in sys.modules and sys.modules[p].__dict__.get(cls.__name__) is cls]


def log_message(event: dict) -> Any:
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        for key in ("formatted", "message"):
            if isinstance(logentry.get(key), str) and logentry[key]:
                return logentry[key]
    message = event.get("message")
    return message if isinstance(message, str) and message else MISSING


def error_field(name: str, exc: dict, live: BaseException | None) -> Any:
    if name == "error.type":
        return type_names(exc, live) or MISSING
    if name == "error.value":
        value = exc.get("value")
        return value.strip() if isinstance(value, str) else MISSING
    mechanism = exc.get("mechanism") if isinstance(exc.get("mechanism"), dict) else {}
    key = {"error.mechanism": "type", "error.handled": "handled"}[name]
    return get_path(mechanism, [key])


def stack_field(name: str, frame: dict) -> Any:
    if name == "stack.abs_path":
        paths = tuple(p for p in (frame.get("abs_path"), frame.get("filename")) if isinstance(p, str))
        return paths or MISSING
    return get_path(frame, [name[len(STACK_FAMILY):]])


def event_field(name: str, event: dict, hint: Any) -> Any:
    """Fields that are not per exception or per frame."""
    if name == "message":
        found = [log_message(event)] + [error_field("error.value", e, None) for e in exception_list(event)]
        found = tuple(m.strip() for m in found if m is not MISSING)
        return found or MISSING
    if name in ("logger", "level", "transaction", "environment", "release", "server_name", "platform"):
        return get_path(event, [name])
    if name.startswith("request.headers."):
        headers = as_mapping(get_path(event, ["request", "headers"]))
        wanted = name[len("request.headers."):].lower()
        return next((v for k, v in headers.items() if str(k).lower() == wanted and v is not None), MISSING)
    if name.startswith("request."):
        return get_path(event, ["request", name[len("request."):]])
    if name.startswith("tags."):
        tags = as_mapping(event.get("tags"))
        value = tags.get(name[len("tags."):], MISSING)
        return MISSING if value is None else value
    for root in ("user", "contexts", "extra"):
        if name.startswith(root + "."):
            return get_path(event.get(root), name[len(root) + 1:].split("."))
    if name.startswith("exc."):
        live = live_exception(hint)
        if live is None:
            return MISSING
        try:
            value = getattr(live, name[len("exc."):])
        except Exception:
            return MISSING
        return MISSING if value is None or callable(value) else value
    raise NotImplementedError(f"the reference evaluator does not model field {name!r}")


# --------------------------------------------------------------------------- matchers


def candidates(value: Any) -> tuple:
    """Multi-valued fields (type names, paths, messages) match when any of their values does."""
    return value if isinstance(value, tuple) else (value,)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


CASELESS_FIELDS = {"error.value", "message", "level", "request.method", "stack.abs_path", "stack.filename", "stack.package"}
PATH_FIELDS = {"stack.abs_path", "stack.filename", "stack.package"}


def matches(matcher: cs.Matcher, value: Any, field: str) -> bool:
    if isinstance(matcher, cs.NotMatcher):
        return not matches(matcher.matcher, value, field)
    if isinstance(matcher, cs.AnyOf):
        return any(matches(m, value, field) for m in matcher.matchers)
    if isinstance(matcher, cs.AllOf):
        return all(matches(m, value, field) for m in matcher.matchers)
    if isinstance(matcher, cs.Exists):
        return (value is not MISSING) == matcher.expected
    if value is MISSING:
        return False
    return any(leaf_matches(matcher, item, field) for item in candidates(value))


def leaf_matches(matcher: cs.Matcher, value: Any, field: str) -> bool:
    caseless = field in CASELESS_FIELDS
    if isinstance(matcher, cs.Glob):
        if not isinstance(value, str):
            return False
        if field in PATH_FIELDS:
            match = compile_glob(matcher.pattern, path=True, ignore_case=True)
            return match(value) or (not value.startswith("/") and match("/" + value))
        return compile_glob(matcher.pattern, ignore_case=caseless)(value)
    if isinstance(matcher, cs.Regex):
        return isinstance(value, str) and compile_regex(matcher.pattern).search(value) is not None
    if isinstance(matcher, cs.Equals):
        if isinstance(value, bool) or isinstance(matcher.value, bool):
            return type(value) is type(matcher.value) and value == matcher.value
        if caseless and isinstance(value, str) and isinstance(matcher.value, str):
            return value.casefold() == matcher.value.casefold()
        return value == matcher.value
    if isinstance(matcher, cs.Compare):
        if not is_number(value):
            return False
        return {"lt": value < matcher.value, "lte": value <= matcher.value,
                "gt": value > matcher.value, "gte": value >= matcher.value}[matcher.op]
    raise TypeError(f"unknown matcher {matcher!r}")


# --------------------------------------------------------------------------- conditions


def family(node: cs.Node) -> str | None:
    if isinstance(node, cs.FieldTest):
        for prefix in (ERROR_FAMILY, STACK_FAMILY):
            if node.field.startswith(prefix):
                return prefix
    return None


def holds(node: cs.Node, event: dict, hint: Any) -> bool:
    if isinstance(node, cs.And):
        return and_holds(node.children, event, hint)
    if isinstance(node, cs.Or):
        return any(holds(child, event, hint) for child in node.children)
    if isinstance(node, cs.Not):
        return not holds(node.child, event, hint)
    if isinstance(node, cs.JMESPath):
        raise NotImplementedError("the reference evaluator does not model jmespath")
    return and_holds((node,), event, hint)


def and_holds(children: tuple, event: dict, hint: Any) -> bool:
    """AND of siblings; error.* siblings must hold on one exception, stack.* siblings on one frame."""
    error_tests = [c for c in children if family(c) == ERROR_FAMILY]
    stack_tests = [c for c in children if family(c) == STACK_FAMILY]
    others = [c for c in children if family(c) is None]
    if error_tests:
        live = live_exception(hint)
        chain = exception_list(event) or [{}]
        if not any(all(matches(t.matcher, error_field(t.field, exc, live), t.field) for t in error_tests)
                   for exc in chain):
            return False
    if stack_tests:
        frames = frame_list(event) or [{}]
        if not any(all(matches(t.matcher, stack_field(t.field, frame), t.field)
                       for t in stack_tests) for frame in frames):
            return False
    for child in others:
        if isinstance(child, cs.FieldTest):
            value = event_field(child.field, event, hint)
            if not matches(child.matcher, value, child.field):
                return False
        elif not holds(child, event, hint):
            return False
    return True


def rule_applies(rule, event: dict, hint: Any, kind: str) -> bool:
    if kind not in rule.on:
        return False
    if rule.when is not None and not holds(cs.parse_condition(rule.when), event, hint):
        return False
    return rule.unless is None or not holds(cs.parse_condition(rule.unless), event, hint)


# --------------------------------------------------------------------------- rulesets


@dataclass
class Outcome:
    """What the reference says happens to one event (scrubbing aside)."""

    decided_by: str | None = None  # id of the filter that decided, if any
    dropped: bool = False
    grouping_applied: list[str] = field(default_factory=list)
    fingerprint: list[str] | None = None
    level: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def evaluate(model, event: dict, hint: Any = None, kind: str = "error") -> Outcome:
    """Filters then grouping of ``model`` (a ``models.RulesetSpec``) for one event; templates not modelled."""
    outcome = Outcome(level=event.get("level"), tags=as_mapping(event.get("tags")))
    outcome.fingerprint = event.get("fingerprint")
    for rule in model.filters:
        if rule_applies(rule, event, hint, kind):
            outcome.decided_by = rule.id
            outcome.dropped = bool(rule.drop) or rule.sample == 0.0
            if outcome.dropped:
                return outcome
            break
    for rule in model.grouping:
        if not rule_applies(rule, event, hint, kind):
            continue
        outcome.grouping_applied.append(rule.id)
        if rule.fingerprint is not None:
            outcome.fingerprint = list(rule.fingerprint)
        if rule.level is not None:
            outcome.level = rule.level
        if rule.tags:
            outcome.tags.update(rule.tags)
        if not rule.continue_:
            break
    return outcome
