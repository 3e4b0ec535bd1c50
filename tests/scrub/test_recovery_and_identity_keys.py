"""Key names the 2026.12 packs add, in events real apps produce: account-recovery secrets (one-time
and recovery codes, seed phrases, security answers, PKCE verifiers, SAML responses, key files),
the headers and query parameters that carry credentials under short names (``sig`` of an Azure
SAS, ``sid``, ``hmac``), and identity documents, dates of birth, tax, bank and health record
numbers (personal-data). Their neighbours that only describe them keep their values; a ruleset
pinned to the 2026.11 packs is unchanged."""

from __future__ import annotations

import functools
import json
import random
import string

import pytest

from rules_engine.scrub import accelerator_available
from rules_engine.testing.capture import capture_events
from tests.corpus.planting import default_ruleset, pinned_ruleset, processed_events

ENGINES = ["on", "off"] if accelerator_available() else ["off"]
_RANDOM = random.Random(2026_12)


def _opaque() -> str:
    """A value with no shape a detector knows: only its key can tell it is a secret."""
    return "Qv" + "".join(_RANDOM.choice(string.ascii_letters + string.digits) for _ in range(18))


#: JSON bodies posted to a Flask view, at most eight fields each (sentry-sdk sends ten items of a
#: dict), camelCase as JavaScript clients write them and snake_case as Python ones do.
SECRET_BODIES = [
    {"verificationCode": _opaque(), "recoveryCodes": [_opaque(), _opaque()], "backup_code": _opaque(),
     "pinCode": _opaque(), "user_2fa_code": _opaque(), "passkey": _opaque(), "otpCode": _opaque()},
    {"mnemonic": _opaque(), "seedPhrase": _opaque(), "recovery_phrase": _opaque(), "securityAnswer": _opaque(),
     "mothersMaidenName": _opaque(), "code_verifier": _opaque(), "client_assertion": _opaque()},
    {"SAMLResponse": _opaque(), "kubeconfig": _opaque(), "sshKey": _opaque(), "pgp_key": _opaque(),
     "serviceAccountJson": _opaque(), "activationKey": _opaque(), "productKey": _opaque(), "token_hash": _opaque()},
]
IDENTITY_BODIES = [
    {"passportNumber": _opaque(), "driverLicense": _opaque(), "driving_licence": _opaque(), "taxId": _opaque(),
     "nationalId": _opaque(), "dob": "1986-04-12", "dateOfBirth": "12/04/1986"},
    {"bankAccount": _opaque(), "sortCode": "20-00-00", "medicalRecordNumber": _opaque(),
     "healthInsuranceNumber": _opaque(), "national_insurance": _opaque(), "birthdate": "1990-01-31"},
]
#: What only describes a secret or a document: it stays.
KEPT = {"user": "ann", "mnemonic_length": 24, "passport_country": "DE", "passport_expiry": "2031-05-01",
        "birthday_reminder_enabled": True, "pin_attempts": 2}


def _flask_events() -> list:
    import flask
    from sentry_sdk.integrations.flask import FlaskIntegration

    app = flask.Flask("recovery")

    @app.post("/account/recover")
    def recover():
        payload = flask.request.get_json()  # noqa: F841 (the frame variable the SDK sends)
        raise RuntimeError("recovery failed")

    with capture_events(integrations=[FlaskIntegration()]) as events:
        client = app.test_client()
        for body in SECRET_BODIES + IDENTITY_BODIES + [KEPT]:
            client.post("/account/recover", json=body)
    return events


#: Headers and query parameters of requests to a Starlette app, sent with send_default_pii (the
#: SDK then sends every header as it came).
HEADERS = {"X-Honeycomb-Team": _opaque(), "X-2FA-Code": _opaque(), "Cf-Access-Jwt-Assertion": _opaque()}
QUERY = {"sig": _opaque(), "sid": _opaque(), "hmac": _opaque(), "token_hash": _opaque(), "SAMLResponse": _opaque()}


def _starlette_events() -> list:
    from starlette.applications import Starlette
    from starlette.routing import Route
    from starlette.testclient import TestClient
    from sentry_sdk.integrations.starlette import StarletteIntegration

    def fail(request):
        raise RuntimeError("upstream refused")

    app = Starlette(routes=[Route("/callback", fail)])
    with capture_events(integrations=[StarletteIntegration()], send_default_pii=True) as events:
        client = TestClient(app, raise_server_exceptions=False)
        for name, value in HEADERS.items():
            client.get("/callback?page=2", headers={name: value})
        for name, value in QUERY.items():
            client.get(f"/callback?{name}={value}&page=2")
    return events


@functools.lru_cache(maxsize=1)
def captured() -> tuple:
    return tuple(_flask_events()) + tuple(_starlette_events())


def _secrets() -> list[str]:
    values = [*HEADERS.values(), *QUERY.values()]
    for body in SECRET_BODIES + IDENTITY_BODIES:
        for value in body.values():
            values += value if isinstance(value, list) else [value]
    return values


def test_every_secret_is_in_the_events_the_sdk_made():
    sent = json.dumps(captured())
    assert [value for value in _secrets() if value not in sent] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_the_default_ruleset_sends_none_of_them(engine):
    sent = json.dumps(processed_events(default_ruleset(engine), list(captured())))
    assert [value for value in _secrets() if value in sent] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_what_only_describes_a_secret_stays(engine):
    kept_event = processed_events(default_ruleset(engine), list(captured()))[len(SECRET_BODIES) + len(IDENTITY_BODIES)]
    assert kept_event["request"]["data"] == KEPT
    assert kept_event["exception"]["values"][-1]["stacktrace"]["frames"][-1]["vars"]["payload"] == {
        "user": "'ann'", "mnemonic_length": "24", "passport_country": "'DE'", "passport_expiry": "'2031-05-01'",
        "birthday_reminder_enabled": "True", "pin_attempts": "2"}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_rules_that_redact_them_are_named_in_meta(engine):
    outputs = processed_events(default_ruleset(engine), list(captured()))
    rules = json.dumps([event["_meta"] for event in outputs])
    assert '"security-answers"' in rules and '"identity-keys"' in rules


def test_a_ruleset_pinned_to_2026_11_keeps_them():
    sent = json.dumps(processed_events(pinned_ruleset("2026.11", "off"), list(captured())))
    assert QUERY["sig"] in sent and SECRET_BODIES[1]["mnemonic"] in sent and IDENTITY_BODIES[0]["passportNumber"] in sent
