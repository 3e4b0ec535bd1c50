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

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from ..detection import catalogue_descriptions

FORMAT_VERSION = 1
SCHEMA_ID = "https://rules-engine.dev/schema/ruleset.v1.schema.json"

RULE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"

EventKind = Literal["error", "transaction", "breadcrumb", "log", "metric", "span"]
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
        allow_inf_nan=False,  # 1e400 reads as infinity: no budget at all
    )
    max_attachment_bytes: int = _describe(
        "Largest attachment 'attachments: scrub' reads; a larger one is dropped. Its text is cut "
        "at max_string_length like any string.",
        default=1_048_576,
        ge=0,
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
    named_values: bool = _describe(
        "Read values whose key is written elsewhere as under that key: pair dicts ({name: "
        "DB_PASSWORD, value: ...}, AWS Key/Value tags), also written as text, SQL INSERT values "
        "under their column names, Redis commands' values under their fields, a transaction's "
        "route parameters in request.url, a Celery task's positional arguments, a frame's local "
        "named by the one before it, and the fields of namedtuples sent as lists. Off unless set "
        "(the 2026.12 packs set it), so a ruleset pinned to older packs scrubs as it did.",
        default=False,
    )
    echoes: bool = _describe(
        "Redact every other occurrence in the event of a value a rule redacted (as written, "
        "escaped by repr() or JSON, percent-encoded, HTML-escaped, as hex or inside base64), by "
        "the same rule. Off unless set (the 2026.12 packs set it).",
        default=False,
    )
    source_as_code: bool = _describe(
        "Read a Python frame's source lines (pre_context, context_line, post_context) as code: "
        "the value after a sensitive key there is redacted only when it is a literal (a string, "
        "bytes, an f-string, a number) or no Python (a comment, a string's text), not when it is "
        "an expression (a name, a call, an attribute, a subscript: password=get_password()). Off "
        "unless set (the 2026.12 packs set it).",
        default=False,
    )
    encoded_text: bool = _describe(
        "Look for keys inside text in its decoded views too: percent-encoded (also twice), HTML "
        "character references, JSON's \\u escapes (next=%7B%22password%22%3A...%7D, "
        "{&quot;token&quot;: ...}): a value found there is redacted escapes and all. Off unless "
        "set (the 2026.12 packs set it).",
        default=False,
    )
    numbered_keys: bool = _describe(
        "Read a key name that ends in a copy or version suffix as the name without it too: a "
        "number (token2, api_key_2), v and a number (token_v2), old, new, prev, previous, next, "
        "current, backup, fallback, primary, secondary, legacy, tmp, temp (SECRET_KEY_OLD, "
        "sessionIdPrev). Off unless set (the 2026.12 packs set it).",
        default=False,
    )
    partial_tokens: bool = _describe(
        "Redact the token a string ends in where sentry-sdk cut it (max_value_length), when it "
        "could be the beginning of a secret: at least 4 characters, not all letters (a token's "
        "first characters, a card number's first digit groups, which no detector recognises "
        "once cut). By the first rule active there that runs detectors, counted as "
        "<rule>/partial_token. Off unless set (the 2026.12 packs set it).",
        default=False,
    )
    attachments: Literal["keep", "scrub", "drop"] = _describe(
        "What happens to the files sent beside an event (scope.add_attachment): 'keep' sends them "
        "as they are; 'scrub' scrubs each that reads as UTF-8 text with the event, as the string "
        "attachments.N.text, and drops the others (binary, unreadable, larger than "
        "limits.max_attachment_bytes); 'drop' sends none. 'keep' unless set (the 2026.12 packs "
        "set 'scrub').",
        default="keep",
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
        "'transaction' (before_send_transaction), 'breadcrumb' (before_breadcrumb), 'log' "
        "(before_send_log) and 'metric' (before_send_metric). Filters only: a streamed 'span' "
        "cannot be dropped, and grouping applies to errors and transactions.",
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
        if "span" in self.on:
            raise ValueError(
                "a filter cannot apply to 'span': sentry-sdk sends every streamed span (before_send_span "
                "cannot drop one); scrub rules still apply to spans, and transactions can be filtered "
                "with on: [transaction]"
            )
        return self


class GroupingRule(Rule):
    """Sets fingerprint, title, tags, level, contexts or the transaction name. The first matching rule
    wins unless it says ``continue``."""

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
                    ("rename", "string"),
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
    rename: str | None = _describe(
        "New name of the transaction, a template such as '{{ request.method }} {{ route }}': renames "
        "transactions, and errors' transaction so they still point at it (the source becomes "
        "'custom', as for a name set in code).",
        default=None,
        min_length=1,
    )
    continue_: bool = _describe(
        "Keep evaluating later grouping rules after this one matched.", default=False, alias="continue"
    )

    @model_validator(mode="after")
    def _some_action(self) -> "GroupingRule":
        actions = (self.fingerprint, self.title, self.tags, self.level, self.contexts, self.rename)
        if not any(v is not None for v in actions):
            raise ValueError(
                "a grouping rule needs at least one action: fingerprint, title, tags, level, contexts or rename"
            )
        channels = sorted(set(self.on) & {"log", "metric", "span"})
        if channels:
            raise ValueError(
                f"grouping applies to errors and transactions, not to {', '.join(channels)}: "
                "those have no fingerprint, title or tags"
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

    # The checks of ``_complete``, for editors and schema validators.
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [{"anyOf": [{"required": ["override"]}, {"required": ["keys"]},
                                 {"not": {"required": ["except_keys"]}}]}],
            "anyOf": [
                {"required": ["override"]},
                {
                    "required": ["id"],
                    "anyOf": [
                        {"required": [name], "properties": {name: {"type": kind}}}
                        for name, kind in (("keys", "array"), ("detect", "array"), ("pattern", "string"))
                    ],
                },
            ]
        }
    )

    id: str | None = _describe(
        "Unique id of the rule; named in _meta remarks and stats.", default=None, pattern=RULE_ID_PATTERN
    )
    override: str | None = _describe(
        "Change the extended rulesets' scrub rule of this id in place: only the keys given here "
        "replace the rule's own (e.g. just 'redact'); the rule keeps its id and its place.",
        default=None,
        pattern=RULE_ID_PATTERN,
    )
    description: str | None = _describe("What the rule is for.", default=None)
    keys: list[str] | None = _describe(
        "Globs over key names ('-' and '_' equal; case-insensitive unless 'case' says otherwise). "
        "The value under a matching key is replaced whole; a container has every leaf replaced.",
        default=None,
        min_length=1,
    )
    except_keys: list[str] | None = _describe(
        "Globs over key names that 'keys' would match but that hold no secret, compared as 'keys' "
        "are: '*_at' keeps 'password_changed_at', 'is_*' keeps 'is_secret'. A key matching one is "
        "left to the other rules (detectors, patterns and other rules' keys still apply).",
        default=None,
    )
    case: Literal["insensitive", "sensitive"] = _describe(
        "How 'keys' compare to key names: 'insensitive' (lower case, camelCase words split: "
        "'*_token' matches 'accessToken') or 'sensitive' (as written: '*_KEY' matches the "
        "environment-variable name 'MAILGUN_KEY', not 'cache_key').",
        default="insensitive",
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
    def _complete(self) -> "ScrubRule":
        if self.override is not None:
            if self.id is not None:
                raise ValueError("an override keeps the id of the rule it changes; remove 'id'")
            return self
        if self.id is None:
            raise ValueError("a scrub rule needs an 'id' (or 'override: <id>' to change an extended rule)")
        if self.keys is None and self.detect is None and self.pattern is None:
            raise ValueError("a scrub rule needs at least one of: keys, detect, pattern")
        if self.except_keys and self.keys is None:
            raise ValueError("'except_keys' narrows 'keys': a rule with no 'keys' has no key to except")
        return self

    def overridden(self, parent: "ScrubRule") -> "ScrubRule":
        """``parent`` with the keys this override sets."""
        changes = {name: getattr(self, name) for name in self.model_fields_set if name != "override"}
        return parent.model_copy(update=changes)


class Scrub(Strict):
    """Removes secrets and PII. Every rule applies; ``allow`` wins over every rule. A value is
    redacted once, by the first rule that finds it (the README's "Scrub precedence")."""

    allow: list[str] = _describe(
        "Selectors whose values are never scrubbed, e.g. 'request.headers.user-agent'.",
        default_factory=list,
    )
    rules: list[ScrubRule] = _describe(
        "Scrub rules; all of them apply, and the first that finds a value redacts it.", default_factory=list
    )


# --------------------------------------------------------------------------- sdk


#: ``"500-599"``: an inclusive range of HTTP status codes.
STATUS_RANGE = re.compile(r"^([1-5]\d\d)-([1-5]\d\d)$")


class TraceRule(Strict):
    """A sampling rate for the traces whose start matches ``when``. The first matching rule decides."""

    id: str = _describe("Unique id of the rule.", pattern=RULE_ID_PATTERN)
    description: str | None = _describe("What the rule is for.", default=None)
    when: Condition | None = _describe(
        "What is known when a trace starts: transaction, environment, release, request.method, "
        "request.url, contexts.trace.op.",
        default=None,
    )
    unless: Condition | None = _describe("The rule does not apply when this condition holds.", default=None)
    sample_rate: float = _describe(
        "Share of matching traces recorded. 0 means never, even when the incoming request's trace "
        "was sampled upstream.",
        ge=0.0,
        le=1.0,
    )


class Traces(Strict):
    """Which transactions are recorded at all: a ``traces_sampler`` built from rules."""

    sample_rate: float = _describe("Rate of traces no rule matches.", ge=0.0, le=1.0)
    honour_parent: bool = _describe(
        "Follow the sampling decision of an incoming trace (the parent), as sentry-sdk does with "
        "traces_sample_rate; rules with sample_rate 0 win over it.",
        default=True,
    )
    rules: list[TraceRule] = _describe("Rates per transaction, environment or method; first match decides.",
                                       default_factory=list)


class KeyValueCollection(Strict):
    """How a key-value collection (cookies, headers, query parameters) is gathered."""

    mode: Literal["off", "denylist", "allowlist"] = _describe(
        "'off': not collected; 'denylist': collected, values of sensitive keys and of 'terms' "
        "replaced; 'allowlist': only keys containing one of 'terms' keep their values.",
        default="denylist",
    )
    terms: list[str] | None = _describe("Extra key terms for the deny or allow list.", default=None)


class GenAICollection(Strict):
    inputs: bool = _describe("Collect prompts and other inputs of AI calls.", default=True)
    outputs: bool = _describe("Collect completions and other outputs of AI calls.", default=True)


class Collect(Strict):
    """What sentry-sdk collects in the first place (its ``data_collection`` option): data never
    gathered is data no rule has to remove. Omitted fields keep the SDK's defaults."""

    user_info: bool | None = _describe("Collect user identity (ip address, user fields).", default=None)
    cookies: KeyValueCollection | None = _describe("Request cookies.", default=None)
    http_headers: KeyValueCollection | None = _describe("Incoming request headers.", default=None)
    url_query_params: KeyValueCollection | None = _describe("URL query parameters.", default=None)
    http_bodies: list[Literal["incoming_request", "outgoing_request", "outgoing_response"]] | None = _describe(
        "Which HTTP bodies are collected; [] collects none.", default=None
    )
    gen_ai: GenAICollection | None = _describe("Inputs and outputs of generative-AI calls.", default=None)
    database_query_data: bool | None = _describe("Bound parameters of database queries.", default=None)
    stack_frame_variables: bool | None = _describe("Local variables of stack frames.", default=None)
    frame_context_lines: int | None = _describe("Source lines around each frame (0: none).", default=None, ge=0)


StatusCodes = Union[Literal["from_filters"], list[Union[int, str]]]


class Sdk(Strict):
    """Decisions made before an event exists, turned into sentry-sdk options by ``sentry_options()``.
    Options passed to ``sentry_options()`` win over these (with a warning when they disagree)."""

    sample_rate: float | None = _describe("Share of error events sent (sentry-sdk's sample_rate).",
                                          default=None, ge=0.0, le=1.0)
    traces: Traces | None = _describe("Which transactions are recorded (a traces_sampler built from rules).",
                                      default=None)
    failed_request_status_codes: StatusCodes = _describe(
        "HTTP status codes the web integrations (Starlette, FastAPI, Django, aiohttp, ...) report as "
        "errors. 'from_filters' (default): when a filter tests exc.status_code, every 4xx and 5xx "
        "code except those a filter drops whatever else the event holds (else sentry-sdk's 5xx); or "
        "a list of codes and ranges such as [401, 403, '500-599'].",
        default="from_filters",
    )
    collect: Collect | None = _describe("What sentry-sdk collects (its data_collection option).", default=None)
    ignore_errors: list[str] = _describe(
        "Exception type names (bare or dotted, matched exactly against the raised exception's type) "
        "that sentry-sdk never builds into events: cheaper than a filter, but not counted in stats.",
        default_factory=list,
    )

    @field_validator("failed_request_status_codes")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        if value == "from_filters":
            return value
        for code in value:
            if isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599:
                continue
            match = STATUS_RANGE.match(code) if isinstance(code, str) else None
            if match is None or int(match.group(1)) > int(match.group(2)):
                raise ValueError(f"{code!r} is not an HTTP status code (100-599) or a range like '500-599'")
        return value


def status_codes(listed: list[int | str]) -> frozenset[int]:
    """The codes a validated list names (ranges expanded)."""
    codes: set[int] = set()
    for code in listed:
        if isinstance(code, int):
            codes.add(code)
        else:
            low, high = STATUS_RANGE.match(code).groups()  # type: ignore[union-attr]
            codes.update(range(int(low), int(high) + 1))
    return frozenset(codes)


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
    sdk: Sdk = _describe("What sentry-sdk samples and collects before any hook runs.", default_factory=Sdk)

