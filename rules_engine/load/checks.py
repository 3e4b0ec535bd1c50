"""Checks the models cannot express: conditions, templates, selectors, rule ids, and rules that never fire.

Each check reports its problems on the document being loaded, at the line and column of the node
it is about; warnings (a rule that can never fire) do not stop loading."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..conditions.fields import kinds_having
from ..conditions.glob import GlobError, compile_glob
from ..conditions.regex import RegexError, compile_regex, regex_problem
from ..conditions.syntax import SyntaxProblems, parse_condition
from ..model.messages import describe_validation_errors
from ..model.models import RulesetSpec
from ..rules.templates import template_problems
from ..scrub.selectors import parse_selector
from .document import Document, check_format
from .lints import lint_rules
from .positions import KeyPath, to_plain

# --------------------------------------------------------------------------- validation

#: Rule sections, as key paths into a ruleset; rule ids are unique across all of them.
RULE_SECTIONS: tuple[tuple[str, ...], ...] = (("filters",), ("grouping",), ("scrub", "rules"))
SECTION_NOUNS = {("filters",): "filter", ("grouping",): "grouping", ("scrub", "rules"): "scrub"}


def validate(document: Document) -> None:
    """Validate the document: models, then the checks the models cannot express."""
    if document.tree is not None:  # read by the full reader: check (or migrate) the format, then copy
        format_state = check_format(document)
        if format_state == "unreadable":
            return
        document.data = to_plain(document.tree, lambda path, message: document.problem_at(path, message))
    else:  # the fast reader only hands over files in the current format
        format_state = "ok"
    format_ok = format_state == "ok"
    try:
        document.model = RulesetSpec.model_validate(document.data)
    except ValidationError as exc:
        # A bad format version is already reported, with the versions this release reads.
        errors = [e for e in exc.errors() if format_ok or e["loc"][:1] != ("format",)]
        for problem in describe_validation_errors(errors, document.data):
            document.problem_at(problem.path, problem.message, at_key=problem.at_key)
    if not format_ok:
        document.model = None
    if isinstance(document.data, dict):
        _check_semantics(document)
    if document.problems:
        document.model = None


def _check_semantics(document: Document) -> None:
    data = document.data
    _check_rule_ids(document)
    for section in (("filters",), ("grouping",)):
        for index, rule in _rules(data, section):
            for key in ("when", "unless"):
                if isinstance(rule.get(key), dict):
                    _check_condition(rule[key], section + (index, key), document)
    for index, rule in _rules(data, ("grouping",)):
        _check_templates(rule, ("grouping", index), document)
    for section in (("filters",), ("grouping",)):
        for index, rule in _rules(data, section):
            _warn_if_never_fires(rule, section + (index,), document)
    for index, rule in _rules(data, ("scrub", "rules")):
        _check_scrub_rule(rule, ("scrub", "rules", index), document)
    lint_rules(data, document.lint_at)
    scrub = data.get("scrub")
    if isinstance(scrub, dict) and isinstance(scrub.get("allow"), list):
        _check_selectors(scrub["allow"], ("scrub", "allow"), document)
    _check_unique_ids(data, TRACE_RULES, document)
    for index, rule in _rules(data, TRACE_RULES):
        for key in ("when", "unless"):
            if isinstance(rule.get(key), dict):
                _check_condition(rule[key], TRACE_RULES + (index, key), document)
                _check_known_at_trace_start(rule[key], TRACE_RULES + (index, key), document)


def _rules(data: Any, section: tuple[str, ...]) -> list[tuple[int, dict]]:
    node = data
    for key in section:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, list):
        return []
    return [(index, rule) for index, rule in enumerate(node) if isinstance(rule, dict)]


def _check_rule_ids(document: Document) -> None:
    first_use: dict[str, tuple[tuple[str, ...], KeyPath]] = {}
    for section in RULE_SECTIONS:
        for index, rule in _rules(document.data, section):
            rule_id = rule.get("id")
            if not isinstance(rule_id, str):
                continue
            here = section + (index, "id")
            if rule_id not in first_use:
                first_use[rule_id] = (section, here)
                continue
            first_section, first_path = first_use[rule_id]
            first_line, _ = document.position(first_path)
            document.problem_at(
                here,
                f"duplicate rule id '{rule_id}' (already used by the {SECTION_NOUNS[first_section]} rule at "
                f"line {first_line}); rule ids must be unique across the ruleset",
            )


def _check_condition(condition: dict, path: KeyPath, document: Document) -> None:
    problems = SyntaxProblems()
    parse_condition(condition, path, problems)
    for problem_path, message, at_key in problems.items:
        document.problem_at(problem_path, message, at_key=at_key)


def _check_templates(rule: dict, path: KeyPath, document: Document) -> None:
    """Every ``{{ variable }}`` of a grouping rule's fingerprint, title, tags, contexts and rename must exist."""
    texts: list[tuple[KeyPath, str, bool]] = []
    if isinstance(rule.get("fingerprint"), list):
        texts += [(("fingerprint", i), item, True) for i, item in enumerate(rule["fingerprint"]) if isinstance(item, str)]
    for action in ("title", "rename"):
        if isinstance(rule.get(action), str):
            texts.append(((action,), rule[action], False))
    if isinstance(rule.get("tags"), dict):
        texts += [(("tags", key), value, False) for key, value in rule["tags"].items() if isinstance(value, str)]
    if isinstance(rule.get("contexts"), dict):
        for name, context in rule["contexts"].items():
            if isinstance(context, dict):
                texts += [(where, value, False) for where, value in _strings_in(context, ("contexts", name))]
    for where, text, fingerprint_item in texts:
        for message in template_problems(text, fingerprint_item=fingerprint_item):
            document.problem_at(path + where, message)


