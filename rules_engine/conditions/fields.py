"""The condition fields: one table from which the parser, the getters, the index, the JSON Schema,
the never-fires warning and the template variables are derived.

A :class:`Field` says what a name reads and how it matches. Adding a field is one entry here
(plus its tests): ``request.route`` would be
``Field("request.route", "The route template of the request.", _top("route"))``.

Fields read one of three scopes: the whole event (``read(view)``), one exception of the chain
(``error.*``, ``read(element)``) or one stack frame (``stack.*``, ``read(frame)``). All tests of
one mapping on the exception (or frame) scope must hold for the same element, as in Sentry.
A family (a name ending in ``.``, such as ``tags.``) reads the rest of the name:
``read(rest)`` returns the getter of ``tags.team``.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Callable

from .event_view import MISSING, EventView, ExceptionElement, dig

Getter = Callable[[EventView], Any]

EVENT, EXCEPTION, FRAME = "event", "exception", "frame"
ERRORS, TRANSACTIONS, BREADCRUMBS = frozenset({"error"}), frozenset({"transaction"}), frozenset({"breadcrumb"})
LOGS, METRICS = frozenset({"log"}), frozenset({"metric"})


@dataclass(frozen=True)
class Field:
    """One condition field (or, when ``name`` ends with ``.``, a family of them)."""

    name: str
    doc: str
    #: event scope: view -> value; exception scope: element -> value; frame scope: frame -> value;
    #: a family: rest of the name -> a getter of the event scope.
    read: Callable[..., Any]
    scope: str = EVENT
    #: Globs and ``equals`` ignore case (as Sentry's matchers do on these fields).
    ignore_case: bool = False
    #: Globs are path globs: ``*`` stops at ``/``, ``**`` crosses it.
    path_glob: bool = False
    #: The kinds of events that can have the field; None: any kind.
    kinds: frozenset[str] | None = None
    #: Rules requiring a literal value of the field are indexed by it (in table order).
    indexable: bool = False
    #: Frame-scope fields that read one key of a frame as it is (tested without a getter call).
    frame_key: str | None = None
    #: Usable as a ``{{ variable }}`` in templates.
    template: bool = True

    @property
    def is_family(self) -> bool:
        return self.name.endswith(".")


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


def _frame_key(key: str) -> Callable[[dict], Any]:
    def get(frame: dict) -> Any:
        value = frame.get(key)
        return MISSING if value is None else value

    return get


def _frame_paths(frame: dict) -> Any:
    """Sentry's ``path`` matcher looks at both the absolute path and the file name."""
    paths = tuple(dict.fromkeys(p for p in (frame.get("abs_path"), frame.get("filename")) if isinstance(p, str)))
    return paths or MISSING


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


#: ``transaction_info.source`` values saying the transaction is named after the request's route.
_ROUTE_SOURCES = frozenset({"route", "url"})


def _route(view: EventView) -> Any:
    """The route template, e.g. ``/orders/{order_id}``: the transaction name when sentry-sdk took
    it from the route (not from a view function's name or code)."""
    info = view.event.get("transaction_info")
    source = info.get("source") if isinstance(info, dict) else None
    name = view.event.get("transaction")
    return name if source in _ROUTE_SOURCES and isinstance(name, str) and name else MISSING


def _attribute(name: str) -> Getter:
    """An attribute of a log record or metric, by its whole dotted name (``logger.name``)."""

    def get(view: EventView) -> Any:
        attributes = view.event.get("attributes")
        value = attributes.get(name) if isinstance(attributes, dict) else None
        return MISSING if value is None else value

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


# --------------------------------------------------------------------------- the table

