"""The fast reader (libyaml + one pass) gives exactly what the full round-trip reader gives.

Loading reads a file with :func:`rules_engine.load.plain_yaml.read_plain` when it can and with
the full reader otherwise. Both must agree on the data and on the line and column of every
key and value, and everything outside the fast reader's subset must go to the full reader.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rules_engine.errors import RulesetError
from rules_engine.load.document import read_yaml
from rules_engine.load.loader import load_model_from_text
from rules_engine.load.plain_yaml import read_plain
from rules_engine.load.positions import locate, to_plain

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "rulesets").glob("*.yaml")) + sorted((ROOT / "rules_engine" / "builtin").glob("*/*.yaml"))

#: Ordinary ruleset YAML in the shapes people write it: block and flow, quoted and plain,
#: block scalars, comments, empty values, non-ASCII text, YAML 1.2 booleans and numbers.
WRITTEN_BY_HAND = [
    "format: 1\nname: shop\n",
    "format: 1\r\nname: shop\r\nfilters:\r\n  - id: a\r\n    drop: true\r\n",
    """\
format: 1   # the version
name: "shop"
revision: '2026-01'
description: |
  Multi-line
    indented text.
filters:
- id: health
  on: [transaction]
  when: {transaction: ['/health*', "/ready"], level: error}
  sample: 0.25
-   id: noisy
    when:
      error.value: >-
        folded
        text
      unless_empty:
    drop: yes
grouping:
  - id: db
    when: {error.type: sqlalchemy.exc.OperationalError}
    fingerprint: [database-error, '{{ error.type }}']
    title: "Database Error: {{ error.value }}"
    tags: {team: on, flag: no, yes: true, count: -3, ratio: 1e3, half: .5, none: ~, empty: null}
    contexts:
      where: {function: '{{ function }}', note: "caf\\u00e9 — naïve ☕ 😀"}
scrub:
  rules: []
  allow:
""",
    "format: 1\nname: x\noptions: {}\nfilters: [{id: a, when: {exc.status_code: {gte: 400, lt: 500}}, drop: true}]\n",
    "format: 1\nname: plain multi\n  line scalar\ndescription: 'it''s quoted'\n",
]

#: Constructs only the full reader handles (or reports), one per line of the subset's edge.
FULL_READER_ONLY = {
    "tab": "format: 1\nname: a\t b\n",
    "duplicate key": "format: 1\nname: a\nname: b\n",
    "custom tag": "format: 1\nname: !secret a\n",
    "standard tag": "format: 1\nname: !!str 5\n",
    "non-specific tag": "format: 1\nname: ! 5\n",
    "anchor and alias": "format: 1\nname: &n shop\ndescription: *n\n",
    "merge key": "format: 1\nname: a\noptions: {<<: {on_error: drop}}\n",
    "non-string key": "format: 1\nname: a\n1: b\n",
    "octal number": "format: 1\nname: a\nrevision: 0o17\n",
    "number with underscores": "format: 1\nname: a\nrevision: 1_000\n",
    "date": "format: 1\nname: a\nrevision: 2026-01-01\n",
    "infinity": "format: 1\nname: a\nfilters: [{id: a, sample: .inf}]\n",
    "directive": "%YAML 1.1\n---\nformat: 1\nname: a\n",
    "two documents": "format: 1\nname: a\n---\nformat: 1\n",
    "control character": "format: 1\nname: a\x07b\n",
    "byte order mark inside": "format: 1\nname: a\ufeffb\n",
    "syntax error": "format: 1\nname: [a\n",
    "list at the top": "- format: 1\n",
    "empty": "# nothing\n",
}


def every_path(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from every_path(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from every_path(value, prefix + (index,))


def assert_readers_agree(text: str) -> None:
    fast = read_plain(text)
    assert fast is not None, "the fast reader should read this text"
    data, index = fast
    tree, problems = read_yaml(text, "r.yaml")
    assert problems == []
    full = to_plain(tree, lambda path, message: pytest.fail(message))
    assert data == full
    assert repr(data) == repr(full)  # same types too: 1 is not 1.0, True is not 1
    for path in every_path(data):
        # Also paths that go past what exists (pydantic names union branches that way).
        for probe in (path, path + ("missing",), path + (7,)):
            for at_key in (False, True):
                assert index.locate(probe, at_key=at_key) == locate(tree, probe, at_key=at_key), (probe, at_key)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_rulesets_read_the_same_both_ways(path):
    assert_readers_agree(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", WRITTEN_BY_HAND)
def test_hand_written_yaml_reads_the_same_both_ways(text):
    assert_readers_agree(text)


def test_yaml_1_2_meaning_of_plain_scalars():
    data, _ = read_plain("format: 1\non: [yes, no, on, off, y, true, False, ~, null, '', 010x, -0, 2.50]\n")
    assert data["on"] == ["yes", "no", "on", "off", "y", True, False, None, None, "", "010x", 0, 2.5]


@pytest.mark.parametrize("name", sorted(FULL_READER_ONLY))
def test_constructs_outside_the_subset_go_to_the_full_reader(name):
    assert read_plain(FULL_READER_ONLY[name]) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        # Anchors, merge keys and other spellings mean the same when the full reader takes over.
        ("format: 1\nname: &n shop\ndescription: *n\n", {"name": "shop", "description": "shop"}),
        ("format: 1\nname: a\nrevision: 0o17\n", {"revision": 15}),
        ("format: 1\nname: a\noptions: {<<: {on_error: drop}}\n", {"options.on_error": "drop"}),
    ],
)
def test_rulesets_outside_the_subset_still_load(text, expected):
    model = load_model_from_text(text).model
    for dotted, value in expected.items():
        found = model
        for part in dotted.split("."):
            found = getattr(found, part)
        assert found == value


def test_problems_are_placed_the_same_whichever_reader_read_the_file():
    body = "filters:\n  - id: a\n    wen: {level: eror}\n    drop: true\n"
    fast_text = "format: 1\nname: shop\n" + body
    full_text = "format: 1\nname: !!str shop\n" + body  # the tag sends it to the full reader
    assert read_plain(fast_text) is not None and read_plain(full_text) is None
    reported = []
    for text in (fast_text, full_text):
        with pytest.raises(RulesetError) as caught:
            load_model_from_text(text, "r.yaml")
        reported.append([str(problem) for problem in caught.value.problems])
    assert reported[0] == reported[1]
    assert reported[0] and all(problem.startswith("r.yaml:5:5: ") for problem in reported[0])


def test_damaged_shipped_rulesets_read_the_same_or_go_to_the_full_reader():
    """Random edits of real files: whenever the fast reader answers, the full reader agrees."""
    rng = random.Random(20261122)
    pieces = ["\n", " ", ": ", "- ", "'", '"', "#", "{", "}", "[", "]", ",", "~", "yes", "1.5", "-2", "é", "|\n", "  "]
    originals = [path.read_text(encoding="utf-8") for path in SHIPPED]
    answered = 0
    for _ in range(150):
        text = rng.choice(originals)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(pieces) + text[at + rng.randint(0, 3):]
        if read_plain(text) is None:
            continue
        answered += 1
        assert_readers_agree(text)
    assert answered > 20  # most small edits keep the file readable
