"""Dict keys are text of the event too.

sentry-sdk sends every key of a dict it sends, as text, so a secret used as a key (a session
table or a cache keyed by token, connection pools keyed by their URL) leaves with the event unless
the key itself is searched. A key is searched as the strings of its dict are, by the rules active
at the dict (detectors, patterns, keys inside text, named values, echoes); a key with findings is
renamed to its redacted text once every value is written, and the ``_meta`` of what it held moves
with it (``_meta`` has no place for a remark about a key: the redaction is counted).

Most keys are names a program chose (``exception``, ``vars``, a local's name), the same in every
event: a key whose text holds nothing and that no key rule active at its dict matches is learnt as
harmless for those rules (the scrubber's bounded ``_harmless`` memo), and the walk does not queue
it again. Echoes cannot be learnt (an event's secrets are known only once it is searched), so an
event in which some secret is known has every key searched for its echoes, harmless or not; but
echoes count only in a key that does not read as a name (:func:`reads_as_a_name`): a frame's
``key`` local, redacted whole, often holds the name of the dict key a loop is at
(``for key in settings``), and that name is a frame's variable name or a dict's field elsewhere.

A dict under a sensitive key (``api_keys = {<key>: "billing-service"}``, a session table under
``sessions``) is a value of that key, keys included: the rule redacting its leaves redacts each of
its keys whole too, at every depth below the key (a table of tables keyed by token), except a key
that reads as a name (``passwords = {"alice": ...}``, ``{"public-demo": ...}``, ``{"owner": ...}``),
which is searched as any key is. A key redacted whole is renamed to its redaction (`` (2)`` ...
where that text is taken: ``[Filtered]`` twice), counted once, and is a known secret of the event
for the echo search, as a value redacted whole is.
"""

from __future__ import annotations

from typing import Iterable

from .pairs import PAIR_VALUES
from .rule import KEY_MEMO_LIMIT


def reads_as_a_name(text: str) -> bool:
    """Whether ``text`` reads as a name a program chose (``session_token``, ``insecure``,
    ``SECRET_KEY``), not a secret: no digit, no sign but ``-_.``, and one case after its first
    letter (``sessionToken`` may be a password)."""
    if any(character.isdigit() or not (character.isalnum() or character in "-_.") for character in text):
        return False
    letters = [character for character in text[1:] if character.isalpha()]
    return not (any(map(str.isupper, letters)) and any(map(str.islower, letters)))


def key_echoes(key: str, echoes):
    """The echoes found in a key that count: all of them, unless the key reads as a name (an echo
    in ``user:<passphrase>`` counts, one in ``session_token`` does not)."""
    return [] if reads_as_a_name(key) else echoes


def renamed_keys(keys: Iterable, wanted: dict) -> dict:
    """``old key -> new key`` for each key of ``keys`` (in order) that ``wanted`` renames: the
    text wanted, or, when a key of ``keys`` kept or renamed before already has it, that text
    followed by `` (2)``, `` (3)`` ... (two secrets can redact to the same text, and a dict has one
    value per key)."""
    keys = list(keys)
    taken = {key for key in keys if key not in wanted}
    final = {}
    for key in keys:
        if key in wanted and key not in final:
            name = wanted[key]
            number = 2
            while name in taken:
                name = f"{wanted[key]} ({number})"
                number += 1
            taken.add(name)
            final[key] = name
    return final


def path_steps(path) -> list:
    """The keys of a walk path (``(parent path, key)`` links from ``None``, the root), root first."""
    steps = []
    while path is not None:
        path, key = path
        steps.append(key)
    return steps[::-1]


