"""Rules that load but can never fire or never change anything.

Each lint is a warning at the line and column of what it is about; ``rules-engine validate``
prints them and ``validate --strict`` fails on them. They catch what a reviewer would miss:

* a selector path written in ``keys`` (``request.headers.x-token``): keys are key *names*;
* regular-expression syntax in a glob (``(a|b)``, a leading ``.*``, ``\\d``, ``^...$``): matched
  literally;
* ``title`` or ``fingerprint`` on a grouping rule for transactions only: Sentry ignores both there;
* an ``error.type`` naming a class that its module does not have, when that module is imported
  (``validate --import`` imports the modules rules name);
* a scrub rule every key of which an earlier rule (a parent pack's, usually) already redacts:
  the first redaction of a value wins, so the later rule never changes anything.
"""

from __future__ import annotations

import re
import sys
from typing import Any, Callable, Iterable, Iterator

from ..conditions.exception_names import exported_by

Path = tuple[Any, ...]
Warn = Callable[[Path, str], None]

#: The first step of a selector (``request.headers.x-token``): a key glob never starts like this.
_SELECTOR_ROOTS = frozenset(
    {"request", "extra", "contexts", "user", "tags", "exception", "breadcrumbs", "logentry", "spans",
     "threads", "message", "*", "**"}
)
_GLOB_WILDCARDS = frozenset("*?[{")
#: Regex constructs with their glob spelling, each found where a glob is expected.
_REGEX_IN_GLOB: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\([^()]*\|[^()]*\)"), "alternatives are written {a,b} in a glob"),
    (re.compile(r"^\.[*+]|(?<!\\)\.\+"), "'*' alone matches any text in a glob"),
    (re.compile(r"\\[dwsDWSb]"), "a glob has no character classes; use [0-9] or ?"),
    (re.compile(r"^\^|(?<!\\)\$$"), "a glob is anchored at both ends already"),
)


def lint_rules(data: dict, warn: Warn) -> None:
    """The lints about one file's own rules; ``warn(path, message)`` reports one."""
    for section in ("filters", "grouping"):
        for index, rule in _rules(data.get(section)):
            path = (section, index)
            for key in ("when", "unless"):
                if isinstance(rule.get(key), dict):
                    for where, field_name, pattern in condition_globs(rule[key], path + (key,)):
                        _lint_glob(pattern, where, warn)
                        if field_name == "error.type":
                            _lint_error_type(pattern, where, warn)
            if section == "grouping":
                _lint_transaction_only_grouping(rule, path, warn)
    scrub = data.get("scrub")
    for index, rule in _rules(scrub.get("rules") if isinstance(scrub, dict) else None):
        keys = rule.get("keys")
        for key_index, pattern in enumerate(keys if isinstance(keys, list) else []):
            if isinstance(pattern, str):
                where = ("scrub", "rules", index, "keys", key_index)
                if not _lint_key_as_path(pattern, where, warn):
                    _lint_glob(pattern, where, warn)


def rule_modules(data: dict) -> list[str]:
    """The modules named by the literal dotted ``error.type`` names of a file's rules."""
    modules: dict[str, None] = {}
    for section in ("filters", "grouping"):
        for index, rule in _rules(data.get(section)):
            for key in ("when", "unless"):
                if isinstance(rule.get(key), dict):
                    for _, field_name, pattern in condition_globs(rule[key], ()):
                        module = pattern.rpartition(".")[0]
                        if field_name == "error.type" and module and not _GLOB_WILDCARDS.intersection(pattern):
                            modules[module] = None
    return list(modules)


def _rules(section: Any) -> Iterator[tuple[int, dict]]:
    if isinstance(section, list):
        yield from ((index, rule) for index, rule in enumerate(section) if isinstance(rule, dict))


def condition_globs(condition: dict, path: Path) -> Iterator[tuple[Path, str, str]]:
    """``(path, field, glob)`` of every glob of a condition mapping, nested ones included."""
    for key, value in condition.items():
        if key in ("any", "all") and isinstance(value, list):
            for index, child in enumerate(value):
                if isinstance(child, dict):
                    yield from condition_globs(child, path + (key, index))
        elif key == "not" and isinstance(value, dict):
            yield from condition_globs(value, path + (key,))
        elif isinstance(key, str) and key != "jmespath":
            yield from ((where, key, glob) for where, glob in _matcher_globs(value, path + (key,)))


