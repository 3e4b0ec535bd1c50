"""``Ruleset.sentry_options()``: the hooks, and the ruleset's ``sdk`` section as sentry-sdk options.

Some decisions are cheaper before an event exists: an error sampled out is never built, a
transaction not sampled records no spans, a header not collected needs no scrubbing. The ``sdk``
section states them in the ruleset and this module turns them into sentry-sdk options:

- ``sample_rate`` as it is;
- ``traces`` into a ``traces_sampler`` (:class:`TracesSampler`);
- ``failed_request_status_codes`` into instances of the web integrations of imported frameworks
  (:func:`web_integrations`), derived from the filters by default (:func:`codes_from_filters`);
- ``collect`` into ``data_collection`` (or, where this sentry-sdk lacks it, into the older options
  that say the same: ``send_default_pii``, ``include_local_variables``...);
- ``ignore_errors`` as it is: exceptions of these types are never built into events (cheaper
  than a filter, but invisible to ``stats()`` and ``explain``).

Options the caller passes to ``sentry_options()`` win; when one contradicts the ruleset a
:class:`RulesetOptionWarning` says so. Options this sentry-sdk does not know are never passed
(``sentry_sdk.init`` rejects unknown options): hooks of newer SDKs go to ``_experiments`` where
older 2.x releases read them, other settings are left out with a warning.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any, Callable, Iterable, Optional

from ..conditions.event_view import EventView
from ..conditions.syntax import And, FieldTest, Not, Or, parse_condition
from ..model import models
from ..rules.compile import compile_condition_pair

Hook = Callable[[dict, dict], Optional[dict]]

#: The hook options, in the order sentry-sdk documents them.
EVENT_HOOKS = ("before_send", "before_send_transaction", "before_breadcrumb")
CHANNEL_HOOKS = ("before_send_log", "before_send_metric")
SPAN_HOOK = "before_send_span"

#: HTTP error codes a web integration can be told to report.
ERROR_CODES = range(400, 600)

#: sentry-sdk's own default for the web integrations: server errors only.
SDK_DEFAULT_CODES = frozenset(range(500, 600))

#: (integration module, class, framework module): the web integrations with a
#: ``failed_request_status_codes`` option. FastAPI's integration is Starlette's subclass and
#: both must agree, as sentry-sdk asks for both.
WEB_INTEGRATIONS = (
    ("sentry_sdk.integrations.starlette", "StarletteIntegration", "starlette"),
    ("sentry_sdk.integrations.fastapi", "FastApiIntegration", "fastapi"),
    ("sentry_sdk.integrations.django", "DjangoIntegration", "django"),
    ("sentry_sdk.integrations.aiohttp", "AioHttpIntegration", "aiohttp"),
    ("sentry_sdk.integrations.litestar", "LitestarIntegration", "litestar"),
    ("sentry_sdk.integrations.bottle", "BottleIntegration", "bottle"),
)


class RulesetOptionWarning(UserWarning):
    """An option passed to ``sentry_options()`` overrides what the ruleset's ``sdk`` section says."""


def sdk_option_names() -> frozenset[str]:
    """The options the installed sentry-sdk accepts."""
    from sentry_sdk.consts import DEFAULT_OPTIONS

    return frozenset(DEFAULT_OPTIONS)


def span_streaming(options: dict) -> bool:
    """Whether these ``init`` options stream spans (``trace_lifecycle="stream"``)."""
    experiments = options.get("_experiments") or {}
    lifecycle = options.get("trace_lifecycle", experiments.get("trace_lifecycle"))
    return lifecycle == "stream"


# ---------------------------------------------------------------------- the whole set


