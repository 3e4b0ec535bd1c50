"""``explain``, ``apply`` and ``test`` on log records, metrics and spans, in the JSON shapes
sentry-sdk produces (as its hooks receive them and as they go out on the wire)."""

from __future__ import annotations

import json
import logging
import textwrap
from pathlib import Path

import pytest
import sentry_sdk

from rules_engine.cli import main
from rules_engine.testing.capture import capture_transport
from tests.corpus.values import CARD_NUMBER, EMAIL_LOG, GITHUB_TOKEN, LOG_PASSWORD

DEFAULT = str(Path(__file__).parents[2] / "rulesets" / "default.yaml")
SECRETS = (CARD_NUMBER, EMAIL_LOG, GITHUB_TOKEN, LOG_PASSWORD)


@pytest.fixture(scope="module")
def wire_items() -> dict[str, list[dict]]:
    """A log record, a metric and a streamed span as sentry-sdk sends them, secrets included."""
    with capture_transport(enable_logs=True, traces_sample_rate=1.0, trace_lifecycle="stream") as sent:
        logging.getLogger("shop.auth").error("login failed password=%s token=%s", LOG_PASSWORD, GITHUB_TOKEN)
        sentry_sdk.metrics.count("checkout.completed", 1, attributes={"card": CARD_NUMBER, "plan": "pro"})
        with sentry_sdk.traces.start_span(name=f"notify {EMAIL_LOG}") as span:
            span.set_attribute("order.id", 12345)
    return sent.items


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


def test_apply_scrubs_every_kind_of_item(tmp_path, wire_items, capsys):
    items = [wire_items["log"][0], wire_items["metric"][0], wire_items["span"][0]]
    assert all(secret in json.dumps(items) for secret in (LOG_PASSWORD, CARD_NUMBER, EMAIL_LOG))
    source = write_jsonl(tmp_path / "items.jsonl", items)
    out = tmp_path / "out.jsonl"
    assert main(["apply", DEFAULT, str(source), "-o", str(out), "--format", "json"]) == 0
    processed = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(processed) == 3 and not any(secret in out.read_text() for secret in SECRETS)
    log, metric, span = processed
    assert log["level"] == "error" and log["body"].startswith("login failed password=[Filtered]")
    assert log["attributes"]["logger.name"] == {"value": "shop.auth", "type": "string"}  # still on the wire shape
    assert metric["name"] == "checkout.completed" and metric["attributes"]["plan"]["value"] == "pro"
    assert span["attributes"]["order.id"] == {"value": 12345, "type": "integer"}
    summary = json.loads(capsys.readouterr().out)
    assert summary["kinds"] == {"log": 1, "metric": 1, "span": 1}


def test_explain_names_the_kind_and_the_rules(tmp_path, wire_items, capsys):
    source = tmp_path / "log.json"
    source.write_text(json.dumps(wire_items["log"][0]))
    assert main(["explain", DEFAULT, str(source), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "log"
    matched = {rule["rule_id"] for rule in report["rules"] if rule["matched"]}
    assert {"secret-keys", "secret-values"} <= matched


def test_explain_shows_a_log_filter_dropping_a_record(tmp_path, wire_items, capsys):
    ruleset = tmp_path / "logs.yaml"
    ruleset.write_text("format: 1\nname: logs\nfilters:\n"
                       "  - {id: auth-noise, on: [log], when: {attributes.logger.name: shop.auth}, drop: true}\n")
    source = tmp_path / "log.json"
    source.write_text(json.dumps(wire_items["log"][0]))
    assert main(["explain", str(ruleset), str(source), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["dropped_by"] == "auth-noise"


def test_case_files_run_items_through_their_hooks(tmp_path, wire_items, capsys):
    (tmp_path / "log.json").write_text(json.dumps(wire_items["log"][0]))
    case_file = tmp_path / "items.rules-test.yaml"
    case_file.write_text(textwrap.dedent(f"""\
        ruleset: {DEFAULT}
        cases:
          - name: a log record loses its secrets
            event_file: log.json
            expect:
              absent: ["{LOG_PASSWORD}", "{GITHUB_TOKEN}"]
              present: [shop.auth]
          - name: a metric as its hook receives it
            event: {{name: signup, type: counter, value: 1, unit: null, timestamp: 1.0,
                    attributes: {{email: "{EMAIL_LOG}", plan: pro}}}}
            expect:
              absent: ["{EMAIL_LOG}"]
              present: [pro]
          - name: a span cannot be dropped
            kind: span
            event: {{name: "charge {CARD_NUMBER}", span_id: abcdef0123456789, start_timestamp: 1.0, attributes: {{}}}}
            expect:
              dropped: false
              absent: ["{CARD_NUMBER}"]
        """))
    assert main(["test", str(case_file)]) == 0, capsys.readouterr().out
