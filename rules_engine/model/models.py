"""Pydantic models of the ruleset format, version 1.

These models are the single source of truth for the format: the loader validates
files with them and ``schema/ruleset.v1.schema.json`` is generated from them
(:func:`ruleset_json_schema`), so every field carries a description that editors
show on hover.

Conditions (``when`` / ``unless``) have a small grammar of their own. It is parsed
and checked by :mod:`rules_engine.conditions.syntax`; here a condition is kept as
the plain mapping the file holds, and only its JSON Schema is described.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from ..detection import catalogue_descriptions

FORMAT_VERSION = 1
SCHEMA_ID = "https://rules-engine.dev/schema/ruleset.v1.schema.json"

RULE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"

EventKind = Literal["error", "transaction", "breadcrumb"]
Level = Literal["fatal", "error", "warning", "info", "debug"]

#: Builtin detectors for ``scrub.rules[].detect``: a pattern plus a validator where one exists.
DETECTORS: dict[str, str] = {
    "creditcard": "Payment card numbers (13-19 digits, spaces or dashes allowed), Luhn-checked.",
    "iban": "International bank account numbers, mod-97 checked.",
    "email": "E-mail addresses.",
    "ipv4": "IPv4 addresses.",
    "ipv6": "IPv6 addresses.",
    "jwt": "JSON Web Tokens (three base64url parts with a JSON header).",
    "bearer": "'Bearer <token>' credentials, as in Authorization headers.",
    "basic_auth": "'Basic <base64>' credentials, as in Authorization headers.",
    "url_userinfo": "The 'user:password@' part of URLs.",
    "pem_private_key": "PEM-encoded private keys.",
    "aws_access_key": "AWS access key ids (AKIA..., ASIA...).",
    "github_token": "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_).",
    "slack_token": "Slack tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-) and webhook URLs.",
    "stripe_key": "Stripe secret and restricted keys (sk_live_, rk_live_, sk_test_, rk_test_).",
    "google_api_key": "Google API keys (AIza...).",
    "openai_key": "OpenAI-style API keys (sk-..., sk-proj-...).",
    "password_pair": "'password=...', 'token: ...' and similar key/value pairs inside free text.",
    "us_ssn": "US social security numbers (AAA-GG-SSSS, invalid ranges excluded).",
    "sql_params": "Bound SQL parameters in database error messages (SQLAlchemy '[parameters: ...]').",
}

DETECTORS.update(catalogue_descriptions())  # the detector catalogue's formats

DetectorName = Literal[tuple(DETECTORS)]  # type: ignore[valid-type]

#: A condition mapping, checked by :func:`rules_engine.conditions.syntax.parse_condition`.
CONDITION_MARKER = "x-rules-engine-condition"
Condition = Annotated[dict[str, Any], WithJsonSchema({CONDITION_MARKER: True})]


def _describe(text: str, **extra: Any) -> Any:
    return Field(description=text, **extra)


class Strict(BaseModel):
    """Base for every model: unknown keys are errors and values are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


# --------------------------------------------------------------------------- options


class Limits(Strict):
    """Per-event limits. Exceeding one fails closed, like any scrub failure (see ``on_error``)."""

    max_depth: int = _describe("Deepest nesting of containers the scrubber walks.", default=100, ge=1, le=10_000)
    max_nodes: int = _describe("Most containers and leaves the scrubber visits in one event.", default=200_000, ge=1)
    max_string_length: int = _describe(
        "Longest string scanned by detectors and patterns; longer strings are cut to this length "
        "and the cut part is removed.",
        default=65_536,
        ge=1,
    )
    max_ms: float = _describe(
        "Wall-clock budget in milliseconds for processing one event. Generous on purpose: a pause "
        "of the whole process (a garbage collection, a stalled machine) counts against it too, and "
        "an event over budget is not sent as is.",
        default=1000.0,
        gt=0,
    )