def build_options(ruleset: Any, hooks: dict[str, Hook], compose: Callable[[Hook | None, Hook], Hook],
                  user: dict[str, Any]) -> dict[str, Any]:
    """The ``sentry_sdk.init`` options for ``ruleset``: ``hooks`` (the ruleset's, by option name)
    composed after the caller's, the ``sdk`` section's settings, and every other option the
    caller passed, which wins."""
    known = sdk_option_names()
    user = dict(user)
    options: dict[str, Any] = {}
    experiments = dict(user.pop("_experiments", None) or {})
    wanted = [*EVENT_HOOKS, *CHANNEL_HOOKS]
    if span_streaming({**user, "_experiments": experiments}):
        wanted.append(SPAN_HOOK)
    for name in wanted:
        users_hook = user.pop(name, None) or experiments.pop(name, None)
        hook = compose(users_hook, hooks[name])
        if name in known:
            options[name] = hook
        else:  # an older 2.x release that reads this hook from _experiments
            experiments[name] = hook
    for name, value in settings(ruleset, user).items():
        if name in known:
            options[name] = value
        else:
            warnings.warn(f"this sentry-sdk has no '{name}' option; the ruleset's setting is not applied",
                          RulesetOptionWarning, stacklevel=3)
    if "integrations" in options:
        options["integrations"] = merge_integrations(options["integrations"], user.pop("integrations", None))
    for name, value in user.items():
        overridden = [ours for ours in OVERRIDES.get(name, (name,)) if ours in options]
        for ours in overridden:
            if options[ours] != value:
                warnings.warn(f"'{name}' passed to sentry_options() overrides the ruleset's sdk section",
                              RulesetOptionWarning, stacklevel=3)
                del options[ours]
        options[name] = value
    if experiments:
        options["_experiments"] = experiments
    return options


def apply_settings(ruleset: Any, options: dict[str, Any]) -> None:
    """Apply the ``sdk`` section to a client's resolved ``options`` where they still hold
    sentry-sdk's defaults (for :class:`~rules_engine.RulesEngineIntegration`)."""
    from sentry_sdk.consts import DEFAULT_OPTIONS

    ours = late_settings(ruleset.model.sdk, ruleset)
    for name, value in ours.items():
        given = [other for other in OVERRIDDEN_BY.get(name, (name,))
                 if options.get(other) != DEFAULT_OPTIONS.get(other)]
        if not given:
            options[name] = value
        elif any(options.get(other) != value for other in given):
            warnings.warn(f"'{given[0]}' given to sentry_sdk.init overrides the ruleset's sdk section",
                          RulesetOptionWarning, stacklevel=2)
    sdk = ruleset.model.sdk
    if sdk.collect is not None or sdk.failed_request_status_codes != "from_filters":
        warnings.warn("the ruleset's sdk.collect and sdk.failed_request_status_codes are read by sentry-sdk "
                      "before integrations are set up: install the ruleset with sentry_options() for them",
                      RulesetOptionWarning, stacklevel=2)


def late_settings(sdk: models.Sdk, ruleset: Any) -> dict[str, Any]:
    """The settings sentry-sdk reads per event or per trace, so they can still change once the
    client is set up."""
    found: dict[str, Any] = {}
    if sdk.sample_rate is not None:
        found["sample_rate"] = sdk.sample_rate
    if sdk.traces is not None:
        found["traces_sampler"] = TracesSampler(sdk.traces, ruleset)
    if sdk.ignore_errors:
        found["ignore_errors"] = list(sdk.ignore_errors)
    return found


#: The ruleset's settings an option of the caller's replaces: sentry-sdk prefers a
#: ``traces_sampler`` to ``traces_sample_rate``, so a rate the caller gives must remove the
#: ruleset's sampler for the caller's choice to win.
OVERRIDES: dict[str, tuple[str, ...]] = {"traces_sample_rate": ("traces_sampler",)}
#: The inverse: which of the caller's options replace one of the ruleset's settings.
OVERRIDDEN_BY: dict[str, tuple[str, ...]] = {"traces_sampler": ("traces_sampler", "traces_sample_rate")}


def settings(ruleset: Any, user: dict[str, Any]) -> dict[str, Any]:
    """The ``sdk`` section as sentry-sdk options (hooks aside)."""
    sdk: models.Sdk = ruleset.model.sdk
    found = late_settings(sdk, ruleset)
    codes = failed_request_status_codes(ruleset)
    if codes != SDK_DEFAULT_CODES:
        integrations = web_integrations(codes)
        if integrations:
            found["integrations"] = integrations
    if sdk.collect is not None:
        found.update(collection_options(sdk.collect, user))
    return found


# ---------------------------------------------------------------------- traces_sampler


