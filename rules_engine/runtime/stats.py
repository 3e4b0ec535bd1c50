"""Counters of what the hooks did, exact however many threads run them, without a lock on the hook path."""

from __future__ import annotations

import threading
from collections import Counter

# ---------------------------------------------------------------------- stats


COUNTERS = ("events", "dropped", "sampled_out", "matched", "redactions", "internal_errors", "attachments_dropped")


class Tally:
    """One thread's counters: one ``{key: count}`` dict per counter name."""

    __slots__ = COUNTERS

    def __init__(self) -> None:
        for name in COUNTERS:
            setattr(self, name, {})


def count(counts: dict[str, int], key: str, amount: int = 1) -> None:
    counts[key] = counts.get(key, 0) + amount


class Stats:
    """Counters of what the hooks did, exact however many threads run the hooks.

    Each thread counts in a :class:`Tally` of its own, so counting takes no lock on the hook
    path; :meth:`snapshot` adds the tallies up. A dict is only ever written by its own thread
    and copied whole (``dict(...)``) by the snapshot, which never sees a count half-written.
    Tallies of threads that have ended are folded into one, so a process that starts a thread
    per request does not keep a tally per thread it ever had."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the list of tallies, not the counts
        self._local = threading.local()
        self._tallies: list[tuple[threading.Thread, Tally]] = []
        self._ended: dict[str, Counter[str]] = {name: Counter() for name in COUNTERS}

    def tally(self) -> Tally:
        """The calling thread's counters."""
        try:
            return self._local.tally
        except AttributeError:
            return self._new_tally()

    def add(self, counter: str, key: str, amount: int = 1) -> None:
        """Count one thing outside the hot path (errors, drops after a failure...)."""
        count(getattr(self.tally(), counter), key, amount)

    def _new_tally(self) -> Tally:
        tally = self._local.tally = Tally()
        with self._lock:
            self._fold_ended_threads()
            self._tallies.append((threading.current_thread(), tally))
        return tally

    def _fold_ended_threads(self) -> None:
        running = []
        for thread, tally in self._tallies:
            if thread.is_alive():
                running.append((thread, tally))
            else:  # the thread is gone: nothing writes its tally any more
                for name in COUNTERS:
                    self._ended[name].update(getattr(tally, name))
        self._tallies = running

    def snapshot(self) -> dict:
        with self._lock:
            totals = {name: Counter(counts) for name, counts in self._ended.items()}
            for _, tally in self._tallies:
                for name in COUNTERS:
                    totals[name].update(dict(getattr(tally, name)))
        return {name: dict(counts) for name, counts in totals.items()}
