"""Loading ruleset files: YAML with positions, format versions, validation and ``extends``.

Every problem of a file is collected and reported at once, each at its line and
column: YAML syntax, tabs, duplicate keys, the format version, everything the
models reject (with readable messages), condition syntax, regexes, globs,
selectors, duplicate rule ids, ``extends`` targets and ``${ENV}`` references.
Rules that can never fire (a condition on a field their events never have) load
with a warning.

Files are read by the fast reader (:mod:`rules_engine.plain_yaml`) when they stay
within its subset of YAML, and by ruamel's round-trip reader otherwise; the
round-trip reader is also the one that reports YAML problems and migrates older
formats in memory. Both give the same data and positions.

``extends`` is resolved depth first: the rules of the extended rulesets come
first, in list order, then the file's own; a rule whose id an earlier ruleset
already used replaces that rule in place. Options set in a later ruleset
override earlier ones key by key, and ``scrub.allow`` lists are concatenated.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from . import migrations
from .condition_syntax import SyntaxProblems, parse_condition
from .errors import Problem, RulesetError, did_you_mean
from .glob import GlobError, compile_glob
from .lints import lint_rules, shadowed_scrub_rules
from .model_errors import describe_validation_errors
from .models import Limits, Options, Ruleset, Scrub
from .plain_yaml import read_plain
from .positions import KeyPath, PositionIndex, locate, node_position, to_plain
from .regex import RegexError, compile_regex
from .scrub.scrubber import key_matcher  # and how key globs match key names
from .scrub.selectors import parse_selector  # the scrubber owns the selector grammar
from .templates import template_problems  # and grouping the template variables

BUILTIN_PREFIX = "builtin:"
BUILTIN_DIR = Path(__file__).parent / "builtin"
_BUILTIN_REF = re.compile(r"^builtin:(?P<name>[A-Za-z0-9_.-]+)@(?P<version>[A-Za-z0-9_.-]+)$")

#: Rule sections, as key paths into a ruleset; rule ids are unique across all of them.
RULE_SECTIONS: tuple[tuple[str, ...], ...] = (("filters",), ("grouping",), ("scrub", "rules"))
_SECTION_NOUNS = {("filters",): "filter", ("grouping",): "grouping", ("scrub", "rules"): "scrub"}


@dataclass
class LoadedRuleset:
    """A validated ruleset with its ``extends`` merged in."""

    model: Ruleset
    path: str
    #: rule id → "file:line" (or "builtin:NAME@VERSION:line") of the rule's definition.
    origins: dict[str, str]
    #: ``options.hash_key`` after ``${ENV}`` expansion, as UTF-8 bytes.
    hash_key: bytes | None
    #: Things worth knowing that do not stop loading (a file read through a format migration).
    warnings: list[Problem] = field(default_factory=list)


def load_model(source: str | os.PathLike, *, require_env: bool = True) -> LoadedRuleset:
    """Load, validate and merge a ruleset file or builtin pack (``builtin:NAME@VERSION``).

    With ``require_env=False`` an unset ``${VAR}`` in ``hash_key`` is a warning
    instead of an error (``hash_key`` is then None): for checking a file on a
    machine that does not hold the production environment.
    """
    loader = _Loader(require_env=require_env)
    text_source = loader.source_for_root(os.fspath(source))
    return loader.load_root(text_source)


def load_model_from_text(text: str, path: str = "<string>", *, require_env: bool = True) -> LoadedRuleset:
    """Like :func:`load_model` for YAML text; ``path`` names it in problems and anchors relative ``extends``."""
    base = Path(path).parent if path != "<string>" else Path.cwd()
    source = _Source(display=path, identity=f"text:{path}", base_dir=base, text=text)
    return _Loader(require_env=require_env).load_root(source)


def shipped_builtin_packs() -> list[str]:
    """Every builtin pack this release ships, as ``builtin:NAME@VERSION``."""
    if not BUILTIN_DIR.is_dir():
        return []
    return sorted(
        f"{BUILTIN_PREFIX}{pack.parent.name}@{pack.stem}"
        for pack in BUILTIN_DIR.glob("*/*.yaml")
    )


def newest_builtin_pack(name: str) -> str | None:
    """``builtin:NAME@VERSION`` of the newest shipped version of a pack, or None."""
    shipped = _shipped_versions()
    return _newest(name, shipped) if name in shipped else None


def _shipped_versions() -> dict[str, list[str]]:
    """Pack name → its shipped versions, oldest first."""
    versions: dict[str, list[str]] = {}
    for reference in shipped_builtin_packs():
        name, version = reference[len(BUILTIN_PREFIX):].split("@", 1)
        versions.setdefault(name, []).append(version)
    return {name: sorted(found, key=_version_key) for name, found in versions.items()}


def _version_key(version: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in version.split("."))


def _newest(name: str, shipped: dict[str, list[str]]) -> str:
    return f"{BUILTIN_PREFIX}{name}@{shipped[name][-1]}"


# --------------------------------------------------------------------------- reading one file


@dataclass
class _Source:
    display: str  # how problems and origins name the file
    identity: str  # what makes two references the same file (cycles, caching)
    base_dir: Path  # where relative ``extends`` are resolved
    text: str | None = None  # already read (text sources)
    file: Path | None = None  # read on demand


@dataclass
class _Document:
    """One file: its plain data, and where things are (a position index, or the round-trip tree)."""

    source: _Source
    tree: Any = None  # read by the full reader (needed for format migrations and custom tags)
    index: PositionIndex | None = None  # read by the fast reader
    data: Any = None
    model: Ruleset | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def problem_at(self, path: KeyPath, message: str, *, at_key: bool = False) -> None:
        line, col = self.position(path, at_key=at_key)
        self.problems.append(Problem(self.source.display, line, col, message))

    def warn_at(self, path: KeyPath, message: str, *, at_key: bool = False) -> None:
        line, col = self.position(path, at_key=at_key)
        self.warnings.append(Problem(self.source.display, line, col, message))

    def lint_at(self, path: KeyPath, message: str, *, at_key: bool = False) -> None:
        """A warning about a rule that can never fire or never change anything."""
        line, col = self.position(path, at_key=at_key)
        self.warnings.append(Problem(self.source.display, line, col, message, lint=True))

    def position(self, path: KeyPath, *, at_key: bool = False) -> tuple[int, int]:
        if self.index is not None:
            return self.index.locate(path, at_key=at_key)
        return locate(self.tree, path, at_key=at_key)


def read_yaml(text: str, display: str) -> tuple[Any, list[Problem]]:
    """Parse YAML text into a round-trip tree; problems: tabs, syntax errors, duplicate keys."""
    problems = _tab_problems(text, display)
    tab_lines = {p.line for p in problems}
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True  # reported below, all at once, instead of failing on the first
    try:
        node = yaml.compose(text)
        if node is None:
            return None, problems
        problems.extend(_duplicate_key_problems(node, display))
        tree = yaml.constructor.construct_document(node)
    except MarkedYAMLError as exc:
        problem = _syntax_problem(exc, display)
        if problem.line not in tab_lines:
            problems.append(problem)
        return None, problems
    except ReaderError as exc:  # a character YAML does not allow anywhere
        line, col = _line_col(text, exc.position)
        problems.append(Problem(display, line, col, f"character U+{exc.character:04X} is not allowed in YAML"))
        return None, problems
    except YAMLError as exc:
        problems.append(Problem(display, 1, 1, f"YAML error: {exc}"))
        return None, problems
    return tree, problems


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _tab_problems(text: str, display: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            problems.append(
                Problem(display, number, indent.index("\t") + 1, "tab character in indentation; YAML indents with spaces")
            )
    return problems


def _syntax_problem(exc: MarkedYAMLError, display: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    if context == "expected a single document in the stream":
        return Problem(display, line, col, "a ruleset file holds a single YAML document; remove this second one")
    message = f"YAML syntax error: {problem or context}"
    if context and problem and exc.context_mark is not None and exc.context_mark is not mark:
        if (exc.context_mark.line, exc.context_mark.column) == (line - 1, col - 1):
            return Problem(display, line, col, f"{message} ({context})")
        message += f" ({context} started at {exc.context_mark.line + 1}:{exc.context_mark.column + 1})"
    return Problem(display, line, col, message)


def _duplicate_key_problems(node: Node, display: str) -> list[Problem]:
    problems: list[Problem] = []
    seen_nodes: set[int] = set()

    def walk(current: Node) -> None:
        if id(current) in seen_nodes:  # aliases point at nodes already walked
            return
        seen_nodes.add(id(current))
        if isinstance(current, MappingNode):
            first_seen: dict[str, Node] = {}
            for key_node, value_node in current.value:
                if isinstance(key_node, ScalarNode):
                    if key_node.value in first_seen:
                        first = first_seen[key_node.value].start_mark
                        problems.append(
                            Problem(
                                display,
                                key_node.start_mark.line + 1,
                                key_node.start_mark.column + 1,
                                f"duplicate key '{key_node.value}' (first at line {first.line + 1}); "
                                "YAML keeps only one of them",
                            )
                        )
                    else:
                        first_seen[key_node.value] = key_node
                walk(value_node)
        elif isinstance(current, SequenceNode):
            for item in current.value:
                walk(item)

    walk(node)
    return problems


def _read_document(source: _Source) -> _Document:
    document = _Document(source)
    text = source.text
    if text is None:
        try:
            text = source.file.read_bytes().decode("utf-8-sig")  # type: ignore[union-attr]
        except UnicodeDecodeError as exc:
            document.problems.append(Problem(source.display, 1, 1, f"the file is not valid UTF-8: {exc.reason}"))
            return document
        except OSError as exc:
            document.problems.append(Problem(source.display, 1, 1, f"cannot read the file: {exc.strerror or exc}"))
            return document
    fast = read_plain(text)
    if fast is not None and _is_current_format(fast[0]):
        document.data, document.index = fast
        return document
    # Everything else (problems to report, older formats to migrate, rarer YAML) takes the full reader.
    document.tree, problems = read_yaml(text, source.display)
    document.problems.extend(problems)
    if problems:
        return document
    if document.tree is None:
        document.problems.append(
            Problem(source.display, 1, 1, "the file is empty; a ruleset needs at least 'format' and 'name'")
        )
    elif not isinstance(document.tree, CommentedMap):
        kind = "a list" if isinstance(document.tree, CommentedSeq) else f"a single value ({document.tree!r})"
        line, col = node_position(document.tree)
        document.problems.append(
            Problem(source.display, line, col, f"a ruleset must be a mapping (format, name, filters, ...), not {kind}")
        )
    return document


# --------------------------------------------------------------------------- format versions


def _is_current_format(data: dict) -> bool:
    version = data.get("format")
    return type(version) is int and version == migrations.CURRENT_VERSION


def _check_format(document: _Document) -> str:
    """Check (and if older, migrate in memory) the format version.

    Returns "ok"; "invalid" when the key is missing or malformed (the rest is still
    checked as the current format); "unreadable" for a format this release does not
    read, whose other keys would only produce noise.
    """
    tree = document.tree
    current = migrations.CURRENT_VERSION
    if "format" not in tree:
        document.problem_at(
            (), f"missing key 'format': this release reads {migrations.describe_versions()} (add 'format: {current}')"
        )
        return "invalid"
    version = tree["format"]
    if not isinstance(version, int) or isinstance(version, bool):
        document.problem_at(
            ("format",),
            f"format must be a whole version number, got {version!r}; this release reads "
            f"{migrations.describe_versions()}",
        )
        return "invalid"
    if version == current:
        return "ok"
    if version > current:
        document.problem_at(
            ("format",),
            f"format {version} is newer than this release of rules-engine reads "
            f"({migrations.describe_versions()}); upgrade rules-engine to load this ruleset",
        )
        return "unreadable"
    if migrations.chain_from(version) is None:
        document.problem_at(
            ("format",),
            f"format {version} is no longer supported: this release reads {migrations.describe_versions()}",
        )
        return "unreadable"
    line, col = document.position(("format",))
    migrations.migrate_tree(tree, version)
    document.warnings.append(
        Problem(
            document.source.display,
            line,
            col,
            f"format {version} was upgraded to format {current} in memory; run "
            f"'rules-engine migrate {document.source.display}' to upgrade the file",
        )
    )
    return "ok"


# --------------------------------------------------------------------------- validation


def _validate(document: _Document) -> None:
    """Validate the document: models, then the checks the models cannot express."""
    if document.tree is not None:  # read by the full reader: check (or migrate) the format, then copy
        format_state = _check_format(document)
        if format_state == "unreadable":
            return
        document.data = to_plain(document.tree, lambda path, message: document.problem_at(path, message))
    else:  # the fast reader only hands over files in the current format
        format_state = "ok"
    format_ok = format_state == "ok"
    try:
        document.model = Ruleset.model_validate(document.data)
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


def _check_semantics(document: _Document) -> None:
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


def _rules(data: Any, section: tuple[str, ...]) -> list[tuple[int, dict]]:
    node = data
    for key in section:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, list):
        return []
    return [(index, rule) for index, rule in enumerate(node) if isinstance(rule, dict)]


def _check_rule_ids(document: _Document) -> None:
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
                f"duplicate rule id '{rule_id}' (already used by the {_SECTION_NOUNS[first_section]} rule at "
                f"line {first_line}); rule ids must be unique across the ruleset",
            )


def _check_condition(condition: dict, path: KeyPath, document: _Document) -> None:
    problems = SyntaxProblems()
    parse_condition(condition, path, problems)
    for problem_path, message in problems.items:
        # Unknown names are about the key; everything else (bad glob, regex, type) about the value.
        at_key = message.startswith(("unknown condition field", "unknown matcher operator", "condition keys"))
        document.problem_at(problem_path, message, at_key=at_key)


def _check_templates(rule: dict, path: KeyPath, document: _Document) -> None:
    """Every ``{{ variable }}`` of a grouping rule's fingerprint, title, tags and contexts must exist."""
    texts: list[tuple[KeyPath, str, bool]] = []
    if isinstance(rule.get("fingerprint"), list):
        texts += [(("fingerprint", i), item, True) for i, item in enumerate(rule["fingerprint"]) if isinstance(item, str)]
    if isinstance(rule.get("title"), str):
        texts.append((("title",), rule["title"], False))
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


