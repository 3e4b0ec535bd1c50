"""Hostile pair dicts: names that are no str, str subclasses lying about their text, hash or
equality, dict subclasses lying about their items, names changed while the walk runs, and huge or
deep ones. The scrubber never raises anything but its own errors (the hooks then fail closed),
never sends the secret, and both engines agree."""

from __future__ import annotations

import copy
import json

import pytest

from rules_engine.errors import RulesEngineError
from rules_engine.model import models
from rules_engine.scrub import (
    EventChanged,
    ScrubLimitExceeded,
    accelerator_available,
    compile_scrubber,
)
from tests import reference_scrubber
from tests.corpus.planting import default_ruleset

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
#: Values named elsewhere and echoes are read, as the 2026.12 packs have them read.
READ_ALL = models.Options(named_values=True, echoes=True)
SECRET = "Hx7-pair-secret-value"
SCRUB = models.Scrub.model_validate({"rules": [{"id": "keys", "keys": ["*password*", "*token"]}]})


def scrubber(engine: str, **limits):
    options = READ_ALL.model_copy(update={"limits": models.Limits(**limits)}) if limits else READ_ALL
    return compile_scrubber(SCRUB, options, None, accelerator=engine)


def scrub(event: dict, engine: str) -> dict:
    scrubber(engine).scrub_event(event)
    return event


class Shouting(str):
    """A str subclass whose methods all say something else: the walk reads its text."""

    def __str__(self):
        return "harmless"

    def __eq__(self, other):
        return False

    def __hash__(self):
        return 1

    def lower(self):
        return "harmless"


class LyingKey(str):
    """A key whose text is ``value`` but whose hash and equality are another string's: no set or
    dict lookup finds it as ``value``."""

    def __hash__(self):
        return hash("note")

    def __eq__(self, other):
        return other == "note"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", [7, 7.5, None, True, ["password"], {"password": 1}, ("db_password",)])
def test_a_name_that_is_no_str_names_nothing(engine, name):
    event = {"extra": {"pair": {"name": name, "value": "kept " + SECRET}}}
    expected = copy.deepcopy(event)
    if type(expected["extra"]["pair"]["name"]) is tuple:
        expected["extra"]["pair"]["name"] = list(name)
    if isinstance(name, dict):  # a dict under the name field is walked as any dict
        expected["extra"]["pair"]["name"] = {"password": "[Filtered]"}
    scrub(event, engine)
    assert {key: value for key, value in event.items() if key != "_meta"} == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_a_str_subclass_name_is_read_as_its_text(engine):
    event = scrub({"extra": {"pair": {"name": Shouting("DB_PASSWORD"), "value": SECRET}}}, engine)
    assert event["extra"]["pair"] == {"name": "DB_PASSWORD", "value": "[Filtered]"}
    assert type(event["extra"]["pair"]["name"]) is str  # as the transport sends it


@pytest.mark.parametrize("engine", ENGINES)
def test_a_value_key_lying_about_its_hash_is_still_a_value_field(engine):
    event = scrub({"extra": {"pair": {"name": "api_token", LyingKey("value"): SECRET}}}, engine)
    assert SECRET not in json.dumps(event)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_name_field_key_lying_about_its_hash_still_names(engine):
    class LyingName(LyingKey):
        pass

    event = scrub({"extra": {"pair": {LyingName("name"): "password", "value": SECRET}}}, engine)
    assert SECRET not in json.dumps(event)


class Liar(dict):
    """A dict subclass whose ``items()`` (what the transport sends) differ from what its lookups say."""

    def items(self):
        return [("name", "password"), ("value", SECRET)]

    def __getitem__(self, key):
        return {"name": "LOG_LEVEL", "value": "debug"}[key]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_dict_subclass_is_scrubbed_as_what_it_iterates(engine):
    event = scrub({"extra": {"env": [Liar(name="LOG_LEVEL", value="debug")]}}, engine)
    assert event["extra"]["env"] == [{"name": "password", "value": "[Filtered]"}]
    assert type(event["extra"]["env"][0]) is dict


class Renamer(float):
    """A number whose check by the walk (``value - value``: finite?) renames the pair it sits in,
    after its value was decided under the old name, and puts a secret in the value."""

    def __sub__(self, other):
        self.holder["name"] = "password"
        self.holder["value"] = SECRET
        return float.__sub__(self, other)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("selected", [False, True])
def test_a_name_changed_while_the_walk_runs_fails_closed(engine, selected):
    pair = {"value": "debug", "name": "LOG_LEVEL", "z": Renamer(1.5)}
    pair["z"].holder = pair
    # Under a live selector the dict takes the other walk of each engine.
    rules = models.Scrub.model_validate({"rules": [*SCRUB.model_dump(by_alias=True)["rules"],
                                                  {"id": "in", "keys": ["x"], "in": ["extra.env.0.deeper"]}]})
    built = compile_scrubber(rules if selected else SCRUB, READ_ALL, None, accelerator=engine)
    with pytest.raises(EventChanged):
        built.scrub_event({"extra": {"env": [pair]}})


