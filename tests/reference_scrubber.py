"""A small, obviously-correct scrubber, for checking the compiled one (C walk and pure Python) against.

Plain recursion over the event from its root: each node is visited once with the path of names
that leads to it; which rules apply there, and whether ``allow`` covers it, is decided by matching
every selector against that path (no automaton, no memo, no bitmask); every string collected is
searched by every detector, pattern and key rule active where it sits (no prefilter). It shares
with the production path only definitions that have tests of their own: selector parsing and key
globs, detector and pattern spans, keys inside text, the redaction functions, argv values, the
strings sentry-sdk cut and their partial tokens, the decoded views of text, the shapes of key/value text, route parameters, task arguments' names, Redis commands' values and the log-template patterns.

Semantics, as the README states them:

* **Where rules apply.** A selector matches a node when its segments match the node's path
  (``**`` any number of names, ``*`` one, any other segment one normalized name). A rule with
  ``in`` applies at a node when one of its selectors matches the node or an ancestor; a rule
  without applies everywhere. An ``allow`` selector matching a node or an ancestor leaves the
  subtree unscrubbed. The step to a list item is its index, except for a ``[name, value]`` pair
  (headers), whose value sits one step below the list, at ``name``. The SDK's bookkeeping at the
  top level (``SKIPPED_TOP_LEVEL``) is never scrubbed.
* **Keys.** A dict key (or a pair's name) matching a key rule active at its value makes that
  value sensitive, the first such rule (in ruleset order) redacting it: a leaf is replaced whole,
  a container has every leaf replaced (``allow`` below still wins), and a ``remove`` rule removes
  the value (``None`` in a list) whatever it holds.
  With ``numbered_keys``, a key name is also read without a copy or version suffix
  (``token2``, ``api_key_v2``, ``SECRET_KEY_OLD``: the key globs' own ``key_forms``).
* **Lone pairs.** With ``named_values``, a list of two items whose first is a str reading as a
  key's name (``pairs.lone_pair_name``) names its second item: that item's key rule is the
  first rule active at it whose keys match the name (unless the list is itself an item of a
  list: then it is a ``[name, value]`` pair of that list).
* **Pair dicts.** A dict holding a value field (``value``, ``Value``, ...) and a name field
  (``name``, ``Key``, ...) holding a str is a pair: each value field's key rule is the first
  rule active at it whose keys match its own key or one of those names. Selectors step the real
  path.
* **Source lines.** With ``source_as_code``, in the source lines of a Python frame (its file named
  ``.py`` as the event arrives), a value after ``=`` or ``:`` that keys inside text or a key/value
  detector finds is none when it is code (``sourcelines``).
* **Text.** Every other string (a pair's name too), and every number of 13 to 19 digits as its digits, is searched
  by each detector (credited to the first active rule running it), each pattern, and for keys
  inside text; overlapping findings merge into their union, named after the longest (the first
  of equal ones: detectors, then patterns, then keys inside text, in ruleset order).
* **Echoes of earlier events.** A value string that held echoes (not a key) is remembered with
  them, up to ``EchoMemory`` bounds (the memory starts anew after the event that exceeds them); a
  later event's string equal to a remembered one gets those echoes, of the rules active at it.
* **Keys are text.** Every key of a dict below the top level (one ``allow`` leaves alone, and not
  of a container removed whole) is a string searched by the rules active at its dict, echoes
  included (but no echo in a key reading as a name, ``dictkeys.reads_as_a_name``); a key with
  findings is renamed to its redacted text once every value is written
  (``dictkeys.renamed_keys``: `` (2)`` ... when the dict or its ``_meta`` node has that name), its
  ``_meta`` node moving with it; the key gets no remark of its own, only its counts.
* **Keys under a sensitive key.** A dict with every leaf redacted by a key rule (at any depth
  below the key) has each key that does not read as a name redacted whole by that rule too
  (renamed to its redaction, counted once, a known secret), not searched; keys reading as names
  are searched as above.
* **Named values in text.** In text, each value of an ``INSERT`` whose column a key rule active
  there matches, and each value field of a pair dict written as text (a repr, JSON) whose names
  one matches, is found as a key's value inside text is (``scrub/sqlinsert.py``,
  ``scrub/pairs.py``).
* **Text shapes.** With ``text_shapes``, a key name holding spaces is also compared with each
  run of them as ``_`` (``rule.key_forms``), and in text (not a source line read as code), each
  value of a key in the shapes of ``scrub/textshapes.py`` (labels, Markdown, lines below a key,
  quoted values over lines, triple quotes and heredocs, ``=>``, wrapping calls, Authorization
  lines, tables of lines, HTML and CSV) is found as a key's value inside text is.
* **Routes.** With ``named_values``, each parameter of the transaction's route
  (``routes.route_parameters``) in ``request.url`` is a key's value: the first key rule active at
  ``request.url`` matching its name redacts it (remark at ``request.url``), and it is a known
  secret (percent-decoded too).
* **Named locals.** With ``named_values``, in each frame's variables, a string local right after
  one holding a name (``namedlocals.local_name``: a string literal reading as a name) is that
  name's value when its own text reads as no name and is worth searching
  (``echoes.worth_searching``): the first key rule active at it matching the name redacts it
  whole before the walk (a known secret), unless a key rule there matches its own key or its
  pair dict's names.
* **Task arguments.** With ``named_values``, each positional argument of a Celery task's job
  (``extra.celery-job.args``) that the task's signature names (``task_arguments.task_argument_names``)
  is a key's value: the first key rule active at ``extra.celery-job.args.N`` matching its name
  redacts it, before the walk: a str or number whole (remark there, a known secret), a container
  as under a sensitive key (the walk does not visit it again).
* **Redis commands.** With ``named_values``, in text, each value of a Redis command whose field or
  key a key rule active there names is found as a key's value inside text is
  (``scrub/redis_commands.py``).
* **Log templates.** A positional log parameter whose template names a sensitive key before its
  placeholder (``password=%s``) is redacted whole, by the rules active everywhere.
* **_meta.** Each redacted value gets ``{"": {"rem": [[rule id, type, start, end]], "len": n}}``
  at its path under the event's ``_meta`` (``[rule id, "x"]`` and no ``len`` when removed).
  Counts are per rule id and per ``rule id/detector``.

Limits, unsendable values, subclasses and the ``max_string_length`` cut are not modelled: they
have tests of their own, and the property tests draw events within them.
"""

