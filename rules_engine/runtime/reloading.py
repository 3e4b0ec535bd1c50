"""Loading a ruleset, and a handle that follows changes to its files (hot reload)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from ..errors import RulesetError
from .ruleset import Hook, Ruleset, logger

# ---------------------------------------------------------------------- loading and reloading


DEFAULT_RELOAD_INTERVAL = 2.0


def load_ruleset(source: str | os.PathLike, *, reload: bool | float = False) -> "Ruleset | ReloadingRuleset":
    """Load, validate and compile a ruleset file (or ``builtin:NAME@VERSION``).

    Raises :class:`RulesetError` listing every problem. With ``reload=True`` (every 2 s) or
    ``reload=<seconds>``, returns a :class:`ReloadingRuleset` whose hooks pick up changes to
    the file (and the files it extends).
    """
    if reload:
        interval = DEFAULT_RELOAD_INTERVAL if reload is True else float(reload)
        return ReloadingRuleset(source, interval)
    from ..load.loader import load_model

    return Ruleset.from_loaded(load_model(source))


class ReloadingRuleset:
    """A handle whose hooks always run the newest valid version of a ruleset file.

    On the hook path, at most once every ``interval`` seconds, one thread compares the
    modification times of the file and the files it extends. When they changed, that thread
    loads and compiles the new version and swaps it in atomically (one attribute assignment):
    events already being processed finish with the version they started with. When the new
    version is invalid, the previous one stays in use and the problems are logged on the
    ``rules_engine`` logger, once per change of the files. :meth:`check_now` forces a check.
    """

    def __init__(self, source: str | os.PathLike, interval: float = DEFAULT_RELOAD_INTERVAL):
        from ..load.loader import load_model

        self._load_model = load_model
        self.source = source
        self.interval = interval
        self._lock = threading.Lock()
        loaded = load_model(source)
        self.current: Ruleset = Ruleset.from_loaded(loaded)
        self._stamps = self._file_stamps(loaded)
        self._next_check = time.monotonic() + interval
        self.reloads = 0
        self.failed_reloads = 0

    def __getattr__(self, name: str) -> Any:  # name, revision, model, origins, stats, explain...
        if name == "current" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.current, name)

    def __repr__(self) -> str:
        return f"<ReloadingRuleset {self.source} -> {self.current!r}>"

    # hooks
    def before_send(self, event: dict, hint: dict | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.before_send(event, hint)

    def before_send_transaction(self, event: dict, hint: dict | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.before_send_transaction(event, hint)

    def before_breadcrumb(self, crumb: dict, hint: dict | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.before_breadcrumb(crumb, hint)

    def process(self, event: dict, hint: dict | None = None, kind: str | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.process(event, hint, kind)

    def sentry_options(self, before_send: Hook | None = None, before_send_transaction: Hook | None = None,
                       before_breadcrumb: Hook | None = None) -> dict[str, Hook]:
        """Like :meth:`Ruleset.sentry_options`; the hooks follow reloads."""
        return {
            "before_send": self.current._compose(before_send, self.before_send),
            "before_send_transaction": self.current._compose(before_send_transaction, self.before_send_transaction),
            "before_breadcrumb": self.current._compose(before_breadcrumb, self.before_breadcrumb),
        }

    # reloading
    def _maybe_reload(self) -> None:
        if time.monotonic() < self._next_check:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is checking; this event uses the current version
        try:
            self._next_check = time.monotonic() + self.interval
            self._reload_if_changed()
        except Exception:  # never let a reload problem reach the SDK
            logger.warning("checking %s for changes failed", self.source, exc_info=True)
        finally:
            self._lock.release()

    def check_now(self) -> bool:
        """Check the files now; ``True`` when a new version was swapped in."""
        with self._lock:
            self._next_check = time.monotonic() + self.interval
            return self._reload_if_changed()

    def _reload_if_changed(self) -> bool:
        stamps = {path: _mtime(path) for path in self._stamps}
        if stamps == self._stamps:
            return False
        self._stamps = stamps  # an invalid version is reported once, not at every check
        try:
            loaded = self._load_model(self.source)
            fresh = Ruleset.from_loaded(loaded)
        except RulesetError as exc:
            self.failed_reloads += 1
            logger.error("ruleset %s changed but is invalid; keeping %s@%s:\n%s",
                         self.source, self.current.name, self.current.revision, exc)
            return False
        except Exception:
            self.failed_reloads += 1
            logger.error("ruleset %s changed but could not be loaded; keeping %s@%s",
                         self.source, self.current.name, self.current.revision, exc_info=True)
            return False
        self._stamps = self._file_stamps(loaded)
        self.current = fresh
        self.reloads += 1
        logger.info("ruleset %s reloaded: now %s@%s", self.source, fresh.name, fresh.revision)
        return True

    def _file_stamps(self, loaded: Any) -> dict[str, tuple[int, int] | None]:
        paths = {str(loaded.path)} if getattr(loaded, "path", None) else set()
        if not str(self.source).startswith("builtin:"):
            paths.add(os.fspath(self.source))
        for origin in (getattr(loaded, "origins", None) or {}).values():
            file_part = str(origin).rsplit(":", 1)[0]
            if file_part and not file_part.startswith("builtin:") and os.path.exists(file_part):
                paths.add(file_part)
        return {path: _mtime(path) for path in sorted(paths)}


def _mtime(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