# --------------------------------------------------------------------------- rules that never fire

#: Fields only some kinds of events have (as the event view reads them); any other field may be
#: on any kind. A field name ending in "." stands for the whole family.
_FIELD_KINDS: dict[str, frozenset[str]] = {
    "error.": frozenset({"error"}),
    "stack.": frozenset({"error"}),
    "exc.": frozenset({"error"}),  # the live exception is in before_send's hint only
    "duration_ms": frozenset({"transaction"}),
    "category": frozenset({"breadcrumb"}),
    "data.": frozenset({"breadcrumb"}),
}
_KIND_PLURALS = {"error": "errors", "transaction": "transactions", "breadcrumb": "breadcrumbs"}


def _kinds_having(field_name: str) -> frozenset[str] | None:
    """The kinds of events ``field_name`` can exist on; None when it can be on any."""
    for name, kinds in _FIELD_KINDS.items():
        if field_name == name or (name.endswith(".") and field_name.startswith(name)):
            return kinds
    return None


def _warn_if_never_fires(rule: dict, path: KeyPath, document: _Document) -> None:
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
        having = _kinds_having(field_name) if isinstance(field_name, str) else None
        if having is None or having.intersection(kinds) or _holds_when_absent(matcher):
            continue
        document.lint_at(
            path + ("when", field_name),
            f"rule '{rule_id}' never fires: condition field '{field_name}' exists only on "
            f"{_plural(having)}, and the rule applies to {_plural(kinds)} only",
            at_key=True,
        )