from __future__ import annotations

from urllib.parse import unquote

from rules_engine.conditions.regex import compile_regex
from rules_engine.model import models
from rules_engine.scrub.argv import FLAG_VALUE, JOINED_PASSWORD, find_argv_secrets
from rules_engine.scrub.cut_values import PARTIAL_TOKEN, cut_strings, partial_token
from rules_engine.scrub.encoded_text import in_decoded_views
from rules_engine.scrub.detectors import BUILTIN
from rules_engine.scrub.dictkeys import key_echoes, path_steps, reads_as_a_name, renamed_keys
from rules_engine.scrub.echoes import (EchoMemory, echo_forms, owner_order, searched_texts, whole_value_secrets, widen_to_base64,
                                      worth_searching)
from rules_engine.scrub.keytext import find_key_values
from rules_engine.scrub.logtemplate import keys_of_parameters
from rules_engine.scrub.namedlocals import frame_variables, local_name, local_text
from rules_engine.scrub.pairs import PAIR_NAMES, PAIR_VALUES, find_pairs_in_text, lone_pair_name
from rules_engine.scrub.redactions import written_openers, compile_redaction
from rules_engine.scrub.routes import route_parameters
from rules_engine.scrub.rule import key_matcher, pattern_spans_function
from rules_engine.scrub.selectors import normalize_key, parse_selector
from rules_engine.scrub.sourcelines import find_source_key_values, without_code_values
from rules_engine.scrub.redis_commands import find_redis_values
from rules_engine.scrub.sqlinsert import find_insert_values
from rules_engine.scrub.task_arguments import task_argument_names
from rules_engine.scrub.textshapes import find_shaped_values
from rules_engine.scrub.walk import LOG_ENTRY_PLACES, SKIPPED_TOP_LEVEL


class ReferenceRule:
    def __init__(self, index: int, spec: models.ScrubRule, hash_key: bytes | None, spaced: bool = False,
                 numbered_keys: bool = False):
        self.index, self.id = index, spec.id
        self.redaction = compile_redaction(spec.redact, hash_key)
        self.matches_key = key_matcher(spec.keys, spec.case, spec.except_keys, spaced, numbered_keys) if spec.keys else None
        self.detectors = [BUILTIN[name] for name in spec.detect or ()]
        self.pattern = pattern_spans_function(compile_regex(spec.pattern)) if spec.pattern else None
        self.selectors = [parse_selector(text) for text in spec.in_ or ()]


