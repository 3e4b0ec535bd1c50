"""Loading ruleset files: YAML with positions, format versions, validation and ``extends``.

Every problem of a file is collected and reported at once, each at its line and
column: YAML syntax, tabs, duplicate keys, the format version, everything the
models reject (with readable messages), condition syntax, regexes, globs,
selectors, duplicate rule ids, ``extends`` targets and ``${ENV}`` references.
Rules that can never fire (a condition on a field their events never have) load
with a warning.

Files are read by the fast reader (:mod:`rules_engine.load.plain_yaml`) when they stay
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Origin, Problem, RulesetError, did_you_mean
from ..model.models import Limits, Options, RulesetSpec, Scrub
from ..scrub.rule import key_matcher  # how key globs match key names
from .builtin import (
    BUILTIN_PREFIX,
    BUILTIN_REF,
    newest,
    pack_file,
    shipped_builtin_packs,
    shipped_versions,
)
from .checks import RULE_SECTIONS, SECTION_NOUNS, validate
from .document import Document, Source, read_document
from .env import UnsetVariable, expand_env
from .lints import shadowed_scrub_rules
from .positions import KeyPath


@dataclass
class LoadedRuleset:
    """A validated ruleset with its ``extends`` merged in."""

    model: RulesetSpec
    path: str
    #: rule id → "file:line" (or "builtin:NAME@VERSION:line") of the rule's definition.
    origins: dict[str, Origin]
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
    source = Source(display=path, identity=f"text:{path}", base_dir=base, text=text)
    return _Loader(require_env=require_env).load_root(source)


# --------------------------------------------------------------------------- extends and merging


@dataclass
class _RuleEntry:
    section: tuple[str, ...]
    rule: Any  # FilterRule | GroupingRule | ScrubRule
    display: str
    line: int
    col: int

    @property
    def origin(self) -> Origin:
        return Origin(self.display, self.line)


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
        self.stack: list[Source] = []
        self.root: Document | None = None

    # ---- sources

    def source_for_root(self, reference: str) -> Source:
        if reference.startswith(BUILTIN_PREFIX):
            source = self._builtin_source(reference)
            if isinstance(source, str):
                raise RulesetError([Problem(reference, 1, 1, source)])
            return source
        path = Path(reference)
        return Source(display=reference, identity=str(path.resolve()), base_dir=path.parent, file=path)

    def _builtin_source(self, reference: str) -> Source | str:
        """The source of a builtin pack, or a message saying why there is none."""
        shipped = shipped_versions()
        match = BUILTIN_REF.match(reference)
        if match is None:
            name = reference[len(BUILTIN_PREFIX):].split("@")[0]
            hint = f" (did you mean '{newest(name, shipped)}'?)" if name in shipped else ""
            return f"builtin packs are written builtin:NAME@VERSION, got {reference!r}{hint}"
        name, version = match["name"], match["version"]
        if name in shipped and version in shipped[name]:
            pack = pack_file(name, version)
            return Source(display=reference, identity=reference, base_dir=pack.parent, file=pack)
        if name in shipped:
            return f"builtin pack '{name}' has no version {version!r}; shipped versions: {', '.join(shipped[name])}"
        close = difflib.get_close_matches(name, list(shipped), n=1, cutoff=0.6)
        if close:
            return f"unknown builtin pack '{name}' (did you mean '{newest(close[0], shipped)}'?)"
        listing = ", ".join(shipped_builtin_packs()) or "none"
        return f"unknown builtin pack '{name}'; shipped packs: {listing}"

    def _extended_source(self, reference: str, parent: Source) -> Source | str:
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
        return Source(display=display, identity=str(file.resolve()), base_dir=file.parent, file=file)

    # ---- loading

    def load_root(self, source: Source) -> LoadedRuleset:
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

    def _resolve(self, source: Source) -> _Layer | None:
        """Load one file and everything it extends; its merged layer, or None when anything is wrong."""
        document = read_document(source)
        if self.root is None:
            self.root = document
        if not document.problems or document.recovered:  # past a syntax error, the rest is still checked
            validate(document)
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

    def _extends_of(self, document: Document) -> list[tuple[int, str]]:
        extends = document.data.get("extends") if isinstance(document.data, dict) else None
        if not isinstance(extends, list):
            return []
        return [(index, ref) for index, ref in enumerate(extends) if isinstance(ref, str)]

    def _resolve_extended(self, reference: str, document: Document, index: int) -> _Layer | None:
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

    def _problem(self, document: Document, path: KeyPath, message: str) -> Problem:
        line, col = document.position(path)
        return Problem(document.source.display, line, col, message)

    def _own_layer(self, document: Document) -> _Layer:
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

    def _apply(self, base: _Layer, top: _Layer, document: Document, extends_index: int | None) -> _Layer:
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
                    f"rule id '{rule_id}' is already used by a {SECTION_NOUNS[earlier.section]} rule at "
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
            suggestion = did_you_mean(target, known) if known else " (no extended ruleset has scrub rules)"
            message = f"override: no scrub rule '{target}' in the extended rulesets to change{suggestion}"
            self.problems.append(Problem(entry.display, entry.line, entry.col, message))
            return
        changed = entry.rule.overridden(rules[index].rule)
        rules[index] = _RuleEntry(entry.section, changed, entry.display, entry.line, entry.col)

    def _warn_about_shadowed_scrub_rules(self, layer: _Layer) -> None:
        scrub_rules = [(entry.rule, entry) for entry in layer.rules if entry.section == ("scrub", "rules")]
        for (rule, entry), (parent, parent_entry) in shadowed_scrub_rules(scrub_rules, key_matcher):
            message = (
                f"scrub rule '{rule.id}' never changes anything: rule '{parent.id}' ({parent_entry.origin}) "
                f"comes first and already redacts every key it names; the first redaction of a value wins. "
                f"To change how '{parent.id}' redacts, write 'override: {parent.id}' with the new redact"
            )
            self.warnings.append(Problem(entry.display, entry.line, entry.col, message, lint=True))

    def _build_model(self, root: RulesetSpec, layer: _Layer) -> RulesetSpec:
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


