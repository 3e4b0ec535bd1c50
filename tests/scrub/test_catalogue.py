"""The detector catalogue: every entry's examples, its patterns in both regex engines, its
prefilter keywords, and the syntax the catalogue promises."""

from __future__ import annotations

import dataclasses
import re

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.detection import CATEGORIES, catalogue
from rules_engine.detection.validators import VALIDATORS
from rules_engine.scrub import DETECTORS
from rules_engine.scrub.catalogued import CatalogueDetector, loosened
from rules_engine.scrub.detectors import secret_span

ENTRIES = catalogue()
BY_ID = {entry.id: entry for entry in ENTRIES}

#: Syntax whose meaning differs between Python ``re`` and RE2, or that RE2 lacks.
_NOT_SHARED = re.compile(r"(?<!\\)(?:\\\\)*\\[dwsbDWSBAZz]|\(\?[=!]|\(\?<[=!]|\*\+|\+\+|\}\+|\?\+")


def test_the_catalogue_holds_at_least_150_provider_formats():
    providers = [entry for entry in ENTRIES if entry.category == "secret"]
    assert len(providers) >= 150
    assert len({entry.id for entry in ENTRIES}) == len(ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.id)
def test_entry_is_well_formed(entry):
    assert entry.category in CATEGORIES
    assert entry.keywords or entry.prefilter, "a prefilter needs keywords or a prefilter pattern"
    assert entry.validator is None or entry.validator in VALIDATORS
    assert entry.true_examples, "every detector shows what it finds"
    assert _NOT_SHARED.search(entry.pattern) is None, "only syntax Python re and RE2 read alike"
    assert "secret" in re.compile(entry.pattern).groupindex
    assert isinstance(DETECTORS[entry.id], CatalogueDetector)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.id)
def test_true_examples_are_found_exactly(entry):
    detector = DETECTORS[entry.id]
    for example in entry.true_examples:
        found = [example.text[start:end] for start, end in detector.find(example.text)]
        assert example.secret in found, (example.text, found)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.id)
def test_false_examples_are_left_alone(entry):
    detector = DETECTORS[entry.id]
    for text in entry.false_examples:
        assert detector.find(text) == [], text


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.id)
def test_re2_reads_the_pattern_as_python_does(entry):
    """The same secrets, found by the same loop, in every example: a prefilter or engine built
    on RE2 reports what the Python detector reports."""
    python, other = re.compile(entry.pattern), re2.compile(entry.pattern)
    for text in [example.text for example in entry.true_examples] + list(entry.false_examples):
        assert _secrets(other, text) == _secrets(python, text), text


def _secrets(pattern, text: str) -> list[str]:
    names = [name for name in pattern.groupindex if name.startswith("secret")]
    found, position = [], 0
    while True:
        match = pattern.search(text, position)
        if match is None:
            return found
        secret = next((match.group(name) for name in names if match.group(name) is not None), match.group(0))
        found.append(secret)
        end = text.index(secret, match.start()) + len(secret)
        position = max(end, position + 1)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.id)
def test_every_match_holds_what_the_prefilter_looks_for(entry):
    """A string the prefilter passes over is never searched, so every match must hold a keyword
    (or match the prefilter pattern)."""
    flags = re.IGNORECASE if entry.caseless else 0
    probe = re.compile(entry.probe, flags)
    pattern = re.compile(entry.pattern)
    for example in entry.true_examples:
        for match in pattern.finditer(example.text):
            assert probe.search(match.group(0)), (entry.probe, match.group(0))


def test_documentation_samples_are_not_reported():
    samples = {
        "aws_secret_access_key": "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "stripe_secret_key": "sk_test_EXAMPLEabcdefghijklmnopqrst",
        "github_token_checked": "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "slack_bot_token": "xoxb-0000000000-0000000000-xxxxxxxxxxxxxxxxxxxxxxxx",
    }
    for name, text in samples.items():
        assert DETECTORS[name].find(text) == [], name


