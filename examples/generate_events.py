"""Regenerate the sample events in ``examples/`` from real sentry-sdk integrations.

    python3 examples/generate_events.py

Runs the same small FastAPI, Flask, SQLAlchemy and logging code as the test corpus under a real
sentry-sdk client (its own scrubber off, so the samples hold the secrets a ruleset must remove;
every one of them is fake) and writes one event per file to ``examples/events/`` plus all of them
to ``examples/events.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus.scenarios import capture_all  # noqa: E402

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
)


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
    recorder = capture_all()
    samples = select_samples(recorder.events, recorder.scenarios)
    write_samples(samples, args.out)
    print(f"wrote {len(samples)} events to {args.out / 'events'} and {args.out / 'events.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