class Options(Strict):
    """How the compiled hooks behave."""

    on_error: Literal["drop", "send_filtered"] = _describe(
        "What happens when a scrub step fails at runtime (or a limit is exceeded): 'drop' the "
        "event, or 'send_filtered' it with every string leaf replaced by '[Filtered]'. Unscrubbed "
        "data is never sent.",
        default="drop",
    )
    hash_key: str | None = _describe(
        "Key for 'redact: hash' (HMAC-SHA256). ${ENV_VAR} references are expanded at load; "
        "without a key, hashing falls back to a per-process random key.",
        default=None,
    )
    revision_tag: bool = _describe(
        "Stamp every sent event with the tag ruleset=<name>@<revision>.", default=True
    )
    explain_context: bool = _describe(
        "Add a 'rules_engine' context to sent events listing the rules that matched.", default=False
    )
    limits: Limits = _describe("Per-event depth, size and time limits.", default_factory=Limits)


# --------------------------------------------------------------------------- rules


class Rule(Strict):
    """Fields shared by filter and grouping rules."""

    id: str = _describe("Unique id of the rule; shown in explain output, stats and _meta remarks.",
                        pattern=RULE_ID_PATTERN)
    description: str | None = _describe("What the rule is for.", default=None)
    on: list[EventKind] = _describe(
        "Which events the rule sees: 'error' (errors and messages, through before_send), "
        "'transaction' (before_send_transaction) and 'breadcrumb' (before_breadcrumb).",
        default_factory=lambda: ["error"],
        min_length=1,
    )
    when: Condition | None = _describe("The rule applies when this condition holds (all keys must match).",
                                        default=None)
    unless: Condition | None = _describe("The rule does not apply when this condition holds.", default=None)


class FilterRule(Rule):
    """Drops or samples events. The first matching filter decides."""

    # The action check of ``_one_action``, for editors and schema validators: exactly one of drop / sample.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["drop"], "properties": {"drop": {"const": True}}},
                {"required": ["sample"], "properties": {"sample": {"type": "number"}}},
            ]
        }
    )

    drop: Literal[True] | None = _describe("Drop every matching event.", default=None)
    sample: float | None = _describe(
        "Keep this share of matching events (0.1 keeps one in ten, chosen at random per event).",
        default=None,
        ge=0.0,
        le=1.0,
    )

    @model_validator(mode="after")
    def _one_action(self) -> "FilterRule":
        if (self.drop is None) == (self.sample is None):
            raise ValueError("a filter needs exactly one action: 'drop: true' or 'sample: <0..1>'")
        return self


class GroupingRule(Rule):
    """Sets fingerprint, title, tags, level or contexts. The first matching rule wins unless it says ``continue``."""

    # The action check of ``_some_action``, for editors and schema validators.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"type": kind}}}
                for name, kind in (
                    ("fingerprint", "array"),
                    ("title", "string"),
                    ("tags", "object"),
                    ("level", "string"),
                    ("contexts", "object"),
                )
            ]
        }
    )

    fingerprint: list[str] | None = _describe(
        "Sentry fingerprint; items are templates such as '{{ default }}', '{{ error.type }}', "
        "'{{ transaction }}'.",
        default=None,
        min_length=1,
    )
    title: str | None = _describe(
        "Issue title template, e.g. 'Database Error: {{ error.value }}'. Rewrites the main "
        "exception's type and value (or the log message) so Sentry shows it; the original is kept "
        "in the 'original_exception' context.",
        default=None,
        min_length=1,
    )
    tags: dict[str, str] | None = _describe("Tags to set; values are templates.", default=None)
    level: Level | None = _describe("Level to set on the event.", default=None)
    contexts: dict[str, dict[str, Any]] | None = _describe(
        "Contexts to set, e.g. {error_location: {function: '{{ function }}'}}; string values are templates.",
        default=None,
    )
    continue_: bool = _describe(
        "Keep evaluating later grouping rules after this one matched.", default=False, alias="continue"
    )

    @model_validator(mode="after")
    def _some_action(self) -> "GroupingRule":
        if not any(v is not None for v in (self.fingerprint, self.title, self.tags, self.level, self.contexts)):
            raise ValueError(
                "a grouping rule needs at least one action: fingerprint, title, tags, level or contexts"
            )
        return self


# --------------------------------------------------------------------------- scrub


class Mask(Strict):
    """Keep a few characters at either end and mask the rest."""

    keep_first: int = _describe("Characters kept at the start.", default=0, ge=0)
    keep_last: int = _describe("Characters kept at the end.", default=0, ge=0)
    char: str = _describe("The masking character.", default="*", min_length=1, max_length=1)


