"""Loading a ruleset, and a handle that follows changes to its files (hot reload)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from ..errors import RulesetError
from . import sdk_options
from .ruleset import HOOK_NAMES, Ruleset, compose, logger

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

    # what the current version says (explicit: a handle is not a Ruleset)
    @property
    def name(self) -> str:
        return self.current.name

    @property
    def revision(self) -> int | str:
        return self.current.revision

    @property
    def model(self) -> Any:
        return self.current.model

    @property
    def origins(self) -> dict[str, str]:
        return self.current.origins

    @property
    def options(self) -> Any:
        return self.current.options

    def stats(self) -> dict:
        """The counters of the version in use (a reload starts them anew)."""
        return self.current.stats()

    def explain(self, event: dict, hint: dict | None = None, kind: str | None = None) -> Any:
        return self.current.explain(event, hint, kind)

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

    def before_send_log(self, log: dict, hint: dict | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.before_send_log(log, hint)

    def before_send_metric(self, metric: dict, hint: dict | None = None) -> dict | None:
        self._maybe_reload()
        return self.current.before_send_metric(metric, hint)

    def before_send_span(self, span: dict, hint: dict | None = None) -> dict:
        self._maybe_reload()
        return self.current.before_send_span(span, hint)

    def sentry_options(self, **options: Any) -> dict[str, Any]:
        """Like :meth:`Ruleset.sentry_options`; the hooks follow reloads, the ``sdk`` section is
        the one loaded first (sentry-sdk reads its options once, at ``init``)."""
        def note_failure() -> None:  # on the version in use when the user hook failed
            self.current.note_user_hook_failure()

        hooks = {name: getattr(self, name) for name in HOOK_NAMES}
        return sdk_options.build_options(self.current, hooks, lambda user, hook: compose(user, hook, note_failure),
                                         options)

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
        for origin in loaded.origins.values():
            if not origin.path.startswith("builtin:") and os.path.exists(origin.path):
                paths.add(origin.path)
        return {path: _mtime(path) for path in sorted(paths)}


def _mtime(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
