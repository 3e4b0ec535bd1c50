"""A multipart/form-data body (a form with a file, as requests and httpx encode it) holds each
field's name in its part's header and the value after a blank line: a field named after a secret
is redacted there, in the body as bytes (a frame variable) and as text."""

from __future__ import annotations

import json

import httpx
import requests

from tests.corpus.planting import captured_failures, default_ruleset, frame_vars, processed_events
from tests.scrub.frame_scenarios import engine  # noqa: F401

PASSWORD = "Mp7kQ2wX9vL4nB8cR3tZ"
TOKEN = "Ht5rE8wQ2zM7nB4vC1xL"


def _requests_upload():
    body = requests.Request("POST", "https://api.shop.test/upload", files={"avatar": ("a.png", b"PNG")},
                            data={"username": "ann", "password": PASSWORD}).prepare().body  # noqa: F841
    raise ConnectionError("upload refused")


def _httpx_upload():
    request = httpx.Request("POST", "https://api.shop.test/upload", files={"avatar": ("a.png", b"PNG")},
                            data={"user": "ann", "api_token": TOKEN})
    body = request.read()  # noqa: F841
    raise ConnectionError("upload refused")


def test_a_secret_field_of_a_multipart_body_is_redacted(engine):
    for fail, secret, kept in ((_requests_upload, PASSWORD, "ann"), (_httpx_upload, TOKEN, "ann")):
        event, = captured_failures(fail)
        assert secret in frame_vars(event)["body"] and "form-data" in frame_vars(event)["body"]
        sent, = processed_events(default_ruleset(engine), [event])
        body = frame_vars(sent)["body"]
        assert secret not in json.dumps(sent) and "[Filtered]" in body
        assert kept in body and "PNG" in body  # the other fields and the file stay