def test_github_checksum_rejects_a_changed_character():
    token = BY_ID["github_token_checked"].true_examples[0].secret
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert DETECTORS["github_token_checked"].find(token) == [(0, len(token))]
    assert DETECTORS["github_token_checked"].find(changed) == []


def test_adjacent_tokens_are_both_found():
    token = BY_ID["gitlab_token"].true_examples[0].secret
    text = f"{token},{token} {token}"
    assert len(DETECTORS["gitlab_token"].find(text)) == 3


def test_tokens_after_escape_sequences_are_found():
    token = BY_ID["sendgrid_key"].true_examples[0].secret
    for before in ("\\n", "\\t", "\\x1b", "\\u00e9"):
        text = f"'key:{before}{token}'"
        start = text.index(token)
        assert DETECTORS["sendgrid_key"].find(text) == [(start, start + len(token))]


@pytest.mark.parametrize("accelerator", ["auto", "off"])
def test_the_prefilter_flags_every_true_example(accelerator):
    """The prefilter (its scan in C, and in Python) runs over every string of an event at once: a
    detector's probe must flag every example, those with multi-byte characters included (no-break
    spaces in card numbers, non-ASCII e-mail addresses)."""
    from rules_engine.scrub.prefilter import make_prefilter

    prefilter = make_prefilter(tuple(DETECTORS[entry.id].probe for entry in ENTRIES), accelerator)
    for index, entry in enumerate(ENTRIES):
        if prefilter.always_mask >> index & 1:
            continue  # searched in every string
        texts = [example.text for example in entry.true_examples]
        found = prefilter.candidates(texts)
        for position, text in enumerate(texts):
            assert found.get(position, 0) >> index & 1, (entry.id, text)

AT_START = [entry for entry in ENTRIES if entry.prefilter_at_start]


@pytest.mark.parametrize("entry", AT_START, ids=lambda entry: entry.id)
def test_a_prefilter_at_start_matches_where_each_secret_starts(entry):
    prefilter = re.compile(entry.prefilter)
    for example in entry.true_examples:
        assert prefilter.match(example.secret), example.secret


@pytest.mark.parametrize("accelerator", ["auto", "off"])
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_prefilter_at_start_flags_every_string_a_detector_finds_in(accelerator, data):
    """Secrets after letters, digits, separators and the escape sequences a token may follow:
    wherever the detector finds one, the prefilter flagged the string."""
    from rules_engine.scrub.prefilter import make_prefilter

    index = data.draw(st.integers(0, len(AT_START) - 1))
    entry = AT_START[index]
    before = data.draw(st.lists(st.sampled_from(["a", "Z", "7", "_", " ", "-", "\\n", "\\x1b", "\\u00e9", "\\",
                                                 "\x00", "\u00e9"]), max_size=4))
    secret = data.draw(st.sampled_from([example.secret for example in entry.true_examples]))
    text = "".join(before) + secret + data.draw(st.sampled_from(["", " ", "a", "."]))
    prefilter = make_prefilter(tuple(DETECTORS[other.id].probe for other in AT_START), accelerator)
    flagged = prefilter.candidates([text]).get(0, 0) >> index & 1
    assert flagged or not DETECTORS[entry.id].find(text), text


@pytest.mark.parametrize("accelerator", ["auto", "off"])
def test_ids_holding_shapes_inside_a_token_are_not_candidates(accelerator):
    """A hex id or a word holds runs shaped like an IBAN's or a DNI's start, but not where a token
    starts: such strings are never searched."""
    from rules_engine.scrub.prefilter import make_prefilter

    probes = tuple(DETECTORS[entry.id].probe for entry in AT_START)
    prefilter = make_prefilter(probes, accelerator)
    ids = ["cddf6ff42d4c4f86ab7dfc3a16d8f9e4", "token=Qz7queryTok88&page=2", "1cc27122063f450e8117f919fedfdeaa",
           "<FastAPI object at 0x7f6fe01159d0>"]
    assert prefilter.candidates(ids) == {}
    assert prefilter.candidates(["iban=DE62256748275346462704"]) != {}


# ----------------------------------------------------------------- matches looked for near keywords

