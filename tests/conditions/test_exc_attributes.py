"""``exc.<attr>`` reads attributes of the live exception, following dotted paths."""

import httpx
import sentry_sdk

from rules_engine.model import models
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.testing.capture import capture_events

RULESET = {
    "format": 1,
    "name": "upstream",
    "filters": [{"id": "upstream-4xx", "when": {"exc.response.status_code": {"lt": 500}}, "drop": True}],
    "grouping": [
        {
            "id": "upstream-errors",
            "when": {"error.type": "httpx.HTTPStatusError"},
            "fingerprint": ["upstream-error", "{{ exc.response.status_code }}"],
            "tags": {"upstream_status": "{{ exc.response.status_code }}"},
        }
    ],
}


def _raise_upstream_error(status: int) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status))
    with httpx.Client(transport=transport, base_url="http://upstream.test") as client:
        client.get("/orders/7").raise_for_status()


def _capture_upstream_errors(statuses):
    ruleset = Ruleset.from_model(models.RulesetSpec.model_validate(RULESET))
    with capture_events(**ruleset.sentry_options()) as events:
        for status in statuses:
            try:
                _raise_upstream_error(status)
            except httpx.HTTPStatusError:
                sentry_sdk.capture_exception()
    return events


def test_dotted_exc_attribute_drives_filters_and_templates():
    events = _capture_upstream_errors([404, 502, 503])
    assert [e["fingerprint"] for e in events] == [["upstream-error", "502"], ["upstream-error", "503"]]
    assert [e["tags"]["upstream_status"] for e in events] == ["502", "503"]


def test_missing_attribute_on_the_path_reads_as_absent():
    ruleset = Ruleset.from_model(models.RulesetSpec.model_validate(RULESET))
    error = ValueError("no response attribute")
    event = {"exception": {"values": [{"type": "ValueError", "value": "no response attribute"}]}}
    kept = ruleset.before_send(event, {"exc_info": (ValueError, error, None)})
    assert kept is not None
    assert "fingerprint" not in kept
