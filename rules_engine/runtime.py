"""Compiled rulesets as sentry-sdk hooks: ``before_send``, ``before_send_transaction``, ``before_breadcrumb``.

Every event goes through three phases, each compiled once at load:

1. **filters** (``rules_engine.filters``): the first matching filter drops or samples the event;
2. **grouping** (``rules_engine.grouping``): the first matching rule (and any ``continue`` rules
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
import math
import os
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional, Sequence

from . import channels, models, sdk_options
from .compiler import CompiledRules, RuleCompileError, compile_rules
from .errors import Problem, RulesetError, UnsendableValue
from .event_view import EventView
from .filters import DROP, KEEP
from .grouping import apply_changes, tags_dict
from .scrub import compile_scrubber

logger = logging.getLogger("rules_engine")

try:  # Our own log records must never become Sentry events that come back through our hooks.
    from sentry_sdk.integrations.logging import ignore_logger

    ignore_logger("rules_engine")
except ImportError:  # pragma: no cover - sentry-sdk is a dependency
    pass

Hook = Callable[[dict, dict], Optional[dict]]
FILTERED = "[Filtered]"
HOOK_NAMES = (*sdk_options.EVENT_HOOKS, *sdk_options.CHANNEL_HOOKS, sdk_options.SPAN_HOOK)

#: Top-level keys kept as they are when an event is sent filtered: they carry no user data
#: and Sentry needs them to accept the event.
_STRUCTURAL_KEYS = frozenset({"event_id", "timestamp", "start_timestamp", "type", "platform", "level"})
_ERROR_TYPES = frozenset({"error", "default"})


#: Event types that carry no user data and pass through untouched.
_UNTOUCHED_TYPES = frozenset({"check_in"})
#: The kind of the event types no filter or grouping rule is written for (feedback, and any type
#: a later sentry-sdk adds): they are scrubbed and nothing else.
SCRUB_ONLY = "scrub_only"


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


# ---------------------------------------------------------------------- explain


@dataclass
class RuleTrace:
    """What one rule did to one event."""

    phase: str  # "filter" | "grouping" | "scrub"
    rule_id: str
    matched: bool
    reason: str
    changes: list[str] = field(default_factory=list)


@dataclass
class Explanation:
    """The trace of one event through a ruleset (see :meth:`Ruleset.explain`)."""

    rules: list[RuleTrace]
    dropped_by: str | None
    sampled_out: bool
    before: dict
    after: dict | None
    redactions: dict[str, int]

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def matched(self) -> list[RuleTrace]:
        return [r for r in self.rules if r.matched]


# ---------------------------------------------------------------------- stats


COUNTERS = ("events", "dropped", "sampled_out", "matched", "redactions", "internal_errors")


class _Tally:
    """One thread's counters: one ``{key: count}`` dict per counter name."""

    __slots__ = COUNTERS

    def __init__(self) -> None:
        for name in COUNTERS:
            setattr(self, name, {})


def _count(counts: dict[str, int], key: str, amount: int = 1) -> None:
    counts[key] = counts.get(key, 0) + amount


class _Stats:
    """Counters of what the hooks did, exact however many threads run the hooks.

    Each thread counts in a :class:`_Tally` of its own, so counting takes no lock on the hook
    path; :meth:`snapshot` adds the tallies up. A dict is only ever written by its own thread
    and copied whole (``dict(...)``) by the snapshot, which never sees a count half-written.
    Tallies of threads that have ended are folded into one, so a process that starts a thread
    per request does not keep a tally per thread it ever had."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the list of tallies, not the counts
        self._local = threading.local()
        self._tallies: list[tuple[threading.Thread, _Tally]] = []
        self._ended: dict[str, Counter[str]] = {name: Counter() for name in COUNTERS}

    def tally(self) -> _Tally:
        """The calling thread's counters."""
        try:
            return self._local.tally
        except AttributeError:
            return self._new_tally()

    def add(self, counter: str, key: str, amount: int = 1) -> None:
        """Count one thing outside the hot path (errors, drops after a failure...)."""
        _count(getattr(self.tally(), counter), key, amount)

    def _new_tally(self) -> _Tally:
        tally = self._local.tally = _Tally()
        with self._lock:
            self._fold_ended_threads()
            self._tallies.append((threading.current_thread(), tally))
        return tally

    def _fold_ended_threads(self) -> None:
        running = []
        for thread, tally in self._tallies:
            if thread.is_alive():
                running.append((thread, tally))
            else:  # the thread is gone: nothing writes its tally any more
                for name in COUNTERS:
                    self._ended[name].update(getattr(tally, name))
        self._tallies = running

    def snapshot(self) -> dict:
        with self._lock:
            totals = {name: Counter(counts) for name, counts in self._ended.items()}
            for _, tally in self._tallies:
                for name in COUNTERS:
                    totals[name].update(dict(getattr(tally, name)))
        return {name: dict(counts) for name, counts in totals.items()}


