"""The errors rules-engine raises, under one root (:class:`RulesEngineError`), and where they point.

Every problem carries the file and the position of the node it is about, as data, so a
typo reads as ``rulesets/shop.yaml:12:7: unknown key 'wen' (did you mean 'when'?)``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a ruleset file, at a 1-based line and column."""

    path: str
    line: int
    col: int
    message: str
    #: A rule that can never fire or never change anything (``validate --strict`` fails on these).
    lint: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"

    def as_dict(self) -> dict:
        found = {"path": self.path, "line": self.line, "col": self.col, "message": self.message}
        if self.lint:
            found["lint"] = True  # a rule that can never fire or never change anything
        return found


class RulesEngineError(Exception):
    """The root of every error rules-engine raises (the hooks themselves never raise)."""


class Origin(str):
    """Where a rule is defined: reads as ``"file:line"`` and carries ``path`` and ``line``."""

    path: str
    line: int

    def __new__(cls, path: str, line: int) -> "Origin":
        origin = super().__new__(cls, f"{path}:{line}")
        origin.path, origin.line = path, line
        return origin

    def problem(self, message: str) -> Problem:
        return Problem(self.path, self.line, 1, message)


class RulesetError(RulesEngineError):
    """A ruleset could not be loaded; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid ruleset")


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix for a near-miss name, or an empty string."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


class UnsendableValue(RulesEngineError, ValueError):
    """An event holds a value the transport cannot encode as JSON (NaN, bytes, a set, an object,
    a non-string key): sending it would lose the event silently, so it fails closed instead."""