def selector_matches(segments, names) -> bool:
    """Whether the selector's segments match the path ``names`` exactly."""
    if not segments:
        return not names
    first, rest = segments[0], segments[1:]
    if first.deep:
        return any(selector_matches(rest, names[skip:]) for skip in range(len(names) + 1))
    return bool(names) and first.matches(normalize_key(names[0])) and selector_matches(rest, names[1:])


def covered(selectors, names) -> bool:
    """Whether a selector matches the node at ``names`` or one of its ancestors."""
    return any(selector_matches(s.segments, names[:end]) for s in selectors for end in range(len(names) + 1))


def pair_names_of(fields: dict, field) -> list[str]:
    """The names a pair dict gives its value ``field``: the text of every name field holding a
    str when ``field`` is a value field (none otherwise)."""
    if field not in PAIR_VALUES:
        return []
    return [str.__str__(value) for key, value in fields.items() if key in PAIR_NAMES and isinstance(value, str)]


def is_pair(item) -> bool:
    return type(item) in (list, tuple) and len(item) == 2 and type(item[0]) is str


class ReferenceScrubber:
    def __init__(self, scrub: models.Scrub, hash_key: bytes | None = None, options: models.Options | None = None):
        options = options or models.Options()
        #: ``options.text_shapes``: keys holding spaces, and keys in the shapes of ``textshapes``;
        #: ``options.numbered_keys``: key names read without a copy or version suffix too
        self.text_shapes = options.text_shapes
        self.rules = [ReferenceRule(index, spec, hash_key, self.text_shapes, options.numbered_keys)
                      for index, spec in enumerate(scrub.rules)]
        self.allow = [parse_selector(text) for text in scrub.allow]
        #: what redactions write that opens a container: a value keys inside text do not redact again
        self.written_openers = written_openers([rule.redaction for rule in self.rules])
        #: ``options.named_values``: pair dicts and INSERT values; ``options.echoes``: echoes
        self.named_values, self.look_for_echoes = options.named_values, options.echoes
        #: ``options.source_as_code``: a Python frame's source lines read as code
        self.source_as_code = options.source_as_code
        #: ``options.partial_tokens``: the token a string sentry-sdk cut ends in
        self.partial_tokens, self.max_depth = options.partial_tokens, options.limits.max_depth
        #: ``options.encoded_text``: keys inside text in its decoded views too
        self.encoded_text = options.encoded_text
        #: string -> {(start, end, rule index, detector)}: the echoes earlier events found in it
        self.memory: dict[str, set] = {}

    # ------------------------------------------------------------------ where rules apply

    def active(self, names) -> list[ReferenceRule]:
        return [rule for rule in self.rules if not rule.selectors or covered(rule.selectors, names)]

    def allowed(self, names) -> bool:
        return covered(self.allow, names)

    def key_rule(self, key, names) -> ReferenceRule | None:
        return next((rule for rule in self.active(names) if rule.matches_key and rule.matches_key(key)), None)

    def first_key_rule(self, keys, names) -> ReferenceRule | None:
        """The first rule active at ``names`` whose keys match one of ``keys``."""
        return next((rule for rule in self.active(names) if rule.matches_key and any(map(rule.matches_key, keys))),
                    None)

    # ------------------------------------------------------------------ the walk

    def scrub_event(self, event: dict) -> dict[str, int]:
        """Scrub ``event`` in place, as ``Scrubber.scrub_event`` does; return the counts."""
        self.event, self.counts, self.texts, self.whole = event, {}, [], []
        self.keys = []  # (dict, key, where the dict is, text, active rules) of every key searched
        self.whole_keys = []  # (dict, key, where the dict is, rule) of every key redacted whole
        self.secrets = []  # (text, rule, detector) of every value redacted
        if not self.rules:
            return {}
        self.python_frames = self.find_python_frames(event) if self.source_as_code else set()
        self.redact_argv(event)
        if self.partial_tokens:
            self.redact_partial_tokens(event)
        hidden = []
        if self.named_values:
            self.redact_route_parameters(event)
            self.redact_named_locals(event)
            hidden = self.redact_task_arguments(event)
        for key in list(event):
            if key not in SKIPPED_TOP_LEVEL:
                self.visit(event, key, [key], [key])
        for arguments, index, value in hidden:
            arguments[index] = value
        for place in LOG_ENTRY_PLACES:
            self.redact_log_entry(event, list(place))
        for container, key, where, rule in self.whole:
            self.learn_whole(container[key], rule)
            self.redact_whole(container, key, where, rule)
        renames = {}  # id(dict) -> (dict, where the dict is, {key: redacted text})
        for node, key, where, rule in self.whole_keys:
            self.secrets.append((key, rule, None))
            self.count(rule.id)
            renames.setdefault(id(node), (node, where, {}))[2][key] = rule.redaction.replace(key)
        strings = self.texts + self.keys
        found = [self.findings(text, active, self.source_line(where) if index < len(self.texts) else False)
                 for index, (_, _, where, text, active) in enumerate(strings)]
        for (_, _, _, text, _), findings in zip(strings, found):
            self.secrets += [(text[start:end], rule, detector) for start, end, rule, detector in findings]
        echoed = []
        for (container, key, where, text, active), findings in zip(self.texts, found):
            echoes = self.echoes(text, active)
            if echoes:
                echoed.append((text, echoes))
            self.redact_text(container, key, where, text, findings + echoes + self.earlier_echoes(text, active))
        self.remember(echoed)
        for (node, key, where, text, active), findings in zip(self.keys, found[len(self.texts):]):
            redacted = self.redacted(text, findings + key_echoes(text, self.echoes(text, active)))
            if redacted is not None:
                renames.setdefault(id(node), (node, where, {}))[2][key] = redacted[0]
        for node, where, wanted in sorted(renames.values(), key=lambda rename: -len(rename[1])):
            self.rename(node, where, wanted)
        return self.counts

    def visit(self, container, key, names, where, named_by=()) -> None:
        """The value at ``container[key]``: its selector path is ``names``, its place ``where``;
        ``named_by`` the names a pair dict gives it besides its key."""
        if self.allowed(names):
            return
        value = container[key]
        if type(key) is str or named_by:
            rule = self.first_key_rule([key, *named_by] if type(key) is str else list(named_by), names)
            if rule is not None:
                self.redact_all(container, key, names, where, rule)
                return
        if type(value) is tuple:
            value = container[key] = list(value)
        if type(value) is dict:
            self.keys += [(value, child, where, child, self.active(names)) for child in value]
            for child in list(value):
                named_by = pair_names_of(value, child) if self.named_values else ()
                self.visit(value, child, names + [child], where + [child], named_by)
        elif type(value) is list:
            lone_name = lone_pair_name(value) if self.named_values else None
            for index, item in enumerate(value):
                if index == 1 and lone_name is not None:
                    self.visit(value, index, names + [str(index)], where + [index], (lone_name,))
                elif is_pair(item):
                    self.visit_pair(value, index, names + [item[0]], where + [index])
                else:
                    self.visit(value, index, names + [str(index)], where + [index])
        else:
            text = self.text_of(value)
            if text is not None:
                self.texts.append((container, key, where, text, self.active(names)))

    def visit_pair(self, container, index, names, where) -> None:
        """A ``[name, value]`` pair: its value sits at ``names`` (ending with the name); the name
        is a string of the list, searched where the list's own rules apply."""
        pair = container[index]
        if type(pair) is tuple:
            pair = container[index] = list(pair)
        self.texts.append((pair, 0, where + [0], pair[0], self.active(names[:-1])))
        if self.allowed(names):
            return
        rule = self.key_rule(pair[0], names)
        if rule is not None:
            self.redact_all(pair, 1, names, where + [1], rule)
        else:
            self.visit(pair, 1, names, where + [1])

    @staticmethod
    def text_of(value) -> str | None:
        if type(value) is str:
            return value
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is int and 10**12 <= value < 10**19:
            return str(value)
        return None

    def redact_all(self, container, key, names, where, rule) -> None:
        """Every leaf of a sensitive value (``allow`` below still wins, unless ``names`` is None:
        no selector applies), or all of it removed."""
        value = container[key]
        if type(value) is tuple:
            value = container[key] = list(value)
        if type(value) in (dict, list) and not rule.redaction.removes:
            if type(value) is dict:  # its keys are values of the key too, but those reading as names
                self.keys += [(value, child, where, child, self.active(names or [])) for child in value
                              if reads_as_a_name(child)]
                self.whole_keys += [(value, child, where, rule) for child in value if not reads_as_a_name(child)]
            for child in list(value) if type(value) is dict else range(len(value)):
                child_names = None if names is None else names + [child if type(child) is str else str(child)]
                if child_names is None or not self.allowed(child_names):
                    self.redact_all(value, child, child_names, where + [child], rule)
        elif value is not None and type(value) is not bool:
            self.whole.append((container, key, where, rule))

    def redact_log_entry(self, event: dict, place: list[str]) -> None:
        """A log entry at ``place`` not redacted whole already: its parameters by their template."""
        node = event
        for step in place:
            holder = node
            node = node.get(step) if type(node) is dict else None
            if any(entry[0] is holder and entry[1] == step for entry in self.whole):
                return
        if type(node) is not dict:
            return
        template, params = node.get("message"), node.get("params")
        if type(template) is not str or type(params) is not list:
            return
        for position, key in keys_of_parameters(template):
            rule = self.log_key_rule(key) if position < len(params) else None
            if rule is not None and type(params[position]) not in (dict, list):
                self.redact_all(params, position, None, [*place, "params", position], rule)
                self.texts = [entry for entry in self.texts if not (entry[0] is params and entry[1] == position)]

    def log_key_rule(self, key: str) -> ReferenceRule | None:
        """The rule for a key named in a log template: a key rule active everywhere, else a rule
        running ``password_pair`` when the key ends with a secret word."""
        everywhere = [rule for rule in self.rules if not rule.selectors]
        by_key = next((rule for rule in everywhere if rule.matches_key and rule.matches_key(key)), None)
        pair = BUILTIN.get("password_pair")
        return by_key or next((rule for rule in everywhere if pair in rule.detectors
                               and pair.exact.match(key + "=x")), None)

    def redact_argv(self, event: dict) -> None:
        """Secrets of argv lists: redacted by the first rule active there running the detector."""
        wanted = {name: [rule for rule in self.rules if any(d.name == name for d in rule.detectors)]
                  for name in (FLAG_VALUE, JOINED_PASSWORD)}
        for secret in find_argv_secrets(event, bool(wanted[FLAG_VALUE]), bool(wanted[JOINED_PASSWORD])):
            where = [*path_steps(secret.path), secret.index]
            names = [step if type(step) is str else str(step) for step in where]
            if self.allowed(names):
                continue
            rule = next((rule for rule in self.active(names) if rule in wanted[secret.detector]), None)
            if rule is None:
                continue
            item = secret.items[secret.index]
            replacement = rule.redaction.replace(item[secret.start : secret.end])
            secret.items[secret.index] = item[: secret.start] + replacement + item[secret.end :]
            self.remark(where, [[rule.id, rule.redaction.remark, secret.start, secret.start + len(replacement)]],
                        len(item))
            self.count(rule.id)
            self.count(f"{rule.id}/{secret.detector}")
            self.secrets.append((item[secret.start : secret.end], rule, secret.detector))

    def redact_partial_tokens(self, event: dict) -> None:
        """The token each string sentry-sdk cut ends in, when it could begin a secret: redacted by
        the first rule active there running detectors, unless a key rule or ``allow`` on its path
        decides the value (sentry-sdk's remark moves to where ``...`` now is)."""
        wanted = [rule for rule in self.rules if rule.detectors]
        for cut in list(cut_strings(event, self.max_depth)):
            start = partial_token(cut.text, cut.cut)
            where = [*path_steps(cut.path), cut.key]
            names = [step if type(step) is str else str(step) for step in where]
            if start is None or any(self.allowed(names[:depth]) or (type(step) is str and self.key_rule(step, names[:depth]))
                                    for depth, step in enumerate(where, 1)):
                continue
            rule = next((rule for rule in self.active(names) if rule in wanted), None)
            if rule is None:
                continue
            replacement = rule.redaction.replace(cut.text[start : cut.cut])
            cut.container[cut.key] = cut.text[:start] + replacement + cut.text[cut.cut :]
            end = start + len(replacement)
            cut.remark[2:] = [end, end + 3]
            self.remark(where, [[rule.id, rule.redaction.remark, start, end]], None)
            self.count(rule.id)
            self.count(f"{rule.id}/{PARTIAL_TOKEN}")
            self.secrets.append((cut.text[start : cut.cut], rule, PARTIAL_TOKEN))

    def redact_route_parameters(self, event: dict) -> None:
        """The parameters of the transaction's route in ``request.url``: each a key's value."""
        request = event.get("request")
        url = request.get("url") if type(request) is dict else None
        names = ["request", "url"]
        if self.allowed(names):
            return
        out, remarks, cursor = "", [], 0
        for parameter in route_parameters(event.get("transaction"), url):
            rule = self.first_key_rule([parameter.name], names)
            if rule is None:
                continue
            value = url[parameter.start : parameter.end]
            replacement = rule.redaction.replace(value)
            out += url[cursor : parameter.start]
            remarks.append([rule.id, rule.redaction.remark, len(out), len(out) + len(replacement)])
            out += replacement
            cursor = parameter.end
            self.count(rule.id)
            self.secrets += [(secret, rule, None) for secret in dict.fromkeys([value, unquote(value)])]
        if remarks:
            request["url"] = out + url[cursor:]
            self.remark(names, remarks, len(url))

    def redact_named_locals(self, event: dict) -> None:
        """In each frame's variables, the string local right after a local holding a name
        (``namedlocals.local_name``), when its text is worth searching and reads as no name: the
        first key rule active at it matching that name redacts it whole, unless the walk would
        (its key, or its pair dict's names, has a key rule there)."""
        replacements = [rule.redaction.constant for rule in self.rules if rule.redaction.constant]
        for _, variables, vars_path in frame_variables(event):
            where = path_steps(vars_path)
            previous = None
            for key, value in list(variables.items()):
                name, previous = previous, local_name(value)
                if name is None or type(value) is not str:
                    continue
                text = local_text(value)
                names = [str(step) for step in where] + [key]
                if reads_as_a_name(text) or not worth_searching(text, replacements) or self.allowed(names):
                    continue
                rule = self.first_key_rule([name], names)
                if rule is not None and self.first_key_rule([key, *pair_names_of(variables, key)], names) is None:
                    self.learn_whole(value, rule)
                    self.redact_whole(variables, key, [*where, key], rule)
    def redact_task_arguments(self, event: dict) -> list[tuple[list, int, object]]:
        """The positional arguments of a task's job its signature names: each a key's value.
        Returns the containers among them, taken out of the walk."""
        arguments, names = task_argument_names(event)
        hidden = []
        for index, name in enumerate(names):
            where = ["extra", "celery-job", "args", index]
            value = arguments[index]
            path_names = where[:-1] + [str(index)]
            if type(value) not in (str, int, float, dict, list, tuple) or self.allowed(path_names):
                continue
            rule = self.first_key_rule([name], path_names)
            if rule is None:
                continue
            if type(value) in (dict, list, tuple):
                self.redact_all(arguments, index, path_names, where, rule)
                hidden.append((arguments, index, arguments[index]))
                arguments[index] = None
            else:
                self.secrets.append((value if type(value) is str else str(value), rule, None))
                self.redact_whole(arguments, index, where, rule)
        return hidden

    # ------------------------------------------------------------------ redacting

    def redact_whole(self, container, key, where, rule) -> None:
        self.count(rule.id)
        value = container[key]
        if rule.redaction.removes:
            if type(container) is dict:
                del container[key]
            else:
                container[key] = None
            self.remark(where, [[rule.id, "x"]], None)
            return
        text = value if type(value) is str else value.decode("utf-8", "replace") if type(value) is bytes else str(value)
        container[key] = replacement = rule.redaction.replace(text)
        self.remark(where, [[rule.id, rule.redaction.remark, 0, len(replacement)]], len(text))

    def source_line(self, where: list) -> bool:
        """Whether the string at ``where`` is a source line of a Python frame of an exception's or
        a thread's stack (``...stacktrace.frames.N.context_line``, ``....pre_context.N``,
        ``....post_context.N``) read as code."""
        if not self.source_as_code:
            return False
        if where[-1:] == ["context_line"]:
            frame_at = where[:-1]
        elif len(where) >= 2 and where[-2] in ("pre_context", "post_context") and type(where[-1]) is int:
            frame_at = where[:-2]
        else:
            return False
        if (len(frame_at) != 6 or frame_at[0] not in ("exception", "threads") or frame_at[1:2] != ["values"]
                or frame_at[3:5] != ["stacktrace", "frames"]):
            return False
        return (frame_at[0], frame_at[2], frame_at[5]) in self.python_frames

    def find_python_frames(self, event: dict) -> set:
        """``(section, stack index, frame index)`` of each frame whose file (``abs_path``, else
        ``filename``) is Python source, as the event arrives."""
        found = set()
        for section in ("exception", "threads"):
            stacks = event.get(section, {}).get("values") if type(event.get(section)) is dict else None
            for i, stack in enumerate(stacks if type(stacks) is list else []):
                trace = stack.get("stacktrace") if type(stack) is dict else None
                frames = trace.get("frames") if type(trace) is dict else None
                for j, frame in enumerate(frames if type(frames) is list else []):
                    if type(frame) is dict:
                        name = frame.get("abs_path") if type(frame.get("abs_path")) is str else frame.get("filename")
                        if type(name) is str and name.endswith((".py", ".pyw")):
                            found.add((section, i, j))
        return found

    def findings(self, text: str, active: list[ReferenceRule], source_line: bool = False
                 ) -> list[tuple[int, int, ReferenceRule, str | None]]:
        """``source_line``: a source line read as code, where a key's value that is code is none
        (``sourcelines.find_source_key_values``, ``sourcelines.without_code_values``)."""
        found = []
        detectors = []  # in ruleset order, each once
        for rule in self.rules:
            detectors += [detector for detector in rule.detectors if detector not in detectors]
        for detector in detectors:
            using = [rule for rule in active if detector in rule.detectors]
            if using:
                spans = detector.spans(text)
                if source_line and detector.key_value:
                    spans = without_code_values(text, spans)
                found += [(start, end, using[0], detector.name) for start, end in spans]
        for rule in active:
            if rule.pattern is not None:
                found += [(start, end, rule, None) for start, end in rule.pattern(text)]
        key_rules = [rule for rule in active if rule.matches_key]
        if key_rules:
            found += self.key_values(text, key_rules, source_line)
            if self.encoded_text:
                found += in_decoded_views(text, lambda view: self.key_values(view, key_rules, source_line))
        return found

    def key_values(self, text: str, key_rules: list[ReferenceRule], source_line: bool = False
                   ) -> list[tuple[int, int, ReferenceRule, None]]:
        """The values keys inside text name (with ``named_values``: INSERT, Redis and pair-dict text
        too); in a source line read as code, a value that is code is none."""
        decide = lambda key: tuple(rule for rule in key_rules if rule.matches_key(key))  # noqa: E731
        in_text = find_source_key_values if source_line else find_key_values
        found = [(start, end, rules[0], None) for start, end, rules in in_text(text, decide, redacted=self.written_openers)]
        if self.text_shapes and not source_line:
            found += [(start, end, rules[0], None) for start, end, rules in find_shaped_values(text, decide)]
        if self.named_values:
            found += [(start, end, rules[0], None) for start, end, rules in find_insert_values(text, decide)]
            found += [(start, end, rules[0], None) for start, end, rules in find_redis_values(text, decide)]
            # a pair dict's names together: the first rule matching any of them (rule bits OR'ed)
            bits = lambda key: sum(1 << rule.index for rule in key_rules if rule.matches_key(key))  # noqa: E731
            found += [(start, end, self.rules[(mask & -mask).bit_length() - 1], None)
                      for start, end, mask in find_pairs_in_text(text, bits)]
        return found

    @staticmethod
    def merged(findings):
        """Overlapping findings as their union, named after the longest (the first of equal ones)."""
        merged = []
        for start, end, rule, detector in sorted(findings, key=lambda found: (found[0], -found[1], found[2].index)):
            if merged and start < merged[-1][1]:
                last = merged[-1]
                if end - start > last[4]:
                    last[2:5] = [rule, detector, end - start]
                last[1] = max(last[1], end)
            else:
                merged.append([start, end, rule, detector, end - start])
        return merged

    # ------------------------------------------------------------------ echoes

    def learn_whole(self, value, rule) -> None:
        """A string redacted whole is a secret (a container removed whole is not searched into)."""
        if type(value) is str:
            self.secrets += [(secret, rule, None) for secret in whole_value_secrets(value)]

    def earlier_echoes(self, text: str, active) -> list[tuple[int, int, ReferenceRule, str | None]]:
        """The echoes earlier events found in this very string, of the rules active here."""
        if not self.look_for_echoes:
            return []
        return [(start, end, self.rules[index], detector) for start, end, index, detector in self.memory.get(text, ())
                if self.rules[index] in active]

    def remember(self, echoed) -> None:
        """Remember the echoes of this event's strings (short ones), anew once too many are."""
        for text, echoes in echoed:
            if len(text) <= EchoMemory.MAX_TEXT:
                self.memory.setdefault(text, set()).update((start, end, rule.index, detector)
                                                           for start, end, rule, detector in echoes)
        if (len(self.memory) > EchoMemory.MAX_TEXTS
                or sum(map(len, self.memory)) > EchoMemory.MAX_CHARACTERS):
            self.memory = {}

    def echoes(self, text: str, active) -> list[tuple[int, int, ReferenceRule, str | None]]:
        """Every occurrence in ``text`` of a form of a secret worth searching whose rule is active
        here; per span, the first rule (then detector, a key's value first) of those having it."""
        if not self.look_for_echoes:
            return []
        replacements = [rule.redaction.constant for rule in self.rules if rule.redaction.constant]
        owners = {}  # span -> (rule, detector)
        searched = [(text, rule, detector) for secret, rule, detector in self.secrets if rule in active
                    for text in searched_texts(secret, replacements)]
        for text_searched, rule, detector in searched:
            for form, widens in echo_forms(text_searched).items():
                for start in range(len(text) - len(form) + 1):
                    if text.startswith(form, start):
                        span = widen_to_base64(text, start, start + len(form)) if widens else (start, start + len(form))
                        best = owners.get(span)
                        if best is None or owner_order((rule.index, detector)) < owner_order((best[0].index, best[1])):
                            owners[span] = (rule, detector)
        return [(start, end, rule, detector) for (start, end), (rule, detector) in owners.items()]

    def redact_text(self, container, key, where, text: str, findings) -> None:
        redacted = self.redacted(text, findings)
        if redacted is not None:
            container[key] = redacted[0]
            self.remark(where, redacted[1], len(text))

    def redacted(self, text: str, findings) -> tuple[str, list] | None:
        """``text`` with its findings merged and redacted (counted), and the remarks; None when
        it has none."""
        merged = self.merged(findings)
        if not merged:
            return None
        out, remarks, cursor = "", [], 0
        for start, end, rule, detector, _ in merged:
            replacement = rule.redaction.replace(text[start:end])
            out += text[cursor:start]
            remarks.append([rule.id, rule.redaction.remark, len(out), len(out) + len(replacement)])
            out += replacement
            cursor = end
            self.count(rule.id)
            if detector is not None:
                self.count(f"{rule.id}/{detector}")
        return out + text[cursor:], remarks

    def rename(self, node: dict, where, wanted: dict) -> None:
        """Rename the keys of ``node`` (at ``where``) found holding secrets, in the dict and in its
        ``_meta`` node (where a removed value's key stays)."""
        meta = self.event.get("_meta")
        for step in where:
            meta = meta.get(str(step)) if isinstance(meta, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        final = renamed_keys([*node, *(key for key in meta if key not in node)], wanted)
        renamed = {final.get(key, key): value for key, value in node.items()}
        node.clear()
        node.update(renamed)
        for old, new in final.items():
            if old in meta:
                meta[new] = meta.pop(old)

    def remark(self, where, remarks: list, length: int | None) -> None:
        node = self.event
        for step in ["_meta", *where]:  # a node that is no dict is replaced by one
            if not isinstance(node.get(str(step)), dict):
                node[str(step)] = {}
            node = node[str(step)]
        entry = node.get("")
        if not isinstance(entry, dict):
            entry = node[""] = {}
        entry.setdefault("rem", []).extend(remarks)
        if length is not None:
            entry.setdefault("len", length)

    def count(self, name: str, by: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by


def scrub(scrub_spec: models.Scrub, event: dict, hash_key: bytes | None = None,
          options: models.Options | None = None) -> dict[str, int]:
    """Scrub ``event`` in place by the reference semantics (``options``: which of the readings
    a ruleset turns on happen); return the counts."""
    return ReferenceScrubber(scrub_spec, hash_key, options).scrub_event(event)

