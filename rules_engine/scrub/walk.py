"""The per-event run of the scrubber: one walk, the exact pass over candidates, echoes, and writing.

The walk is the cost every event pays, so it is specialised: paths are parent links, turned into
``_meta`` nodes only for containers that hold a redacted value (and remembered per container);
selector steps and key decisions are memoized per key name; a dict whose keys are all known to be
harmless is checked with one set comparison.

The same steps exist in C (``_walker.c``): :class:`Run` is the definition; :class:`~.cwalk.CRun`
is a run whose walk, redactions and ``_meta`` writing are the C walker's, which hand every
uncommon case (subclasses, containers redacted below a live selector, errors) back to the methods
here. A scrubber chooses its run class once; results are identical by test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from .. import budget
from ..errors import RulesEngineError, UnsendableValue
from .changes import ChangeChecks
from .dictkeys import DictKeys
from .echoes import EchoSearch
from .encoded_text import in_decoded_views
from .meta import MetaWriter
from .logtemplate import LogEntries
from .pairs import PAIR_VALUES, Pairs
from .redactions import merge_findings
from .rule import lowest_bit
from .sourcelines import mark_source_lines
from .values import CARD_DIGITS_HIGH, CARD_DIGITS_LOW, card_number, snapshot

if TYPE_CHECKING:  # the scrubber builds runs; a run only reads it
    from .scrubber import Scrubber

#: Top-level event attributes that are the SDK's bookkeeping, never user data.
SKIPPED_TOP_LEVEL = frozenset(
    {"_meta", "event_id", "timestamp", "start_timestamp", "received", "platform", "level", "type",
     "sdk", "modules", "debug_meta"}
)

#: Where an event holds a log entry (a template and its positional parameters): sentry-sdk's
#: ``logentry``, and the original a grouping ``title`` keeps in the ``original_message`` context.
LOG_ENTRY_PLACES = (("logentry",), ("contexts", "original_message"))
_TIME_CHECK_EVERY = 64
#: How far on either side of the ``max_string_length`` cut a secret crossing it is looked for:
#: the longest secret a detector finds (a PEM private key) fits.
_CUT_MARGIN = 8192


class ScrubLimitExceeded(RulesEngineError, RuntimeError):
    """An event is deeper, larger or slower to scrub than ``options.limits`` allow."""


class ScrubOverBudget(ScrubLimitExceeded, budget.OverBudget):
    """Scrubbing used up the event's time budget (``limits.max_ms``)."""


