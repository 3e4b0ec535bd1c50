"""A sentry-sdk ``Integration`` that installs a ruleset, as an alternative to ``sentry_options()``::

    sentry_sdk.init(dsn=..., integrations=[RulesEngineIntegration(load_ruleset("shop.yaml"))])

Where it runs matters. sentry-sdk builds an event in this order: scope data, event
processors, in-app marking, its own ``EventScrubber``, serialization (frame variables become
``repr()`` strings), and only then ``before_send``. A global event processor would see the
event *before* serialization — frame variables still live objects, request bodies not yet
trimmed — and it does not see breadcrumbs at all. Scrubbing there would miss what
serialization later turns into text, and filtering there would run for events the SDK
drops anyway.

So this integration does not register an event processor: when the client sets it up, it
wraps the client's ``before_send``, ``before_send_transaction``, ``before_breadcrumb``,
``before_send_log``, ``before_send_metric`` (and, with ``trace_lifecycle="stream"``,
``before_send_span``) options with the ruleset, exactly like :meth:`Ruleset.sentry_options`
(hooks given to ``sentry_sdk.init`` run first, the ruleset last).

The ``sdk`` section applies as far as it can once the client exists: ``sample_rate``,
``traces_sampler`` and ``ignore_errors`` where ``init`` left them at sentry-sdk's defaults
(an option given to ``init`` wins, with a warning when it contradicts the ruleset). What the
SDK has used before its integrations are set up — ``data_collection`` and the web
integrations' ``failed_request_status_codes`` — needs ``sentry_options()``.
"""

from __future__ import annotations

import itertools
from typing import Any

from sentry_sdk.integrations import Integration

from . import sdk_options

_instances = itertools.count(1)


class RulesEngineIntegration(Integration):
    """Runs a ruleset (``Ruleset`` or ``ReloadingRuleset``) at the ``before_send`` stage."""

    identifier = "rules_engine"

    def __init__(self, ruleset: Any):
        self.ruleset = ruleset
        # sentry-sdk sets up an integration identifier once per process; a distinct identifier
        # per instance lets a later sentry_sdk.init() with a new ruleset install it too.
        self.identifier = f"rules_engine.{next(_instances)}"

    @staticmethod
    def setup_once() -> None:
        return None

    def setup_once_with_options(self, options: dict[str, Any] | None = None) -> None:
        if options is None:
            return
        ruleset = self.ruleset
        current = getattr(ruleset, "current", ruleset)  # a ReloadingRuleset's compiled version
        names = [*sdk_options.EVENT_HOOKS, *sdk_options.CHANNEL_HOOKS]
        if sdk_options.span_streaming(options):
            names.append(sdk_options.SPAN_HOOK)
        experiments = options.get("_experiments") or {}
        for name in names:
            in_experiments = name not in options  # an older 2.x release reads the hook there
            target = experiments if in_experiments else options
            target[name] = current._compose(target.get(name), getattr(ruleset, name))
            if in_experiments:
                options["_experiments"] = experiments
        sdk_options.apply_settings(current, options)
