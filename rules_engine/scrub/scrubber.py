"""The compiled scrubber: one walk, one multi-pattern prefilter, exact checks on candidates only.

Per event:

1. **Walk** the event once. Key rules are decided per key name (memoized: events repeat key
   names), so a value under a sensitive key is redacted whole without ever being scanned, and a
   container under one has every leaf redacted. Every other string (and every integer long
   enough to be a card number) is collected with its slot (container, key, path) and the rules
   active there (``in:`` selectors); ``allow`` selectors cut their subtree out of the walk.
2. **Prefilter** all collected strings at once (:mod:`.prefilter`): which strings may hold which
   detector, user pattern, or sensitive key word (for keys inside text: query strings, JSON,
   reprs, cookies, header lines).
3. **Exact pass** over candidates only: detector patterns and validators, user patterns (RE2),
   keys inside text (:mod:`.keytext`). Overlapping findings merge, so no part of a secret stays.
4. **Echoes** (:mod:`.echoes`): every value redacted so far (whole, as a span, as an argv secret)
   is a known secret of the event; its other occurrences in the collected strings, in the forms
   text gives it (escaped, percent-encoded, base64...), join those strings' findings.
5. **Apply**: write the redacted strings back, each once, and record Sentry ``_meta`` remarks at
   the mirrored path, naming the rule (``[rule_id, type, start, end]`` over the new string,
   ``len`` = the original length).

The walk is the cost every event pays, so it is specialised (see :class:`Run`): paths are parent
links, turned into ``_meta`` nodes only for containers that hold a redacted value (and remembered
per container); selector steps and key decisions are memoized per key name; a dict whose keys are
all known to be harmless is checked with one set comparison.

The same steps exist in C (``_walker.c``, built at install time when a C compiler is at hand):
the walk, the whole-value and text redactions and the ``_meta`` writing. :class:`Run` is the
definition; a scrubber chooses its run class once, :class:`Run` or :class:`~.cwalk.CRun` (whose
C methods hand every uncommon case back to :class:`Run`'s through one interface checked when the
scrubber is built, see :mod:`.cwalk`). Results are identical, and ``accelerator="off"``
(``RULES_ENGINE_ACCELERATOR=off``) runs the Python methods alone.

Limits (``options.limits``) make the scrubber raise :class:`ScrubLimitExceeded`; the runtime then
applies ``on_error`` and never sends the event unscrubbed. Cyclic containers exceed
``max_depth`` and raise the same way.

The walk also checks that the transport can encode what it visits, since it visits every node
anyway: a value of a non-JSON type (bytes, a set, an object ...), a non-finite float or a
non-string key raises :class:`~rules_engine.errors.UnsendableValue`, and the runtime applies
``on_error`` to it too. Subtrees the walk does not scrub (``allow``, SDK bookkeeping) are checked
by a plain walk; so is everything when there are no scrub rules.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable
from urllib.parse import unquote

from ..model import models
from .argv import FLAG_VALUE, JOINED_PASSWORD, find_argv_secrets
from .cut_values import MARKER, PARTIAL_TOKEN, cut_strings, partial_token
from .routes import route_parameters
from .task_arguments import TASK_JOB, task_argument_names
from .detectors import BUILTIN
from .dictkeys import path_steps
from .echoes import EchoMemory, whole_value_secrets
from .keytext import find_key_values, find_key_values_in_c
from .redactions import written_openers
from .namedtuples import named_items
from .prefilter import Probe, accelerators_wanted, make_prefilter, user_pattern_probe
from .selectors import SelectorAutomaton, parse_selector
from .namedlocals import frame_variables, named_locals
from .sourcelines import find_source_key_values, in_source_lines, source_line_containers
from .encoded_text import DECODINGS, ESCAPES
from .pairs import PAIR_VALUES, lone_pair_name, no_lone_pair, pair_names, with_named_values
from .sqlinsert import insert_values_probe
from .redis_commands import redis_values_probe
from .textshapes import with_text_shapes
from .texttables import table_probe

from .cwalk import CRun, c_walk_interface

#: Probe kinds (compared by identity in the exact pass).
_DETECTOR, _PATTERN, _KEYS = object(), object(), object()
#: The path of ``request`` (kept alive here: ``_meta`` nodes are remembered by their path's identity).
_REQUEST = (None, "request")
#: The path of a task's positional arguments, ``extra.celery-job.args`` (kept alive the same way).
_TASK_ARGUMENTS = (((None, TASK_JOB[0]), TASK_JOB[1]), "args")
from .rule import (
    KEY_MEMO_LIMIT,
    Rule,
    activation_groups,
    compile_rule,
    key_forms,
    key_word_base64_probe,
    key_word_probe,
    lowest_bit,
    pattern_spans_function,
)
from .walk import Run


class Scrubber:
    """Scrubs events in place, breadcrumbs included (see :func:`compile_scrubber`)."""

    def __init__(self, scrub: models.Scrub, options: models.Options, hash_key: bytes | None,
                 accelerator: str | None = None):
        self.rule_ids = [rule.id for rule in scrub.rules]
        self._limits = options.limits
        #: whether values named elsewhere (pair dicts, INSERT columns) and echoes are read
        self._named_values, self._echoes = options.named_values, options.echoes
        #: whether a Python frame's source lines are read as code (see sourcelines.py)
        self._source_as_code = options.source_as_code
        #: whether keys inside text are looked for in its decoded views too (:mod:`.encoded_text`)
        self._encoded_text = options.encoded_text
        #: whether key names are also read without a copy or version suffix (``token2``: rule.key_forms)
        self._numbered_keys = options.numbered_keys
        #: whether keys are read in the shapes people write them in: holding spaces, in Markdown,
        #: below their line, wrapped in a call (:mod:`.textshapes`)
        self._text_shapes = options.text_shapes
        self._rules = [compile_rule(index, rule, hash_key) for index, rule in enumerate(scrub.rules)]
        #: rule index -> (rule id, replace function, _meta remark type)
        self._redactions = [(rule.id, rule.redaction.replace, rule.redaction.remark) for rule in self._rules]
        #: rule index -> the text replacing every value (``filter``, ``replace``), or None
        self._constant_replacements = [rule.redaction.constant for rule in self._rules]
        self._replacement_texts = [text for text in self._constant_replacements if text]
        self._echo_memory = EchoMemory()  # echoes of earlier events, by string
        #: rule index -> the key whole-value redactions by the rule are counted under
        self._whole_tally_keys = [(rule.index, None) for rule in self._rules]
        self._count_names: dict[tuple[int, str | None], tuple[str, ...]] = {}
        self._compile_selectors(scrub)
        self._compile_keys()
        self._compile_probes(accelerator)
        self.accelerator = self._prefilter.name
        c_walk = CRun is not None and accelerators_wanted(accelerator)
        #: the run class, chosen once: the C walk when it is built and wanted, else the Python walk
        self._run: type[Run] = CRun if c_walk else Run
        #: what the C walk calls and reads (checked here, so a renamed method fails now)
        self._c_interface = c_walk_interface(self) if c_walk else None
        #: keys inside text (found in C when the accelerators are on and built), pair dicts and
        #: INSERT values written in text
        in_c = c_walk and find_key_values_in_c is not None
        redacted = written_openers([rule.redaction for rule in self._rules])
        in_text = partial(find_key_values_in_c if in_c else find_key_values, redacted=redacted)
        self._find_key_values = with_named_values(in_text) if self._named_values else in_text
        if self._text_shapes:
            self._find_key_values = with_text_shapes(self._find_key_values)
        #: the same in a Python frame's source lines: a value that is code is none (in Python for
        #: both walks: the decision is one definition, and source lines are short and few)
        in_source = partial(find_source_key_values, first=in_text if in_c else None,
                            redacted=redacted)  # (see find_source_key_values)
        self._find_key_values_in_source = with_named_values(in_source) if self._named_values else in_source
        self.enabled = bool(self._rules)
        #: argv detector -> bitmask of the rules running it (see :mod:`.argv`)
        self._argv_rules = {
            name: sum(1 << rule.index for rule in self._rules if any(d.name == name for d in rule.detectors))
            for name in (FLAG_VALUE, JOINED_PASSWORD)
        }
        #: the rules that may redact the partial token of a string sentry-sdk cut (see
        #: :mod:`.cut_values`): those that run detectors, when ``options.partial_tokens`` is set
        self._partial_token_rules = sum(1 << rule.index for rule in self._rules if rule.detectors) \
            if options.partial_tokens else 0

    # ------------------------------------------------------------------ compile

    def _compile_selectors(self, scrub: models.Scrub) -> None:
        selectors = []
        #: selector index -> bitmask of the rules it activates (0 for allow selectors)
        self._selector_rules: list[int] = []
        self._allow_selectors = 0
        for rule in scrub.rules:
            for text in rule.in_ or ():
                self._rules_by_id(rule.id).selector_indexes += (len(selectors),)
                selectors.append(parse_selector(text))
                self._selector_rules.append(1 << self._rules_by_id(rule.id).index)
        for text in scrub.allow:
            self._allow_selectors |= 1 << len(selectors)
            selectors.append(parse_selector(text))
            self._selector_rules.append(0)
        self._automaton = SelectorAutomaton(selectors) if selectors else None
        #: rules active everywhere (no ``in``)
        self._everywhere = sum(1 << rule.index for rule in self._rules if not rule.selector_indexes)
        self._accepted_memo: dict[int, tuple[int, bool]] = {}
        self._steps: dict[tuple[int, str], tuple[int | None, int, bool]] = {}

    def _rules_by_id(self, rule_id: str) -> Rule:
        return next(rule for rule in self._rules if rule.id == rule_id)

    def _compile_keys(self) -> None:
        self._key_rules = [rule for rule in self._rules if rule.key_match]
        self._key_rule_mask = sum(1 << rule.index for rule in self._key_rules)
        #: the name of a lone pair (a list of two items naming its second), when lone pairs are read
        self._lone_pair_name = lone_pair_name if self._key_rule_mask and self._named_values else no_lone_pair
        self._key_memo: dict[Any, int] = {}
        #: active rules -> key names none of those rules match (lets the walk check a whole dict's
        #: keys at once: ``dict.keys() <= harmless``)
        self._harmless: dict[int, set] = {}
        #: keys learnt harmless that read as names: no echo counts in them (dictkeys.py)
        self._harmless_names: set[str] = set()
        self._deciders: dict[int, Callable[[str], int]] = {}

    def _compile_probes(self, accelerator: str | None) -> None:
        probes: list[Probe] = []
        #: probe bit -> (kind, payload, bitmask of rules using it)
        self._probe_kinds: list[tuple[str, Any, int]] = []
        #: the probes of key words inside base64: only a string one flags is read through base64
        self._base64_probes = 0
        detector_rules: dict[str, int] = {}
        for rule in self._rules:
            for detector in rule.detectors:
                detector_rules[detector.name] = detector_rules.get(detector.name, 0) | (1 << rule.index)
        for name, rules in detector_rules.items():
            detector = BUILTIN[name]
            probes.append(detector.probe)
            self._probe_kinds.append(("detector", detector, rules))
        for rule in self._rules:
            if rule.pattern is not None:
                probes.append(user_pattern_probe(rule.pattern))
                self._probe_kinds.append(("pattern", rule, 1 << rule.index))
        for group in activation_groups(self._key_rules):
            rules = sum(1 << rule.index for rule in group)
            probes.append(key_word_probe(group, encoded=self._encoded_text, shaped=self._text_shapes))
            self._probe_kinds.append(("keys", None, rules))
            if self._text_shapes:  # tables hold no separator (see textshapes.py)
                probes.append(table_probe(group))
                self._probe_kinds.append(("keys", None, rules))
            if self._encoded_text:  # keys inside base64 (encoded_text.py)
                self._base64_probes |= 1 << len(probes)
                probes.append(key_word_base64_probe(group))
                self._probe_kinds.append(("keys", None, rules))
            if self._named_values:  # INSERT and Redis values are found with keys inside text
                for probe in (insert_values_probe(group), redis_values_probe(group)):
                    probes.append(probe)
                    self._probe_kinds.append(("keys", None, rules))
        self._probes = tuple(probes)
        #: the probe bit the exact pass adds for a source line read as code (no probe has it)
        self._source_line_bit = 1 << len(probes)
        self._prefilter = make_prefilter(self._probes, accelerator)
        #: probe bit -> (kind, payload, rules), the kind as an object compared by identity
        kinds = {"detector": _DETECTOR, "pattern": _PATTERN, "keys": _KEYS}
        self._probe_table = [(kinds[kind], payload, rules) for kind, payload, rules in self._probe_kinds]
        #: (active rules, probe mask) -> what the exact pass runs (see _plan)
        self._plans: dict[tuple[int, int], tuple] = {}

    def _plan(self, active: int, probe_mask: int) -> tuple[tuple, Callable[[str], int] | None, Callable, tuple | None]:
        """What the exact pass runs for a string flagged by the probes in ``probe_mask`` under the
        rules in ``active`` (memoized: events repeat few combinations): ``(spans function, rule
        index, detector name)`` of each detector and user pattern in probe order, the key
        decider when keys inside text are looked for, the function finding them (for a source
        line read as code, the bit after the probes', see :mod:`.sourcelines`), and the decodings
        of the text they are looked for in too (:mod:`.encoded_text`: with ``options.encoded_text``;
        base64 where a probe of key words inside base64 flagged the string). A probe is credited to the first active rule
        using it; one pass over keys inside text finds the keys of every active key rule."""
        searches = []
        decide_key = None
        source_line = probe_mask >= self._source_line_bit  # a source line read as code (exact_pass)
        for bit, (kind, payload, rules) in enumerate(self._probe_table):
            rules &= active
            if not probe_mask >> bit & 1 or not rules:
                continue
            rule_index = lowest_bit(rules)
            if kind is _DETECTOR:
                spans = in_source_lines(payload.spans) if source_line and payload.key_value else payload.spans
                searches.append((spans, rule_index, payload.name))
            elif kind is _PATTERN:
                searches.append((pattern_spans_function(payload.pattern), rule_index, None))
            else:  # key probes come last
                decide_key = self._key_decider(active)
                break
        find_key_values = self._find_key_values_in_source if source_line else self._find_key_values
        decodings = None
        if self._encoded_text:
            decodings = DECODINGS if probe_mask & self._base64_probes else ESCAPES
        plan = (tuple(searches), decide_key, find_key_values, decodings)
        if len(self._plans) < KEY_MEMO_LIMIT:
            self._plans[(active, probe_mask)] = plan
        return plan

    # ------------------------------------------------------------------ decisions

    def _key_decision(self, key: Any) -> int:
        """Bitmask of the key rules whose globs match ``key`` (memoized per key name)."""
        found = self._key_memo.get(key)
        if found is not None:
            return found
        name = str(key)
        forms_by_case: dict[str, tuple[str, ...]] = {}
        found = 0
        for rule in self._key_rules:
            forms = forms_by_case.get(rule.key_case)
            if forms is None:
                forms = forms_by_case[rule.key_case] = key_forms(name, rule.key_case, self._text_shapes,
                                                                 self._numbered_keys)
            if rule.matches_key(forms):
                found |= 1 << rule.index
        if len(self._key_memo) < KEY_MEMO_LIMIT:
            self._key_memo[key] = found
        return found

    def _step(self, state: int, key: str) -> tuple[int | None, int, bool]:
        """(next state or None when no selector can match below, rules the selectors matched at
        the child activate, whether an ``allow`` selector matched it), memoized per (state, key)."""
        found = self._steps.get((state, key))
        if found is None:
            automaton = self._automaton
            next_state, selector_mask = automaton.step(state, key)
            if not automaton.alive(next_state):
                next_state = None
            rules, allowed = self._accepted(selector_mask) if selector_mask else (0, False)
            found = (next_state, rules, allowed)
            if len(self._steps) < KEY_MEMO_LIMIT:
                self._steps[(state, key)] = found
        return found

    def _count_names_of(self, counted: tuple[int, str | None]) -> tuple[str, ...]:
        """The names a ``(rule index, detector)`` tally is reported under: ``rule_id`` and, for a
        detector, ``rule_id/detector`` (remembered: a ruleset has few of them)."""
        rule_index, detector = counted
        rule_id = self._rules[rule_index].id
        names = (rule_id,) if detector is None else (rule_id, rule_id + "/" + detector)
        self._count_names[counted] = names
        return names

    def _harmless_keys(self, active: int) -> set:
        found = self._harmless.get(active)
        if found is None:
            found = self._harmless[active] = set()
        return found

    def _key_decider(self, active: int) -> Callable[[str], int]:
        """``key -> key rules among active ones that match it`` for keys inside text."""
        found = self._deciders.get(active)
        if found is None:
            memo_get, decide = self._key_memo.get, self._key_decision

            def found(key: str) -> int:
                decision = memo_get(key)
                return (decide(key) if decision is None else decision) & active

            self._deciders[active] = found
        return found

    def _sensitive_text_key(self, key: str, active: int) -> int | None:
        """The rule that redacts the value of ``key`` written in text: a key rule, or a rule
        running the ``password_pair`` detector when the key ends with a secret word."""
        decision = self._key_decision(key) & active
        if decision:
            return lowest_bit(decision)
        for kind, payload, rules in self._probe_kinds:
            if kind == "detector" and payload.name == "password_pair" and rules & active:
                if payload.exact.match(key + "=x") is not None:
                    return lowest_bit(rules & active)
        return None

    def _accepted(self, selector_mask: int) -> tuple[int, bool]:
        """(rules activated, allowed?) for a set of selectors matched at a node."""
        found = self._accepted_memo.get(selector_mask)
        if found is None:
            rules = 0
            for index, bits in enumerate(self._selector_rules):
                if selector_mask >> index & 1:
                    rules |= bits
            found = (rules, bool(selector_mask & self._allow_selectors))
            self._accepted_memo[selector_mask] = found
        return found

    # ------------------------------------------------------------------ public

    def scrub_event(self, event: dict, hint: dict | None = None) -> dict[str, int]:
        """Scrub ``event`` in place; return redaction counts by rule (and rule/detector). ``hint``
        (sentry-sdk's, with the live exception) names the fields of namedtuples sent as lists."""
        if not self.enabled:
            run = self._run(self, meta_root=None)
            run.check_subtree(event, 1)
            return {}
        if type(event) is not dict:  # the walk of selector rules reads the top level as a dict
            raise TypeError(f"an event is a dict, not {type(event).__name__}")
        run = self._run(self, meta_root=event)
        # The paths of argv secrets stay alive until the run ends: the Python walk remembers _meta
        # nodes by the identity of their path.
        early_paths = self._redact_argv_secrets(event, run)
        if self._source_as_code and self._key_rule_mask:
            run.source_lines = source_line_containers(event)
        if self._partial_token_rules:
            early_paths += self._redact_partial_tokens(event, run)
        hidden = []
        if self._named_values and self._key_rule_mask:
            self._redact_route_parameters(event, run)
            early_paths += self._redact_named_locals(event, run)
            if hint:
                early_paths += self._redact_namedtuple_fields(event, hint, run)
            hidden = self._redact_task_arguments(event, run)
        try:
            run.walk_top(event)
        finally:
            for arguments, index, value in hidden:  # back in place (see _redact_task_arguments)
                run.replace(arguments, index, value)
        counts = run.finish()
        del early_paths
        return counts

    def _redact_argv_secrets(self, event: dict, run: Run) -> list:
        """Redact the secrets of argv lists (see :mod:`.argv`) as the exact pass redacts a span:
        with the first rule active there that runs the detector, counted, and written in
        ``_meta``. Returns the paths the remarks were written at."""
        flag_rules, joined_rules = self._argv_rules[FLAG_VALUE], self._argv_rules[JOINED_PASSWORD]
        if not flag_rules and not joined_rules:
            return []
        paths = []
        for secret in find_argv_secrets(event, bool(flag_rules), bool(joined_rules)):
            rules = self._argv_rules[secret.detector] & self._rules_at((secret.path, secret.index))
            if not rules:
                continue
            # moved since it was read: fail closed (the list is checked again after the walk)
            run.list_unchanged(secret.items, secret.seen)
            item = secret.seen[secret.index]
            self._redact_span_early(run, secret.items, secret.index, secret.path, item, secret.start, secret.end,
                                    lowest_bit(rules), secret.detector, len(item))
            paths.append(secret.path)
        return paths

    def _redact_span_early(self, run: Run, container, key, path, text: str, start: int, end: int,
                           rule_index: int, detector: str, original_length: int | None) -> int:
        """Redact ``text[start:end]`` of ``container[key]`` before the walk, as the exact pass
        redacts a span: by the rule, counted under the detector, written in ``_meta``, and a
        known secret of the event. Returns where the replacement ends."""
        rule_id, replace, remark = self._redactions[rule_index]
        replacement = replace(text[start:end])
        run.replace(container, key, text[:start] + replacement + text[end:])
        replaced_end = start + len(replacement)
        run.add_meta(path, key, [[rule_id, remark, start, replaced_end]], original_length)
        counted = (rule_index, detector)
        run.tally[counted] = run.tally.get(counted, 0) + 1
        run.early_secrets.append((text[start:end], rule_index, detector))
        return replaced_end

    def _redact_partial_tokens(self, event: dict, run: Run) -> list:
        """Redact the token each string sentry-sdk cut ends in, when it could be the beginning of
        a secret (see :mod:`.cut_values`), by the first rule active there that runs detectors:
        counted as its ``partial_token``, written in ``_meta`` before sentry-sdk's remark (moved
        to where ``...`` now is), and a known secret of the event. Returns the paths the remarks
        were written at."""
        paths = []
        for cut in list(cut_strings(event, self._limits.max_depth)):
            start = partial_token(cut.text, cut.cut)
            if start is None or self._redacted_whole_on((cut.path, cut.key)):
                continue  # (a value redacted whole is the walk's)
            rules = self._partial_token_rules & self._rules_at((cut.path, cut.key))
            if not rules:
                continue
            # (sentry-sdk's remark, whose "len" stays, moves to where "..." now is)
            end = self._redact_span_early(run, cut.container, cut.key, cut.path, cut.text, start, cut.cut,
                                          lowest_bit(rules), PARTIAL_TOKEN, None)
            cut.remark[2:] = [end, end + len(MARKER)]
            paths.append(cut.path)
        return paths

    def _redact_route_parameters(self, event: dict, run: Run) -> None:
        """Redact the values of the parameters of the transaction's route that a key rule names
        in ``request.url`` (see :mod:`.routes`), as a key's value is: by the first key rule active
        there matching the parameter's name, counted, written in ``_meta``, and a known secret of
        the event (percent-decoded too)."""
        request = event.get("request")
        url = request.get("url") if type(request) is dict else None
        parameters = route_parameters(event.get("transaction"), url)
        rules_here = self._rules_at((_REQUEST, "url")) if parameters else 0
        findings = []
        for parameter in parameters:
            decision = self._key_decision(parameter.name) & rules_here
            if decision:
                rule_index = lowest_bit(decision)
                findings.append((parameter.start, parameter.end, rule_index, None))
                value = url[parameter.start : parameter.end]
                for secret in dict.fromkeys((value, unquote(value))):
                    run.early_secrets.append((secret, rule_index, None))
        if findings:
            redacted, remarks = Run.spans_redacted(run, url, findings)
            run.replace(request, "url", redacted)
            run.add_meta(_REQUEST, "url", remarks, len(url))

    def _redact_namedtuple_fields(self, event: dict, hint: dict, run: Run) -> list:
        """Redact the namedtuple fields of frame variables (see :mod:`.namedtuples`) that a key
        rule active at the item names, as a value under that key: whole, counted, written in
        ``_meta``, and a known secret of the event. A field holding a container is left to the
        walk. Returns the paths the remarks were written at."""
        paths = []
        for item in named_items(event, hint):
            value = item.items[item.index]
            if type(value) is not str and (type(value) not in (int, float) or type(value) is bool):
                continue
            if self._redacted_whole_on(item.path):
                continue  # every leaf below is the walk's to redact
            decision = self._key_decision(item.name) & self._rules_at((item.path, item.index))
            if decision:
                rule_index = lowest_bit(decision)
                if type(value) is str:
                    run.early_secrets += [(secret, rule_index, None) for secret in whole_value_secrets(value)]
                run.apply_whole(item.items, item.index, item.path, rule_index)
                paths.append(item.path)
        return paths

    def _redact_named_locals(self, event: dict, run: Run) -> list:
        """Redact the frame locals another local names (see :mod:`.namedlocals`) as a key's value
        is: by the first key rule active at the local matching its name, counted, written in
        ``_meta``, and a known secret of the event; unless the walk decides the local itself.
        Returns the paths the remarks were written at."""
        paths = []
        for _, variables, vars_path in frame_variables(event):
            for key, name in named_locals(variables, self._replacement_texts):
                path = (vars_path, key)
                rules_here = self._rules_at(path)
                decision = self._key_decision(name) & rules_here
                if not decision or self._decided_by_the_walk(variables, key, rules_here):
                    continue
                rule_index = lowest_bit(decision)
                for secret in whole_value_secrets(variables[key]):
                    run.early_secrets.append((secret, rule_index, None))
                run.apply_whole(variables, key, vars_path, rule_index)
                paths.append(path)
        return paths

    def _decided_by_the_walk(self, fields: dict, key: str, active: int) -> bool:
        """Whether a key rule among ``active`` redacts ``fields[key]`` in the walk: one matching
        its key or, for a value field, a name of the pair dict ``fields`` (:mod:`.pairs`)."""
        decision = self._key_decision(key)
        if key in PAIR_VALUES:
            for pair_name in pair_names(fields, Run.exact_key):
                decision |= self._key_decision(pair_name)
        return bool(decision & active)

    def _redact_task_arguments(self, event: dict, run: Run) -> list[tuple[list, int, Any]]:
        """Redact the positional arguments of a Celery task that its signature names (see
        :mod:`.task_arguments`) as a key's value is: by the first key rule active at the argument
        matching its name, whole (a container has every leaf redacted), counted, written in
        ``_meta``, and a known secret of the event. A container is queued as the walk queues one
        under a sensitive key, and shown to the walk as None (its leaves are no text to search):
        returns ``(list, index, container)`` of each, put back once the walk is done."""
        arguments, names = task_argument_names(event)
        hidden = []
        for index, name in enumerate(names):
            value = arguments[index]
            kind = type(value)
            if kind not in (str, int, float, dict, list, tuple):
                continue  # None and booleans are never redacted
            state, active = self._selection_at((_TASK_ARGUMENTS, index))
            decision = self._key_decision(name) & active
            if not decision:
                continue
            rule_index = lowest_bit(decision)
            if kind is dict or kind is list or kind is tuple:
                # (depth 4: the list's depth in the walk)
                run.redact_all(arguments, index, value, _TASK_ARGUMENTS, state, active, rule_index, 4)
                hidden.append((arguments, index, arguments[index]))  # (a tuple is a list now)
                run.replace(arguments, index, None)
                continue
            run.early_secrets.append((value if kind is str else str(value), rule_index, None))
            run.apply_whole(arguments, index, _TASK_ARGUMENTS, rule_index)  # (removed: a list keeps its place)
        return hidden

    def _rules_at(self, path) -> int:
        """The rules active at ``path`` (``(parent path, key)`` links from the root), as the walk
        steps its selectors there; none where ``allow`` covers it."""
        return self._selection_at(path)[1]

    def _selection_at(self, path) -> tuple[int | None, int]:
        """(the selector state at ``path``, None when no selector can match there or below; the
        rules active there, none where ``allow`` covers it), as the walk steps its selectors."""
        state, active = (self._automaton.start if self._automaton is not None else None), self._everywhere
        for _, state, active in self._selections_along(path):
            if active is None:
                return None, 0
        return state, active

    def _redacted_whole_on(self, path) -> bool:
        """Whether the walk redacts a container on ``path`` whole (a key on it that a key rule
        active there matches), or ``allow`` leaves it: either way the walk decides what is below."""
        for key, _, active in self._selections_along(path):
            if active is None or (type(key) is str and self._key_decision(key) & active):
                return True
        return False

    def _selections_along(self, path):
        """(key, selector state, rules active) at each step of ``path``, as the walk steps its
        selectors; the rules are ``None``, and the steps end, where ``allow`` covers it."""
        state = self._automaton.start if self._automaton is not None else None
        active = self._everywhere
        for key in path_steps(path):
            if state is not None:
                state, rules, allowed = self._step(state, key if type(key) is str else str(key))
                if allowed:
                    yield key, None, None
                    return
                active |= rules
            yield key, state, active
