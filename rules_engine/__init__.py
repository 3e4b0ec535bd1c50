"""rules-engine: versioned YAML rulesets compiled into a fast, fail-safe ``before_send`` for sentry-sdk.

::

    import sentry_sdk
    from rules_engine import load_ruleset

    ruleset = load_ruleset("rulesets/shop.yaml")
    sentry_sdk.init(**ruleset.sentry_options(dsn=...))
"""

from .errors import Problem, RulesEngineError, RulesetError
from .runtime.integration import RulesEngineIntegration
from .runtime.reloading import load_ruleset
from .runtime.ruleset import Ruleset
from .runtime.sdk_options import RulesetOptionWarning

__all__ = ["Problem", "Ruleset", "RulesEngineError", "RulesEngineIntegration", "RulesetError",
           "RulesetOptionWarning", "load_ruleset"]
__version__ = "0.1.0"