def _strings_in(value: Any, path: KeyPath) -> list[tuple[KeyPath, str]]:
    """Every string inside a context value, at any depth (all of them are rendered as templates)."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _strings_in(item, path + (key,))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _strings_in(item, path + (index,))]
    return []


# --------------------------------------------------------------------------- sampling rules

#: Where the ``traces_sampler`` rules live.
TRACE_RULES = ("sdk", "traces", "rules")

#: What sentry-sdk's sampling context tells when a trace starts (see
#: :func:`rules_engine.runtime.sdk_options.sampling_event`).
TRACE_START_FIELDS = frozenset({"transaction", "environment", "release", "request.method", "request.url",
                                "contexts.trace.op"})


def _check_unique_ids(data: Any, section: tuple[str, ...], document: Document) -> None:
    """Ids are unique within a section of their own (sampling rules are not filters or grouping rules)."""
    first_line: dict[str, int] = {}
    for index, rule in _rules(data, section):
        rule_id = rule.get("id")
        if not isinstance(rule_id, str):
            continue
        if rule_id in first_line:
            document.problem_at(section + (index, "id"), f"duplicate rule id '{rule_id}' (already used at line "
                                f"{first_line[rule_id]}); rule ids must be unique")
        else:
            first_line[rule_id] = document.position(section + (index, "id"))[0]


def _check_known_at_trace_start(condition: dict, path: KeyPath, document: Document) -> None:
    for key, value in condition.items():
        if key in ("any", "all") and isinstance(value, list):
            for index, child in enumerate(value):
                if isinstance(child, dict):
                    _check_known_at_trace_start(child, path + (key, index), document)
        elif key == "not" and isinstance(value, dict):
            _check_known_at_trace_start(value, path + (key,), document)
        elif isinstance(key, str) and key not in TRACE_START_FIELDS:
            known = ", ".join(sorted(TRACE_START_FIELDS))
            document.problem_at(path + (key,), f"'{key}' is not known when a trace starts; a sampling "
                                f"rule can test {known}", at_key=True)


# --------------------------------------------------------------------------- rules that never fire

_KIND_PLURALS = {"error": "errors", "transaction": "transactions", "breadcrumb": "breadcrumbs"}


def _warn_if_never_fires(rule: dict, path: KeyPath, document: Document) -> None:
    """Warn about a rule that can never fire: grouping on breadcrumbs only, or a ``when`` field
    that none of the rule's kinds of events ever has (the condition then never holds)."""
    kinds = rule.get("on", ["error"])
    if not isinstance(kinds, list) or not kinds or not all(isinstance(kind, str) for kind in kinds):
        return  # reported by validation
    rule_id = rule.get("id")
    grouping = path[0] == "grouping"
    if grouping and "breadcrumb" in kinds:
        _warn_grouping_on_breadcrumbs(rule_id, kinds, path, document)
        kinds = [kind for kind in kinds if kind != "breadcrumb"]
        if not kinds:
            return
    when = rule.get("when")
    if not isinstance(when, dict):
        return
    for field_name, matcher in when.items():
        having = kinds_having(field_name) if isinstance(field_name, str) else None
        if having is None or having.intersection(kinds) or _holds_when_absent(matcher):
            continue
        document.lint_at(
            path + ("when", field_name),
            f"rule '{rule_id}' never fires: condition field '{field_name}' exists only on "
            f"{_plural(having)}, and the rule applies to {_plural(kinds)} only",
            at_key=True,
        )


def _warn_grouping_on_breadcrumbs(rule_id: Any, kinds: list[str], path: KeyPath, document: Document) -> None:
    if all(kind == "breadcrumb" for kind in kinds):
        message = f"grouping rule '{rule_id}' never fires: grouping does not apply to breadcrumbs"
        document.lint_at(path + ("on",), message)
        return
    for index, kind in enumerate(kinds):
        if kind == "breadcrumb":
            document.lint_at(
                path + ("on", index),
                "'breadcrumb' has no effect in a grouping rule: grouping does not apply to breadcrumbs",
            )


def _holds_when_absent(matcher: Any) -> bool:
    """Matchers that can hold for a field the event does not have (negations, ``exists: false``)."""
    if not isinstance(matcher, dict):
        return False
    return "not" in matcher or matcher.get("exists") is False or ("equals" in matcher and matcher["equals"] is None)


def _plural(kinds: Any) -> str:
    names = [_KIND_PLURALS.get(kind, kind) for kind in sorted(set(kinds))]
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]


def _check_scrub_rule(rule: dict, path: KeyPath, document: Document) -> None:
    if isinstance(rule.get("pattern"), str) and rule["pattern"]:
        try:
            compile_regex(rule["pattern"])
        except RegexError as exc:
            document.problem_at(path + ("pattern",), regex_problem(rule["pattern"], exc))
    for field in ("keys", "except_keys"):
        if isinstance(rule.get(field), list):
            for index, pattern in enumerate(rule[field]):
                if isinstance(pattern, str):
                    try:
                        compile_glob(pattern, ignore_case=True)
                    except GlobError as exc:
                        document.problem_at(path + (field, index), str(exc))
    if isinstance(rule.get("in"), list):
        _check_selectors(rule["in"], path + ("in",), document)


def _check_selectors(selectors: list, path: KeyPath, document: Document) -> None:
    for index, text in enumerate(selectors):
        if isinstance(text, str):
            try:
                parse_selector(text)
            except ValueError as exc:
                document.problem_at(path + (index,), f"invalid selector {text!r}: {exc}")