REACHING = [entry for entry in ENTRIES if entry.reach is not None]
#: Keywords in every spelling ``re`` folds to them, separators, quotes, and filler of each
#: length up to past the longest reach: what a search near keywords must get right.
_REACH_PIECES = sorted({piece for entry in REACHING for keyword in entry.keywords
                        for piece in (keyword, keyword.upper(), keyword.title())}
                       | {"\u212a", "\u017f", "\u0130", "\u0131", "encryption_", "api-", "mot_de_", "l\u00f6",
                          "\u015f", "=", ":", " = ", ":=", "'", '"', "\n", " ", "\\", "a@b.cd", "x%40y.example"})


def _without_reach(entry) -> CatalogueDetector:
    detector = DETECTORS[entry.id]
    unreached = dataclasses.replace(entry, reach=None)
    return dataclasses.replace(detector, entry=unreached)


@pytest.mark.parametrize("entry", REACHING, ids=lambda entry: entry.id)
@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.one_of(st.sampled_from(_REACH_PIECES), st.text("aZ09_-.:= '\"", max_size=13)),
                       max_size=12))
def test_a_search_near_keywords_finds_what_a_full_search_finds(entry, pieces):
    text = "".join(pieces)
    assert DETECTORS[entry.id].find(text) == _without_reach(entry).find(text)


@pytest.mark.parametrize("entry", REACHING, ids=lambda entry: entry.id)
def test_examples_are_found_near_their_keywords(entry):
    for example in entry.true_examples:
        assert DETECTORS[entry.id].find(example.text) == _without_reach(entry).find(example.text)


# ----------------------------------------------------------------- starts found by RE2


def _found_by_plain_search(detector: CatalogueDetector, text: str) -> list[tuple[int, int]]:
    """The definition of what a catalogue detector finds: ``re`` searching from the start, the
    search going on right after each secret."""
    found, position = [], 0
    while (match := detector.exact.search(text, position)) is not None:
        start, end = secret_span(match, detector.secret_groups)
        if end > start and (detector.validator is None or detector.validator(text[start:end])):
            found.append((start, end))
        position = max(end, position + 1)
    return found


