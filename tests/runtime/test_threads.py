"""Concurrency: one ruleset shared by many threads, and a ruleset reloaded while threads use it.

``stats()`` counters must add up exactly however the threads interleave; during reloads every
event must be processed by one complete revision of the file (its revision tag, grouping tag and
fingerprint all from the same revision), never a mix, and no hook may raise.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter

from rules_engine.model import models
from rules_engine.runtime.reloading import load_ruleset
from rules_engine.runtime.ruleset import Ruleset

THREADS = 8
EVENTS_PER_THREAD = 250


def run_threads(target, count=THREADS):
    errors: list[BaseException] = []

    def guarded(index):
        try:
            target(index)
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    if errors:
        raise errors[0]


SHARED = {
    "format": 1, "name": "shared", "revision": 1,
    "filters": [
        {"id": "drop-health", "on": ["transaction"], "when": {"transaction": "/health"}, "drop": True},
        {"id": "drop-debug", "when": {"level": "debug"}, "drop": True},
        {"id": "half-info", "when": {"level": "info"}, "sample": 0.5},
    ],
    "grouping": [{"id": "db", "when": {"error.type": "OperationalError"}, "fingerprint": ["db"]}],
    "scrub": {"rules": [{"id": "passwords", "keys": ["password"]}]},
}


def event_for(thread: int, index: int) -> tuple[str, dict]:
    """Events of four kinds, in a fixed mix, each carrying one password to redact."""
    kind = ("debug", "info", "db", "health")[(thread + index) % 4]
    if kind == "health":
        return kind, {"type": "transaction", "transaction": "/health", "start_timestamp": 1.0, "timestamp": 2.0,
                      "extra": {"password": "hunter2"}}
    level = {"debug": "debug", "info": "info", "db": "error"}[kind]
    return kind, {"level": level, "extra": {"password": "hunter2"},
                  "exception": {"values": [{"type": "OperationalError" if kind == "db" else "ValueError",
                                            "value": "x"}]}}


def test_stats_add_up_exactly_under_concurrency():
    ruleset = Ruleset.from_model(models.RulesetSpec.model_validate(SHARED))
    sent: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(thread):
        local: Counter[str] = Counter()
        for index in range(EVENTS_PER_THREAD):
            kind, event = event_for(thread, index)
            hook = ruleset.before_send_transaction if kind == "health" else ruleset.before_send
            result = hook(event, {})
            local[kind + (":sent" if result is not None else ":dropped")] += 1
            if result is not None:
                assert result["extra"]["password"] != "hunter2"
        with lock:
            sent.update(local)

    run_threads(worker)
    total = THREADS * EVENTS_PER_THREAD
    per_kind = total // 4
    stats = ruleset.stats()
    assert sum(stats["events"].values()) == total
    assert stats["events"]["transaction"] == per_kind
    assert stats["dropped"]["drop-health"] == per_kind == sent["health:dropped"]
    assert stats["dropped"]["drop-debug"] == per_kind == sent["debug:dropped"]
    assert stats["sampled_out"].get("half-info", 0) == sent["info:dropped"]
    assert stats["matched"]["half-info"] == per_kind
    assert 0 < sent["info:sent"] < per_kind  # sampling happened and was not all-or-nothing
    assert stats["matched"]["db"] == per_kind == sent["db:sent"]
    # Every event that reached the scrub phase had exactly one password.
    assert stats["redactions"]["passwords"] == sent["info:sent"] + sent["db:sent"]
    assert stats["internal_errors"] == {}


def test_stats_keep_the_counts_of_threads_that_ended():
    """Threads that come and go (a thread per request) each count their events; once they end,
    their counts are kept in one total instead of one tally per thread."""
    ruleset = Ruleset.from_model(models.RulesetSpec.model_validate(SHARED))

    def worker(thread):
        for index in range(20):
            kind, event = event_for(thread, index)
            hook = ruleset.before_send_transaction if kind == "health" else ruleset.before_send
            hook(event, {})

    for _ in range(25):
        run_threads(worker, count=4)
    ruleset.before_send({"level": "debug", "message": "m"}, {})  # the main thread too
    stats = ruleset.stats()
    assert sum(stats["events"].values()) == 25 * 4 * 20 + 1
    assert stats["dropped"]["drop-debug"] == 25 * 4 * 20 // 4 + 1
    assert stats["matched"]["db"] == 25 * 4 * 20 // 4
    assert len(ruleset._stats._tallies) <= 5  # the main thread and at most the last batch


def revision_text(revision: int) -> str:
    """The whole ruleset on one line: any partial write is invalid YAML, never a shorter ruleset."""
    return ("{format: 1, name: live, revision: %d, grouping: [{id: gen, fingerprint: [gen-%d], "
            "tags: {gen: '%d'}, level: warning}], filters: [{id: drop-odd, when: {tags.drop: '%d'}, drop: true}]}\n"
            % (revision, revision, revision, revision % 2))


def assert_one_revision(result: dict) -> int:
    revision = int(result["tags"]["ruleset"].rsplit("@", 1)[1])
    assert result["tags"]["gen"] == str(revision), result
    assert result["fingerprint"] == [f"gen-{revision}"], result
    assert result["tags"]["drop"] != str(revision % 2), result  # this revision's filter would drop it
    return revision


def _write(path, text: str, atomic: bool) -> None:
    if atomic:
        temporary = f"{path}.tmp"
        with open(temporary, "w") as handle:
            handle.write(text)
        os.replace(temporary, path)
    else:
        with open(path, "w") as handle:  # rewritten in place: readers may see it half written
            handle.write(text)


def _reload_while_sending(tmp_path, atomic: bool):
    path = tmp_path / "live.yaml"
    path.write_text(revision_text(1))
    ruleset = load_ruleset(str(path), reload=0.001)
    stop = threading.Event()
    seen: Counter[int] = Counter()
    lock = threading.Lock()

    def writer():
        revision = 1
        while not stop.is_set():
            revision += 1
            _write(path, revision_text(revision), atomic)
            time.sleep(0.002)

    reloaded = threading.Event()

    def sender(thread):
        # 300 events each at least, and on until some thread has seen a reload: a busy machine
        # may not run the writer before a fixed number of events is done.
        local: Counter[int] = Counter()
        index = 0
        while index < 300 or (not reloaded.is_set() and index < 100_000):
            event = {"level": "error", "tags": {"drop": str(index % 2), "thread": str(thread)},
                     "exception": {"values": [{"type": "ValueError", "value": "x"}]}}
            result = ruleset.before_send(event, {})
            if result is not None:
                revision = assert_one_revision(result)
                local[revision] += 1
                if revision > 1:
                    reloaded.set()
            index += 1
        with lock:
            seen.update(local)

    writing = threading.Thread(target=writer)
    writing.start()
    try:
        run_threads(sender, count=6)
    finally:
        stop.set()
        writing.join()
    return ruleset, seen


def test_reload_under_load_with_atomic_replacement(tmp_path):
    ruleset, seen = _reload_while_sending(tmp_path, atomic=True)
    assert len(seen) > 1, "no reload happened while events were sent"


def test_reload_under_load_with_in_place_rewrites(tmp_path):
    ruleset, seen = _reload_while_sending(tmp_path, atomic=False)
    assert sum(seen.values()) > 0