FIELD_TABLE: tuple[Field, ...] = (
    Field("error.type", "Type of an exception in the chain: dotted ('sqlalchemy.exc.OperationalError') or "
          "bare name, or a name the class is importable as ('pydantic.ValidationError'); its base "
          "classes match too (with the live exception, or offline when its module is imported).",
          attrgetter("type_value"), scope=EXCEPTION, kinds=ERRORS, indexable=True),
    Field("error.value", "Value (message) of an exception in the chain.",
          attrgetter("value"), scope=EXCEPTION, ignore_case=True, kinds=ERRORS),
    Field("error.mechanism", "Mechanism type of an exception in the chain (e.g. 'fastapi', 'logging').",
          attrgetter("mechanism"), scope=EXCEPTION, kinds=ERRORS, template=False),
    Field("error.handled", "Whether an exception in the chain was handled (true/false).",
          attrgetter("handled"), scope=EXCEPTION, kinds=ERRORS, template=False),
    Field("message", "The log message (logentry.formatted or message); for breadcrumbs, their message.",
          _message, ignore_case=True),
    Field("transaction", "Transaction name (the route, e.g. '/users/{id}').", _top("transaction"), indexable=True),
    Field("route", "The request's route template ('/users/{id}'): the transaction name when sentry-sdk took it "
          "from the route (transaction_info.source 'route' or 'url').", _route),
    Field("logger", "Name of the logger that produced the event.", _top("logger"), indexable=True),
    Field("level", "Event or breadcrumb level: fatal, error, warning, info, debug.", _top("level"),
          ignore_case=True),
    Field("environment", "The environment option of the SDK.", _top("environment")),
    Field("release", "The release option of the SDK.", _top("release")),
    Field("server_name", "Host name of the server that produced the event.", _top("server_name")),
    Field("platform", "Platform of the event ('python').", _top("platform"), template=False),
    Field("event.type", "Kind of event: error, message (errors without exception), transaction, breadcrumb.",
          attrgetter("event_type"), template=False),
    Field("stack.module", "Module of a stack frame.", _frame_key("module"), scope=FRAME, kinds=ERRORS,
          frame_key="module"),
    Field("stack.function", "Function of a stack frame.", _frame_key("function"), scope=FRAME, kinds=ERRORS,
          frame_key="function"),
    Field("stack.abs_path", "Absolute path of a stack frame's file (path glob: '*' stops at '/', '**' crosses).",
          _frame_paths, scope=FRAME, ignore_case=True, path_glob=True, kinds=ERRORS),
    Field("stack.filename", "Relative file name of a stack frame (path glob).", _frame_key("filename"),
          scope=FRAME, ignore_case=True, path_glob=True, kinds=ERRORS, frame_key="filename"),
    Field("stack.package", "Package of a stack frame (path glob).", _frame_key("package"), scope=FRAME,
          ignore_case=True, path_glob=True, kinds=ERRORS, frame_key="package"),
    Field("stack.in_app", "Whether a stack frame is in-app (true/false).", _frame_key("in_app"), scope=FRAME,
          kinds=ERRORS, frame_key="in_app", template=False),
    Field("request.method", "HTTP method of the request.", _request("method"), ignore_case=True),
    Field("request.url", "URL of the request, without query string.", _request_url),
    Field("request.query_string", "Query string of the request.", _request("query_string"), template=False),
    Field("duration_ms", "Transactions: duration in milliseconds, from start and end timestamps.",
          attrgetter("duration_ms"), kinds=TRANSACTIONS),
    Field("category", "Breadcrumbs: category ('httplib', 'query', 'redis', ...).", _crumb_only("category"),
          kinds=BREADCRUMBS, template=False),
    Field("type", "Breadcrumbs: type ('http', 'default', ...).", _type_field, template=False),
    Field("log.level", "Logs: severity as sentry-sdk sends it (trace, debug, info, warn, error, fatal); "
          "'level' reads it as an event level (warn is warning, trace is debug).",
          _path_in("log", "level"), ignore_case=True, kinds=LOGS, template=False),
    Field("log.body", "Logs: the message, formatted.", _path_in("log", "body"), kinds=LOGS, template=False),
    Field("metric.name", "Metrics: name of the metric, e.g. 'checkout.duration'.", _path_in("metric", "name"),
          kinds=METRICS, template=False),
    Field("metric.type", "Metrics: counter, gauge or distribution.", _path_in("metric", "type"), kinds=METRICS,
          template=False),
    Field("metric.unit", "Metrics: unit, e.g. 'millisecond'.", _path_in("metric", "unit"), kinds=METRICS,
          template=False),
    # families
    Field("tags.", "A tag of the event, e.g. tags.team.", _tag),
    Field("request.headers.", "A request header, case-insensitive, e.g. request.headers.user-agent.", _header,
          template=False),
    Field("user.", "A field of the user, e.g. user.id, user.email.", lambda path: _path_in("user", path)),
    Field("contexts.", "A path inside contexts, e.g. contexts.trace.op, contexts.runtime.name.",
          lambda path: _path_in("contexts", path)),
    Field("extra.", "A path inside extra.", lambda path: _path_in("extra", path)),
    Field("exc.", "An attribute of the live exception (hint['exc_info']), e.g. exc.status_code. Client-only.",
          _exc_attr, kinds=ERRORS),  # the live exception is in before_send's hint only
    Field("data.", "Breadcrumbs: a path inside the breadcrumb's data, e.g. data.status_code.", _crumb_data,
          kinds=BREADCRUMBS, template=False),
    Field("attributes.", "Logs and metrics: an attribute by its whole name, e.g. attributes.logger.name, "
          "attributes.sentry.message.template.", _attribute, kinds=LOGS | METRICS, template=False),
)

# --------------------------------------------------------------------------- derived views

FIELDS: dict[str, Field] = {f.name: f for f in FIELD_TABLE if not f.is_family}
FAMILIES: dict[str, Field] = {f.name: f for f in FIELD_TABLE if f.is_family}
ERROR_FIELDS = frozenset(name for name, f in FIELDS.items() if f.scope == EXCEPTION)
STACK_FIELDS = frozenset(name for name, f in FIELDS.items() if f.scope == FRAME)
PATH_FIELDS = frozenset(name for name, f in FIELDS.items() if f.path_glob)
CASE_INSENSITIVE_FIELDS = frozenset(name for name, f in FIELDS.items() if f.ignore_case)
INDEXABLE_FIELDS = tuple(name for name, f in FIELDS.items() if f.indexable)
ERROR_GETTERS: dict[str, Callable[[ExceptionElement], Any]] = {n: FIELDS[n].read for n in ERROR_FIELDS}
FRAME_GETTERS: dict[str, Callable[[dict], Any]] = {n: FIELDS[n].read for n in STACK_FIELDS}
FRAME_KEYS: dict[str, str] = {n: f.frame_key for n, f in FIELDS.items() if f.frame_key}


def field_named(name: str) -> Field | None:
    """The field (or the family) a name in a condition refers to; None for an unknown name."""
    if name in FIELDS:
        return FIELDS[name]
    for prefix, family in FAMILIES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return family
    return None


def is_known_field(name: str) -> bool:
    return field_named(name) is not None


def scalar_getter(name: str) -> Getter:
    """The getter of an event-scope field or of a member of a family, bound at compile time."""
    field = field_named(name)
    if field is None or field.scope != EVENT:
        raise KeyError(name)
    return field.read(name[len(field.name):]) if field.is_family else field.read


def kinds_having(name: str) -> frozenset[str] | None:
    """The kinds of events a field can exist on; None when it can be on any."""
    field = field_named(name)
    return field.kinds if field is not None else None