@pytest.mark.parametrize("engine", ENGINES)
def test_a_hook_fails_closed_on_hostile_pairs(engine):
    ruleset = default_ruleset(engine)
    pair = {"value": "debug", "name": "LOG_LEVEL", "z": Renamer(1.5)}
    pair["z"].holder = pair
    assert ruleset.before_send({"message": "m", "extra": {"env": [pair]}}, {}) is None  # on_error: drop
    bytes_name = {"message": "m", "extra": {"env": [{"name": b"password", "value": SECRET}]}}
    assert ruleset.before_send(bytes_name, {}) is None  # bytes cannot be sent: dropped


@pytest.mark.parametrize("engine", ENGINES)
def test_many_pairs(engine):
    env = [{"name": f"VAR_{n}" if n % 100 else f"TOKEN_{n}_PASSWORD", "value": f"{SECRET}-{n}-"} for n in range(20_000)]
    # Echoes too: the 200 secrets are searched for in the 20,000 strings. A budget for results,
    # not speed (the sanitizers' build runs several times slower).
    event = {"extra": {"env": env}}
    options = models.Options(named_values=True, echoes=True, limits=models.Limits(max_ms=60_000))
    compile_scrubber(SCRUB, options, None, accelerator=engine).scrub_event(event)
    redacted = [n for n, pair in enumerate(event["extra"]["env"]) if pair["value"] == "[Filtered]"]
    assert redacted == list(range(0, 20_000, 100))
    assert len(event["_meta"]["extra"]["env"]) == 200


@pytest.mark.parametrize("engine", ENGINES)
def test_a_huge_name(engine):
    name = "x" * 1_000_000 + "_password"
    event = scrub({"extra": {"pair": {"name": name, "value": SECRET}}}, engine)
    assert event["extra"]["pair"]["value"] == "[Filtered]"


def deep_pairs(depth: int) -> dict:
    node: object = SECRET
    for level in range(depth):
        node = {"name": "db_password" if level == 0 else f"level{level}", "value": node}
    return {"extra": node}


@pytest.mark.parametrize("engine", ENGINES)
def test_deep_pairs(engine):
    event = scrub(deep_pairs(15), engine)
    assert SECRET not in json.dumps(event)
    with pytest.raises(ScrubLimitExceeded):
        scrubber(engine, max_depth=10).scrub_event(deep_pairs(15))


@pytest.mark.parametrize("engine", ENGINES)
def test_hostile_pairs_as_the_reference(engine):
    # The plain types among them, checked against the reference semantics.
    # (The value named by a number is a text of its own: an echo of a secret redacted elsewhere
    # would be redacted as such.)
    unnamed = "Qm4-unnamed-value"
    names = (7, None, "password", "x", "TOKEN")
    event = {"extra": {"a": [{"name": n, "value": unnamed if n == 7 else SECRET} for n in names],
                       "b": {"NAME": "api_token", "Values": [SECRET, {"k": SECRET}], "name": "plain"},
                       "c": [{"name": "password", "value": None}, {"name": "password", "value": [None, True, 3]}]}}
    produced, expected = copy.deepcopy(event), copy.deepcopy(event)
    counts = scrubber(engine).scrub_event(produced)
    assert counts == reference_scrubber.scrub(SCRUB, expected, options=READ_ALL)
    assert produced == expected
    assert SECRET not in json.dumps(produced["extra"]["b"]) and produced["extra"]["a"][0]["value"] == unnamed


def test_errors_are_the_libraries_own():
    assert issubclass(EventChanged, RulesEngineError) and issubclass(ScrubLimitExceeded, RulesEngineError)


class Naming(float):
    """A number whose check by the walk turns the pair's name from a number into a word."""

    def __sub__(self, other):
        self.holder["name"] = "password"
        return float.__sub__(self, other)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_name_that_becomes_a_str_while_the_walk_runs_fails_closed(engine):
    pair = {"value": "debug", "name": 5, "z": Naming(1.5)}
    pair["z"].holder = pair
    with pytest.raises(EventChanged):
        scrubber(engine).scrub_event({"extra": {"env": [pair]}})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("selectors", [False, True])
def test_the_event_itself_is_no_pair(engine, selectors):
    # Its fields are the SDK's: a top-level "name" names nothing, with or without selectors.
    rules = {"rules": [{"id": "keys", "keys": ["*password*"]}, {"id": "in", "keys": ["x"], "in": ["extra"]}]}
    scrub = models.Scrub.model_validate(rules if selectors else {"rules": rules["rules"][:1]})
    event = {"name": "password", "value": "kept", "extra": {"name": "password", "value": SECRET}}
    expected = copy.deepcopy(event)
    compile_scrubber(scrub, READ_ALL, None, accelerator=engine).scrub_event(event)
    reference_scrubber.scrub(scrub, expected, options=READ_ALL)
    assert event == expected
    assert event["value"] == "kept" and event["extra"]["value"] == "[Filtered]"
