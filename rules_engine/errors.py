"""Errors raised while loading a ruleset.

Every problem carries the file and the position of the node it is about, so a
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
        return {"path": self.path, "line": self.line, "col": self.col, "message": self.message}


class RulesetError(Exception):
    """A ruleset could not be loaded; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid ruleset")


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix for a near-miss name, or an empty string."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


class UnsendableValue(ValueError):
    """An event holds a value the transport cannot encode as JSON (NaN, bytes, a set, an object,
    a non-string key): sending it would lose the event silently, so it fails closed instead."""
