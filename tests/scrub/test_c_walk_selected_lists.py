"""Lists where a selector may still match (``exception.values``, ``stacktrace.frames``, headers
under ``request.headers.*``) are walked by the C walk as by the Python walk: an item is stepped
over by its index, a ``[name, value]`` pair by its name, ``allow`` inside a list only checks the
subtree, tuples become lists, subclasses are walked as what they iterate, and the limits, the
unsendable values and the list checks fail the same way. Each case runs the C walk, the Python
walk and, where the reference models it, ``tests/reference_scrubber.py``."""

from __future__ import annotations

import collections
import copy
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules_engine.model import models
from rules_engine.scrub import EventChanged
from tests import reference_scrubber
from tests.scrub.test_scrub_c_walk import DIFFERENTIAL, Color, assert_same_outcome, pair_of_scrubbers
from tests.scrub.test_walk_mutation import NOTE, shifting, swap, to_front

SECRET_MAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"

#: Selectors that reach into lists by index, by ``*`` and by ``**``, through pairs by their name,
#: and ``allow`` selectors that end inside a list.
LIST_SCRUB = models.Scrub.model_validate({
    "allow": ["extra.rows.*.public", "extra.rows.1", "request.headers.user-agent", "exception.values.*.module"],
    "rules": [
        {"id": "frame-vars", "keys": ["*password*", "*token"], "in": ["exception.values.*.stacktrace.frames.*.vars"]},
        {"id": "headers", "keys": ["authorization", "cookie"], "in": ["request.headers"]},
        {"id": "row-mail", "detect": ["email"], "in": ["extra.rows.*", "breadcrumbs.values.*.data"],
         "redact": {"mask": {"keep_last": 4}}},
        {"id": "second", "detect": ["creditcard"], "in": ["extra.rows.2", "extra.**.cards"], "redact": "hash"},
        {"id": "gone", "keys": ["ip_address"], "in": ["extra.**"], "redact": "remove"},
        {"id": "pair-secret", "keys": ["x-secret"], "in": ["extra.pairs.*"]},
    ],
})


class Rows(list):
    """A list subclass: the transport sends what it iterates."""


Point = collections.namedtuple("Point", "name value")


def frames_event() -> dict:
    return {
        "exception": {"values": [
            {"type": "E", "module": "app " + SECRET_MAIL, "stacktrace": {"frames": [
                {"function": "f", "vars": {"password": "hunter2", "n": 1, "api_token": ["t1", ("t2",)]}},
                {"function": "g", "vars": {"note": "keep", "password": {"old": "o", "new": ["n"]}}},
            ]}},
        ]},
        "request": {"headers": [["Authorization", "Bearer abc"], ("Cookie", "s=1"), ["User-Agent", SECRET_MAIL],
                                ["X-Other", "a " + SECRET_MAIL]]},
        "breadcrumbs": {"values": [{"message": "m", "data": {"to": SECRET_MAIL, "list": [SECRET_MAIL, (CARD,)]}}]},
        "extra": {
            "rows": [SECRET_MAIL, SECRET_MAIL, CARD, {"public": SECRET_MAIL, "mail": SECRET_MAIL},
                     [SECRET_MAIL, ["deeper", SECRET_MAIL]], ("tuple " + SECRET_MAIL, CARD)],
            "pairs": [["X-Secret", "s1"], ("x-secret", {"a": "s2", "b": ["s3"]}), ["note", "n"], ["x", "y", "z"]],
            "deep": [[{"cards": [CARD, [CARD]], "ip_address": "10.0.0.1"}], ({"ip_address": ["10.0.0.2"]},)],
        },
    }


def assert_as_python_and_reference(scrub: models.Scrub, event: dict, options: models.Options | None = None):
    fast, slow = pair_of_scrubbers(scrub, options)
    scrubbed, result = assert_same_outcome(fast, slow, event)
    assert result[0] == "counts", result
    expected = copy.deepcopy(event)
    assert result[1] == reference_scrubber.scrub(scrub, expected, b"k")
    assert scrubbed == expected
    return scrubbed, result[1]


