"""The detector catalogue (``catalogue.yaml``): provider formats and personal-data formats as data.

Each entry is read into a :class:`CatalogueEntry`: plain data, nothing compiled. The scrubber
turns entries into detectors (:mod:`rules_engine.scrub.catalogued`); a prefilter can be derived
from their ``keywords`` (literal strings every match contains) or ``prefilter`` (a short pattern
every match contains); the README's detector table is generated from them
(:func:`detector_table`).

Patterns are written in the syntax Python ``re`` and RE2 read alike, so any engine can run them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

CATEGORIES = ("secret", "hash", "shape", "personal")

#: What may stand before a token: the start of the text, a character that is neither a letter, a
#: digit nor ``_``, an escape sequence of ``repr()`` / JSON text (``\n``, ``\x1b``, ``\u00e9``) or
#: a percent-encoded byte (``Bearer%20eyJ...``), after which a secret starts although a letter or
#: digit precedes it.
TOKEN_START = r"(?:^|[^A-Za-z0-9_]|\\[nrtbf]|\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|%[0-9A-Fa-f]{2})"
#: What may stand after a token: the end of the text or a character that is neither a letter, a
#: digit nor ``_``.
TOKEN_END = r"(?:[^A-Za-z0-9_]|$)"


@dataclass(frozen=True)
class Example:
    text: str
    secret: str


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    provider: str
    title: str
    category: str
    #: the exact pattern as written in the catalogue (a token, or a pattern with its context)
    body: str
    #: the exact pattern a detector runs: ``body`` with its token boundaries, the secret in
    #: groups named ``secret``, ``secret2``...
    pattern: str
    keywords: tuple[str, ...] = ()
    caseless: bool = False
    prefilter: str | None = None
    #: whether ``prefilter`` matches where the token starts (the secret, for a pattern with its own
    #: context, which must then allow no more before it than a token does): then what may stand
    #: before a token must stand before it too (a hex id holds IBAN-shaped runs, but never at a
    #: token's start)
    prefilter_at_start: bool = False
    validator: str | None = None
    #: every match starts at most this many characters before a keyword it holds (the local
    #: part of an e-mail address before its "@"): searches start there
    reach: int | None = None
    #: whether a match is a key named by a secret word, its separator and its value (the secret),
    #: as keys inside text find them (see ``Detector.key_value``)
    key_value: bool = False
    true_examples: tuple[Example, ...] = field(default=(), repr=False)
    false_examples: tuple[str, ...] = field(default=(), repr=False)

    @property
    def probe(self) -> str:
        """A pattern every match contains: the keywords as an alternation, or ``prefilter`` (after
        what may stand before a token, with ``prefilter_at_start``)."""
        if self.prefilter_at_start:
            return f"{TOKEN_START}(?:{self.prefilter})"
        if self.prefilter is not None:
            return self.prefilter
        return "|".join(re.escape(keyword) for keyword in self.keywords)

    @property
    def description(self) -> str:
        return f"{self.provider}: {self.title}."


@lru_cache(maxsize=1)
def catalogue() -> tuple[CatalogueEntry, ...]:
    """Every entry of ``catalogue.yaml``, in file order."""
    text = resources.files(__name__).joinpath("catalogue.yaml").read_text(encoding="utf-8")
    document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return tuple(_entry(raw) for raw in document["detectors"])


def catalogue_descriptions() -> dict[str, str]:
    """Detector name -> one-line description, for the ruleset model and its JSON Schema."""
    return {entry.id: entry.description for entry in catalogue()}


def _entry(raw: dict) -> CatalogueEntry:
    body = raw["pattern"]
    boundary = raw.get("boundary", "token")
    if boundary == "token":
        pattern = f"{TOKEN_START}(?P<secret>{body}){TOKEN_END}"
    elif boundary == "none":
        pattern = body
    else:
        raise ValueError(f"{raw['id']}: boundary must be 'token' or 'none', not {boundary!r}")
    if raw.get("prefilter_at_start") and raw.get("prefilter") is None:
        raise ValueError(f"{raw['id']}: prefilter_at_start needs a prefilter")
    examples = raw.get("examples") or {}
    return CatalogueEntry(
        id=raw["id"],
        provider=str(raw["provider"]),
        title=raw["title"],
        category=raw["category"],
        body=body,
        pattern=pattern,
        keywords=tuple(str(keyword) for keyword in raw.get("keywords") or ()),
        caseless=bool(raw.get("caseless", False)),
        prefilter=raw.get("prefilter"),
        prefilter_at_start=bool(raw.get("prefilter_at_start", False)),
        validator=raw.get("validator"),
        reach=raw.get("reach"),
        key_value=bool(raw.get("key_value", False)),
        true_examples=tuple(_example(example) for example in examples.get("finds") or ()),
        false_examples=tuple(str(example) for example in examples.get("ignores") or ()),
    )


def _example(raw) -> Example:
    if isinstance(raw, dict):
        return Example(text=raw["text"], secret=raw["secret"])
    return Example(text=str(raw), secret=str(raw))
