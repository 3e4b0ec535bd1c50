"""Compiled rulesets as sentry-sdk hooks: ``before_send``, ``before_send_transaction``, ``before_breadcrumb``.

Every event goes through three phases, each compiled once at load:

1. **filters** (``rules_engine.rules.filters``): the first matching filter drops or samples the event;
2. **grouping** (``rules_engine.rules.grouping``): the first matching rule (and any ``continue`` rules
   before it) sets fingerprint, title, tags, level and contexts;
3. **scrub** (``rules_engine.scrub``): removes secrets and PII from everything, including what
   grouping produced.

Then the tag ``ruleset=<name>@<revision>`` is set (unless ``options.revision_tag`` is false).

The hooks never raise. A filter or grouping rule that fails on an event is skipped and
counted in :meth:`Ruleset.stats`; a failing scrub step never lets the unscrubbed event out:
``options.on_error: drop`` drops it, ``send_filtered`` sends it with every string and number
leaf replaced by ``[Filtered]`` (and drops it if even that fails). An event the transport
could not encode (NaN, bytes, cycles, objects a user hook added) fails closed the same way,
and anything that is not a mapping is dropped. Check-ins and event types this engine does not
know pass through ``before_send`` untouched.
"""

from __future__ import annotations

import copy
import logging
import random
from typing import Any, Callable, Optional, Sequence

from ..conditions.event_view import EventView
from ..errors import Problem, RulesetError, UnsendableValue
from ..model import models
from ..rules.compile import CompiledRules, RuleCompileError, compile_rules
from ..rules.filters import DROP, KEEP
from ..rules.grouping import apply_changes, tags_dict
from ..scrub import compile_scrubber

logger = logging.getLogger("rules_engine")

try:  # Our own log records must never become Sentry events that come back through our hooks.
    from sentry_sdk.integrations.logging import ignore_logger

    ignore_logger("rules_engine")
except ImportError:  # pragma: no cover - sentry-sdk is a dependency
    pass

Hook = Callable[[dict, dict], Optional[dict]]
_ERROR_TYPES = frozenset({"error", "default"})
from .explain import Explanation, RuleTrace
from .failclosed import filtered_copy
from .stats import Stats, Tally, count


def _kind_of(event: Any) -> str | None:
    """``transaction``, ``error``, or ``None`` for a type of event that passes through untouched
    (check-ins, feedback...). A missing or corrupt (non-string) type is handled as an error."""
    event_type = event.get("type") if isinstance(event, dict) else None
    if event_type == "transaction":
        return "transaction"
    if isinstance(event_type, str) and event_type not in _ERROR_TYPES:
        return None
    return "error"