def _pieces_of(entry) -> list[str]:
    """Text a match of the entry is made of: its examples whole and in halves, its keywords."""
    texts = [example.text for example in entry.true_examples] + list(entry.false_examples)
    halves = [part for text in texts for part in (text[: len(text) // 2], text[len(text) // 2 :])]
    return sorted({*texts, *halves, *entry.keywords} - {""})


#: What surrounds a secret in events: token boundaries, line breaks (also the last character,
#: where ``re``'s ``$`` matches before it), quotes, escape sequences, separators.
_SURROUNDINGS = ["\n", "\r\n", " ", "=", ":", "'", '"', "\\n", "\\x1b", "_", "-", ".", "/", "@", "%40", "é",
                 # beyond ASCII: RE2 reads the text's ASCII shadow (and not at all with a case fold)
                 "\u00a0", "\u2028", "\U0001f600", "\x7f", "\u212a", "\u0131", "\u017f"]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.id)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_starts_found_by_re2_give_what_a_plain_search_finds(entry, data):
    """On ASCII text the exact pass tries ``re`` only where RE2 says a match may start: it must
    find exactly what ``re`` searching every start finds (around line breaks too, where ``$``
    differs, and with counted repetitions RE2 runs unbounded)."""
    pieces = st.one_of(st.sampled_from(_pieces_of(entry)), st.sampled_from(_SURROUNDINGS),
                       st.text("aZ09_-.:= '\"\n", max_size=8))
    text = "".join(data.draw(st.lists(pieces, max_size=8)))
    detector = DETECTORS[entry.id]
    assert detector.find(text) == _found_by_plain_search(detector, text)
    for example in entry.true_examples:
        for variant in (example.text + "\n", "\n" + example.text, example.text.lower(), example.text.upper()):
            assert detector.find(variant) == _found_by_plain_search(detector, variant), variant


@pytest.mark.parametrize("pattern, loose", [
    ("a{1,1000}", "(?m)a{1,}"),
    ("[^a{1,1000}]x{2,8}", "(?m)[^a{1,1000}]x{2,8}"),
    (r"\{1,1000}y{0,33}", r"(?m)\{1,1000}y{0,}"),
    ("[]{1,99}]z$", "(?m)[]{1,99}]z$"),
    (r"(?P<secret>a(b|c))\(d[(]e(?:f)", r"(?m)(?:a(?:b|c))\(d[(]e(?:f)"),
])
def test_loosened_patterns_leave_classes_escapes_and_small_counts_alone(pattern, loose):
    assert loosened(pattern) == loose


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.id)
def test_loosened_patterns_capture_nothing(entry):
    """RE2 places a match's start with its automata alone only when no group is to be reported."""
    assert re2.compile(loosened(entry.pattern)).groups == 0


def test_starts_found_by_re2_include_a_match_before_a_final_line_break():
    """``re``'s ``$`` also matches before a text's last line break; RE2's, outside multi-line
    mode, only at the end."""
    from rules_engine.scrub.catalogued import _start_found_by_re2

    entry = dataclasses.replace(ENTRIES[0], pattern=r"(?P<secret>tok[0-9]+)$")
    assert _start_found_by_re2(entry)(b"x tok123\n", 0) == 2


@pytest.mark.parametrize("entry_id, text", [
    ("secret_assignment", "password=" + "x" * 20_000 + " token='" + "y" * 3_000 + "' secret: s3"),
    ("email_address", "a" * 20_000 + "@shop.example.com and ann@shop.example"),  # RE2 matches at every "a"
    # a base64 run that re cuts into a thousand-character match after another
    ("sasl_plain_base64", "auth " + "AEFi" * 16_000),
    ("email_address", " ".join(["a" * 64 + "@b.co"] * 500)),
], ids=["long-assignment", "long-local-part", "base64-run", "many-addresses"])
def test_re2_is_asked_a_bounded_number_of_times_when_a_repetition_was_loosened(monkeypatch, entry_id, text):
    """A loosened repetition matches a run far longer than ``re`` allows, at every start of the
    run: each search by RE2 may read the rest of the text, so it is asked a bounded number of
    times and ``re`` searches on from there: a long text is read by RE2 a few times, not once
    per match."""
    from rules_engine.scrub import catalogued

    assert catalogued.has_loosened_repetition(BY_ID[entry_id].pattern)
    searches = _count_re2_searches(monkeypatch)
    detector = catalogued._detector(BY_ID[entry_id])
    assert detector.find(text) == _found_by_plain_search(detector, text)
    assert 1 <= len(searches) <= 1 + catalogued._LOOSENED_RESTARTS


def test_re2_is_asked_for_each_start_when_no_repetition_was_loosened(monkeypatch):
    """Without a loosened repetition a match of RE2 ends where ``re``'s does: each search reads
    up to the next match only, so RE2 finds every start and ``re`` never reads the text between
    matches."""
    from rules_engine.scrub import catalogued

    entry = BY_ID["github_token_checked"]
    assert not catalogued.has_loosened_repetition(entry.pattern)
    token = next(example.secret for example in entry.true_examples if example.secret.startswith("ghp_"))
    text = f"a {token} " + "x " * 5_000 + f"b {token}"
    searches = _count_re2_searches(monkeypatch)
    detector = catalogued._detector(entry)
    found = detector.find(text)
    assert [text[start:end] for start, end in found] == [token, token]
    assert found == _found_by_plain_search(detector, text)
    assert searches == [0, found[0][1], found[1][1]]


@pytest.mark.parametrize("pattern, holds", [
    (r"(?:^|[^A-Za-z0-9_])(?P<secret>tok_[a-z0-9]{8,64})(?:[^A-Za-z0-9_]|$)", True),
    (r"(?i:key)[ \t]*=[ \t]*(?P<secret>[^ \t\r\n]{1,40})", True),
    (r"a.b[^x]", True),
    (r"contraseña=(?P<secret>\S+)", False),  # a character beyond ASCII, a category
    (r"pin=(?P<secret>[^\x00-\x7f]+)", False),  # a negated class naming the filler
    (r"pin=(?P<secret>[^\x7f]+)", False),
    (r"pin=(?P<secret>[0-9 \u00a0]+)", False),  # a class reaching beyond ASCII
    (r"(?<=pin=)[0-9]+", False),  # a look-around
])
def test_shadow_matches_hold_only_where_every_piece_takes_the_filler(pattern, holds):
    from rules_engine.scrub.catalogued import shadow_matches_hold

    assert shadow_matches_hold(pattern) is holds


def test_the_ascii_shadow_keeps_offsets_and_refuses_case_folds():
    from rules_engine.scrub.catalogued import SHADOW_FILLER, ascii_shadow

    text = "pässwörd=s3\U0001f600cret\u00a0!"
    shadow = ascii_shadow(text)
    assert len(shadow) == len(text) and shadow.isascii()
    assert shadow.decode() == "".join(char if char.isascii() else SHADOW_FILLER for char in text)
    assert ascii_shadow("token=\u212aey") is None


def test_a_match_in_text_beyond_ascii_is_found_through_its_shadow(monkeypatch):
    """RE2 searches the shadow (it finds nothing, and re is not asked) where a text beyond
    ASCII holds no match; a match there is found where re finds it."""
    from rules_engine.scrub import catalogued

    entry = BY_ID["github_token_checked"]
    token = next(example.secret for example in entry.true_examples if example.secret.startswith("ghp_"))
    searches = _count_re2_searches(monkeypatch)
    detector = catalogued._detector(entry)
    assert detector.find("ghp_ für " + "ü" * 2_000) == []
    assert searches == [0]
    text = "ü " * 1_000 + f"clé={token}ü"
    found = detector.find(text)
    assert [text[start:end] for start, end in found] == [token]
    assert found == _found_by_plain_search(detector, text)


@pytest.mark.parametrize("text, secret", [
    ('<property name="db.password" value="Sp9vRt3mXq"/>', "Sp9vRt3mXq"),
    ("<param name='accessToken'\n       value='Tk4Lq8mZp2Rw'/>", "Tk4Lq8mZp2Rw"),
])
def test_config_elements_name_their_secret_with_a_name_attribute_too(text, secret):
    """(Not among the entry's examples: ``name=`` inside text is hashed where the user's name is,
    so an example holding it is no secret that scrubbing leaves alone the second time.)"""
    assert [text[start:end] for start, end in DETECTORS["xml_attribute_secret"].find(text)] == [secret]


def _count_re2_searches(monkeypatch) -> list[int]:
    """The positions RE2 is asked to search from by the detectors made from now on."""
    from rules_engine.scrub import catalogued

    searches = []
    bytes_search = catalogued.bytes_search

    def counted(pattern):
        search = bytes_search(pattern)
        return lambda data, position: searches.append(position) or search(data, position)

    monkeypatch.setattr(catalogued, "bytes_search", counted)
    return searches


# ----------------------------------------------------------------- placeholders

_PLACEHOLDER_PIECES = st.one_of(
    st.text("aAxX*\n19bcEeLlMmPp.", max_size=6),
    st.sampled_from(["example", "EXAMPLE", "ExAmPlE", "0123456789", "123456789", "abcdefghij", "ABCDEFGHIJ",
                     "\u212a", "\u0130", "\u017f", "\u00e9"]),
    st.builds(lambda char, count: char * count, st.sampled_from("aAxX*\n9\u00e9."), st.integers(1, 13)),
)


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(_PLACEHOLDER_PIECES, max_size=8))
def test_placeholders_are_found_as_their_pattern_finds_them(pieces):
    """Its quick checks only spare a search that would find nothing."""
    from rules_engine.detection.validators import _PLACEHOLDER, is_placeholder

    text = "".join(pieces)
    assert is_placeholder(text) == (_PLACEHOLDER.search(text) is not None), text
