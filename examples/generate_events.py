"""Regenerate the sample events in ``examples/`` from real sentry-sdk integrations.

    python3 examples/generate_events.py

Runs the same small FastAPI, Flask, SQLAlchemy and logging code as the test corpus under a real
sentry-sdk client (its own scrubber off, so the samples hold the secrets a ruleset must remove;
every one of them is fake), plus a background job whose database is unavailable, and writes one
event per file to ``examples/events/`` plus all of them to ``examples/events.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import sentry_sdk
import sqlalchemy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rules_engine.testing.capture import capture_events
from tests.corpus.scenarios import SDK_OPTIONS, Recorder, capture_all, integrations

#: Where the inventory job looks for its database: a volume that is not mounted, so SQLite fails
#: to open the file the way a database outage looks to SQLAlchemy (an OperationalError).
UNMOUNTED_DATABASE = Path("/mnt/warehouse-volume/inventory.db")

#: (scenario, event type, file name): the samples worth shipping, in a reading order.
SAMPLES = (
    ("fastapi_checkout_error", "error", "fastapi-500-checkout"),
    ("fastapi_checkout_error", "transaction", "fastapi-500-checkout-transaction"),
    ("fastapi_not_found", "error", "fastapi-404-item"),
    ("fastapi_health_check", "transaction", "fastapi-health-check-transaction"),
    ("fastapi_daily_report", "transaction", "fastapi-report-transaction-with-spans"),
    ("flask_login_error", "error", "flask-login-form-error"),
    ("sqlalchemy_integrity_error", "error", "sqlalchemy-integrity-error"),
    ("logging_failed_login", "error", "log-message-failed-login"),
    ("chained_config_error", "error", "chained-config-error"),
    ("sqlalchemy_database_unavailable", "error", "sqlalchemy-database-unavailable"),
)


def sync_inventory(engine: sqlalchemy.Engine) -> None:
    """Read stock levels from the warehouse database."""
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text("SELECT sku, quantity FROM stock"))


def sqlalchemy_database_unavailable(rec: Recorder) -> None:
    """A queue job whose database cannot be reached, reported the way workers report failures."""
    if UNMOUNTED_DATABASE.parent.exists():
        raise SystemExit(f"{UNMOUNTED_DATABASE.parent} exists; the outage sample needs it missing")
    engine = sqlalchemy.create_engine(f"sqlite:///{UNMOUNTED_DATABASE}")
    with sentry_sdk.start_transaction(op="queue.task", name="shop.jobs.sync_inventory"):
        try:
            sync_inventory(engine)
        except sqlalchemy.exc.OperationalError:
            sentry_sdk.capture_exception()


def capture_outage() -> Recorder:
    """The outage scenario under the same SDK options and integrations as the corpus."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recorder = Recorder([])
        with capture_events(integrations=integrations(), before_send=recorder.remember_hint, **SDK_OPTIONS) as events:
            recorder.events = events
            recorder.run(sqlalchemy_database_unavailable.__name__, sqlalchemy_database_unavailable)
    return recorder


def merge(*recorders: Recorder) -> tuple[list[dict], dict[str, list[int]]]:
    """All recorders' events in one list, with each scenario's event indexes shifted to match."""
    events: list[dict] = []
    scenarios: dict[str, list[int]] = {}
    for recorder in recorders:
        offset = len(events)
        events.extend(recorder.events)
        for name, indexes in recorder.scenarios.items():
            scenarios[name] = [offset + index for index in indexes]
    return events, scenarios


def _event_type(event: dict) -> str:
    return event.get("type", "error")


def select_samples(events: list[dict], scenarios: dict[str, list[int]]) -> list[tuple[str, dict]]:
    chosen = []
    for scenario, event_type, name in SAMPLES:
        matches = [events[i] for i in scenarios[scenario] if _event_type(events[i]) == event_type]
        if not matches:
            raise SystemExit(f"scenario {scenario} produced no {event_type} event")
        chosen.append((name, matches[0]))
    return chosen


def write_samples(samples: list[tuple[str, dict]], out: Path) -> None:
    events_dir = out / "events"
    events_dir.mkdir(parents=True, exist_ok=True)
    for stale in events_dir.glob("*.json"):
        stale.unlink()
    for index, (name, event) in enumerate(samples, start=1):
        path = events_dir / f"{index:02d}-{name}.json"
        path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    with (out / "events.jsonl").open("w", encoding="utf-8") as jsonl:
        for _, event in samples:
            jsonl.write(json.dumps(event, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="target directory")
    args = parser.parse_args(argv)
    events, scenarios = merge(capture_all(), capture_outage())
    samples = select_samples(events, scenarios)
    write_samples(samples, args.out)
    print(f"wrote {len(samples)} events to {args.out / 'events'} and {args.out / 'events.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