class TracesSampler:
    """A ``traces_sampler`` from ``sdk.traces``: the first matching rule gives the rate.

    The rules read what is known when a trace starts, from sentry-sdk's sampling context: the
    transaction name and op, the request's method and path (from the ASGI scope or the WSGI
    environ) and the client's environment and release. A rule whose rate is 0 wins over
    everything (a health check is never recorded, even inside a sampled trace); otherwise an
    incoming trace's decision (``parent_sampled``) is followed when ``honour_parent`` is on, as
    sentry-sdk does with ``traces_sample_rate``; otherwise the rule's rate, or the default.
    Never raises: a failing rule is skipped (sentry-sdk would drop the trace on an exception)."""

    def __init__(self, traces: models.Traces, ruleset: Any = None):
        self.default = traces.sample_rate
        self.honour_parent = traces.honour_parent
        self.rules = [(rule.id, compile_condition_pair(rule, "sdk.traces.rules", i)[0], rule.sample_rate)
                      for i, rule in enumerate(traces.rules)]
        self._ruleset = ruleset

    def __call__(self, sampling_context: dict) -> float:
        try:
            view = EventView(sampling_event(sampling_context), None, "transaction")
        except Exception:
            return self.default
        rate = self._first_match(view)
        if rate == 0.0:
            return 0.0
        parent = sampling_context.get("parent_sampled") if isinstance(sampling_context, dict) else None
        if self.honour_parent and parent is not None:
            return 1.0 if parent else 0.0
        return self.default if rate is None else rate

    def rate_for(self, sampling_context: dict) -> float:
        """The rate this sampler returns (for tests and ``explain``)."""
        return self(sampling_context)

    def _first_match(self, view: EventView) -> float | None:
        for rule_id, condition, rate in self.rules:
            try:
                if condition.matches(view):
                    return rate
            except Exception:
                if self._ruleset is not None:
                    self._ruleset._stats.add("internal_errors", rule_id)
        return None


def sampling_event(sampling_context: dict) -> dict:
    """An event-shaped mapping of what a sampling context tells about the trace starting."""
    context = sampling_context.get("transaction_context") or {}
    method, path = _request_of(sampling_context, context.get("data") or {})
    client_options = _client_options()
    return {
        "type": "transaction",
        "transaction": context.get("name"),
        "environment": client_options.get("environment"),
        "release": client_options.get("release"),
        "request": {"method": method, "url": path},
        "contexts": {"trace": {"op": context.get("op")}},
    }


def _request_of(sampling_context: dict, attributes: dict) -> tuple[Any, Any]:
    scope = sampling_context.get("asgi_scope")
    if isinstance(scope, dict):
        return scope.get("method"), scope.get("path")
    environ = sampling_context.get("wsgi_environ")
    if isinstance(environ, dict):
        return environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
    return attributes.get("http.request.method"), attributes.get("url.path")


def _client_options() -> dict:
    import sentry_sdk

    options = getattr(sentry_sdk.get_client(), "options", None)
    return options if isinstance(options, dict) else {}


# ---------------------------------------------------------------------- status codes


def failed_request_status_codes(ruleset: Any) -> frozenset[int]:
    listed = ruleset.model.sdk.failed_request_status_codes
    if listed == "from_filters":
        return codes_from_filters(ruleset)
    return models.status_codes(listed)


#: The fields a filter may test for its status-code decision to be known from the code alone.
_STATUS_FIELDS = frozenset({"exc.status_code", "exc.status"})


def codes_from_filters(ruleset: Any) -> frozenset[int]:
    """The codes the ruleset's status-code filters ask for.

    A ruleset with no filter on ``exc.status_code`` says nothing about status codes: sentry-sdk's
    own choice (5xx) stands. Otherwise every 4xx and 5xx code is reported except those a filter
    drops *whatever else the event holds*: only filters on errors that drop (not sample) and
    whose ``when`` and ``unless`` test nothing but the status code count, so
    ``{exc.status_code: {gte: 400, lt: 500}}`` unless ``[401, 403]`` leaves 401, 403 and the 5xx
    codes. A filter that also tests the type, the route or anything else decides in
    ``before_send``, so its codes are reported and it sees them there. Reporting a code a filter
    then drops costs an event built for nothing; not reporting one a filter would keep loses it,
    so the derivation only leaves out what is certainly dropped."""
    error_filters = [rule for rule in ruleset.model.filters if "error" in rule.on]
    if not any(_condition_fields(rule) & _STATUS_FIELDS for rule in error_filters):
        return SDK_DEFAULT_CODES
    certain = [rule for rule in error_filters if rule.drop and _tests_only_status(rule)]
    compiled = [compile_condition_pair(rule, "filters", i)[0] for i, rule in enumerate(certain)]
    return frozenset(code for code in ERROR_CODES
                     if not any(c.matches(_status_view(code)) for c in compiled))


