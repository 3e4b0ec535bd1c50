"""The corpus is only worth something if it is real: these tests check the corpus itself."""

from __future__ import annotations

import re
from typing import Any, Iterator

import sentry_sdk

from rules_engine.detection import catalogue
from rules_engine.model.models import DETECTORS
from tests import child_python
from tests.corpus import build_corpus, kept_in, serialize

SOURCE_CONTEXT_KEYS = {"pre_context", "context_line", "post_context"}


def _leaves(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, path + (index,))
    else:
        yield path, node


def _paths_holding(value: str, events: list[dict]) -> list[tuple]:
    return [path for event in events for path, leaf in _leaves(event) if isinstance(leaf, str) and value in leaf]


def _area(path: tuple) -> str:
    """A coarse name for where in an event a path lies."""
    keys = [step for step in path if isinstance(step, str)]
    if "vars" in keys:
        return "frame vars"
    if keys[:1] == ["exception"]:
        return "exception value"
    if keys[:1] in (["breadcrumbs"], ["spans"]):
        return f"{keys[0]} {'data' if 'data' in keys else keys[-1]}"
    return ".".join(keys[:2])


def test_every_event_was_produced_by_sentry_sdk(corpus):
    assert len(corpus.events) >= 10
    for event in corpus.events:
        assert event["sdk"]["name"].startswith("sentry.python")
        assert event["sdk"]["version"] == sentry_sdk.VERSION
        assert re.fullmatch(r"[0-9a-f]{32}", event["event_id"])
        assert event["platform"] == "python"


def test_integrations_left_their_marks(corpus):
    mechanisms = {
        value["mechanism"]["type"] for event in corpus.events for value in event.get("exception", {}).get("values", [])
    }
    assert {"starlette", "flask", "generic"} <= mechanisms
    integrations = set(corpus.events[0]["sdk"]["integrations"])
    assert {"fastapi", "starlette", "flask", "sqlalchemy", "httpx", "logging"} <= integrations
    span_origins = {span["origin"] for event in corpus.events for span in event.get("spans", [])}
    assert {"auto.db.sqlalchemy", "auto.http.httpx"} <= span_origins
    log_events = [event for event in corpus.events if event.get("logger") == "shop.auth"]
    assert log_events and "%s" in log_events[0]["logentry"]["message"]


def test_the_shapes_the_brief_names_are_there(corpus):
    kinds = {event.get("type", "error") for event in corpus.events}
    assert kinds == {"error", "transaction"}
    chained = [event for event in corpus.events if len(event.get("exception", {}).get("values", [])) >= 2]
    assert len(chained) >= 2  # SQLAlchemy wraps sqlite3's error; a config error raised "from" another
    assert any("[parameters:" in value["value"] for event in chained for value in event["exception"]["values"])
    transactions = {event["transaction"] for event in corpus.events if event.get("type") == "transaction"}
    assert "/health" in transactions
    statuses = {
        event["contexts"].get("response", {}).get("status_code")
        for event in corpus.events
        if event.get("type") == "transaction"
    }
    assert {404, 500} <= statuses
    asgi_scope_headers = [
        path for path in _paths_holding("b'authorization'", corpus.events) if "vars" in path and "headers" in path
    ]
    assert asgi_scope_headers, "the ASGI scope's header pairs should be among the frame vars"


def test_every_detector_kind_is_planted(corpus):
    """Every detector outside the catalogue (whose entries are planted by the second corpus)."""
    planted_kinds = {secret.kind for secret in corpus.secrets}
    classic = set(DETECTORS) - {entry.id for entry in catalogue()}
    assert classic <= planted_kinds, classic - planted_kinds
    assert planted_kinds <= set(DETECTORS) | {"key"}


def test_every_plant_reached_the_events_of_its_scenario(corpus):
    for secret in corpus.secrets:
        assert secret.value in serialize(corpus.events_of(secret.scenario)), secret


def test_plants_sit_in_every_area_of_an_event(corpus):
    areas = {_area(path) for secret in corpus.secrets for path in _paths_holding(secret.value, corpus.events)}
    expected = {
        "request.headers",
        "request.cookies",
        "request.data",
        "request.query_string",
        "request.env",
        "user.email",
        "user.ip_address",
        "exception value",
        "frame vars",
        "logentry.formatted",
        "logentry.params",
        "breadcrumbs message",
        "breadcrumbs data",
        "spans description",
        "spans data",
    }
    assert expected <= areas, expected - areas


