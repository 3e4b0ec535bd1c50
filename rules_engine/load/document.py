"""Reading one ruleset file: YAML text to plain data with positions, and the YAML problems of it.

Files are read by the fast reader (:mod:`rules_engine.load.plain_yaml`) when they stay within its
subset of YAML, and by ruamel's round-trip reader otherwise; the round-trip reader is also the one
that reports YAML problems. Both give the same data and positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from ..errors import Problem
from ..model import migrations
from ..model.models import RulesetSpec
from . import yaml_errors
from .plain_yaml import read_plain
from .positions import KeyPath, PositionIndex, locate, node_position

# --------------------------------------------------------------------------- reading one file


@dataclass
class Source:
    display: str  # how problems and origins name the file
    identity: str  # what makes two references the same file (cycles, caching)
    base_dir: Path  # where relative ``extends`` are resolved
    text: str | None = None  # already read (text sources)
    file: Path | None = None  # read on demand


@dataclass
class Document:
    """One file: its plain data, and where things are (a position index, or the round-trip tree)."""

    source: Source
    tree: Any = None  # read by the full reader (needed for format migrations and custom tags)
    index: PositionIndex | None = None  # read by the fast reader
    data: Any = None
    model: RulesetSpec | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: read past a YAML syntax error (with the broken line blanked out): still worth validating
    recovered: bool = False
    #: lines whose problems are consequences of a syntax error, not reported
    quiet_lines: set[int] = field(default_factory=set)

    def problem_at(self, path: KeyPath, message: str, *, at_key: bool = False) -> None:
        line, col = self.position(path, at_key=at_key)
        if line in self.quiet_lines:  # most likely a consequence of the syntax error reported there
            return
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
    tree, problems, _ = read_yaml_recovering(text, display, recover=False)
    return tree, problems


def read_yaml_recovering(text: str, display: str, *, recover: bool = True) -> tuple[Any, list[Problem], set[int]]:
    """Like :func:`read_yaml`; after a syntax error, the tree of the file read with the broken line
    blanked out (when that parses) and the lines whose other problems are the error's consequences."""
    problems = _tab_problems(text, display)
    tab_lines = {p.line for p in problems}
    quiet: set[int] = set()
    causes: set[tuple[int, int]] = set()  # where the broken constructs started: one problem each
    attempts = yaml_errors.MAX_RECOVERIES if recover else 0
    while True:
        try:
            return _parse(text, display, problems), problems, quiet
        except MarkedYAMLError as exc:
            error = yaml_errors.describe(exc, text)
            if error.started in causes:  # the same unclosed construct, found again further down
                return None, problems, quiet
            if error.started is not None:
                causes.add(error.started)
            if error.line not in tab_lines:
                problems.append(Problem(display, error.line, error.col, error.message))
            # A tab makes the structure a guess: reading on would report the guess's problems.
            if attempts == 0 or error.line in quiet or error.line in tab_lines or not error.recoverable:
                return None, problems, quiet
            attempts -= 1
            quiet.update(error.block)
            text = yaml_errors.without_line(text, error.line)
        except ReaderError as exc:  # a character YAML does not allow anywhere
            line, col = _line_col(text, exc.position)
            problems.append(Problem(display, line, col, f"character U+{exc.character:04X} is not allowed in YAML"))
            return None, problems, quiet
        except YAMLError as exc:
            problems.append(Problem(display, 1, 1, f"YAML error: {exc}"))
            return None, problems, quiet


def _parse(text: str, display: str, problems: list[Problem]) -> Any:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True  # reported below, all at once, instead of failing on the first
    node = yaml.compose(text)
    if node is None:
        return None
    problems.extend(_duplicate_key_problems(node, display))
    return yaml.constructor.construct_document(node)


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


def read_document(source: Source) -> Document:
    document = Document(source)
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
    if fast is not None and is_current_format(fast[0]):
        document.data, document.index = fast
        return document
    # Everything else (problems to report, older formats to migrate, rarer YAML) takes the full reader.
    document.tree, problems, document.quiet_lines = read_yaml_recovering(text, source.display)
    document.problems.extend(problems)
    if problems:
        document.recovered = document.tree is not None and isinstance(document.tree, CommentedMap)
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


def is_current_format(data: dict) -> bool:
    version = data.get("format")
    return type(version) is int and version == migrations.CURRENT_VERSION


def check_format(document: Document) -> str:
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
