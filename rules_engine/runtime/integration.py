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
wraps the client's ``before_send``, ``before_send_transaction`` and ``before_breadcrumb``
options with the ruleset, exactly like :meth:`Ruleset.sentry_options` (hooks given to
``sentry_sdk.init`` run first, the ruleset last). The result is the same pipeline as
``sentry_options()``; the integration is only a different way to install it, handy when
``init`` options are assembled elsewhere.
"""

from __future__ import annotations

import itertools
from typing import Any

from sentry_sdk.integrations import Integration

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
        hooks = self.ruleset.sentry_options(
            before_send=options.get("before_send"),
            before_send_transaction=options.get("before_send_transaction"),
            before_breadcrumb=options.get("before_breadcrumb"),
        )
        options.update(hooks)
