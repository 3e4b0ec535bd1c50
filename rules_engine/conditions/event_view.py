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
from operator import attrgetter
from typing import Any, Callable, Iterable, Sequence

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>", "__bool__": lambda self: False})()

#: Error fields tested on one element of the exception chain; stack fields on one frame.
ERROR_FIELDS = frozenset({"error.type", "error.value", "error.mechanism", "error.handled"})
STACK_FIELDS = frozenset(
    {"stack.module", "stack.function", "stack.abs_path", "stack.filename", "stack.package", "stack.in_app"}
)


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
        self.type_names = _type_names(self.bare_type, self.dotted_type, None if live is None else type(live))
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


def _builtin_exception(bare: Any, dotted: Any) -> type | None:
    """Python's own exception classes are known without a live exception: the SDK reports them
    without a module (``KeyError``), so their base classes can be matched offline too."""
    if not isinstance(bare, str) or dotted != bare:
        return None
    cls = getattr(builtins, bare, None)
    return cls if isinstance(cls, type) and issubclass(cls, BaseException) else None


@lru_cache(maxsize=1024)
def _type_names(bare: Any, dotted: Any, live_class: type | None) -> Names:
    """Every name an ``error.type`` glob may match: bare and dotted, plus the live class's bases.

    Cached: an application raises few distinct exception types, and walking the class's
    bases is the costly part of reading an exception. The result is shared, never changed."""
    names: list[str] = [n for n in (bare, dotted) if isinstance(n, str)]
    cls_of_event = live_class if live_class is not None else _builtin_exception(bare, dotted)
    if cls_of_event is not None:
        for cls in cls_of_event.__mro__:
            if cls is object or cls is BaseException:
                continue
            for name in (cls.__name__, f"{cls.__module__}.{cls.__qualname__}"):
                if name not in names:
                    names.append(name)
    result = Names(dict.fromkeys(names))
    result.joined = "\n".join(result)
    return result


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
        self.event = event
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
            values = _exception_values(self.event)
            live_by_name = _live_chain_by_name(self.live_exception)
            self._exceptions = [
                ExceptionElement(raw, _find_live(raw, live_by_name)) for raw in values if isinstance(raw, dict)
            ]
        return self._exceptions

    @property
    def main_exception(self) -> dict | None:
        if self._main_exception is False:
            values = _exception_values(self.event)
            self._main_exception = values[-1] if values and isinstance(values[-1], dict) else None
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
            for raw in _exception_values(self.event):
                if isinstance(raw, dict):
                    frames.extend(_frames_of(raw.get("stacktrace")))
            frames.extend(_frames_of(self.event.get("stacktrace")))
            threads = self.event.get("threads")
            for thread in _values(threads):
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
        event = self.event
        logentry = event.get("logentry")
        if isinstance(logentry, dict):
            for key in ("formatted", "message"):
                text = logentry.get(key)
                if isinstance(text, str) and text:
                    return text
        message = event.get("message")
        if isinstance(message, dict):  # the SDK's older "message": {"formatted": ...} shape
            message = message.get("formatted") or message.get("message")
        return message if isinstance(message, str) and message else MISSING

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


# ---------------------------------------------------------------------- field getters


Getter = Callable[[EventView], Any]


def _top(key: str) -> Getter:
    def get(view: EventView) -> Any:
        value = view.event.get(key, MISSING)
        return MISSING if value is None else value

    return get


def _request(key: str) -> Getter:
    def get(view: EventView) -> Any:
        request = view.event.get("request")
        value = request.get(key) if isinstance(request, dict) else None
        return MISSING if value is None or value == "" else value

    return get


def _request_url(view: EventView) -> Any:
    url = _request("url")(view)
    return url.split("?", 1)[0] if isinstance(url, str) else url


def _message(view: EventView) -> Any:
    messages = view.messages
    return messages if messages else MISSING


def _crumb_only(key: str) -> Getter:
    def get(view: EventView) -> Any:
        if view.kind != "breadcrumb":
            return MISSING
        value = view.event.get(key)
        return MISSING if value is None else value

    return get


def _type_field(view: EventView) -> Any:
    value = view.event.get("type")
    return MISSING if value is None else value