class Run(ChangeChecks, Pairs, EchoSearch, DictKeys, LogEntries, MetaWriter):
    """The state of scrubbing one event: what the walk collected, and the budget left. One method
    per container type serves the common case (no selector can match below the node); nodes where
    a selector may still match take the general path (:meth:`walk`), stepping the automaton."""

    def __init__(self, scrubber: Scrubber, meta_root: dict | None):
        self.meta_root = meta_root
        self.nodes = 0
        self.texts: list[str] = []
        #: (container, key, parent path, active rules) of each string, flat: four items per string
        #: (one list to extend instead of a tuple per string; most strings are never looked up)
        self.slots: list = []
        self.whole: list[tuple] = []  # (container, key, parent path, rule index)
        self.tally: dict[tuple[int, str | None], int] = {}  # (rule index, detector) -> redactions
        self.cut: dict[int, int] = {}  # index of a string cut to max_string_length -> its length
        self.written: set[int] = set()
        #: (text, active rules, probes) -> findings: frames of one stack often hold the same repr
        self.findings_memo: dict[tuple[str, int, int], tuple] = {}
        # id(path) -> the _meta node mirroring that container. Keyed by identity because paths are
        # nested tuples (hashing one walks to the root); every path looked up is kept alive by
        # ``slots`` or ``whole`` until the run ends, so no id is reused meanwhile.
        self.meta_nodes: dict[int, dict] = {}
        #: each list walked and found unchanged, then the copy the walk read it through (flat, two
        #: items per list): one that receives a redaction is checked again once all are written
        self.lists: list = []
        #: each dict walked whose keys are text: the dict, its path, the rules active there,
        #: whether every key was known harmless, and the rule redacting its keys whole (a dict
        #: under a sensitive key) or None (flat, five items per dict; see dictkeys.py)
        self.dicts: list = []
        #: id(list) -> (list, {index: item}) for the items the run itself put in a list (a tuple as
        #: a list, a subclass as its plain form, a redaction): the list's checks accept them there
        self.replaced: dict[int, tuple[list, dict[int, Any]]] = {}
        self.take_settings(scrubber)

    def take_settings(self, scrubber: Scrubber) -> None:
        """What the run reads of its scrubber, and its time budget. (A C run's collections are
        made by the walker, so this is the part of ``__init__`` both runs share.)"""
        self.scrubber = scrubber
        self.early_secrets = []
        #: id -> container of the source lines of the event's Python frames, when they are read as
        #: code (sourcelines.py), else None
        self.source_lines = None
        #: id(dict) -> (dict, its path, {key: redacted text}) of the keys found holding secrets
        self.renames: dict[int, tuple] = {}
        limits = scrubber._limits
        # The event's budget when a hook runs (it started before filters and grouping), else one
        # of its own.
        self.deadline = min(budget.deadline(), budget.clock() + limits.max_ms / 1000.0)
        self.max_ms = limits.max_ms
        self.max_depth = limits.max_depth
        self.max_nodes = limits.max_nodes
        self.max_length = limits.max_string_length
        self.key_rules = bool(scrubber._key_rule_mask)
        self.key_memo = scrubber._key_memo
        self.harmless = scrubber._harmless
        automaton = scrubber._automaton
        self.start_state = automaton.start if automaton is not None else None

    # ---------------------------------------------------------------- limits

    def enter(self, node, depth: int) -> None:
        """Account for a container about to be walked; raise when a limit is exceeded."""
        if depth > self.max_depth:
            self.too_deep()
        self.nodes += len(node)
        if self.nodes > self.max_nodes:
            self.too_many()

    def too_deep(self) -> None:
        raise ScrubLimitExceeded(f"event nesting exceeds limits.max_depth={self.max_depth} (or is cyclic)")

    def too_many(self) -> None:
        raise ScrubLimitExceeded(f"event has more than limits.max_nodes={self.max_nodes} values")

    def check_time(self) -> None:
        if budget.clock() > self.deadline:
            raise ScrubOverBudget(f"scrubbing took longer than limits.max_ms={self.max_ms}")

    # ---------------------------------------------------------------- what the transport can send

    # Types are checked on ``type(value)``, never with ``isinstance``: an object can claim any
    # class through ``__class__`` (``MagicMock(spec=str)``, werkzeug's ``LocalProxy``, wrapt
    # proxies) and lie about its length. The transport sends a true subclass of a JSON type as
    # its base type, so that is what is scrubbed; anything else cannot be sent.

    def check_leaf(self, value) -> None:
        """Raise unless ``value`` (not a string or container) encodes as strict JSON. Subclasses
        of the JSON types (an ``IntEnum``) encode as their base type."""
        kind = type(value)
        if issubclass(kind, float):
            if value - value == 0.0:  # NaN and infinities give NaN
                return
            raise UnsendableValue(f"the float {float.__repr__(value)} cannot be sent as JSON")
        if value is None or issubclass(kind, int):
            return
        raise UnsendableValue(f"a value of type {kind.__name__} cannot be sent as JSON")

    @staticmethod
    def exact_key(key) -> str:
        """The text of a key that is not exactly a ``str``, as a ``str`` (decisions are taken on
        it, so a subclass cannot lie about its hash or equality); raise unless it is a subclass."""
        if not issubclass(type(key), str):
            raise UnsendableValue(f"a key of type {type(key).__name__} cannot be sent as JSON")
        return str.__str__(key)

    def snapshot(self, node) -> dict | list:
        """A ``dict`` or ``list`` of what a subclass of one iterates (``items()``, ``__iter__``),
        which is what the transport sends; it replaces the subclass in the event. The iteration
        is bounded by what is left of ``max_nodes`` and by the time budget: a container that
        never ends fails closed."""
        return snapshot(node, self.max_nodes - self.nodes, self.too_many, self.check_time)

    def check_subtree(self, node, depth: int) -> None:
        """Check a subtree the walk does not scrub (``allow``, SDK bookkeeping), with the same
        limits on depth and size."""
        kind = type(node)
        if issubclass(kind, str):
            return
        if issubclass(kind, (dict, list, tuple)):
            if kind is not dict and kind is not list and kind is not tuple:
                node = self.snapshot(node)
            self.enter(node, depth)
            if type(node) is dict:
                copy = node.copy()
                for key in copy:
                    if type(key) is not str:
                        self.exact_key(key)
                self.check_children(copy.values(), depth)
                self.unchanged(node, copy)
            elif type(node) is list:
                copy = node.copy()
                self.check_children(copy, depth)
                self.unchanged(node, copy)
            else:
                self.check_children(node, depth)
        else:
            self.check_leaf(node)

    def check_children(self, values, depth: int) -> None:
        for value in values:
            if type(value) is not str:
                self.check_subtree(value, depth + 1)

    # ---------------------------------------------------------------- walk: where selectors may match

    def step(self, state, active: int, key) -> tuple[Any, int, bool]:
        """(state below ``key`` or None when no selector can match there, active rules there,
        whether ``allow`` covers it)."""
        next_state, rules, allowed = self.scrubber._step(state, key if type(key) is str else str(key))
        return next_state, active | rules, allowed

    def walk_top(self, event: dict) -> None:
        state, everywhere = self.start_state, self.scrubber._everywhere
        if state is not None:
            self.walk_selected_dict(event, None, state, everywhere, 1, SKIPPED_TOP_LEVEL)
        else:
            self.nodes += len(event)
            copy = event.copy()
            for key, value in copy.items():
                if type(key) is not str:
                    self.exact_key(key)
                if key in SKIPPED_TOP_LEVEL:
                    if type(value) is not str:
                        self.check_subtree(value, 2)
                else:
                    self.visit(event, key, value, None, state, everywhere, 1)
            self.unchanged(event, copy)
        for place in LOG_ENTRY_PLACES:
            self.redact_log_entry(event, place)

    def visit(self, container, key, value, path, state, active, depth, named_by: str | None = None) -> None:
        """One child of a container: selectors, key rules, then collect or descend. ``named_by``:
        the name key rules read instead of an index (the second item of a lone pair)."""
        if state is not None:
            state, active, allowed = self.step(state, active, key)
            if allowed:
                self.check_subtree(value, depth + 1)
                return
        if named_by is not None or (self.key_rules and (type(key) is str or issubclass(type(key), str))):
            name = named_by if named_by is not None else key if type(key) is str else self.exact_key(key)
            decision = self.scrubber._key_decision(name) & active
            if decision:
                self.redact_all(container, key, value, path, state, active, lowest_bit(decision), depth)
                return
        self.place(container, key, value, path, state, active, depth)

    def place(self, container, key, value, path, state, active, depth) -> None:
        """Collect a string leaf, or descend into a container."""
        kind = type(value)
        if kind is str:
            self.texts.append(value)
            self.slots.extend((container, key, path, active))
        elif kind is dict or kind is list:
            self.walk(value, (path, key), state, active, depth + 1)
        elif kind is tuple:  # JSON has no tuples; a list can be edited in place
            value = self.replace(container, key, list(value))
            self.walk(value, (path, key), state, active, depth + 1)
        elif kind is int:
            if CARD_DIGITS_LOW <= value < CARD_DIGITS_HIGH:
                self.texts.append(str(value))
                self.slots.extend((container, key, path, active))
        elif issubclass(kind, str):  # a str enum: the transport sends its text
            value = self.replace(container, key, str.__str__(value))
            self.texts.append(value)
            self.slots.extend((container, key, path, active))
        elif issubclass(kind, (dict, list, tuple)):  # an OrderedDict, a namedtuple ...
            value = self.replace(container, key, self.snapshot(value))
            self.walk(value, (path, key), state, active, depth + 1)
        elif issubclass(kind, (int, float)) and kind is not bool:
            self.check_leaf(value)
            number = card_number(value)
            if number is not None:
                self.texts.append(number)
                self.slots.extend((container, key, path, active))
        else:
            self.check_leaf(value)

    def walk(self, node, path, state, active, depth) -> None:
        if state is None:
            if type(node) is dict:
                self.walk_dict(node, path, active, depth)
            else:
                self.walk_list(node, path, active, depth)
            return
        if type(node) is dict:
            self.walk_selected_dict(node, path, state, active, depth)
            return
        self.enter(node, depth)
        visit = self.visit
        copy = node.copy()
        named_by = self.scrubber._lone_pair_name(copy) if len(copy) == 2 else None  # (pairs.lone_pair_name)
        for index, item in enumerate(copy):
            if index == 1 and named_by is not None:
                visit(node, index, item, path, state, active, depth, named_by)
            elif type(item) in (list, tuple) and len(item) == 2 and type(item[0]) is str:
                self.visit_pair(node, index, item, path, state, active, depth)
            else:
                visit(node, index, item, path, state, active, depth)
        self.list_unchanged(node, copy)


    def walk_selected_dict(self, node: dict, path, state, active: int, depth: int, skipped=()) -> None:
        """A dict where a selector may match: :meth:`visit` inlined, steps memoized per
        (state, key)."""
        self.enter(node, depth)
        scrubber = self.scrubber
        steps_get = scrubber._steps.get
        key_memo = self.key_memo if self.key_rules else None
        append_text, append_slot = self.texts.append, self.slots.extend
        copy = node.copy()
        # pair: the key rules a pair dict's names match, read once; the event itself is no pair
        pair, value_fields = None, () if skipped else PAIR_VALUES
        for key, value in copy.items():
            name = key if type(key) is str else self.exact_key(key)
            if name in skipped:
                if type(value) is not str:
                    self.check_subtree(value, depth + 1)
                continue
            found = steps_get((state, name))
            if found is None:
                found = scrubber._step(state, name)
            child_state, rules, allowed = found
            if allowed:
                self.check_subtree(value, depth + 1)
                continue
            child_active = active | rules
            if key_memo is not None:
                decision = key_memo.get(name)
                if decision is None:
                    decision = scrubber._key_decision(name)
                if name in value_fields:  # a sibling may name it
                    pair = self.pair_decision(copy) if pair is None else pair
                    decision |= pair
                decision &= child_active
                if decision:
                    self.redact_all(node, key, value, path, child_state, child_active, lowest_bit(decision), depth)
                    continue
            kind = type(value)
            if kind is str:
                append_text(value)
                append_slot((node, key, path, child_active))
            elif child_state is None and kind is dict:  # no selector below: the common case
                self.walk_dict(value, (path, key), child_active, depth + 1)
            elif child_state is None and kind is list:
                self.walk_list(value, (path, key), child_active, depth + 1)
            else:
                self.place(node, key, value, path, child_state, child_active, depth)
        self.unchanged(node, copy)
        self.pair_dict_unchanged(node, copy, pair)
        if not skipped:  # the event's own keys are its attributes
            self.dicts.extend((node, path, active, False, None))

    # ---------------------------------------------------------------- walk: the common case

    def walk_dict(self, node: dict, path, active: int, depth: int) -> None:
        """A dict below which no selector can match: only key rules and leaves matter."""
        if depth > self.max_depth:
            self.too_deep()
        self.nodes += len(node)
        if self.nodes > self.max_nodes:
            self.too_many()
        # Keys known to be harmless strings: no key can be sensitive or unsendable here. (A str
        # subclass can pass for one by lying about its hash and equality: it takes the long way.)
        copy = node.copy()
        harmless = self.harmless.get(active)
        if harmless is None or not copy.keys() <= harmless or not all(type(key) is str for key in copy):
            self.walk_dict_keys(node, copy, path, active, depth)
            return
        append_text, append_slot = self.texts.append, self.slots.extend
        for key, value in copy.items():
            kind = type(value)
            if kind is str:
                append_text(value)
                append_slot((node, key, path, active))
            elif kind is dict:
                self.walk_dict(value, (path, key), active, depth + 1)
            elif kind is list:
                self.walk_list(value, (path, key), active, depth + 1)
            elif kind is int:
                if CARD_DIGITS_LOW <= value < CARD_DIGITS_HIGH:
                    append_text(str(value))
                    append_slot((node, key, path, active))
            elif value is not None and kind is not bool:
                self.place(node, key, value, path, None, active, depth)
        self.unchanged(node, copy)
        self.dicts.extend((node, path, active, True, None))

    def walk_dict_keys(self, node: dict, copy: dict, path, active: int, depth: int) -> None:
        """:meth:`walk_dict` for a dict holding a key that is sensitive or not yet decided (its
        entries read from ``copy``), then checked against the copy."""
        decide, memo_get = self.scrubber._key_decision, self.key_memo.get
        place = self.place
        key_rules = self.key_rules
        pair = None  # the key rules the names of a pair dict match, read at its first value field
        for key, value in copy.items():
            name = key if type(key) is str else self.exact_key(key)
            named = name in PAIR_VALUES  # a sibling may name it: never harmless by itself
            if key_rules:
                decision = memo_get(name)
                if decision is None:
                    decision = decide(name)
                if named:
                    pair = self.pair_decision(copy) if pair is None else pair
                    decision |= pair
                decision &= active
                if decision:
                    self.redact_all(node, key, value, path, None, active, lowest_bit(decision), depth)
                    continue
            place(node, key, value, path, None, active, depth)
        self.unchanged(node, copy)
        self.pair_dict_unchanged(node, copy, pair)
        self.dicts.extend((node, path, active, False, None))

    def walk_list(self, node: list, path, active: int, depth: int) -> None:
        """A list below which no selector can match; ``[name, value]`` items are pairs."""
        if depth > self.max_depth:
            self.too_deep()
        self.nodes += len(node)
        if self.nodes > self.max_nodes:
            self.too_many()
        append_text, append_slot = self.texts.append, self.slots.extend
        copy = node.copy()
        named_by = self.scrubber._lone_pair_name(copy) if len(copy) == 2 else None
        for index, item in enumerate(copy):
            kind = type(item)
            if index == 1 and named_by is not None:
                self.visit(node, index, item, path, None, active, depth, named_by)
            elif kind is str:
                append_text(item)
                append_slot((node, index, path, active))
            elif kind is dict:
                self.walk_dict(item, (path, index), active, depth + 1)
            elif kind is list or kind is tuple:
                if len(item) == 2 and type(item[0]) is str:
                    self.visit_pair(node, index, item, path, None, active, depth)
                else:
                    self.place(node, index, item, path, None, active, depth)
            elif kind is int:
                if CARD_DIGITS_LOW <= item < CARD_DIGITS_HIGH:
                    append_text(str(item))
                    append_slot((node, index, path, active))
            elif item is not None and kind is not bool:
                self.place(node, index, item, path, None, active, depth)
        self.list_unchanged(node, copy)

    def redact_all(self, container, key, value, path, state, active, rule_index, depth) -> None:
        """A value under a sensitive key: every leaf is redacted (``allow`` still wins)."""
        kind = type(value)
        if kind is dict or kind is list or kind is tuple:
            if depth + 1 > self.max_depth:
                raise ScrubLimitExceeded(f"event nesting exceeds limits.max_depth={self.max_depth} (or is cyclic)")
            if kind is tuple:
                value = self.replace(container, key, list(value))
            self.nodes += len(value)
            if self.nodes > self.max_nodes:
                raise ScrubLimitExceeded(f"event has more than limits.max_nodes={self.max_nodes} values")
            if self.scrubber._rules[rule_index].redaction.removes:
                self.whole.append((container, key, path, rule_index))
                return
            child_path = (path, key)
            copy = value.copy()
            for child_key, child in copy.items() if kind is dict else enumerate(copy):
                if kind is dict and type(child_key) is not str:
                    self.exact_key(child_key)
                child_state, child_active = state, active
                if state is not None:
                    child_state, child_active, allowed = self.step(state, active, child_key)
                    if allowed:
                        self.check_subtree(child, depth + 2)
                        continue
                self.redact_all(value, child_key, child, child_path, child_state, child_active, rule_index, depth + 1)
            if kind is dict:
                self.unchanged(value, copy)
                self.dicts.extend((value, child_path, active, False, rule_index))
            else:
                self.list_unchanged(value, copy)
        elif value is not None and kind is not bool:
            self.whole.append((container, key, path, rule_index))

    # ---------------------------------------------------------------- exact pass and apply

    def finish(self) -> dict[str, int]:
        self.check_time()
        known = None
        if self.scrubber._echoes:
            known = self.known_secrets()
            self.whole_secrets(known)  # read before they are replaced
            self.whole_key_secrets(known)
        self.queue_keys()  # before values are removed: a removed value's key stays in _meta
        self.apply_whole_values()
        self.redact_whole_keys()
        if self.texts or known:
            self.cut_long_strings()
            found = self.exact_pass()
            self.write_findings(found, known)
            for index in self.cut:
                if index not in self.written:
                    self.write_cut(index)
            self.learn_harmless_keys(found)
        self.check_written_lists()
        self.rename_keys()
        self.check_time()
        return self.counts()

    def exact_pass(self) -> dict[int, tuple]:
        """The findings of each string that has some (index -> findings), of the probes the
        prefilter flagged it for."""
        texts = self.texts
        prefilter = self.scrubber._prefilter
        candidates = prefilter.candidates(texts)
        always = prefilter.always_mask
        if always:
            for index in range(len(texts)):
                candidates[index] = candidates.get(index, 0) | always
        if self.source_lines:
            mark_source_lines(candidates, self.slots, self.source_lines, self.keys_from,
                              self.scrubber._source_line_bit)
        found: dict[int, tuple] = {}
        self.scrub_candidates(candidates, _TIME_CHECK_EVERY, found)
        return found

    def write_findings(self, found: dict[int, tuple], known) -> None:
        """Write each string with findings once, its own and the echoes of every secret the run
        knows merged (a string written twice would get back what the first write redacted);
        ``known`` is None when the ruleset does not look for echoes."""
        texts = self.texts
        if known is not None:
            for index, findings in found.items():
                known.add_findings(texts[index], findings)
            self.add_earlier_echoes(found)
            if known:
                self.queue_harmless_keys()
                self.scrubber._echo_memory.remember(self.add_echoes(known, found))
        redact_spans, keys_from = self.redact_spans, self.keys_from
        for index in sorted(found):
            if index < keys_from:
                redact_spans(index, texts[index], found[index])
            else:
                self.rename_key(index, Run.spans_redacted(self, texts[index], found[index])[0])

    def write_cut(self, index: int) -> None:
        """A string cut for scanning, with nothing found: what was cut stays cut."""
        if index < self.keys_from:
            self.write(index, self.texts[index], [])
        else:
            self.rename_key(index, self.texts[index])

    def scrub_candidates(self, candidates: dict[int, int], time_check_every: int, found: dict[int, tuple]) -> None:
        """The exact pass over the candidates (string index -> probes), in index order: the
        findings of each string that has some, into ``found`` (written once echoes are known)."""
        findings_of = self.findings_of
        for done, index in enumerate(sorted(candidates)):
            if not done % time_check_every:
                self.check_time()
            findings = findings_of(index, candidates[index])
            if findings:
                found[index] = findings

    def cut_long_strings(self) -> None:
        limit = self.max_length
        if max(map(len, self.texts), default=0) <= limit:
            return
        for index, text in enumerate(self.texts):
            if len(text) > limit:
                self.texts[index] = text[: self.cut_point(text, limit, self.slots[4 * index + 3])]
                self.cut[index] = len(text)

    def cut_point(self, text: str, limit: int, active: int) -> int:
        """Where a string longer than ``max_string_length`` is cut: at the limit, or before a
        secret that crosses it (cut at the limit, its first half would be sent unrecognized)."""
        start = max(0, limit - _CUT_MARGIN)
        window = text[start : limit + _CUT_MARGIN]
        findings = self.find_secrets(window, active, (1 << len(self.scrubber._probes)) - 1)
        return min((start + found[0] for found in findings if start + found[0] < limit < start + found[1]),
                   default=limit)

    def findings_of(self, index: int, probe_mask: int) -> tuple:
        """The findings of the probes in ``probe_mask`` in the string numbered ``index``
        (remembered per text, active rules and probes)."""
        text = self.texts[index]
        active = self.slots[4 * index + 3]
        memo_key = (text, active, probe_mask)
        findings = self.findings_memo.get(memo_key)
        if findings is None:
            findings = self.findings_memo[memo_key] = self.find_secrets(text, active, probe_mask)
        return findings

    def find_secrets(self, text: str, active: int, probe_mask: int) -> tuple:
        """``(start, end, rule index, detector)`` of every finding of the probes in ``probe_mask``
        for the rules in ``active``."""
        scrubber = self.scrubber
        plan = scrubber._plans.get((active, probe_mask))
        if plan is None:
            plan = scrubber._plan(active, probe_mask)
        searches, decide_key, find_key_values, decodings = plan
        findings: list[tuple[int, int, int, str | None]] = []  # (start, end, rule index, detector)
        append = findings.append
        for spans, rule_index, name in searches:
            for start, end in spans(text):
                append((start, end, rule_index, name))
        if decide_key is not None:
            found = find_key_values(text, decide_key)
            if decodings is not None:
                found = [*found, *in_decoded_views(text, lambda view: find_key_values(view, decide_key), decodings)]
            for start, end, decision in found:
                append((start, end, (decision & -decision).bit_length() - 1, None))  # its first rule
        return tuple(findings)

    def redact_spans(self, index: int, text: str, findings: Sequence[tuple]) -> None:
        self.write(index, *self.spans_redacted(text, findings))

    def spans_redacted(self, text: str, findings: Sequence[tuple]) -> tuple[str, list]:
        """``text`` with its findings redacted (counted), and the ``_meta`` remarks saying where."""
        redactions = self.scrubber._redactions
        tally = self.tally
        pieces: list[str] = []
        remarks: list[list] = []
        cursor = 0
        out_length = 0
        for start, end, rule_index, detector in (merge_findings(list(findings)) if len(findings) > 1 else findings):
            rule_id, replace, remark = redactions[rule_index]
            replacement = replace(text[start:end])
            pieces.append(text[cursor:start])
            out_length += start - cursor
            remarks.append([rule_id, remark, out_length, out_length + len(replacement)])
            pieces.append(replacement)
            out_length += len(replacement)
            cursor = end
            counted = (rule_index, detector)
            tally[counted] = tally.get(counted, 0) + 1
        pieces.append(text[cursor:])
        return "".join(pieces), remarks

    def write(self, index: int, new_text: str, remarks: list) -> None:
        container, key, path = self.slots[4 * index : 4 * index + 3]
        original_length = self.cut.get(index)
        if original_length is None:
            original_length = len(self.texts[index])
        else:  # cut for scanning: what was cut stays cut
            remarks = [*remarks, ["!limit", "x", len(new_text), len(new_text)]]
        self.written.add(index)
        self.replace(container, key, new_text)
        self.add_meta(path, key, remarks, original_length)

    def apply_whole_values(self) -> None:
        """Redact the values queued under sensitive keys (``whole``)."""
        apply_whole = self.apply_whole
        for container, key, path, rule_index in self.whole:
            apply_whole(container, key, path, rule_index)

    def apply_whole(self, container, key, path, rule_index: int) -> None:
        rule_id, replace, remark = self.scrubber._redactions[rule_index]
        value = container[key]
        counted = self.scrubber._whole_tally_keys[rule_index]
        self.tally[counted] = self.tally.get(counted, 0) + 1
        if remark == "x":  # removed
            if type(container) is dict:
                del container[key]
            else:
                self.replace(container, key, None)
            self.add_meta(path, key, [[rule_id, "x"]], None)
            return
        kind = type(value)
        text = value if kind is str else value.decode("utf-8", "replace") if kind is bytes else str(value)
        replacement = replace(text)
        self.replace(container, key, replacement)
        self.add_meta(path, key, [[rule_id, remark, 0, len(replacement)]], len(text))

    def counts(self) -> dict[str, int]:
        """Redactions by ``rule_id`` and by ``rule_id/detector``."""
        counts: dict[str, int] = {}
        names = self.scrubber._count_names
        for counted, count in self.tally.items():
            found = names.get(counted)
            if found is None:
                found = self.scrubber._count_names_of(counted)
            for name in found:
                counts[name] = counts.get(name, 0) + count
        return counts
