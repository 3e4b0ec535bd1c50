"""A dict or list changed while the scrubber walks it (by another thread, or by code the walk runs)
never makes the walk skip an entry, nor a redaction land on another item: each dict and list is
walked through a copy taken when the walk enters it, and one whose keys or items changed meanwhile
fails the scrub closed (``EventChanged``), in both walks."""

from __future__ import annotations

import copy

import pytest

from rules_engine.model import models
from rules_engine.scrub import EventChanged, accelerator_available, compile_scrubber
from tests import reference_scrubber
from tests.hostile.harness import attack, engine_env

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
SCRUB = models.Scrub.model_validate({"rules": [{"id": "stripe", "detect": ["stripe_key"]},
                                               {"id": "keys", "keys": ["*password*"]}]})


class Meddling(float):
    """A number whose check by the walk (``value - value``: is it finite?) runs code that swaps
    keys of the dict holding it at the same size, enough times to make the dict compact its
    entries: a walk reading the live dict then skips the entries after this one."""

    def __sub__(self, other):
        holder = self.holder
        holder.pop("meddling", None)
        for n in range(200):
            holder[f"pad{n}"] = "x"
            holder.pop(f"pad{n}")
        holder["late"] = "x"  # same size as before
        return float.__sub__(self, other)


def meddled_event():
    extra = {"meddling": Meddling(1.5)}
    extra.update({f"note{n}": f"key {SECRET} {n}" for n in range(5)})
    extra["meddling"].holder = extra
    return {"message": "m", "extra": extra}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_dict_whose_keys_change_during_the_walk_fails_closed(engine):
    scrubber = compile_scrubber(SCRUB, models.Options(), None, accelerator=engine)
    event = meddled_event()
    with pytest.raises(EventChanged):
        scrubber.scrub_event(event)
    calm = {"message": "m", "extra": {"meddling": 1.5, **{f"note{n}": f"key {SECRET} {n}" for n in range(5)}}}
    scrubber.scrub_event(calm)  # the same event, unchanged: scrubbed
    assert SECRET not in repr(calm) and calm["extra"]["note0"] == "key [Filtered] 0"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("where", ["top level", "under allow"])
def test_every_walked_dict_is_checked(engine, where):
    scrubber = compile_scrubber(models.Scrub.model_validate(
        {"allow": ["extra.public"], "rules": [{"id": "stripe", "detect": ["stripe_key"]},
                                              {"id": "keys", "keys": ["*password*"]}]}),
        models.Options(), None, accelerator=engine)
    event = meddled_event()
    if where == "under allow":
        event = {"extra": {"public": event["extra"]}}
    else:
        event = {**event["extra"], "message": "m"}
        event["meddling"].holder = event
    with pytest.raises(EventChanged):
        scrubber.scrub_event(event)


@pytest.mark.parametrize("accelerator", ENGINES)
def test_an_event_mutated_by_another_thread_never_lets_a_secret_out(accelerator):
    # Another thread adds a key at the end and removes the first one (same size, so no "changed
    # size" error) while the walk runs, so that the dict compacts its entries under the walk's
    # feet; fresh key names each round make the walk ask Python for key decisions, where the
    # interpreter switches threads. The thread only removes secrets and adds harmless values: a
    # secret sent is one the walk skipped.
    result = attack("""
        def make(round):
            extra = {f"r{round}note{n}": f"x {SECRET} {n}" for n in range(60)}
            def meddle(stop):
                n = 0
                while not stop.is_set():
                    extra[f"r{round}pad{n}"] = "x"
                    del extra[next(iter(extra))]
                    n += 1
            return {"message": "m", "level": "error", "extra": extra}, meddle
        report(sent_while_meddled(scrubbing(), make))
    """, env=engine_env(accelerator))
    assert result["leaks"] == 0, result


class Shifting(float):
    """A number whose check by the walk (``value - value``: is it finite?) runs ``self.move()``
    once: code that moves items of a list being walked, keeping its size."""

    def __sub__(self, other):
        move, self.move = self.move, None
        if move is not None:
            move()
        return float.__sub__(self, other)


def shifting(move) -> Shifting:
    number = Shifting(1.5)
    number.move = move
    return number


def to_front(items: list, index: int) -> None:
    items.insert(0, items.pop(index))


def swap(items: list, first: int, second: int) -> None:
    items[first], items[second] = items[second], items[first]


NOTE = f"key {SECRET}"
SELECTED = {"rules": [{"id": "stripe", "detect": ["stripe_key"]},
                      {"id": "keys", "keys": ["*password*"], "in": ["extra.notes.**"]}]}
ALLOWED = {"allow": ["extra.public", "extra.password.1"],
           "rules": [{"id": "stripe", "detect": ["stripe_key"]}, {"id": "keys", "keys": ["*password*"]}]}