def _warn_grouping_on_breadcrumbs(rule_id: Any, kinds: list[str], path: KeyPath, document: _Document) -> None:
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


def _check_scrub_rule(rule: dict, path: KeyPath, document: _Document) -> None:
    if isinstance(rule.get("pattern"), str) and rule["pattern"]:
        try:
            compile_regex(rule["pattern"])
        except RegexError as exc:
            document.problem_at(path + ("pattern",), f"invalid regex {rule['pattern']!r}: {exc}")
    if isinstance(rule.get("keys"), list):
        for index, pattern in enumerate(rule["keys"]):
            if isinstance(pattern, str):
                try:
                    compile_glob(pattern, ignore_case=True)
                except GlobError as exc:
                    document.problem_at(path + ("keys", index), str(exc))
    if isinstance(rule.get("in"), list):
        _check_selectors(rule["in"], path + ("in",), document)


def _check_selectors(selectors: list, path: KeyPath, document: _Document) -> None:
    for index, text in enumerate(selectors):
        if isinstance(text, str):
            try:
                parse_selector(text)
            except ValueError as exc:
                document.problem_at(path + (index,), f"invalid selector {text!r}: {exc}")


# --------------------------------------------------------------------------- extends and merging


@dataclass
class _RuleEntry:
    section: tuple[str, ...]
    rule: Any  # FilterRule | GroupingRule | ScrubRule
    display: str
    line: int
    col: int

    @property
    def origin(self) -> str:
        return f"{self.display}:{self.line}"