def _matcher_globs(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _matcher_globs(item, path + (index,))
    elif isinstance(value, dict) and "not" in value:
        yield from _matcher_globs(value["not"], path + ("not",))


def _lint_glob(pattern: str, where: Path, warn: Warn) -> None:
    for construct, advice in _REGEX_IN_GLOB:
        found = construct.search(pattern)
        if found is not None:
            warn(where, f"glob {pattern!r} holds regex syntax {found.group(0)!r}, which a glob matches literally: "
                        f"{advice} (or write {{regex: ...}})")
            return


def _lint_key_as_path(pattern: str, where: Path, warn: Warn) -> bool:
    root, dot, rest = pattern.partition(".")
    if not dot or root.lower() not in _SELECTOR_ROOTS:
        return False
    name = rest.rpartition(".")[2] or rest
    warn(where, f"keys match key names, not paths: {pattern!r} matches no key; write keys: [{name}] "
                f"with in: [{pattern.rpartition('.')[0]}] to limit the rule to that place")
    return True


#: Grouping actions Sentry ignores on transactions, and why.
_IGNORED_ON_TRANSACTIONS = {
    "title": "Sentry names a transaction by its 'transaction' field",
    "fingerprint": "Sentry does not group transactions by fingerprint",
}


def _lint_transaction_only_grouping(rule: dict, path: Path, warn: Warn) -> None:
    kinds = rule.get("on")
    if not isinstance(kinds, list) or "error" in kinds or "transaction" not in kinds:
        return
    for action, why in _IGNORED_ON_TRANSACTIONS.items():
        if action in rule:
            warn(path + (action,), f"{action} has no effect on transactions: {why}")


def _lint_error_type(pattern: str, where: Path, warn: Warn) -> None:
    """A dotted literal name whose module is imported but has no such exception class."""
    if any(ch in _GLOB_WILDCARDS or ch == "\\" for ch in pattern):
        return
    module_name, dot, name = pattern.rpartition(".")
    if not dot or module_name not in sys.modules:
        return
    found = exported_by(module_name, name)
    if isinstance(found, type) and issubclass(found, BaseException):
        return
    what = "has no" if found is None else "has a non-exception"
    candidates = _exception_classes_named(name, module_name.partition(".")[0])
    hint = f" (did you mean {' or '.join(candidates[:2])}?)" if candidates else ""
    warn(where, f"error.type {pattern!r} never matches: module {module_name} {what} {name!r}{hint}")


def _exception_classes_named(name: str, package: str) -> list[str]:
    """How imported modules of ``package`` export an exception class called ``name``: each class
    by the shortest module path that exports it (the name users import)."""
    best: dict[type, str] = {}
    for module_name in sorted(m for m in list(sys.modules) if m == package or m.startswith(package + ".")):
        cls = exported_by(module_name, name)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            shorter = cls not in best or module_name.count(".") < best[cls].count(".")
            best[cls] = module_name if shorter else best[cls]
    return sorted(f"{module}.{name}" for module in best.values())


# --------------------------------------------------------------------------- shadowed scrub rules


def shadowed_scrub_rules(rules: Iterable[tuple[Any, Any]],
                         key_matcher: Callable[..., Callable[[str], bool]]) -> Iterator[tuple[Any, Any]]:
    """``(later, earlier)`` for each keys-only scrub rule whose every key an earlier rule active in
    at least the same places already redacts (``rules`` are ``(rule, where)`` in ruleset order;
    ``key_matcher(globs, case, except_globs)`` tests a key name as the scrubber does). A wildcard key of the later
    rule counts as covered only when the earlier rule has the same glob; a rule comparing keys as
    written covers only another such rule."""
    earlier: list[tuple[Any, Any, Callable[[str], bool]]] = []
    for rule, where in rules:
        if rule.keys and rule.detect is None and rule.pattern is None:
            for parent, parent_where, matches in earlier:
                if _covers(parent, matches, rule):
                    yield (rule, where), (parent, parent_where)
                    break
        if rule.keys:
            earlier.append((rule, where, key_matcher(rule.keys, rule.case, rule.except_keys)))


def _covers(parent: Any, matches: Callable[[str], bool], rule: Any) -> bool:
    if parent.in_ is not None and (rule.in_ is None or not set(rule.in_) <= set(parent.in_)):
        return False
    if parent.case == "sensitive" and rule.case != "sensitive":
        return False  # "*_KEY" as written leaves "cache_key" to a rule ignoring case
    normalized = {_normal(glob, parent.case) for glob in parent.keys}
    # A wildcard is covered by the same glob, unless the parent excepts keys the rule does not.
    excepted = {_normal(glob, parent.case) for glob in parent.except_keys or ()}
    same_exceptions = excepted <= {_normal(glob, parent.case) for glob in rule.except_keys or ()}
    return all(
        same_exceptions and _normal(glob, parent.case) in normalized if any(ch in _GLOB_WILDCARDS for ch in glob)
        else matches(glob)
        for glob in rule.keys
    )


def _normal(glob: str, case: str) -> str:
    return glob.replace("-", "_") if case == "sensitive" else glob.lower().replace("-", "_")
