"""rules-engine: versioned YAML rulesets compiled into a fast, fail-safe ``before_send`` for sentry-sdk.

::

    import sentry_sdk
    from rules_engine import load_ruleset

    ruleset = load_ruleset("rulesets/shop.yaml")
    sentry_sdk.init(dsn=..., **ruleset.sentry_options())
"""

from .errors import Problem, RulesetError
from .runtime.integration import RulesEngineIntegration
from .runtime.reloading import load_ruleset
from .runtime.ruleset import Ruleset

__all__ = ["Problem", "Ruleset", "RulesEngineIntegration", "RulesetError", "load_ruleset"]
__version__ = "0.1.0"