def test_lists_under_selectors_scrub_as_the_python_walk_and_the_reference():
    scrubbed, counts = assert_as_python_and_reference(LIST_SCRUB, frames_event())
    frames = scrubbed["exception"]["values"][0]["stacktrace"]["frames"]
    assert frames[0]["vars"]["password"] == "[Filtered]" and frames[0]["vars"]["api_token"] == ["[Filtered]", ["[Filtered]"]]
    assert frames[1]["vars"]["password"] == {"old": "[Filtered]", "new": ["[Filtered]"]}
    assert scrubbed["request"]["headers"][:3] == [["Authorization", "[Filtered]"], ["Cookie", "[Filtered]"],
                                                  ["User-Agent", SECRET_MAIL]]  # allowed, by the pair's name
    rows = scrubbed["extra"]["rows"]
    assert rows[0] != SECRET_MAIL and rows[1] == SECRET_MAIL  # allowed by index
    assert rows[3] == {"public": SECRET_MAIL, "mail": rows[0]}  # allowed inside a list item
    assert rows[2] != CARD  # a card only at index 2; the 2-tuple is a pair: its value sits at its name
    assert rows[5] == ["tuple " + SECRET_MAIL, CARD]
    assert scrubbed["extra"]["pairs"][:2] == [["X-Secret", "[Filtered]"], ["x-secret", {"a": "[Filtered]", "b": ["[Filtered]"]}]]
    hashed = scrubbed["extra"]["deep"][0][0]["cards"][0]
    assert hashed != CARD and scrubbed["extra"]["deep"] == [[{"cards": [hashed, [hashed]]}], [{}]]
    assert scrubbed["_meta"]["extra"]["rows"]["0"][""]["rem"][0][0] == "row-mail"
    assert counts["frame-vars"] == 5 and counts["headers"] == 2 and counts["gone"] == 2


def test_subclasses_and_str_enums_in_selected_lists_scrub_as_the_python_walk():
    # (the reference does not model subclasses: the two walks are compared)
    event = frames_event()
    extra = event["extra"]
    extra["rows"] = Rows([Rows([SECRET_MAIL]), Point("X-Secret", SECRET_MAIL),
                          collections.OrderedDict(mail=SECRET_MAIL), Color.RED])
    extra["pairs"] = Rows([Point("X-Secret", "s1"), Rows(["x-secret", "s2"]), ("x-secret", Rows(["s3"]))])
    event["request"]["headers"] = (Point("Authorization", "Bearer x"), ["Cookie", Rows(["a", "b"])])
    fast, slow = pair_of_scrubbers(LIST_SCRUB)
    scrubbed, result = assert_same_outcome(fast, slow, event)
    assert result[0] == "counts"
    assert type(scrubbed["extra"]["rows"]) is list and scrubbed["extra"]["rows"][0] != [SECRET_MAIL]
    assert scrubbed["extra"]["pairs"][2] == ["x-secret", ["[Filtered]"]]
    # a namedtuple is no pair (not exactly a tuple): a list stepped over by index
    assert scrubbed["request"]["headers"] == [["Authorization", "Bearer x"], ["Cookie", ["[Filtered]", "[Filtered]"]]]


@pytest.mark.parametrize(
    "bad",
    [
        {"extra": {"rows": [SECRET_MAIL, math.nan]}},
        {"extra": {"rows": [{"public": [1, math.inf]}]}},  # under allow: checked, not scrubbed
        {"extra": {"rows": ["a", [b"bytes"]]}},
        {"extra": {"rows": [{1: "non-string key"}]}},
        {"extra": {"pairs": [["note", {"a": object()}]]}},
        {"extra": {"pairs": [["x-secret", {2: "x"}]]}},
        {"request": {"headers": [["User-Agent", {"b": {1.5: "x"}}]]}},  # allowed pair: checked
        {"extra": {"rows": [[[[[[[[[[[[["deep"]]]]]]]]]]]]]}},
        {"exception": {"values": [{"stacktrace": {"frames": [{"vars": {"password": [[[[[[[["p"]]]]]]]]}}]}}]}},
    ],
)
def test_unsendable_and_too_deep_values_in_selected_lists_fail_the_same_way(bad):
    fast, slow = pair_of_scrubbers(LIST_SCRUB, models.Options(limits=models.Limits(max_depth=10)))
    _, result = assert_same_outcome(fast, slow, bad)
    assert result[0] in ("UnsendableValue", "ScrubLimitExceeded")


@pytest.mark.parametrize("max_depth", range(1, 10))
def test_every_depth_limit_inside_selected_lists_is_reached_at_the_same_node(max_depth):
    # Each limit from 1 up cuts the event at another node: pairs (whose allowed value is checked
    # one level up), items, tuples and sensitive containers below a selector.
    fast, slow = pair_of_scrubbers(LIST_SCRUB, models.Options(limits=models.Limits(max_depth=max_depth)))
    for event in (frames_event(), {"request": {"headers": [["User-Agent", [[["x"]]]], ["Cookie", [["c"]]]]}},
                  {"extra": {"pairs": [("x-secret", [["s"]])], "rows": [{"public": [[1]]}, ("t", [CARD])]}}):
        assert_same_outcome(fast, slow, event)


@pytest.mark.parametrize("max_nodes", [1, 3, 5, 8, 12, 20, 30, 45, 60, 80])
def test_every_node_limit_inside_selected_lists_is_reached_at_the_same_node(max_nodes):
    fast, slow = pair_of_scrubbers(LIST_SCRUB, models.Options(limits=models.Limits(max_nodes=max_nodes)))
    assert_same_outcome(fast, slow, frames_event())