def shifted_events(number) -> dict:
    """Events holding ``number`` (a :class:`Shifting`, or a plain float for the calm twin) in a
    list of every kind the walk reads, each with the move that makes the walk miss a secret when
    the list is read live: (scrub section, event, move)."""

    def event_and_move(scrub, event, holder, move):
        return scrub, event, lambda: move(holder(event))

    extra = lambda event: event["extra"]  # noqa: E731
    return {
        # The last item jumps ahead of the walk: a live walk never reads it.
        "an item skipped": event_and_move(
            SCRUB, {"extra": {"notes": ["a", number, NOTE]}}, lambda e: extra(e)["notes"],
            lambda items: to_front(items, 2)),
        # A walked secret moves to the index of a harmless item: its redaction, written by index,
        # lands on the harmless one.
        "a redaction shifted": event_and_move(
            SCRUB, {"extra": {"notes": ["a", NOTE, number]}}, lambda e: extra(e)["notes"],
            lambda items: swap(items, 0, 1)),
        "a header pair skipped": event_and_move(
            SCRUB, {"request": {"headers": [["X-Trace", number], ["X-Note", NOTE]]}},
            lambda e: e["request"]["headers"], lambda items: to_front(items, 1)),
        "a pair's value replaced": event_and_move(
            SCRUB, {"request": {"headers": [["X-Note", number]]}},
            lambda e: e["request"]["headers"][0], lambda pair: pair.__setitem__(1, NOTE)),
        "a tuple's item skipped": event_and_move(
            SCRUB, {"extra": {"notes": ("a", number, NOTE)}}, lambda e: extra(e)["notes"],
            lambda items: to_front(items, 2)),
        "an item skipped below a selector": event_and_move(
            SELECTED, {"extra": {"notes": ["a", number, NOTE]}}, lambda e: extra(e)["notes"],
            lambda items: to_front(items, 2)),
        # Under a sensitive key, each item is queued for redaction by index; an allowed item
        # between them moves a later one onto its own index.
        "a sensitive item shifted": event_and_move(
            ALLOWED, {"extra": {"password": [NOTE, number, NOTE + " 2"]}}, lambda e: extra(e)["password"],
            lambda items: swap(items, 1, 2)),
        # A list already walked (and found unchanged) moves its items before the redactions,
        # written by index once the walk is over, reach it.
        "an item moved before its redaction": event_and_move(
            SCRUB, {"extra": {"notes": ["a", NOTE], "then": number}}, lambda e: extra(e)["notes"],
            lambda items: swap(items, 0, 1)),
        "a pair turned before its redaction": event_and_move(
            SCRUB, {"request": {"headers": [["X-Note", NOTE]]}, "extra": {"then": number}},
            lambda e: e["request"]["headers"][0], lambda pair: swap(pair, 0, 1)),
        "a sensitive item moved before its redaction": event_and_move(
            SCRUB, {"extra": {"password": [NOTE, None], "then": number}}, lambda e: extra(e)["password"],
            lambda items: swap(items, 0, 1)),
        "an item shifted under allow": event_and_move(
            ALLOWED, {"extra": {"public": ["a", number, NOTE]}}, lambda e: extra(e)["public"],
            lambda items: to_front(items, 2)),
    }


SHIFTS = sorted(shifted_events(1.5))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shift", SHIFTS)
def test_a_list_whose_items_move_while_it_is_scrubbed_fails_closed(engine, shift):
    holder = {}
    scrub, event, move = shifted_events(shifting(lambda: holder["move"]()))[shift]
    holder["move"] = move
    scrubber = compile_scrubber(models.Scrub.model_validate(scrub), models.Options(), None, accelerator=engine)
    with pytest.raises(EventChanged):
        scrubber.scrub_event(event)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shift", SHIFTS)
def test_the_same_lists_unchanged_are_scrubbed_as_the_reference(engine, shift):
    scrub, event, _ = shifted_events(1.5)[shift]
    spec = models.Scrub.model_validate(scrub)
    expected = copy.deepcopy(event)
    expected_counts = reference_scrubber.scrub(spec, expected)
    scrubber = compile_scrubber(spec, models.Options(), None, accelerator=engine)
    assert scrubber.scrub_event(event) == expected_counts
    assert event == expected
    if "allow" not in shift:
        assert SECRET not in repr(event)


#: Header pairs the C walk hands to the Python walk (a selector alive below them, a tuple, a list
#: subclass), each with a secret whose redaction is written into the pair after the walk: the pair
#: is then checked once more against what the walk read, by whichever walk holds the run.
HANDED_PAIRS = {
    "under a selector": ({"rules": [{"id": "stripe", "detect": ["stripe_key"], "in": ["request.headers.**"]}]},
                         lambda: [["X-Note", NOTE], ["X-Trace", "t"]]),
    "a tuple": ({"rules": [{"id": "stripe", "detect": ["stripe_key"]}]}, lambda: [("X-Note", NOTE), ["X-Trace", "t"]]),
    "in a list subclass": ({"rules": [{"id": "stripe", "detect": ["stripe_key"]}]},
                           lambda: type("Headers", (list,), {})([["X-Note", NOTE], ["X-Trace", "t"]])),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", sorted(HANDED_PAIRS))
def test_header_pairs_handed_between_the_walks_are_redacted_and_checked(engine, case):
    scrub, headers = HANDED_PAIRS[case]
    spec = models.Scrub.model_validate(scrub)
    event = {"request": {"headers": headers()}, "extra": {"then": NOTE}}
    expected = {"request": {"headers": [list(pair) for pair in headers()]}, "extra": {"then": NOTE}}
    expected_counts = reference_scrubber.scrub(spec, expected)
    scrubber = compile_scrubber(spec, models.Options(), None, accelerator=engine)
    assert scrubber.scrub_event(event) == expected_counts
    assert event == expected
    assert SECRET not in repr(event["request"]["headers"])