def test_plants_are_not_only_in_source_code_lines(corpus):
    for secret in corpus.secrets:
        paths = _paths_holding(secret.value, corpus.events)
        assert paths, secret
        assert not any(SOURCE_CONTEXT_KEYS & set(map(str, path)) for path in paths), secret


def test_kept_values_are_in_the_raw_events(corpus):
    assert len(corpus.keep) >= 15
    for kept in corpus.keep:
        assert kept_in(kept, corpus.events_of(kept.scenario)), kept


def test_kept_and_planted_values_do_not_overlap(corpus):
    secrets = [secret.value for secret in corpus.secrets]
    # Short numbers (17, 256...) are checked at their paths; textual values must be unambiguous.
    for kept in (kept for kept in corpus.keep if isinstance(kept.value, str)):
        assert not any(str(kept.value) in secret or secret in str(kept.value) for secret in secrets), kept
    # Sensitive-looking key names whose values must stay are really present in the events.
    text = serialize(corpus.events)
    for key in ("token_count", "authored_by", "sessions_total", "max_tokens"):
        assert f'"{key}"' in text


def test_each_call_returns_fresh_events(corpus):
    again = build_corpus()
    again.events[0]["request"]["headers"].clear()
    assert build_corpus().events[0]["request"]["headers"] == corpus.events[0]["request"]["headers"] != {}


def test_bundled_examples_are_real_events():
    import json
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples"
    files = sorted((examples / "events").glob("*.json"))
    lines = (examples / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(files) >= 6 and len(lines) == len(files)
    from_files = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    assert [json.loads(line) for line in lines] == from_files
    assert all(event["sdk"]["name"].startswith("sentry.python") for event in from_files)
    assert {event.get("type", "error") for event in from_files} == {"error", "transaction"}


def test_leak_and_keep_accounting_follows_the_outputs(corpus):
    raw = [dict(event) for event in corpus.events]
    assert corpus.leaks(raw) == corpus.secrets
    kept, lost = corpus.kept(raw)
    assert lost == [] and len(kept) == len(corpus.keep)
    dropped_all = [None] * len(corpus.events)
    assert corpus.leaks(dropped_all) == []
    assert corpus.kept(dropped_all) == ([], [])
    # Blanking one request header loses exactly the values kept there.
    index = corpus.scenarios["fastapi_checkout_error"][0]
    edited = list(raw)
    edited[index] = dict(raw[index], request={**raw[index]["request"], "headers": {}})
    _, lost = corpus.kept(edited)
    assert [value.path for value in lost] == [("request", "headers", "user-agent")]


def test_example_generator_reproduces_the_bundled_set(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [sys.executable, str(root / "examples" / "generate_events.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=child_python.TIMEOUT,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    fresh = sorted(path.name for path in (tmp_path / "events").glob("*.json"))
    bundled = sorted(path.name for path in (root / "examples" / "events").glob("*.json"))
    assert fresh == bundled
    for name in fresh:
        new = json.loads((tmp_path / "events" / name).read_text(encoding="utf-8"))
        old = json.loads((root / "examples" / "events" / name).read_text(encoding="utf-8"))
        assert new.get("type", "error") == old.get("type", "error")
        assert new.get("transaction") == old.get("transaction")
        assert [v["type"] for v in new.get("exception", {}).get("values", [])] == [
            v["type"] for v in old.get("exception", {}).get("values", [])
        ]


def test_hints_are_the_ones_sentry_sdk_gave_before_send(corpus):
    assert len(corpus.hints) == len(corpus.events)
    for event, hint in zip(corpus.events, corpus.hints):
        if event.get("type") == "transaction":
            assert hint == {}
        elif "exception" in event:
            live = hint["exc_info"][1]
            assert type(live).__name__ == event["exception"]["values"][-1]["type"]
        else:
            assert hint["log_record"].name == event["logger"]
    not_found = corpus.hints[corpus.scenarios["fastapi_not_found"][0]]["exc_info"][1]
    assert not_found.status_code == 404