#: Getters of single-valued fields (the error.* and stack.* families are per element, see below).
SCALAR_GETTERS: dict[str, Getter] = {
    "message": _message,
    "logger": _top("logger"),
    "level": _top("level"),
    "transaction": _top("transaction"),
    "environment": _top("environment"),
    "release": _top("release"),
    "server_name": _top("server_name"),
    "platform": _top("platform"),
    "event.type": lambda view: view.event_type,
    "request.method": _request("method"),
    "request.url": _request_url,
    "request.query_string": _request("query_string"),
    "duration_ms": lambda view: view.duration_ms,
    "category": _crumb_only("category"),
    "type": _type_field,
}

#: Per exception element.
ERROR_GETTERS: dict[str, Callable[[ExceptionElement], Any]] = {
    "error.type": attrgetter("type_value"),
    "error.value": attrgetter("value"),
    "error.mechanism": attrgetter("mechanism"),
    "error.handled": attrgetter("handled"),
}


def _frame_key(key: str) -> Callable[[dict], Any]:
    def get(frame: dict) -> Any:
        value = frame.get(key)
        return MISSING if value is None else value

    return get


def _frame_paths(frame: dict) -> Any:
    """Sentry's ``path`` matcher looks at both the absolute path and the file name."""
    paths = tuple(dict.fromkeys(p for p in (frame.get("abs_path"), frame.get("filename")) if isinstance(p, str)))
    return paths or MISSING


#: The ``stack.*`` fields that read one key of a frame, as it is (``None`` reads as MISSING).
FRAME_KEYS: dict[str, str] = {
    "stack.module": "module",
    "stack.function": "function",
    "stack.filename": "filename",
    "stack.package": "package",
    "stack.in_app": "in_app",
}

#: Per frame.
FRAME_GETTERS: dict[str, Callable[[dict], Any]] = {
    "stack.module": _frame_key("module"),
    "stack.function": _frame_key("function"),
    "stack.abs_path": _frame_paths,
    "stack.filename": _frame_key("filename"),
    "stack.package": _frame_key("package"),
    "stack.in_app": _frame_key("in_app"),
}


def prefixed_getter(field: str) -> Getter:
    """The getter of a prefixed field (``tags.x``, ``contexts.a.b``...), bound at compile time."""
    for prefix, make in _PREFIX_GETTERS.items():
        if field.startswith(prefix):
            return make(field[len(prefix):])
    raise KeyError(field)


def scalar_getter(field: str) -> Getter:
    """The getter of any field that is not per exception or per frame."""
    return SCALAR_GETTERS[field] if field in SCALAR_GETTERS else prefixed_getter(field)


def _tag(name: str) -> Getter:
    def get(view: EventView) -> Any:
        value = view.tags.get(name, MISSING)
        return MISSING if value is None else value

    return get


def _header(name: str) -> Getter:
    lowered = name.lower()

    def get(view: EventView) -> Any:
        value = view.headers.get(lowered, MISSING)
        return MISSING if value is None else value

    return get


def _path_in(root: str, path: str) -> Getter:
    keys = tuple(path.split("."))

    def get(view: EventView) -> Any:
        return dig(view.event.get(root), keys)

    return get


def _crumb_data(path: str) -> Getter:
    keys = tuple(path.split("."))

    def get(view: EventView) -> Any:
        return dig(view.event.get("data"), keys) if view.kind == "breadcrumb" else MISSING

    return get


def _exc_attr(name: str) -> Getter:
    # A dotted name walks attributes (exc.response.status_code), as httpx and requests errors
    # keep the status on the response they carry.
    steps = tuple(name.split("."))

    def get(view: EventView) -> Any:
        value = view.live_exception
        if value is None:
            return MISSING
        try:
            for step in steps:
                # With a default, a missing attribute costs no AttributeError: most exceptions
                # a rule like {exc.status_code: ...} sees have no such attribute.
                value = getattr(value, step, MISSING)
                if value is MISSING:
                    return MISSING
        except Exception:  # a property that raises reads as absent
            return MISSING
        return MISSING if value is None or callable(value) else value

    return get


_PREFIX_GETTERS: dict[str, Callable[[str], Getter]] = {
    "tags.": _tag,
    "request.headers.": _header,
    "user.": lambda path: _path_in("user", path),
    "contexts.": lambda path: _path_in("contexts", path),
    "extra.": lambda path: _path_in("extra", path),
    "exc.": _exc_attr,
    "data.": _crumb_data,
}


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


def _values(container: Any) -> list:
    """The ``values`` list of an interface that may also be sent as a bare list."""
    if isinstance(container, dict):
        container = container.get("values")
    return container if isinstance(container, list) else []


def _exception_values(event: dict) -> list:
    return _values(event.get("exception"))


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