class MaskRedaction(Strict):
    """Mask the match: keep a few characters at either end, replace the rest."""

    mask: Mask = _describe("Mask the match, keeping some characters.")


class ReplaceRedaction(Strict):
    """Replace the match with a fixed text."""

    replace: str = _describe("Replace the match with this text.")


Redaction = Union[
    Annotated[
        Literal["filter", "hash", "remove"],
        Field(
            description="'filter' replaces with [Filtered]; 'hash' with a keyed HMAC (stable for a key); "
            "'remove' deletes the value (or the key, for key rules)."
        ),
    ],
    ReplaceRedaction,
    MaskRedaction,
]


class ScrubRule(Strict):
    """Finds sensitive data by key name, builtin detector or pattern, and redacts it."""

    # The matcher check of ``_some_matcher``, for editors and schema validators.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"type": kind}}}
                for name, kind in (("keys", "array"), ("detect", "array"), ("pattern", "string"))
            ]
        }
    )

    id: str = _describe("Unique id of the rule; named in _meta remarks and stats.", pattern=RULE_ID_PATTERN)
    description: str | None = _describe("What the rule is for.", default=None)
    keys: list[str] | None = _describe(
        "Globs over key names (case-insensitive, '-' and '_' equal). The value under a matching "
        "key is replaced whole; a container has every leaf replaced.",
        default=None,
        min_length=1,
    )
    detect: list[DetectorName] | None = _describe(  # type: ignore[valid-type]
        "Builtin detectors to run over string values.", default=None, min_length=1
    )
    pattern: str | None = _describe(
        "A regular expression (RE2 syntax, linear time) matched inside string values.",
        default=None,
        min_length=1,
    )
    in_: list[str] | None = _describe(
        "Selectors limiting where the rule applies, e.g. 'request.data', 'exception.values.*.value', "
        "'**.vars.*'. Default: the whole event, messages and breadcrumbs included.",
        default=None,
        alias="in",
        min_length=1,
    )
    redact: Redaction = _describe("How a match is redacted.", default="filter")

    @model_validator(mode="after")
    def _some_matcher(self) -> "ScrubRule":
        if self.keys is None and self.detect is None and self.pattern is None:
            raise ValueError("a scrub rule needs at least one of: keys, detect, pattern")
        return self


class Scrub(Strict):
    """Removes secrets and PII. Every rule applies; ``allow`` wins over every rule."""

    allow: list[str] = _describe(
        "Selectors whose values are never scrubbed, e.g. 'request.headers.user-agent'.",
        default_factory=list,
    )
    rules: list[ScrubRule] = _describe("Scrub rules; all of them apply.", default_factory=list)


# --------------------------------------------------------------------------- ruleset


class RulesetSpec(Strict):
    """A rules-engine ruleset: filters, grouping and scrubbing for sentry-sdk events."""

    model_config = ConfigDict(
        title="rules-engine ruleset (format 1)",
        json_schema_extra={"$id": SCHEMA_ID},
    )

    format: Literal[1] = _describe("Format version of this file. This release reads format 1.")
    name: str = _describe("Name of the ruleset; stamped on events as ruleset=<name>@<revision>.",
                          pattern=RULE_ID_PATTERN)
    revision: int | str = _describe("The ruleset's own version, bumped on every change.", default=0)
    description: str | None = _describe("What the ruleset is for.", default=None)
    extends: list[str] = _describe(
        "Rulesets whose rules come first: builtin packs ('builtin:secure-defaults@2026.11') and "
        "files relative to this one ('./common.yaml').",
        default_factory=list,
    )
    options: Options = _describe("How the compiled hooks behave.", default_factory=Options)
    filters: list[FilterRule] = _describe("Drop or sample events; the first matching rule decides.",
                                          default_factory=list)
    grouping: list[GroupingRule] = _describe(
        "Fingerprints, titles, tags, level and contexts; the first matching rule wins.", default_factory=list
    )
    scrub: Scrub = _describe("Secret and PII removal; runs last, over everything.", default_factory=Scrub)