class DictKeys:
    """The part of :class:`~.walk.Run` that searches dict keys (both walks note the dicts they
    walk in ``dicts``: the dict, its path, the rules active there, whether every key was known
    harmless and exactly a ``str``, and the index of the rule redacting its keys whole or None,
    five items per dict)."""

    dicts: list
    texts: list[str]
    slots: list
    renames: dict
    tally: dict
    #: where the keys start among ``texts`` (every later string is a key)
    keys_from: int

    def queue_keys(self) -> None:
        """Add the keys not known harmless to the strings searched (before values are removed:
        the key of a removed value stays in ``_meta``)."""
        self.keys_from = len(self.texts)
        self._queue_keys(harmless=False)
        self.searched_keys_until = len(self.texts)

    def queue_harmless_keys(self) -> None:
        """Add the keys known harmless, searched for echoes only (their own findings are none),
        but those reading as names: no echo counts in them. Most dicts hold only such keys (a
        frame's fields, its variables' names): one set comparison passes them."""
        self._queue_keys(harmless=True)

    def _queue_keys(self, harmless: bool) -> None:
        known_of, names, nothing = self.scrubber._harmless.get, self.scrubber._harmless_names, frozenset()
        append_text, append_slot = self.texts.append, self.slots.extend
        entries = iter(self.dicts)
        for node, path, active, all_harmless, whole in zip(entries, entries, entries, entries, entries):
            if all_harmless and (not harmless or node.keys() <= names):
                continue
            known = known_of(active, nothing)
            if (not harmless and not all_harmless and whole is None and node.keys() <= known
                    and all(type(key) is str for key in node)):
                continue
            for key in list(node):
                name = key if type(key) is str else str.__str__(key)
                if whole is not None and not reads_as_a_name(name):
                    continue  # redacted whole (redact_whole_keys)
                if (all_harmless or name in known) == harmless and not (harmless and name in names):
                    append_text(name)
                    append_slot((node, key, path, active))

    def keys_redacted_whole(self):
        """``(dict, its path, key, key's text, rule index)`` of each key a sensitive key above its
        dict redacts whole: every key of the dicts noted with a rule that does not read as a name."""
        entries = iter(self.dicts)
        for node, path, _, _, whole in zip(entries, entries, entries, entries, entries):
            if whole is not None:
                for key in list(node):
                    name = key if type(key) is str else str.__str__(key)
                    if not reads_as_a_name(name):
                        yield node, path, key, name, whole

    def whole_key_secrets(self, known) -> None:
        """The keys redacted whole are known secrets of the event, as values redacted whole are."""
        for _, _, _, name, rule_index in self.keys_redacted_whole():
            known.add(name, rule_index, None)

    def redact_whole_keys(self) -> None:
        """Rename each key redacted whole to its redaction by the rule (counted once each; renamed
        with the keys found holding secrets, :meth:`rename_keys`)."""
        redactions, tally_keys, tally = self.scrubber._redactions, self.scrubber._whole_tally_keys, self.tally
        for node, path, key, name, rule_index in self.keys_redacted_whole():
            counted = tally_keys[rule_index]
            tally[counted] = tally.get(counted, 0) + 1
            self.renames.setdefault(id(node), (node, path, {}))[2][key] = redactions[rule_index][1](name)

    def learn_harmless_keys(self, found: dict[int, tuple]) -> None:
        """Learn the keys searched without findings, that no key rule active there matches, as
        harmless there (value fields never: a sibling may name them)."""
        scrubber = self.scrubber
        texts, slots, cut = self.texts, self.slots, self.cut
        for index in range(self.keys_from, self.searched_keys_until):
            if index in found or index in cut:
                continue
            name, active = texts[index], slots[4 * index + 3]
            harmless = scrubber._harmless_keys(active)
            if len(harmless) >= KEY_MEMO_LIMIT:
                continue
            if name not in PAIR_VALUES and not scrubber._key_decision(name) & active:
                harmless.add(name)
                if reads_as_a_name(name) and len(scrubber._harmless_names) < KEY_MEMO_LIMIT:
                    scrubber._harmless_names.add(name)

    def rename_key(self, index: int, new_text: str) -> None:
        container, key, path = self.slots[4 * index : 4 * index + 3]
        self.written.add(index)
        self.renames.setdefault(id(container), (container, path, {}))[2][key] = new_text

    def rename_keys(self) -> None:
        """Rename the keys found holding secrets, deepest dicts first (a ``_meta`` node is found
        by the keys leading to it, before they are renamed themselves)."""
        by_depth = sorted(((path_steps(path), node, wanted) for node, path, wanted in self.renames.values()),
                          key=lambda entry: -len(entry[0]))
        for steps, node, wanted in by_depth:
            meta = self.meta_below(steps)
            keys = list(node) + [key for key in meta or () if key not in node]
            final = renamed_keys(keys, wanted)
            if any(key in node for key in final):
                items = list(node.items())
                node.clear()
                node.update((final.get(key, key), value) for key, value in items)
            if meta is not None:
                for old, new in final.items():
                    step = old if type(old) is str else str.__str__(old)
                    if step in meta:
                        meta[new] = meta.pop(step)

    def meta_below(self, steps: list) -> dict | None:
        """The ``_meta`` node mirroring the container the keys ``steps`` lead to, if something
        below it has one."""
        if self.meta_root is None:
            return None
        node = self.meta_root.get("_meta")
        for step in steps:
            if not isinstance(node, dict):
                return None
            node = node.get(step if type(step) is str else str(step))
        return node if isinstance(node, dict) else None
