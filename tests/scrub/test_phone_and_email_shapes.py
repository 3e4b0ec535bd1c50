"""Phone numbers and e-mail addresses in every shape their standards write them, generated from
the standards' own data, never leave the process under ``rulesets/default.yaml``: phone numbers
from libphonenumber's example numbers (every region, mobile, fixed-line and toll-free) in each of
its formats and the ways people rewrite them (dots, ``00`` for ``+``, an extension, percent-encoded),
e-mail addresses in the shapes RFC 5322 and RFC 6531 allow (quoted local parts, IP literals, IDN
and punycode domains, subaddresses) and with their ``@`` escaped as URLs, JSON and HTML escape it.

Each batch of texts is one request to a real Flask app under a real sentry-sdk client, the texts
one per line: in the exception message, the view's frame variable (as repr() writes it), a
breadcrumb and the request's form data; both engines. Dates, times, versions, IPv4 addresses and
order numbers in the same places are no phone numbers; the 2026.11 packs send what they sent."""

from __future__ import annotations

import random
import re

import flask
import phonenumbers
import pytest
import sentry_sdk
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from sentry_sdk.integrations.flask import FlaskIntegration

from rules_engine.capture import capture_events
from rules_engine.detection.contact import _PHONE_REGIONS
from rules_engine.load.loader import load_model_from_text
from tests.corpus.planting import built_ruleset, default_ruleset, pinned_ruleset
from tests.scrub.frame_scenarios import ENGINES, engine, scrubbed_as_the_reference  # noqa: F401

PHONE_DETECTORS = ["phone_number", "phone_number_under_key", "phone_number_nanp"]


# --------------------------------------------------------------------------- real events

def _app() -> flask.Flask:
    app = flask.Flask("shapes")

    @app.post("/notes")
    def notes():
        note = flask.request.form["note"]
        sentry_sdk.add_breadcrumb(category="notes", message=note)
        raise ValueError(note)

    return app


APP = _app()


def _event_holding(lines: list[str]) -> dict:
    """The event a real client makes of a request whose note is ``lines``, one per line."""
    with capture_events(integrations=[FlaskIntegration()]) as sent:
        APP.test_client().post("/notes", data={"note": "\n".join(lines)})
    (event,) = sent
    return event


def _places(event: dict) -> dict[str, list[str]]:
    """Each place of the note in ``event``, split back into its lines."""
    value = event["exception"]["values"][-1]
    crumb = next(crumb for crumb in event["breadcrumbs"]["values"] if crumb.get("category") == "notes")
    frame = next(frame for frame in value["stacktrace"]["frames"] if frame.get("function") == "notes")
    return {
        "exception message": value["value"].split("\n"),
        # repr() writes the line breaks as \n
        "frame variable": frame["vars"]["note"][1:-1].split("\\n"),
        "breadcrumb": crumb["message"].split("\n"),
        "request data": event["request"]["data"]["note"].split("\n"),
    }


#: Lines per event: an event of thousands of numbers, each redacted in four places and searched
#: for as an echo everywhere, would exceed the default time budget (limits.max_ms) and be dropped.
_BATCH = 200


def _sent(ruleset, lines: list[str]) -> dict[str, list[str]]:
    """What ``ruleset`` lets out of each place of events holding ``lines``, in batches."""
    sent: dict[str, list[str]] = {}
    for start in range(0, len(lines), _BATCH):
        batch = lines[start:start + _BATCH]
        event = _event_holding(batch)
        assert all(len(place) == len(batch) for place in _places(event).values()), "the note reached every place"
        for place, texts in _places(ruleset.before_send(event, {})).items():
            sent.setdefault(place, []).extend(texts)
    return sent


# --------------------------------------------------------------------------- phone numbers

_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE)


def _example_numbers(regions=None) -> list[phonenumbers.PhoneNumber]:
    numbers = []
    for region in sorted(regions or phonenumbers.SUPPORTED_REGIONS):
        for kind in _TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None and number not in numbers:
                numbers.append(number)
    return numbers


NUMBERS = _example_numbers()


def _international(number) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def _e164(number) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


