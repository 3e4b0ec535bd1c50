"""A read-only view of one event, built once per event, that resolves condition fields lazily.

Conditions and templates never walk the raw payload themselves: they ask the view,
which computes each piece (the exception chain, the frames, the headers...) the first
time it is needed and keeps it for the rest of the event. Everything is read from the
payload, so offline events (exports, files) give the same answers as live ones; only
the live exception from ``hint["exc_info"]`` adds base classes and ``exc.<attr>``.

A field getter returns :data:`MISSING` when the event has no such value, which is
different from a present ``None``.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable, Sequence

from .exception_names import class_names, on_new_rule_module, reported_class

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>", "__bool__": lambda self: False})()

from ..sentry_event import exception_values, log_message, main_exception, values_of


class ExceptionElement:
    """One exception of the chain as conditions see it.

    Its names are read when it is built (``error.type`` is what rules test most); its value
    and mechanism only when a rule asks, so an event whose rules never look at them does not
    read them (nor strip the value) at all."""

    __slots__ = ("_value", "bare_type", "dotted_type", "raw", "type_names", "type_value")

    def __init__(self, raw: dict, live: BaseException | None):
        self.raw = raw
        bare = raw.get("type")
        module = raw.get("module")
        self.bare_type = bare if isinstance(bare, str) else MISSING
        self.dotted_type = f"{module}.{bare}" if isinstance(module, str) and module and bare else self.bare_type
        live_class = type(live) if live is not None else _class_of_payload(self.bare_type, module)
        self.type_names = _names_of(self.bare_type, self.dotted_type, live_class)
        #: What ``error.type`` tests see: the names, or MISSING when there is none.
        self.type_value = self.type_names or MISSING
        self._value: Any = None  # not read yet

    @property
    def value(self) -> Any:
        if self._value is None:
            value = self.raw.get("value")
            self._value = value.strip() if isinstance(value, str) else MISSING
        return self._value

    @property
    def mechanism(self) -> Any:
        return self._mechanism().get("type", MISSING)

    @property
    def handled(self) -> Any:
        return self._mechanism().get("handled", MISSING)

    def _mechanism(self) -> dict:
        mechanism = self.raw.get("mechanism")
        return mechanism if isinstance(mechanism, dict) else {}


class Names(tuple):
    """Candidate names of one exception, also joined by newlines so one multi-line regex search
    can test a glob against all of them at once."""

    joined: str


def _class_of_payload(bare: Any, module: Any) -> type | None:
    """The class an offline event names, when it can be known without importing anything:
    Python's builtin exceptions (the SDK reports them without a module: ``KeyError``) and
    classes of modules already imported in this process."""
    if not isinstance(bare, str):
        return None
    if not isinstance(module, str) or not module:
        cls = getattr(builtins, bare, None)
        return cls if isinstance(cls, type) and issubclass(cls, BaseException) else None
    return reported_class(module, bare)


@lru_cache(maxsize=1024)
def _names_of(bare: Any, dotted: Any, cls: type | None) -> Names:
    """Every name an ``error.type`` glob may match: bare and dotted, plus, when the class is
    known (live, or resolved from the payload), its bases and the names it is importable as.

    Cached: an application raises few distinct exception types, and walking the class's
    bases is the costly part of reading an exception. The result is shared, never changed."""
    names: list[str] = [n for n in (bare, dotted) if isinstance(n, str)]
    if cls is not None:
        names.extend(class_names(cls))
    result = Names(dict.fromkeys(names))
    result.joined = "\n".join(result)
    return result


on_new_rule_module(_names_of.cache_clear)  # a rule naming a new module may add aliases


#: Stands in for "no exception" / "no frame" so negations and ``exists: false`` still hold.
EMPTY_EXCEPTION = ExceptionElement({}, None)
_NO_EXCEPTION = (EMPTY_EXCEPTION,)
_NO_FRAME: tuple[dict] = ({},)


class EventView:
    """Lazily resolved fields of one event (or breadcrumb) and its hint.

    A view is built for every event, and most events need few of its fields: the fields
    start as the class-level "not computed yet" defaults below, so building a view sets
    three attributes and each field is stored on the view the first time it is computed."""

    _exceptions: list[ExceptionElement] | None = None
    _main_exception: dict | None | bool = False
    _frames: list[dict] | None = None
    _headers: dict[str, Any] | None = None
    _tags: dict[str, Any] | None = None
    _live: BaseException | None | bool = False
    _messages: tuple[str, ...] | None = None
    _crash_frame: dict | None | bool = False
    _duration_ms: Any = None

    def __init__(self, event: dict, hint: dict | None = None, kind: str = "error"):
        self.event = as_first_seen(event)
        self.hint = hint or {}
        self.kind = kind

    # ------------------------------------------------------------------ live exception

    @property
    def live_exception(self) -> BaseException | None:
        if self._live is False:
            exc_info = self.hint.get("exc_info") if isinstance(self.hint, dict) else None
            exc = exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) >= 2 else None
            self._live = exc if isinstance(exc, BaseException) else None
        return self._live  # type: ignore[return-value]

    # ------------------------------------------------------------------ exceptions

    @property
    def exceptions(self) -> list[ExceptionElement]:
        """The exception chain, oldest cause first, main exception last (Sentry's order)."""
        if self._exceptions is None:
            values = exception_values(self.event)
            live_by_name = _live_chain_by_name(self.live_exception)
            self._exceptions = [
                ExceptionElement(raw, _find_live(raw, live_by_name)) for raw in values if isinstance(raw, dict)
            ]
        return self._exceptions

    @property
    def main_exception(self) -> dict | None:
        if self._main_exception is False:
            self._main_exception = main_exception(self.event)
        return self._main_exception  # type: ignore[return-value]

    @property
    def exception_elements(self) -> Sequence[ExceptionElement]:
        """The chain, or one empty element when there is none (so negations can hold)."""
        return self.exceptions or _NO_EXCEPTION

    # ------------------------------------------------------------------ frames

    @property
    def frames(self) -> list[dict]:
        """Every frame of every stack trace: exceptions, the event's own stacktrace and threads."""
        if self._frames is None:
            frames: list[dict] = []
            for raw in exception_values(self.event):
                if isinstance(raw, dict):
                    frames.extend(_frames_of(raw.get("stacktrace")))
            frames.extend(_frames_of(self.event.get("stacktrace")))
            threads = self.event.get("threads")
            for thread in values_of(threads):
                if isinstance(thread, dict):
                    frames.extend(_frames_of(thread.get("stacktrace")))
            self._frames = frames
        return self._frames

    @property
    def frame_elements(self) -> Sequence[dict]:
        return self.frames or _NO_FRAME

    @property
    def crash_frame(self) -> dict | None:
        """Sentry's crash frame: the last in-app frame of the main exception, else its last frame."""
        if self._crash_frame is False:
            main = self.main_exception
            frames = _frames_of(main.get("stacktrace")) if main else []
            if not frames:
                frames = _frames_of(self.event.get("stacktrace"))
            crash = None
            for frame in reversed(frames):
                if frame.get("in_app"):
                    crash = frame
                    break
            if crash is None and frames:
                crash = frames[-1]
            self._crash_frame = crash
        return self._crash_frame  # type: ignore[return-value]

    # ------------------------------------------------------------------ request, tags, messages

    @property
    def headers(self) -> dict[str, Any]:
        """Request headers by lower-cased name, from a mapping or ``[name, value]`` pairs."""
        if self._headers is None:
            request = self.event.get("request")
            raw = request.get("headers") if isinstance(request, dict) else None
            self._headers = {(k if type(k) is str else str(k)).lower(): v for k, v in _pairs(raw)}
        return self._headers

    @property
    def tags(self) -> dict[str, Any]:
        """Tags from a mapping or ``[key, value]`` pairs (the shape Relay normalizes to)."""
        if self._tags is None:
            self._tags = {str(k): v for k, v in _pairs(self.event.get("tags"))}
        return self._tags

    @property
    def log_message(self) -> Any:
        """``logentry.formatted``, else ``logentry.message``, else ``message`` (or a breadcrumb's message)."""
        message = log_message(self.event)
        return MISSING if message is None else message

    @property
    def messages(self) -> tuple[str, ...]:
        """What the ``message`` field matches, as in Sentry: the log message and every exception value."""
        if self._messages is None:
            found = [self.log_message] if self.log_message is not MISSING else []
            found.extend(e.value for e in self.exceptions if e.value is not MISSING)
            self._messages = tuple(m.strip() for m in found)
        return self._messages

    @property
    def duration_ms(self) -> Any:
        if self._duration_ms is None:
            start = _timestamp(self.event.get("start_timestamp"))
            end = _timestamp(self.event.get("timestamp"))
            self._duration_ms = (end - start) * 1000.0 if start is not None and end is not None else MISSING
        return self._duration_ms

    @property
    def event_type(self) -> str:
        if self.kind == "breadcrumb":
            return "breadcrumb"
        declared = self.event.get("type")
        if isinstance(declared, str) and declared not in ("error", "default"):
            return declared
        return "error" if self.exceptions else "message"


def as_first_seen(event: dict) -> dict:
    """The event as rules first saw it. A ``title`` rewrites the main exception's type and value
    (or the log message) and keeps the originals in an ``original_exception`` (``original_message``)
    context; rules read through those, so a ruleset applied to its own output (an export processed
    again) matches the same rules and renders the same fingerprint, title and tags. The event is
    not changed: a shallow copy with the originals put back is returned (or the event itself)."""
    contexts = event.get("contexts")
    if type(contexts) is not dict:
        return event
    original_exception = contexts.get("original_exception")
    original_message = contexts.get("original_message")
    if original_exception is None and original_message is None:
        return event
    restored = dict(event)
    if isinstance(original_exception, dict):
        _restore_main_exception(restored, original_exception)
    if isinstance(original_message, dict):
        _restore_message(restored, original_message)
    return restored


def _restore_main_exception(event: dict, original: dict) -> None:
    exception = event.get("exception")
    values = values_of(exception)
    if not values or not isinstance(values[-1], dict) or not isinstance(original.get("type"), str):
        return
    main = {**values[-1], "type": original["type"], "value": original.get("value")}
    main.pop("module", None)
    if isinstance(original.get("module"), str):
        main["module"] = original["module"]
    event["exception"] = {**exception, "values": [*values[:-1], main]} if isinstance(exception, dict) else [
        *values[:-1], main]


def _restore_message(event: dict, original: dict) -> None:
    """``original`` is the log entry a title replaced, or ``{"message": ...}`` when there was none."""
    event["logentry"] = original
    if isinstance(event.get("message"), str) and isinstance(original.get("message"), str):
        event["message"] = original["message"]


# ---------------------------------------------------------------------- payload helpers


def dig(node: Any, keys: Iterable[str]) -> Any:
    """Follow dotted keys through mappings (and list indexes); MISSING when any step is absent."""
    for key in keys:
        if isinstance(node, dict):
            if key not in node:
                return MISSING
            node = node[key]
        elif isinstance(node, list) and key.lstrip("-").isdigit():
            index = int(key)
            if not -len(node) <= index < len(node):
                return MISSING
            node = node[index]
        else:
            return MISSING
    return MISSING if node is None else node


def _frames_of(stacktrace: Any) -> list[dict]:
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    return [f for f in frames if isinstance(f, dict)] if isinstance(frames, list) else []


def _pairs(raw: Any) -> Iterable[tuple[Any, Any]]:
    if isinstance(raw, dict):
        return raw.items()
    if isinstance(raw, list):
        return [(p[0], p[1]) for p in raw if isinstance(p, (list, tuple)) and len(p) == 2 and p[0] is not None]
    return ()


def _live_chain_by_name(exc: BaseException | None) -> dict[tuple[str, str], BaseException]:
    """The live exception and its causes/contexts, keyed by (module, name) as the SDK reports them."""
    found: dict[tuple[str, str], BaseException] = {}
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        cls = type(exc)
        found.setdefault((cls.__module__, cls.__name__), exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return found


def _find_live(raw: dict, live_by_name: dict[tuple[str, str], BaseException]) -> BaseException | None:
    if not live_by_name:
        return None
    module, name = raw.get("module"), raw.get("type")
    hit = live_by_name.get((module, name))
    if hit is None and module in (None, "builtins"):
        hit = live_by_name.get(("builtins", name))
    return hit


def _timestamp(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            return datetime.fromisoformat(text).timestamp()
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return None
    if isinstance(value, datetime):
        return value.timestamp()
    return None