class Ruleset:
    """A compiled ruleset. Build it with :meth:`from_model` / :meth:`from_loaded` or :func:`load_ruleset`."""

    def __init__(
        self,
        model: models.RulesetSpec,
        *,
        hash_key: bytes | None = None,
        origins: dict[str, str] | None = None,
        path: str | None = None,
    ):
        self.model = model
        self.name = model.name
        self.revision = model.revision
        self.origins = dict(origins or {})
        self.path = path
        self.options = model.options
        try:
            self._rules: CompiledRules = compile_rules(model)
        except RuleCompileError as exc:
            raise RulesetError([_problem_at(self.origins.get(exc.rule_id), path, str(exc))]) from None
        self._scrubber = compile_scrubber(model.scrub, model.options, hash_key)
        self._tag_value = f"{model.name}@{model.revision}" if model.options.revision_tag else None
        self._explain_context = model.options.explain_context
        self._stats = Stats()
        #: Source of the per-event sampling draws (a ``random.random``-like callable).
        self.draw: Callable[[], float] = random.random

    @classmethod
    def from_model(cls, model: models.RulesetSpec, hash_key: bytes | None = None,
                   origins: dict[str, str] | None = None) -> "Ruleset":
        return cls(model, hash_key=hash_key, origins=origins)

    @classmethod
    def from_loaded(cls, loaded: Any) -> "Ruleset":
        """Compile a ``rules_engine.load.loader.LoadedRuleset``."""
        return cls(loaded.model, hash_key=loaded.hash_key, origins=loaded.origins, path=loaded.path)

    def __repr__(self) -> str:
        return f"<Ruleset {self.name}@{self.revision}>"

    # ------------------------------------------------------------------ hooks

    def before_send(self, event: dict, hint: dict | None = None) -> dict | None:
        """sentry-sdk ``before_send``: errors and messages. Check-ins and unknown types pass untouched."""
        kind = _kind_of(event)
        return event if kind is None else self._run(event, hint, kind)

    def before_send_transaction(self, event: dict, hint: dict | None = None) -> dict | None:
        """sentry-sdk ``before_send_transaction``."""
        return self._run(event, hint, "transaction")

    def before_breadcrumb(self, crumb: dict, hint: dict | None = None) -> dict | None:
        """sentry-sdk ``before_breadcrumb``: ``on: [breadcrumb]`` filters, then scrubbing."""
        return self._run(crumb, hint, "breadcrumb")

    def process(self, event: dict, hint: dict | None = None, kind: str | None = None) -> dict | None:
        """Run the ruleset on one event (in place); ``None`` when it is dropped. Never raises."""
        if kind is None:
            kind = _kind_of(event)
            if kind is None:
                return event
        return self._run(event, hint, kind)

    def sentry_options(
        self,
        before_send: Hook | None = None,
        before_send_transaction: Hook | None = None,
        before_breadcrumb: Hook | None = None,
    ) -> dict[str, Hook]:
        """Options for ``sentry_sdk.init(**ruleset.sentry_options())``.

        Hooks of your own run **first** and the ruleset **last**: your hook sees the event as
        the SDK built it, and whatever it returns is then filtered, grouped and scrubbed, so
        nothing your hook adds can bypass the scrub rules. If your hook returns ``None`` the
        event is dropped without reaching the ruleset; if it raises, the event is dropped (as
        sentry-sdk itself does), logged on the ``rules_engine`` logger and counted in
        ``stats()["internal_errors"]["user_hook"]``.
        """
        return {
            "before_send": self._compose(before_send, self.before_send),
            "before_send_transaction": self._compose(before_send_transaction, self.before_send_transaction),
            "before_breadcrumb": self._compose(before_breadcrumb, self.before_breadcrumb),
        }

    def _compose(self, user_hook: Hook | None, ruleset_hook: Hook) -> Hook:
        if user_hook is None:
            return ruleset_hook
        stats = self._stats

        def composed(event: dict, hint: dict | None = None) -> dict | None:
            try:
                event = user_hook(event, hint if hint is not None else {})
            except Exception:
                stats.add("internal_errors", "user_hook")
                logger.warning("a user hook raised; the event is dropped", exc_info=True)
                return None
            if event is None:
                return None
            return ruleset_hook(event, hint)

        composed.__name__ = getattr(user_hook, "__name__", "hook") + "_then_ruleset"
        return composed

    def stats(self) -> dict:
        """Counters since this ruleset was built: events seen per kind, drops, samples and
        matches per rule, redactions per scrub rule/detector and internal errors per rule."""
        return self._stats.snapshot()

    # ------------------------------------------------------------------ the pipeline

    def _run(self, event: Any, hint: dict | None, kind: str) -> dict | None:
        if not isinstance(event, dict):  # nothing sentry-sdk could send; never pass it on
            self._stats.add("internal_errors", "invalid_event")
            return None
        try:
            return self._process(event, hint, kind)
        except Exception:  # a failure outside any single rule: the event may be unscrubbed
            self._stats.add("internal_errors", "runtime")
            logger.warning("rules_engine failed on an event; the event is dropped", exc_info=True)
            return None

    def _process(self, event: dict, hint: dict | None, kind: str) -> dict | None:
        tally = self._stats.tally()
        count(tally.events, kind)
        view = EventView(event, hint, kind)
        matched: list[str] = []
        rule, outcome = self._filter(view, kind, tally)
        if rule is not None:
            matched.append(rule.id)
            if outcome == DROP:
                count(tally.dropped, rule.id)
                return None
            if outcome != KEEP:
                count(tally.sampled_out, rule.id)
                return None
        if kind != "breadcrumb":
            matched.extend(self._group(view, kind, event, tally))
        if not self._scrub(event, kind, tally):
            return self._on_scrub_failure(event, kind)
        if kind != "breadcrumb":
            self._stamp(event, matched)
        return event

    def _filter(self, view: EventView, kind: str, tally: Tally | None = None):
        tally = tally or self._stats.tally()
        for rule in _candidates(self._rules.filters[kind], view):
            try:
                if not rule.condition.matches(view):
                    continue
                outcome = rule.decide(self.draw)
            except Exception:
                count(tally.internal_errors, rule.id)
                continue
            count(tally.matched, rule.id)
            return rule, outcome
        return None, KEEP

    def _group(self, view: EventView, kind: str, event: dict, tally: Tally | None = None) -> list[str]:
        tally = tally or self._stats.tally()
        chosen = []
        for rule in _candidates(self._rules.grouping[kind], view):
            try:
                if not rule.condition.matches(view):
                    continue
                changes = rule.render(view)
            except Exception:
                count(tally.internal_errors, rule.id)
                continue
            chosen.append(changes)
            if not rule.continue_:
                break
        if not chosen:
            return chosen
        applied = []
        for changes in chosen:
            try:
                apply_changes(event, changes, describe=False)
            except Exception:
                count(tally.internal_errors, changes.rule_id)
                continue
            count(tally.matched, changes.rule_id)
            applied.append(changes.rule_id)
        return applied

    def _scrub(self, event: dict, kind: str, tally: Tally) -> bool:
        """Scrub in place; ``False`` when scrubbing failed (the event must not go out as is).

        The scrubber also checks, in the same walk, that the transport can encode the event.
        sentry-sdk's own events always can; a value a user hook (or a direct caller) put in —
        NaN, bytes, a cycle, an object — would make the transport lose the event silently, so
        such an event fails closed instead (``UnsendableValue``)."""
        try:
            if kind == "breadcrumb":
                counts = self._scrubber.scrub_breadcrumb(event)
            else:
                counts = self._scrubber.scrub_event(event)
        except UnsendableValue:
            count(tally.internal_errors, "unsendable")
            return False
        except Exception:
            count(tally.internal_errors, "scrub")
            logger.warning("scrubbing failed; applying on_error=%s", self.options.on_error, exc_info=True)
            return False
        if counts:
            redactions = tally.redactions
            for key, amount in counts.items():
                redactions[key] = redactions.get(key, 0) + amount
        return True

    def _on_scrub_failure(self, event: dict, kind: str) -> dict | None:
        if self.options.on_error != "send_filtered":
            self._stats.add("dropped", "scrub")
            return None
        try:
            filtered = filtered_copy(event)
            if kind != "breadcrumb":
                self._stamp(filtered, [])
            return filtered
        except Exception:
            self._stats.add("dropped", "scrub")
            return None

    def _stamp(self, event: dict, matched: list[str]) -> None:
        if self._tag_value is not None:
            tags = event.get("tags")
            if not isinstance(tags, dict):
                tags = tags_dict(event)
            tags["ruleset"] = self._tag_value
        if self._explain_context:
            contexts = event.setdefault("contexts", {})
            contexts["rules_engine"] = {"ruleset": f"{self.name}@{self.revision}", "matched": list(matched)}

    # ------------------------------------------------------------------ explain

    def explain(self, event: dict, hint: dict | None = None, kind: str | None = None) -> Explanation:
        """Trace one event through the ruleset: every rule, whether it matched and why not (the
        first failing test), what it changed, and the event before and after. Works on a copy;
        sampling draws from :attr:`draw` like the hooks do."""
        before = copy.deepcopy(event)
        work = copy.deepcopy(event)
        if kind is None:
            kind = _kind_of(work)
            if kind is None:
                return Explanation([], None, False, before, work, {})  # passed through untouched
        trace: list[RuleTrace] = []
        view = EventView(work, hint, kind)
        dropped_by, sampled_out = self._explain_filters(view, kind, trace)
        if dropped_by is not None or sampled_out:
            why = f"not evaluated: the event was {'dropped' if dropped_by else 'sampled out'} by a filter"
            trace.extend(RuleTrace("grouping", rule.id, False, why) for rule in self._rules.grouping[kind].rules)
            trace.extend(RuleTrace("scrub", rule_id, False, why) for rule_id in getattr(self._scrubber, "rule_ids", ()))
            return Explanation(trace, dropped_by, sampled_out, before, None, {})
        if kind != "breadcrumb":
            self._explain_grouping(view, kind, work, trace)
        redactions: dict[str, int] = {}
        try:
            redactions = (self._scrubber.scrub_breadcrumb(work) if kind == "breadcrumb"
                          else self._scrubber.scrub_event(work)) or {}
        except Exception as exc:
            reason = f"scrubbing failed or the event cannot be sent ({exc!r}); on_error={self.options.on_error}"
            trace.append(RuleTrace("scrub", "scrub", True, reason))
            after = None
            if self.options.on_error == "send_filtered":
                try:
                    after = filtered_copy(work)
                except RecursionError:
                    after = None
            return Explanation(trace, None if after is not None else "scrub", False, before, after, {})
        for rule_id in getattr(self._scrubber, "rule_ids", ()):
            total = redactions.get(rule_id, 0)
            details = [f"{k.split('/', 1)[1]}: {v}" for k, v in sorted(redactions.items())
                       if k.startswith(rule_id + "/")]
            trace.append(RuleTrace("scrub", rule_id, total > 0,
                                   f"{total} redaction(s)" if total else "nothing to redact", details))
        if kind != "breadcrumb":
            self._stamp(work, [t.rule_id for t in trace if t.matched and t.phase != "scrub"])
        return Explanation(trace, None, False, before, work, dict(redactions))

    def _explain_filters(self, view: EventView, kind: str, trace: list[RuleTrace]) -> tuple[str | None, bool]:
        decided: str | None = None
        for rule in self._rules.filters[kind].rules:
            if decided is not None:
                trace.append(RuleTrace("filter", rule.id, False, f"not evaluated: filter {decided!r} decided"))
                continue
            try:
                why_not = rule.condition.why_not(view)
            except Exception as exc:
                trace.append(RuleTrace("filter", rule.id, False, f"skipped: the rule failed ({exc!r})"))
                continue
            if why_not is not None:
                trace.append(RuleTrace("filter", rule.id, False, why_not))
                continue
            outcome = rule.decide(self.draw)
            trace.append(RuleTrace("filter", rule.id, True, rule.describe(outcome)))
            decided = rule.id
            if outcome == DROP:
                return rule.id, False
            if outcome != KEEP:
                return None, True
        return None, False

    def _explain_grouping(self, view: EventView, kind: str, event: dict, trace: list[RuleTrace]) -> None:
        chosen = []
        winner: str | None = None
        for rule in self._rules.grouping[kind].rules:
            if winner is not None:
                trace.append(RuleTrace("grouping", rule.id, False, f"not evaluated: rule {winner!r} won"))
                continue
            try:
                why_not = rule.condition.why_not(view)
                changes = rule.render(view) if why_not is None else None
            except Exception as exc:
                trace.append(RuleTrace("grouping", rule.id, False, f"skipped: the rule failed ({exc!r})"))
                continue
            if changes is None:
                trace.append(RuleTrace("grouping", rule.id, False, why_not or ""))
                continue
            entry = RuleTrace("grouping", rule.id, True, "matched" + (" (continue)" if rule.continue_ else ""))
            trace.append(entry)
            chosen.append((entry, changes))
            if not rule.continue_:
                winner = rule.id
        for entry, changes in chosen:
            entry.changes = apply_changes(event, changes)


def _candidates(index: Any, view: EventView) -> Sequence[Any]:
    """The rules of an index that could match the event (all of them when none is indexed)."""
    return index.candidates(view) if index.indexed else index.always


def _problem_at(origin: str | None, path: str | None, message: str) -> Problem:
    """A problem at the rule's origin ("file:line") when the loader recorded one."""
    if origin:
        file_part, _, line = str(origin).rpartition(":")
        if line.isdigit() and file_part:
            return Problem(file_part, int(line), 1, message)
    return Problem(path or "<model>", 1, 1, message)