@dataclass
class _HashKey:
    raw: str
    display: str
    line: int
    col: int


@dataclass
class _Layer:
    """What a ruleset contributes, merged with everything it extends."""

    rules: list[_RuleEntry] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # only keys set explicitly
    limits: dict[str, Any] = field(default_factory=dict)
    allow: list[str] = field(default_factory=list)
    hash_key: _HashKey | None = None


class _Loader:
    def __init__(self, *, require_env: bool = True) -> None:
        self.require_env = require_env
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.layers: dict[str, _Layer | None] = {}
        self.stack: list[_Source] = []
        self.root: _Document | None = None

    # ---- sources

    def source_for_root(self, reference: str) -> _Source:
        if reference.startswith(BUILTIN_PREFIX):
            source = self._builtin_source(reference)
            if isinstance(source, str):
                raise RulesetError([Problem(reference, 1, 1, source)])
            return source
        path = Path(reference)
        return _Source(display=reference, identity=str(path.resolve()), base_dir=path.parent, file=path)

    def _builtin_source(self, reference: str) -> _Source | str:
        """The source of a builtin pack, or a message saying why there is none."""
        shipped = _shipped_versions()
        match = _BUILTIN_REF.match(reference)
        if match is None:
            name = reference[len(BUILTIN_PREFIX):].split("@")[0]
            hint = f" (did you mean '{_newest(name, shipped)}'?)" if name in shipped else ""
            return f"builtin packs are written builtin:NAME@VERSION, got {reference!r}{hint}"
        name, version = match["name"], match["version"]
        if name in shipped and version in shipped[name]:
            pack = BUILTIN_DIR / name / f"{version}.yaml"
            return _Source(display=reference, identity=reference, base_dir=pack.parent, file=pack)
        if name in shipped:
            return f"builtin pack '{name}' has no version {version!r}; shipped versions: {', '.join(shipped[name])}"
        close = difflib.get_close_matches(name, list(shipped), n=1, cutoff=0.6)
        if close:
            return f"unknown builtin pack '{name}' (did you mean '{_newest(close[0], shipped)}'?)"
        listing = ", ".join(shipped_builtin_packs()) or "none"
        return f"unknown builtin pack '{name}'; shipped packs: {listing}"

    def _extended_source(self, reference: str, parent: _Source) -> _Source | str:
        if reference.startswith(BUILTIN_PREFIX):
            return self._builtin_source(reference)
        target = Path(reference)
        file = target if target.is_absolute() else parent.base_dir / target
        if parent.display.startswith(BUILTIN_PREFIX) or target.is_absolute():
            display = os.path.normpath(file)
        else:  # named relative to the file that extends it, as the user would
            display = os.path.normpath(os.path.join(os.path.dirname(parent.display), reference))
        if not file.is_file():
            return f"extends target {reference!r} not found (looked for {os.path.normpath(file)})"
        return _Source(display=display, identity=str(file.resolve()), base_dir=file.parent, file=file)

    # ---- loading

    def load_root(self, source: _Source) -> LoadedRuleset:
        layer = self._resolve(source)
        root = self.root
        hash_key = self._expand_hash_key(layer.hash_key) if layer is not None else None
        problems = sorted(set(self.problems))
        if problems or layer is None or root is None or root.model is None:
            raise RulesetError(problems or [Problem(source.display, 1, 1, "the ruleset could not be loaded")])
        model = self._build_model(root.model, layer)
        self._warn_about_shadowed_scrub_rules(layer)
        origins = {entry.rule.id: entry.origin for entry in layer.rules}
        return LoadedRuleset(model, source.display, origins, hash_key, sorted(set(self.warnings)))

    def _warn_about_shadowed_scrub_rules(self, layer: _Layer) -> None:
        scrub_rules = [(entry.rule, entry) for entry in layer.rules if entry.section == ("scrub", "rules")]
        for (rule, entry), (parent, parent_entry) in shadowed_scrub_rules(scrub_rules, key_matcher):
            message = (
                f"scrub rule '{rule.id}' never changes anything: rule '{parent.id}' ({parent_entry.origin}) "
                f"comes first and already redacts every key it names; the first redaction of a value wins. "
                f"To change how '{parent.id}' redacts, write 'override: {parent.id}' with the new redact"
            )
            self.warnings.append(Problem(entry.display, entry.line, entry.col, message, lint=True))

    def _resolve(self, source: _Source) -> _Layer | None:
        """Load one file and everything it extends; its merged layer, or None when anything is wrong."""
        document = _read_document(source)
        if self.root is None:
            self.root = document
        if not document.problems:
            _validate(document)
        self.problems.extend(document.problems)
        self.warnings.extend(document.warnings)
        self.stack.append(source)
        try:
            merged: _Layer | None = _Layer()
            for index, reference in self._extends_of(document):
                parent = self._resolve_extended(reference, document, index)
                ok = merged is not None and parent is not None
                merged = self._apply(merged, parent, document, index) if ok else None
        finally:
            self.stack.pop()
        if document.model is None or merged is None:
            return None
        return self._apply(merged, self._own_layer(document), document, None)

    def _extends_of(self, document: _Document) -> list[tuple[int, str]]:
        extends = document.data.get("extends") if isinstance(document.data, dict) else None
        if not isinstance(extends, list):
            return []
        return [(index, ref) for index, ref in enumerate(extends) if isinstance(ref, str)]

    def _resolve_extended(self, reference: str, document: _Document, index: int) -> _Layer | None:
        source = self._extended_source(reference, document.source)
        here = ("extends", index)
        if isinstance(source, str):
            self.problems.append(self._problem(document, here, source))
            return None
        cycle_start = next((i for i, s in enumerate(self.stack) if s.identity == source.identity), None)
        if cycle_start is not None:
            chain = " -> ".join([s.display for s in self.stack[cycle_start:]] + [source.display])
            self.problems.append(self._problem(document, here, f"extends cycle: {chain}"))
            return None
        if source.identity not in self.layers:
            self.layers[source.identity] = self._resolve(source)
        return self.layers[source.identity]

    def _problem(self, document: _Document, path: KeyPath, message: str) -> Problem:
        line, col = document.position(path)
        return Problem(document.source.display, line, col, message)

    def _own_layer(self, document: _Document) -> _Layer:
        model = document.model
        assert model is not None
        layer = _Layer()
        for section in RULE_SECTIONS:
            rules = model.scrub.rules if section == ("scrub", "rules") else getattr(model, section[0])
            for index, rule in enumerate(rules):
                line, col = document.position(section + (index, "override" if getattr(rule, "override", None) else "id"))
                layer.rules.append(_RuleEntry(section, rule, document.source.display, line, col))
        options = model.options
        layer.options = {key: getattr(options, key) for key in options.model_fields_set if key != "limits"}
        layer.limits = {key: getattr(options.limits, key) for key in options.limits.model_fields_set}
        layer.allow = list(model.scrub.allow)
        if options.hash_key is not None:
            line, col = document.position(("options", "hash_key"))
            layer.hash_key = _HashKey(options.hash_key, document.source.display, line, col)
        return layer

    def _apply(self, base: _Layer, top: _Layer, document: _Document, extends_index: int | None) -> _Layer:
        """``top`` over ``base``: rules with a known id replace in place, options override key by key."""
        rules = list(base.rules)
        position = {entry.rule.id: i for i, entry in enumerate(rules)}
        for entry in top.rules:
            if getattr(entry.rule, "override", None) is not None:
                self._apply_override(entry, rules, position)
                continue
            rule_id = entry.rule.id
            if rule_id not in position:
                position[rule_id] = len(rules)
                rules.append(entry)
                continue
            earlier = rules[position[rule_id]]
            if earlier.section != entry.section:
                message = (
                    f"rule id '{rule_id}' is already used by a {_SECTION_NOUNS[earlier.section]} rule at "
                    f"{earlier.origin}; a rule replaces an extended rule only within the same section"
                )
                if extends_index is None:
                    self.problems.append(Problem(entry.display, entry.line, entry.col, message))
                else:  # two extended rulesets disagree: point at the later extends entry
                    self.problems.append(self._problem(document, ("extends", extends_index), message))
                continue
            rules[position[rule_id]] = entry
        allow = base.allow + [selector for selector in top.allow if selector not in base.allow]
        return _Layer(
            rules=rules,
            options={**base.options, **top.options},
            limits={**base.limits, **top.limits},
            allow=allow,
            hash_key=top.hash_key or base.hash_key,
        )

    def _apply_override(self, entry: _RuleEntry, rules: list[_RuleEntry], position: dict[str, int]) -> None:
        """An ``override: <id>`` entry changes the extended scrub rule of that id where it stands."""
        target = entry.rule.override
        index = position.get(target)
        if index is None or rules[index].section != entry.section:
            known = [e.rule.id for e in rules if e.section == entry.section]
            message = (f"override: no scrub rule '{target}' in the extended rulesets to change"
                       f"{did_you_mean(target, known) if known else ' (this ruleset extends none that has scrub rules)'}")
            self.problems.append(Problem(entry.display, entry.line, entry.col, message))
            return
        changed = entry.rule.overridden(rules[index].rule)
        rules[index] = _RuleEntry(entry.section, changed, entry.display, entry.line, entry.col)

    def _build_model(self, root: Ruleset, layer: _Layer) -> Ruleset:
        by_section: dict[tuple[str, ...], list[Any]] = {section: [] for section in RULE_SECTIONS}
        for entry in layer.rules:
            by_section[entry.section].append(entry.rule)
        options = Options.model_validate({**layer.options, "limits": Limits.model_validate(layer.limits)})
        scrub = Scrub.model_validate({"allow": layer.allow, "rules": by_section[("scrub", "rules")]})
        return root.model_copy(
            update={
                "options": options,
                "filters": by_section[("filters",)],
                "grouping": by_section[("grouping",)],
                "scrub": scrub,
            }
        )

    def _expand_hash_key(self, hash_key: _HashKey | None) -> bytes | None:
        if hash_key is None:
            return None
        try:
            return expand_env(hash_key.raw).encode("utf-8")
        except UnsetVariable as exc:
            found = Problem(hash_key.display, hash_key.line, hash_key.col, f"hash_key: {exc}")
            (self.problems if self.require_env else self.warnings).append(found)
        except ValueError as exc:
            self.problems.append(Problem(hash_key.display, hash_key.line, hash_key.col, f"hash_key: {exc}"))
        return None


# --------------------------------------------------------------------------- ${ENV}

class UnsetVariable(ValueError):
    """A ``${VAR}`` reference to a variable that is not set (and has no default)."""


_ENV_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str, environ: dict[str, str] | None = None) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}``; ``$$`` is a literal ``$``.

    An unset ``${VAR}`` is an error rather than an empty string: an empty key
    would make every hash guessable. The same goes for a value that expands to
    nothing. ``${VAR:-default}`` uses the default when VAR is unset or empty.
    """
    env = os.environ if environ is None else environ
    missing: list[str] = []

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value:
            return value
        if default is not None:
            return default
        missing.append(name)
        return ""

    expanded = _ENV_REFERENCE.sub(substitute, text)
    if missing:
        names = ", ".join(missing)
        raise UnsetVariable(
            f"environment variable {names} is not set (write ${{{missing[0]}:-default}} for a fallback)"
        )
    leftover = _ENV_REFERENCE.sub("", text)
    if "${" in leftover:
        raise ValueError("malformed ${...} reference; write ${NAME} or ${NAME:-default} (and $$ for a literal $)")
    if not expanded:
        raise ValueError("the key is empty; an empty key makes hashes guessable")
    return expanded