def test_a_cycle_through_a_selected_list_fails_the_same_way():
    fast, slow = pair_of_scrubbers(LIST_SCRUB)
    rows: list = ["a"]
    rows.append(rows)
    pairs: list = []
    pairs.append(["x-secret", pairs])
    for event in ({"extra": {"rows": rows}}, {"extra": {"pairs": pairs}}):
        assert assert_same_outcome(fast, slow, event)[1][0] == "ScrubLimitExceeded"


SELECTED_LISTS = {"rules": [{"id": "stripe", "detect": ["stripe_key"], "in": ["extra.**", "request.headers"]},
                            {"id": "keys", "keys": ["*password*", "x-note"], "in": ["extra.**", "request.headers"]}],
                  "allow": ["extra.notes.3", "extra.password.1"]}


def moved_below_selectors(number) -> dict:
    """Lists below a live selector holding ``number`` (a ``Shifting`` or a plain float), each with
    the move that makes a walk reading them live miss a secret: (event, move)."""
    return {
        "a pair skipped": ({"request": {"headers": [["X-Trace", number], ["X-Other", NOTE]]}},
                           lambda event: to_front(event["request"]["headers"], 1)),
        "a pair's value replaced": ({"request": {"headers": [["X-Other", number]]}},
                                    lambda event: event["request"]["headers"][0].__setitem__(1, NOTE)),
        "a tuple's item skipped": ({"extra": {"notes": ("a", number, NOTE)}},
                                   lambda event: to_front(event["extra"]["notes"], 2)),
        "an item shifted past an allowed one": ({"extra": {"notes": ["a", number, NOTE, "allowed"]}},
                                                lambda event: swap(event["extra"]["notes"], 2, 3)),
        "a sensitive item shifted": ({"extra": {"password": [NOTE, number, "x"]}},
                                     lambda event: swap(event["extra"]["password"], 1, 2)),
        "an item moved before its redaction": ({"extra": {"notes": [["a", NOTE]], "then": number}},
                                               lambda event: swap(event["extra"]["notes"][0], 0, 1)),
        "a pair turned before its redaction": ({"request": {"headers": [["X-Other", NOTE]]}, "extra": {"then": number}},
                                               lambda event: swap(event["request"]["headers"][0], 0, 1)),
    }


@pytest.mark.parametrize("case", sorted(moved_below_selectors(1.5)))
def test_a_selected_list_whose_items_move_fails_closed_in_both_walks(case):
    spec = models.Scrub.model_validate(SELECTED_LISTS)
    for scrubber in pair_of_scrubbers(spec):
        holder = {}
        event, move = moved_below_selectors(shifting(lambda: holder["move"]()))[case]
        holder["move"] = lambda: move(event)
        with pytest.raises(EventChanged):
            scrubber.scrub_event(event)
    calm, _ = moved_below_selectors(1.5)[case]
    scrubbed, _ = assert_as_python_and_reference(spec, calm)
    assert "sk_live" not in repr(scrubbed)


NAMES = ["password", "x-secret", "authorization", "mail", "public", "vars", "rows", "0", "1"]
LEAVES = st.sampled_from([SECRET_MAIL, CARD, "plain", "Bearer abcdefgh", 4111111111111111, 7, None, True, 1.5])


def list_shapes(children):
    pairs = st.tuples(st.sampled_from(NAMES), children)
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.lists(st.one_of(pairs.map(list), pairs), max_size=3),
        st.dictionaries(st.sampled_from(NAMES), children, max_size=3),
    )


SHAPES = st.recursive(LEAVES, list_shapes, max_leaves=12)
DRAWN_SELECTORS = ["extra.rows", "extra.rows.*", "extra.rows.1", "extra.**.vars", "extra.*.*.mail", "**.password.*",
                   "extra.rows.*.authorization", "extra.**.0"]


@st.composite
def list_rulesets(draw) -> models.Scrub:
    rules = [{"id": "keys", "keys": draw(st.lists(st.sampled_from(["password", "x-secret", "authorization"]),
                                                  min_size=1, max_size=2, unique=True)),
              "redact": draw(st.sampled_from(["filter", "remove", "hash"]))},
             {"id": "text", "detect": ["email", "creditcard"], "redact": {"mask": {"keep_last": 4}}}]
    for rule in rules:
        if draw(st.booleans()):
            rule["in"] = draw(st.lists(st.sampled_from(DRAWN_SELECTORS), min_size=1, max_size=2, unique=True))
    allow = draw(st.lists(st.sampled_from(DRAWN_SELECTORS + ["extra.rows.0.public", "**.vars.1"]), max_size=2))
    return models.Scrub.model_validate({"rules": rules, "allow": allow})


@DIFFERENTIAL
@given(scrub=list_rulesets(), rows=SHAPES, other=SHAPES)
def test_drawn_lists_under_drawn_selectors_scrub_as_the_python_walk_and_the_reference(scrub, rows, other):
    assert_as_python_and_reference(scrub, {"extra": {"rows": rows, "vars": other}})