# ---------------------------------------------------------------------- ruleset


class Ruleset:
    """A compiled ruleset. Build it with :meth:`from_model` / :meth:`from_loaded` or :func:`load_ruleset`."""

    def __init__(
        self,
        model: models.Ruleset,
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
        self._stats = _Stats()
        #: Source of the per-event sampling draws (a ``random.random``-like callable).
        self.draw: Callable[[], float] = random.random

    @classmethod
    def from_model(cls, model: models.Ruleset, hash_key: bytes | None = None,
                   origins: dict[str, str] | None = None) -> "Ruleset":
        return cls(model, hash_key=hash_key, origins=origins)

    @classmethod
    def from_loaded(cls, loaded: Any) -> "Ruleset":
        """Compile a ``rules_engine.loader.LoadedRuleset``."""
        return cls(loaded.model, hash_key=loaded.hash_key, origins=loaded.origins, path=loaded.path)

    def __repr__(self) -> str:
        return f"<Ruleset {self.name}@{self.revision}>"

    # ------------------------------------------------------------------ hooks

    def before_send(self, event: dict, hint: dict | None = None) -> dict | None:
        """sentry-sdk ``before_send``: errors and messages. Feedback and event types this engine
        does not know are scrubbed only; check-ins pass untouched."""
        kind = _kind_of(event)
        if kind is None:
            return event
        return self._run(event, hint, kind)

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
        """sentry-sdk ``before_breadcrumb``: ``on: [breadcrumb]`` filters, then scrubbing."""
        return self._run(crumb, hint, "breadcrumb")

    def process(self, event: dict, hint: dict | None = None, kind: str | None = None) -> dict | None:
        """Run the ruleset on one event, log record, metric or span (``kind``: ``log``, ``metric``,
        ``span``), in place; ``None`` when it is dropped. Never raises."""
        if kind in channels.KINDS:
            return channels.process_item(self, event, hint, kind)
        if kind is None:
            kind = _kind_of(event)
            if kind is None:
                return event
        return self._run(event, hint, kind)

    def sentry_options(self, **options: Any) -> dict[str, Any]:
        """Options for ``sentry_sdk.init(**ruleset.sentry_options(dsn=..., ...))``.

        The result holds every hook (``before_send``, ``before_send_transaction``,
        ``before_breadcrumb``, ``before_send_log``, ``before_send_metric``, and
        ``before_send_span`` when ``trace_lifecycle="stream"`` is passed), the ruleset's ``sdk``
        section as sentry-sdk options, and every option passed here. Options passed here win over
        the ``sdk`` section, with a :class:`~rules_engine.sdk_options.RulesetOptionWarning` when
        they contradict it.

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
        if kind == SCRUB_ONLY:
            return self._scrub_only(event)
        tally = self._stats.tally()
        _count(tally.events, kind)
        view = EventView(event, hint, kind)
        matched: list[str] = []
        rule, outcome = self._filter(view, kind, tally)
        if rule is not None:
            matched.append(rule.id)
            if outcome == DROP:
                _count(tally.dropped, rule.id)
                return None
            if outcome != KEEP:
                _count(tally.sampled_out, rule.id)
                return None
        if kind != "breadcrumb":
            matched.extend(self._group(view, kind, event, tally))
        if not self._scrub(event, kind, tally):
            return self._on_scrub_failure(event, kind)
        if kind != "breadcrumb":
            self._stamp(event, matched)
        return event

    def _filter(self, view: EventView, kind: str, tally: _Tally | None = None):
        tally = tally or self._stats.tally()
        for rule in _candidates(self._rules.filters[kind], view):
            try:
                if not rule.condition.matches(view):
                    continue
                outcome = rule.decide(self.draw)
            except Exception:
                _count(tally.internal_errors, rule.id)
                continue
            _count(tally.matched, rule.id)
            return rule, outcome
        return None, KEEP

    def _group(self, view: EventView, kind: str, event: dict, tally: _Tally | None = None) -> list[str]:
        tally = tally or self._stats.tally()
        chosen = []
        for rule in _candidates(self._rules.grouping[kind], view):
            try:
                if not rule.condition.matches(view):
                    continue
                changes = rule.render(view)
            except Exception:
                _count(tally.internal_errors, rule.id)
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
                _count(tally.internal_errors, changes.rule_id)
                continue
            _count(tally.matched, changes.rule_id)
            applied.append(changes.rule_id)
        return applied

    def _scrub_only(self, event: dict) -> dict | None:
        """Feedback, and event types a later sentry-sdk may add: no filter or grouping rule is
        written for them, but what they carry is scrubbed like everything else. The contact
        address a user typed into a feedback form is kept unless a scrub rule names it."""
        tally = self._stats.tally()
        _count(tally.events, str(event.get("type")))
        email = channels.take_feedback_email(event) if self._keeps_feedback_email else None
        if not self._scrub(event, "error", tally):
            return self._on_scrub_failure(event, "error")
        if email is not None:
            channels.restore_feedback_email(event, email)
        self._stamp(event, [])
        return event

    def _scrub(self, event: dict, kind: str, tally: _Tally) -> bool:
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
            _count(tally.internal_errors, "unsendable")
            return False
        except Exception:
            _count(tally.internal_errors, "scrub")
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


# ---------------------------------------------------------------------- fail-closed output


def filtered_copy(event: dict) -> dict:
    """A copy of the event with every string and number leaf replaced by ``[Filtered]``, except
    the structural top-level keys Sentry needs (event id, timestamps, type, level) when they are
    plain JSON values. Keys that JSON cannot hold are dropped, so the copy is always sendable
    (a cycle raises ``RecursionError``: the caller drops the event)."""
    copied: dict = {}
    for key, value in event.items():
        if type(key) is not str:
            continue
        if key in _STRUCTURAL_KEYS and _plain_json_scalar(value):
            copied[key] = value
        else:
            copied[key] = _filter_leaves(value)
    return copied


def _plain_json_scalar(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int)):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _filter_leaves(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _filter_leaves(value) for key, value in node.items() if type(key) is str}
    if isinstance(node, (list, tuple)):
        return [_filter_leaves(value) for value in node]
    if isinstance(node, bool) or node is None:
        return node
    return FILTERED


# ---------------------------------------------------------------------- loading and reloading


DEFAULT_RELOAD_INTERVAL = 2.0


def load_ruleset(source: str | os.PathLike, *, reload: bool | float = False) -> "Ruleset | ReloadingRuleset":
    """Load, validate and compile a ruleset file (or ``builtin:NAME@VERSION``).

    Raises :class:`RulesetError` listing every problem. With ``reload=True`` (every 2 s) or
    ``reload=<seconds>``, returns a :class:`ReloadingRuleset` whose hooks pick up changes to
    the file (and the files it extends).
    """
    if reload:
        interval = DEFAULT_RELOAD_INTERVAL if reload is True else float(reload)
        return ReloadingRuleset(source, interval)
    from .loader import load_model

    return Ruleset.from_loaded(load_model(source))


class ReloadingRuleset:
    """A handle whose hooks always run the newest valid version of a ruleset file.

    On the hook path, at most once every ``interval`` seconds, one thread compares the
    modification times of the file and the files it extends. When they changed, that thread
    loads and compiles the new version and swaps it in atomically (one attribute assignment):
    events already being processed finish with the version they started with. When the new
    version is invalid, the previous one stays in use and the problems are logged on the
    ``rules_engine`` logger, once per change of the files. :meth:`check_now` forces a check.
    """

    def __init__(self, source: str | os.PathLike, interval: float = DEFAULT_RELOAD_INTERVAL):
        from .loader import load_model

        self._load_model = load_model
        self.source = source
        self.interval = interval
        self._lock = threading.Lock()
        loaded = load_model(source)
        self.current: Ruleset = Ruleset.from_loaded(loaded)
        self._stamps = self._file_stamps(loaded)
        self._next_check = time.monotonic() + interval
        self.reloads = 0
        self.failed_reloads = 0

    def __getattr__(self, name: str) -> Any:  # name, revision, model, origins, stats, explain...
        if name == "current" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.current, name)

    def __repr__(self) -> str:
        return f"<ReloadingRuleset {self.source} -> {self.current!r}>"

    # hooks
    def before_send(self, event: dict, hint: dict | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.before_send(event, hint)

    def before_send_transaction(self, event: dict, hint: dict | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.before_send_transaction(event, hint)

    def before_breadcrumb(self, crumb: dict, hint: dict | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.before_breadcrumb(crumb, hint)

    def process(self, event: dict, hint: dict | None = None, kind: str | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.process(event, hint, kind)

    def before_send_log(self, log: dict, hint: dict | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.before_send_log(log, hint)

    def before_send_metric(self, metric: dict, hint: dict | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.before_send_metric(metric, hint)

    def before_send_span(self, span: dict, hint: dict | None = None) -> dict:
        self._maybe_reload()
        return self.current.before_send_span(span, hint)

    def sentry_options(self, **options: Any) -> dict[str, Any]:
        """Like :meth:`Ruleset.sentry_options`; the hooks follow reloads, the ``sdk`` section is
        the one loaded first (sentry-sdk reads its options once, at ``init``)."""
        hooks = {name: getattr(self, name) for name in HOOK_NAMES}
        return sdk_options.build_options(self.current, hooks, self.current._compose, options)

    # reloading
    def _maybe_reload(self) -> None:
        if time.monotonic() < self._next_check:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is checking; this event uses the current version
        try:
            self._next_check = time.monotonic() + self.interval
            self._reload_if_changed()
        except Exception:  # never let a reload problem reach the SDK
            logger.warning("checking %s for changes failed", self.source, exc_info=True)
        finally:
            self._lock.release()

    def check_now(self) -> bool:
        """Check the files now; ``True`` when a new version was swapped in."""
        with self._lock:
            self._next_check = time.monotonic() + self.interval
            return self._reload_if_changed()

    def _reload_if_changed(self) -> bool:
        stamps = {path: _mtime(path) for path in self._stamps}
        if stamps == self._stamps:
            return False
        self._stamps = stamps  # an invalid version is reported once, not at every check
        try:
            loaded = self._load_model(self.source)
            fresh = Ruleset.from_loaded(loaded)
        except RulesetError as exc:
            self.failed_reloads += 1
            logger.error("ruleset %s changed but is invalid; keeping %s@%s:\n%s",
                         self.source, self.current.name, self.current.revision, exc)
            return False
        except Exception:
            self.failed_reloads += 1
            logger.error("ruleset %s changed but could not be loaded; keeping %s@%s",
                         self.source, self.current.name, self.current.revision, exc_info=True)
            return False
        self._stamps = self._file_stamps(loaded)
        self.current = fresh
        self.reloads += 1
        logger.info("ruleset %s reloaded: now %s@%s", self.source, fresh.name, fresh.revision)
        return True

    def _file_stamps(self, loaded: Any) -> dict[str, tuple[int, int] | None]:
        paths = {str(loaded.path)} if getattr(loaded, "path", None) else set()
        if not str(self.source).startswith("builtin:"):
            paths.add(os.fspath(self.source))
        for origin in (getattr(loaded, "origins", None) or {}).values():
            file_part = str(origin).rsplit(":", 1)[0]
            if file_part and not file_part.startswith("builtin:") and os.path.exists(file_part):
                paths.add(file_part)
        return {path: _mtime(path) for path in sorted(paths)}


def _mtime(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