def _condition_fields(rule: Any) -> set[str]:
    """The fields a rule's ``when`` and ``unless`` test (a ``jmespath`` test adds ``"jmespath"``)."""
    fields: set[str] = set()
    for key in ("when", "unless"):
        raw = getattr(rule, key)
        node = parse_condition(raw, (key,)) if raw is not None else None
        if node is not None and not _collect_fields(node, fields):
            fields.add("jmespath")
    return fields


def _tests_only_status(rule: Any) -> bool:
    fields = _condition_fields(rule)
    return bool(fields) and fields <= _STATUS_FIELDS


def _collect_fields(node: Any, into: set[str]) -> bool:
    """Add the fields a condition tree tests; ``False`` when it holds a test of no field (jmespath)."""
    if isinstance(node, FieldTest):
        into.add(node.field)
        return True
    if isinstance(node, (And, Or)):
        return all(_collect_fields(child, into) for child in node.children)
    if isinstance(node, Not):
        return _collect_fields(node.child, into)
    return False


class _StatusError(Exception):
    """Stands for an HTTP error whose only known property is its status code."""

    def __init__(self, code: int):
        super().__init__(code)
        self.status_code = self.status = code


def _status_view(code: int) -> EventView:
    error = _StatusError(code)
    event = {"exception": {"values": [{"type": "HTTPException", "value": str(code)}]}}
    return EventView(event, {"exc_info": (type(error), error, None)}, "error")


def web_integrations(codes: frozenset[int]) -> list[Any]:
    """An instance of each web integration whose framework the application has imported, set
    to report ``codes``. (Frameworks merely installed are left alone: setting an integration up
    patches its framework, which an application that does not use it should not pay for.)"""
    found = []
    for module_name, class_name, framework in WEB_INTEGRATIONS:
        if framework not in sys.modules:
            continue
        try:
            integration = getattr(importlib.import_module(module_name), class_name)
            found.append(integration(failed_request_status_codes=set(codes)))
        except Exception:  # the framework is installed but the integration cannot run with it
            continue
    return found


def merge_integrations(ours: list[Any], theirs: Iterable[Any] | None) -> list[Any]:
    """The caller's integrations, plus ours for the frameworks the caller did not configure.
    A caller's web integration that reports other codes than the ruleset is kept, with a warning."""
    theirs = list(theirs or ())
    configured = {integration.identifier: integration for integration in theirs}
    merged = list(theirs)
    for integration in ours:
        own = configured.get(integration.identifier)
        if own is None:
            merged.append(integration)
        elif set(_codes_of(own)) != set(_codes_of(integration)):
            warnings.warn(
                f"the {type(own).__name__} passed to sentry_options() reports other HTTP status codes "
                "than the ruleset's sdk.failed_request_status_codes; the one passed is used",
                RulesetOptionWarning, stacklevel=4)
    return merged


def _codes_of(integration: Any) -> Iterable[int]:
    codes = getattr(integration, "failed_request_status_codes", None)
    codes = getattr(integration, "_failed_request_status_codes", codes)
    return [code for code in ERROR_CODES if code in codes] if codes is not None else []


# ---------------------------------------------------------------------- collection


def collection_options(collect: models.Collect, user: dict[str, Any]) -> dict[str, Any]:
    """``collect`` as ``data_collection`` or, for a sentry-sdk without it, the older options."""
    if "data_collection" in sdk_option_names():
        if "send_default_pii" in user:
            warnings.warn("'send_default_pii' passed to sentry_options() replaces the ruleset's "
                          "sdk.collect (sentry-sdk reads one or the other)", RulesetOptionWarning, stacklevel=4)
            return {}
        data_collection = collect.model_dump(exclude_none=True)
        if "http_headers" in data_collection:  # sentry-sdk nests the incoming request's headers
            data_collection["http_headers"] = {"request": data_collection["http_headers"]}
        return {"data_collection": data_collection}
    legacy: dict[str, Any] = {}
    if collect.user_info is not None:
        legacy["send_default_pii"] = collect.user_info
    if collect.stack_frame_variables is not None:
        legacy["include_local_variables"] = collect.stack_frame_variables
    if collect.frame_context_lines is not None:
        legacy["include_source_context"] = collect.frame_context_lines > 0
    if collect.http_bodies == []:
        legacy["max_request_body_size"] = "never"
    return legacy
