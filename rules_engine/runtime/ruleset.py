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
and anything that is not a mapping is dropped. Check-ins pass through ``before_send``
untouched; feedback and event types this engine does not know are scrubbed only.

Breadcrumbs are recorded far more often than events are sent, so ``before_breadcrumb`` runs the
``on: [breadcrumb]`` filters only; a breadcrumb is scrubbed once, inside the event that carries
it out of the process (:mod:`.breadcrumbs`).

Log records, metrics and streamed spans have hooks of their own (:mod:`.channels`), and
:meth:`Ruleset.sentry_options` adds the ruleset's ``sdk`` section (:mod:`.sdk_options`).
"""

from __future__ import annotations

import copy
import logging
import random
from typing import Any, Callable, Optional, Sequence

from .. import budget
from ..conditions.event_view import EventView
from ..errors import Origin, Problem, RulesetError, UnsendableValue
from ..model import models
from ..rules.compile import CompiledRules, RuleCompileError, compile_rules
from ..rules.filters import DROP, KEEP
from ..rules.grouping import apply_changes, cut_tag_values, tags_dict
from ..scrub import compile_scrubber
from . import attachments, breadcrumbs, channels, sdk_options

logger = logging.getLogger("rules_engine")

try:  # Our own log records must never become Sentry events that come back through our hooks.
    from sentry_sdk.integrations.logging import ignore_logger

    ignore_logger("rules_engine")
except ImportError:  # pragma: no cover - sentry-sdk is a dependency
    pass

Hook = Callable[[dict, dict], Optional[dict]]
HOOK_NAMES = (*sdk_options.EVENT_HOOKS, *sdk_options.CHANNEL_HOOKS, sdk_options.SPAN_HOOK)
_ERROR_TYPES = frozenset({"error", "default"})
BREADCRUMB = "breadcrumb"
from .explain import Explanation, Trace
from .failclosed import filtered_copy
from .stats import Stats, Tally, count

#: Event types that carry no user data and pass through untouched.
_UNTOUCHED_TYPES = frozenset({"check_in"})
#: The kind of the event types no filter or grouping rule is written for (feedback, and any type
#: a later sentry-sdk adds): they are scrubbed and nothing else.
SCRUB_ONLY = "scrub_only"


def kind_of(obj: Any) -> str | None:
    """The kind a stored JSON object is processed as: ``log``, ``metric`` or ``span`` for those
    items (in their hook's shape or on the wire), else as :func:`_kind_of` says for events."""
    return channels.kind_of_item(obj) or _kind_of(obj)


def _kind_of(event: Any) -> str | None:
    """``transaction``, ``error``, :data:`SCRUB_ONLY` for feedback and unknown types, or ``None``
    for a check-in, which passes through untouched. A missing or corrupt (non-string) type is
    handled as an error."""
    event_type = event.get("type") if isinstance(event, dict) else None
    if not isinstance(event_type, str) or event_type in _ERROR_TYPES:
        return "error"
    if event_type == "transaction":
        return "transaction"
    return None if event_type in _UNTOUCHED_TYPES else SCRUB_ONLY


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
        self._keeps_feedback_email = channels.keeps_feedback_email(model.scrub)
        self._filters_breadcrumbs = bool(self._rules.filters[BREADCRUMB].rules)
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
        """sentry-sdk ``before_send``: errors and messages. Feedback and event types this engine
        does not know are scrubbed only; check-ins pass untouched."""
        kind = _kind_of(event)
        return self._check_in(event) if kind is None else self._run(event, hint, kind)

    def before_send_log(self, log: dict, hint: dict | None = None) -> dict | None:
        """sentry-sdk ``before_send_log``: ``on: [log]`` filters, then scrubbing."""
        return channels.process_item(self, log, hint, channels.LOG)

    def before_send_metric(self, metric: dict, hint: dict | None = None) -> dict | None:
        """sentry-sdk ``before_send_metric``: ``on: [metric]`` filters, then scrubbing."""
        return channels.process_item(self, metric, hint, channels.METRIC)

    def before_send_span(self, span: dict, hint: dict | None = None) -> dict:
        """sentry-sdk ``before_send_span`` (streamed spans): scrubbing only, as a span cannot be dropped."""
        return channels.process_item(self, span, hint, channels.SPAN)  # type: ignore[return-value]

    def before_send_transaction(self, event: dict, hint: dict | None = None) -> dict | None:
        """sentry-sdk ``before_send_transaction``."""
        return self._run(event, hint, "transaction")

    def before_breadcrumb(self, crumb: dict, hint: dict | None = None) -> dict | None:
        """sentry-sdk ``before_breadcrumb``: the ``on: [breadcrumb]`` filters, nothing else.

        The breadcrumb is kept as it is: it is scrubbed when it leaves the process, inside the
        event that carries it (``before_send``), with the rest of that event. So this hook must be
        installed together with ``before_send`` and ``before_send_transaction``, as
        :meth:`sentry_options` and the integration do."""
        if not self._filters_breadcrumbs and type(crumb) is dict:  # the common case, kept short
            count(self._stats.tally().events, BREADCRUMB)
            return crumb
        return self._run(crumb, hint, BREADCRUMB)

    def process(self, event: dict, hint: dict | None = None, kind: str | None = None) -> dict | None:
        """Run the ruleset on one event, log record, metric or span (``kind``: ``log``, ``metric``,
        ``span``), in place; ``None`` when it is dropped. Never raises.

        A breadcrumb (``kind="breadcrumb"``) gets all the ruleset does to it: the filters of
        ``before_breadcrumb``, then the scrub it gets inside the event that carries it, so the
        result is the breadcrumb as it leaves the process (``_meta`` remarks at its root)."""
        if kind in channels.KINDS:
            return channels.process_item(self, event, hint, kind)
        if kind == BREADCRUMB:
            return self._run_breadcrumb(event, hint)
        if kind is None:
            kind = _kind_of(event)
            if kind is None:
                return self._check_in(event)
        return self._run(event, hint, kind)

    def sentry_options(self, **options: Any) -> dict[str, Any]:
        """Options for ``sentry_sdk.init(**ruleset.sentry_options(dsn=..., ...))``.

        The result holds every hook (``before_send``, ``before_send_transaction``,
        ``before_breadcrumb``, ``before_send_log``, ``before_send_metric``, and
        ``before_send_span`` when ``trace_lifecycle="stream"`` is passed), the ruleset's ``sdk``
        section as sentry-sdk options, and every option passed here. Options passed here win over
        the ``sdk`` section, with a :class:`~rules_engine.runtime.sdk_options.RulesetOptionWarning`
        when they contradict it.

        Hooks of your own run **first** and the ruleset **last**: your hook sees the event as
        the SDK built it, and whatever it returns is then filtered, grouped and scrubbed, so
        nothing your hook adds can bypass the scrub rules. If your hook returns ``None`` the
        event is dropped without reaching the ruleset; if it raises, the event is dropped (as
        sentry-sdk itself does), logged on the ``rules_engine`` logger and counted in
        ``stats()["internal_errors"]["user_hook"]``.
        """
        return sdk_options.build_options(self, self.hooks(), self._compose, options)

    def hooks(self) -> dict[str, Hook]:
        """The ruleset's hooks by sentry-sdk option name."""
        return {name: getattr(self, name) for name in HOOK_NAMES}

    def _compose(self, user_hook: Hook | None, ruleset_hook: Hook) -> Hook:
        return compose(user_hook, ruleset_hook, self.note_user_hook_failure)

    def note_user_hook_failure(self) -> None:
        """Count a user hook (composed by :meth:`sentry_options`) that raised."""
        self._stats.add("internal_errors", "user_hook")

    def stats(self) -> dict:
        """Counters since this ruleset was built: events seen per kind, drops, samples and
        matches per rule, redactions per scrub rule/detector and internal errors per rule.

        Redactions are counted in what was sent: a breadcrumb's are counted in each event that
        carries it (a breadcrumb is scrubbed there, not when it is recorded)."""
        return self._stats.snapshot()

    # ------------------------------------------------------------------ the pipeline

    def _run(self, event: Any, hint: dict | None, kind: str) -> dict | None:
        if type(event) is not dict:  # nothing sentry-sdk makes (a subclass may lie); never pass it on
            self._stats.add("internal_errors", "invalid_event")
            return None
        try:
            return self._process(event, hint, kind)
        except Exception:  # a failure outside any single rule: the event may be unscrubbed
            self._stats.add("internal_errors", "runtime")
            logger.warning("rules_engine failed on an event; the event is dropped", exc_info=True)
            return None

    def _process(self, event: dict, hint: dict | None, kind: str, trace: Trace | None = None) -> dict | None:
        """The pipeline, written once: the hooks run it with no trace, explain with one. Over the
        time budget (``limits.max_ms``), the event fails closed like a failed scrub."""
        if kind == SCRUB_ONLY:
            return self._scrub_only(event, hint, trace)
        tally = self._stats.tally() if trace is None else Tally()  # explain counts nothing
        count(tally.events, kind)
        token = budget.start(self.options.limits.max_ms)
        try:
            return self._steps(event, hint, kind, tally, trace)
        except budget.OverBudget:
            count(tally.internal_errors, "max_ms")
            return self._on_scrub_failure(event, kind, tally)
        finally:
            budget.end(token)

    def _steps(self, event: dict, hint: dict | None, kind: str, tally: Tally, trace: Trace | None) -> dict | None:
        view = EventView(event, hint, kind)
        matched: list[str] = []
        rule, outcome = self._filter(view, kind, tally, trace)
        if rule is not None:
            matched.append(rule.id)
            if outcome != KEEP:
                count(tally.dropped if outcome == DROP else tally.sampled_out, rule.id)
                if trace is not None:
                    trace.stopped_by_filter(rule.id, outcome == DROP, self._rule_ids_after_filters(kind))
                return None
        if kind == BREADCRUMB:
            return event  # scrubbed inside the event that carries it
        matched.extend(self._group(view, kind, event, tally, trace))
        budget.check()  # the scrub's own limits may not be the first to notice an overrun
        if not self._scrub_with_attachments(event, hint, kind, tally, trace):
            return self._on_scrub_failure(event, kind, tally)
        cut_tag_values(event)
        self._stamp(event, matched)
        return event

    def _filter(self, view: EventView, kind: str, tally: Tally, trace: Trace | None):
        index = self._rules.filters[kind]
        for rule in _candidates(index, view) if trace is None else index.rules:
            budget.check()
            try:
                if not _holds(rule, view, trace, "filter"):
                    continue
                outcome = rule.decide(self.draw)
            except budget.OverBudget:  # the event's failure, not the rule's
                raise
            except Exception as exc:
                count(tally.internal_errors, rule.id)
                if trace is not None:
                    trace.failed("filter", rule.id, exc)
                continue
            count(tally.matched, rule.id)
            if trace is not None:
                trace.add("filter", rule.id, True, rule.describe(outcome))
                if outcome == KEEP:  # a drop or a sample stops the event here (stopped_by_filter)
                    trace.not_evaluated_after("filter", [r.id for r in index.rules], rule.id,
                                              f"not evaluated: filter {rule.id!r} decided")
            return rule, outcome
        return None, KEEP

    def _group(self, view: EventView, kind: str, event: dict, tally: Tally, trace: Trace | None) -> list[str]:
        index = self._rules.grouping[kind]
        chosen = []
        for rule in _candidates(index, view) if trace is None else index.rules:
            budget.check()
            try:
                if not _holds(rule, view, trace, "grouping"):
                    continue
                changes = rule.render(view)
            except budget.OverBudget:
                raise
            except Exception as exc:
                count(tally.internal_errors, rule.id)
                if trace is not None:
                    trace.failed("grouping", rule.id, exc)
                continue
            chosen.append(changes)
            if trace is not None:
                trace.add("grouping", rule.id, True, "matched" + (" (continue)" if rule.continue_ else ""))
            if not rule.continue_:
                if trace is not None:
                    trace.not_evaluated_after("grouping", [r.id for r in index.rules], rule.id,
                                              f"not evaluated: rule {rule.id!r} won")
                break
        applied = []
        for changes in chosen:
            try:
                done = apply_changes(event, changes, describe=trace is not None)
            except Exception as exc:
                count(tally.internal_errors, changes.rule_id)
                if trace is not None:
                    trace.entry("grouping", changes.rule_id).reason = f"skipped: applying failed ({exc!r})"
                continue
            count(tally.matched, changes.rule_id)
            applied.append(changes.rule_id)
            if trace is not None:
                trace.entry("grouping", changes.rule_id).changes = done
        return applied

    def _scrub_with_attachments(self, event: dict, hint: dict | None, kind: str, tally: Tally,
                                trace: Trace | None) -> bool:
        """:meth:`_scrub`, with the texts of the hint's attachments lent to the event (see
        :mod:`.attachments`); a failed scrub drops them all."""
        dropped = tally.attachments_dropped
        lent = attachments.lend(event, hint, self.options.attachments,
                                self.options.limits.max_attachment_bytes, dropped)
        scrubbed = False
        try:
            scrubbed = self._scrub(event, kind, tally, trace, hint=hint)
        finally:
            attachments.give_back(event, hint, lent, scrubbed, dropped)
        return scrubbed

    def _scrub_only(self, event: dict, hint: dict | None, trace: Trace | None) -> dict | None:
        """Feedback, and event types a later sentry-sdk may add: no filter or grouping rule is
        written for them, but what they carry is scrubbed like everything else. The contact
        address a user typed into a feedback form is kept unless a scrub rule names it."""
        tally = self._stats.tally() if trace is None else Tally()
        count(tally.events, str(event.get("type")))
        email = channels.take_feedback_email(event) if self._keeps_feedback_email else None
        if not self._scrub_with_attachments(event, hint, "error", tally, trace):
            return self._on_scrub_failure(event, "error", tally)
        if email is not None:
            channels.restore_feedback_email(event, email)
        self._stamp(event, [])
        return event

    def _run_breadcrumb(self, crumb: Any, hint: dict | None, trace: Trace | None = None) -> dict | None:
        """A breadcrumb as it leaves the process: the filters of ``before_breadcrumb``, then the
        scrub of the event that carries it (``process`` and ``explain``; the hooks split the two)."""
        kept = self._run(crumb, hint, BREADCRUMB) if trace is None else self._process(crumb, hint, BREADCRUMB, trace)
        if kept is None:
            return None
        try:
            event = breadcrumbs.carrying_event(kept)
        except Exception:  # sentry-sdk's serializer failed on it: so would the event carrying it
            self._stats.add("internal_errors", "runtime")
            return None
        tally = self._stats.tally() if trace is None else Tally()
        token = budget.start(self.options.limits.max_ms)
        try:
            if not self._scrub(event, BREADCRUMB, tally, trace, breadcrumbs.WHERE_SCRUBBED):
                event = self._on_scrub_failure(event, BREADCRUMB, tally)
        finally:
            budget.end(token)
        return None if event is None else breadcrumbs.carried_crumb(event, into=kept)

    def _check_in(self, event: dict, trace: Trace | None = None) -> dict:
        """A check-in passes untouched. sentry-sdk attaches no breadcrumbs to one, but the app's
        own ``before_send`` (which runs first) may: those leave with it, so they are scrubbed (and
        removed when that fails; the check-in itself must still reach its monitor)."""
        if "breadcrumbs" not in event:
            return event
        try:
            carrier = {"breadcrumbs": event["breadcrumbs"]}
            tally = self._stats.tally() if trace is None else Tally()  # explain counts nothing
            if self._scrub(carrier, BREADCRUMB, tally, trace):
                breadcrumbs.put_back(carrier, event)
                return event
        except Exception:
            self._stats.add("internal_errors", "runtime")
        del event["breadcrumbs"]
        return event

    def _scrub(self, event: dict, kind: str, tally: Tally, trace: Trace | None, where: str = "",
               hint: dict | None = None) -> bool:
        """Scrub in place; ``False`` when scrubbing failed (the event must not go out as is).
        ``where`` tells a trace where this scrub runs when it is not in the item's own hook;
        ``hint`` is sentry-sdk's (its live exception names namedtuple fields).

        The scrubber also checks, in the same walk, that the transport can encode the event.
        sentry-sdk's own events always can; a value a user hook (or a direct caller) put in —
        NaN, bytes, a cycle, an object — would make the transport lose the event silently, so
        such an event fails closed instead (``UnsendableValue``)."""
        try:
            counts = self._scrubber.scrub_event(event, hint)
        except Exception as exc:
            count(tally.internal_errors, _scrub_failure_name(exc))
            if trace is not None:
                trace.scrub_failed(exc, self.options.on_error, where)
            elif not isinstance(exc, UnsendableValue):
                logger.warning("scrubbing failed; applying on_error=%s", self.options.on_error, exc_info=True)
            return False
        if counts:
            redactions = tally.redactions
            for key, amount in counts.items():
                redactions[key] = redactions.get(key, 0) + amount
        if trace is not None:
            trace.scrubbed(self._scrubber.rule_ids, counts or {}, where)
        return True

    def _on_scrub_failure(self, event: dict, kind: str, tally: Tally) -> dict | None:
        if self.options.on_error != "send_filtered":
            count(tally.dropped, "scrub")
            return None
        try:
            filtered = filtered_copy(event)
            if kind != BREADCRUMB:
                self._stamp(filtered, [])
            return filtered
        except Exception:
            count(tally.dropped, "scrub")
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

    def _rule_ids_after_filters(self, kind: str) -> dict[str, list[str]]:
        return {"grouping": [rule.id for rule in self._rules.grouping[kind].rules],
                "scrub": list(self._scrubber.rule_ids)}

    # ------------------------------------------------------------------ explain

    def explain(self, event: dict, hint: dict | None = None, kind: str | None = None) -> Explanation:
        """Trace one event (or log record, metric, span: ``kind``) through the ruleset: every
        rule, whether it matched and why not (the first failing test), what it changed, and the
        event before and after. Runs the hooks' own pipeline on a copy; sampling draws from
        :attr:`draw` like the hooks do. Items stored as sentry-sdk sends them (typed attributes)
        are explained in the shape their hook receives and shown back in their own."""
        before = copy.deepcopy(event)
        work = copy.deepcopy(event)
        if kind is None:
            kind = _kind_of(work)
        trace = Trace()
        if kind is None:  # a check-in: untouched but for breadcrumbs an app put on it
            return trace.explanation(before, self._check_in(work, trace))
        if kind == BREADCRUMB:
            return trace.explanation(before, self._run_breadcrumb(work, hint, trace))
        if kind not in channels.KINDS:
            return trace.explanation(before, self._process(work, hint, kind, trace))
        if not channels.on_the_wire(work):
            return trace.explanation(before, channels.run(self, work, hint, kind, trace))
        after = channels.run(self, channels.from_the_wire(work), hint, kind, trace)
        return trace.explanation(before, channels.to_the_wire(after) if after is not None else None)


def _holds(rule: Any, view: EventView, trace: Trace | None, phase: str) -> bool:
    """Whether a rule's condition holds; with a trace, a rule that does not is recorded with why."""
    if trace is None:
        return rule.condition.matches(view)
    why_not = rule.condition.why_not(view)
    if why_not is not None:
        trace.add(phase, rule.id, False, why_not)
    return why_not is None


def _scrub_failure_name(exc: Exception) -> str:
    """The ``internal_errors`` counter of a failed scrub: an event over its time budget counts
    under ``max_ms`` wherever the budget ran out."""
    if isinstance(exc, UnsendableValue):
        return "unsendable"
    return "max_ms" if isinstance(exc, budget.OverBudget) else "scrub"


def _candidates(index: Any, view: EventView) -> Sequence[Any]:
    """The rules of an index that could match the event (all of them when none is indexed)."""
    return index.candidates(view) if index.indexed else index.always


def _problem_at(origin: Any, path: str | None, message: str) -> Problem:
    """A problem at the rule's origin when the loader recorded one (a model built in code has none)."""
    if isinstance(origin, Origin):
        return origin.problem(message)
    return Problem(path or "<model>", 1, 1, message)


def compose(user_hook: Hook | None, ruleset_hook: Hook, note_failure: Callable[[], None]) -> Hook:
    """``user_hook`` then ``ruleset_hook``; a user hook that raises drops the event (as sentry-sdk
    does), is logged and counted through ``note_failure``."""
    if user_hook is None:
        return ruleset_hook

    def composed(event: dict, hint: dict | None = None) -> dict | None:
        try:
            event = user_hook(event, hint if hint is not None else {})
        except Exception:
            note_failure()
            logger.warning("a user hook raised; the event is dropped", exc_info=True)
            return None
        if event is None:
            return None
        return ruleset_hook(event, hint)

    composed.__name__ = getattr(user_hook, "__name__", "hook") + "_then_ruleset"
    return composed