#: The formats libphonenumber writes an international number in, and how people rewrite them.
INTERNATIONAL_FORMATS = {
    "E164": _e164,
    "INTERNATIONAL": _international,
    "RFC3966": lambda number: phonenumbers.format_number(number, PhoneNumberFormat.RFC3966),
    "dots": lambda number: re.sub(r"[ -]", ".", _international(number)),
    "00 for +": lambda number: "00" + _international(number)[1:],
    "00 for +, compact": lambda number: "00" + _e164(number)[1:],
    "with ext.": lambda number: _international(number) + " ext. 42",
    "+ percent-encoded": lambda number: "%2B" + _e164(number)[1:],
    "query value, %20": lambda number: "%2B" + _international(number)[1:].replace(" ", "%20"),
    "form value, +": lambda number: "%2B" + _international(number)[1:].replace(" ", "+"),
}

#: Where a number stands: prose, JSON under a key that names no phone, a tel: link, a query.
CONTEXTS = {
    "prose": "reach {} before noon",
    "json": '{{"contact": "{}", "id": 7}}',
    "tel link": '<a href="tel:{}">call us</a>',
    "query": "/callback?to={}&retry=1",
}


def _digits(number) -> str:
    return str(number.national_number)


def _leaked(number, line: str) -> bool:
    return _digits(number) in re.sub(r"[^0-9]", "", line)


def _compact_00_is_long_enough(number) -> bool:
    # A 00 number without separators needs ten digits after the 00 (see validators.phone).
    return len(_e164(number)) - 1 >= 10


@pytest.mark.parametrize("form", INTERNATIONAL_FORMATS)
def test_international_numbers_in_every_format_never_leave(form, engine):
    write = INTERNATIONAL_FORMATS[form]
    numbers = NUMBERS if "compact" not in form else [n for n in NUMBERS if _compact_00_is_long_enough(n)]
    cases = [(number, context) for number in numbers for context in CONTEXTS.values()
             if not (form == "RFC3966" and "tel:" in context)]
    lines = [context.format(write(number)) for number, context in cases]
    assert len(cases) > 1500
    for place, sent in _sent(default_ruleset(engine), lines).items():
        leaked = [line for (number, _), line in zip(cases, sent) if _leaked(number, line)]
        assert leaked == [], f"{form} in the {place}"


NATIONAL_CONTEXTS = {
    "phone word": "please call {} today",
    "Tel.": "Tel. {} (Zentrale)",
    "key in words": "Phone Number: {}",
    "key": "{{'phone': '{}'}}",
    "tel link": '<a href="tel:{}">',
}


@pytest.mark.parametrize("context", NATIONAL_CONTEXTS)
def test_national_numbers_after_a_phone_word_never_leave(context, engine):
    """National numbers need a phone word or key: valid in one of the common regions."""
    numbers = _example_numbers(_PHONE_REGIONS)
    lines = [NATIONAL_CONTEXTS[context].format(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
             for number in numbers]
    for place, sent in _sent(default_ruleset(engine), lines).items():
        assert [line for number, line in zip(numbers, sent) if _leaked(number, line)] == [], place


def test_north_american_numbers_in_their_written_shapes_never_leave(engine):
    numbers = [number for number in NUMBERS if number.country_code == 1]
    national = [phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL) for number in numbers]
    shapes = [*national, *(re.sub(r"[()]", "", text).replace(" ", "-") for text in national),
              *(re.sub(r"[()]", "", text).replace(" ", ".").replace("-", ".") for text in national)]
    lines = [f'{{"contact": "{text}"}}' for text in shapes]
    for place, sent in _sent(default_ruleset(engine), lines).items():
        assert [line for number, line in zip(numbers * 3, sent) if _leaked(number, line)] == [], place


def _not_phones() -> list[str]:
    """Dates, times, Unix times, versions, IPv4 addresses and order numbers, in prose, JSON and
    after a phone word."""
    rng = random.Random(7)
    texts = []
    for day in range(0, 3650, 37):
        seconds = 1_577_836_800 + day * 86_400 + rng.randrange(86_400)
        year, month, date = 2020 + day // 365, 1 + day % 12, 1 + day % 28
        hour, minute = rng.randrange(24), rng.randrange(60)
        texts += [f"{year}-{month:02d}-{date:02d}", f"{date:02d}.{month:02d}.{year}", f"{year}{month:02d}{date:02d}",
                  f"{date:02d}-{month:02d}-{year} {hour:02d}:{minute:02d}", f"{year}.{month:02d}.{date:02d}",
                  str(seconds), str(seconds * 1000)]
    texts += [".".join(str(rng.randrange(256)) for _ in range(4)) for _ in range(100)]
    texts += [".".join(str(rng.randrange(40)) for _ in range(rng.choice((3, 4)))) for _ in range(100)]
    texts += [f"{rng.randrange(10 ** rng.randrange(4, 9)):010d}" for _ in range(200)]
    texts += [f"#{rng.randrange(10 ** 9)}" for _ in range(50)] + [f"INV-{rng.randrange(10 ** 6):06d}" for _ in range(50)]
    return [context.format(text) for text in texts
            for context in ("order {} failed", '{{"id": "{}"}}', "call {}", "cell {} at noon")
            if not (context.startswith(("call", "cell")) and re.fullmatch(r"0[0-9]{9}", text))]


def test_dates_times_versions_addresses_and_order_numbers_are_no_phone_numbers(engine):
    """Digit runs a phone's separators match, but no phone: left as they are (order numbers
    padded with zeros after a phone word are left out: there they read as national numbers)."""
    text = "format: 1\nname: phones\nscrub:\n  rules:\n    - id: phones\n      detect: [" + ", ".join(PHONE_DETECTORS) + "]\n      redact: filter\n"
    ruleset = built_ruleset(load_model_from_text(text, "phones.yaml"), engine)
    lines = _not_phones()
    assert len(lines) > 1000
    for place, sent in _sent(ruleset, lines).items():
        assert [line for line in sent if "[Filtered]" in line] == [], place


def test_the_phone_detectors_scrub_as_the_reference_does(engine):
    numbers = NUMBERS[::7]
    lines = [context.format(write(number)) for number in numbers for write in INTERNATIONAL_FORMATS.values()
             for context in CONTEXTS.values()]
    event = _event_holding(lines[:_BATCH] + _not_phones()[::20])
    rules = [{"id": "phones", "detect": PHONE_DETECTORS, "redact": "filter"}]
    scrubbed, counts = scrubbed_as_the_reference(event, rules, engine)
    assert counts["phones"] >= 4 * _BATCH


# --------------------------------------------------------------------------- e-mail addresses

#: Local parts RFC 5322 (dot-atoms, quoted strings) and RFC 6531 (UTF-8) allow, as people write them.
LOCAL_PARTS = ["anna.k", "anna.k+orders", "anna.k%2Borders", "a_b-c.d", '"anna k"', '"anna@home"', "sean.o'brien", "jörg.müller",
               "用户", "ANNA.K", "ops"]
#: Domains: ASCII, IDN, punycode (also a punycode top-level domain), subdomains, IP literals.
DOMAINS = ["example-shop.com", "müller-shop.de", "xn--mller-shop-tlb.de", "例子.广告", "mail.example.co.uk",
           "example.xn--p1ai", "[192.0.2.1]", "[IPv6:2001:db8::1]"]
#: The @ as written, percent-encoded (once and twice), as JSON's \u escape (also with repr()'s doubled backslash),
#: and as HTML's character references.
AT_SIGNS = ["@", "%40", "%2540", "\\u0040", "\\\\u0040", "&#64;", "&#064;", "&#x40;", "&#X40;", "&#x0040;", "&commat;"]
MAIL_CONTEXTS = ["mail to {} bounced", '{{"to": "{}"}}', '<a href="mailto:{}">write</a>', "/users/{}/orders",
                 "?email={}&x=1", "'{}'", "({})", "<{}>"]


def _mail_leaked(local: str, domain: str, line: str) -> bool:
    return local.strip('"') in line or domain.strip("[]") in line


@pytest.mark.parametrize("at", AT_SIGNS)
def test_email_addresses_in_every_shape_never_leave(at, engine):
    cases = [(local, domain) for local in LOCAL_PARTS for domain in DOMAINS]
    lines = [context.format(local + at + domain) for local, domain in cases for context in MAIL_CONTEXTS]
    expected = [case for case in cases for _ in MAIL_CONTEXTS]
    for place, sent in _sent(default_ruleset(engine), lines).items():
        leaked = [line for (local, domain), line in zip(expected, sent) if _mail_leaked(local, domain, line)]
        assert leaked == [], place


# --------------------------------------------------------------------------- 2026.11

def test_the_2026_11_packs_send_these_shapes_as_they_did(engine):
    lines = ["tel 0049 30 901820", "tel 415.555.0132", '"anna k"@example-shop.com bounced',
             "anna.k&#64;example-shop.com", '{"to": "anna.k\\u0040example-shop.com"}']
    sent = _sent(pinned_ruleset("2026.11", engine), lines)
    for place, texts in sent.items():
        assert texts[:2] == lines[:2], place
        assert "example-shop.com" in "".join(texts[2:]), place
