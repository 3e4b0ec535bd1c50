"""Route parameters: the parts of a request's URL that the route it matched names.

A web framework names the transaction after its route (``/reset/{token}``, ``/files/<path:name>``)
and sentry-sdk sends the request's URL beside it (``https://app.example/reset/2c9f…``). The route
says what each part of the path is: the part a ``{token}`` stands at is the value of a key named
``token``, decided by the key rules active at ``request.url`` as a dict's value is. An error event
also holds the value as a frame variable, found by its name there; a transaction has no frames, so
its route is the only place that names it.

Only a URL whose path the route matches as a whole is read (its literal parts as written, each
parameter within one segment, ``path`` converters across segments): a route that does not fit the
URL names nothing in it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import re2

#: A route's parameter: Starlette, FastAPI, aiohttp, Django and Sanic's ``{name}`` and
#: ``{name:converter}``; Flask and Werkzeug's ``<name>``, ``<converter:name>`` and
#: ``<converter(arguments):name>``.
_PARAMETER = re.compile(
    r"\{(?P<brace>[A-Za-z_]\w{0,63})(?::(?P<brace_converter>[A-Za-z_]\w{0,31}))?\}"
    r"|<(?:(?P<angle_converter>[A-Za-z_]\w{0,31})(?:\([^()<>]{0,128}\))?:)?(?P<angle>[A-Za-z_]\w{0,63})>"
)
#: The converters whose value may hold a ``/``.
_ACROSS_SEGMENTS = frozenset({"path"})
#: A URL's path: after the scheme and authority, up to the query or fragment.
_URL_PATH = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*)?(?P<path>/[^?#]*)")
#: Longer routes are not read (a route is a few dozen characters).
_MAX_ROUTE = 2048


@dataclass(frozen=True)
class RouteParameter:
    """The value of the parameter ``name`` of a route: ``url[start:end]``."""

    name: str
    start: int
    end: int


def route_parameters(route, url) -> list[RouteParameter]:
    """The parameters ``route`` (a transaction's name, maybe after a method: ``GET /a/{b}``) names
    in ``url``'s path, in order; none unless both are strings and the route fits the path."""
    if type(route) is not str or type(url) is not str or len(route) > _MAX_ROUTE:
        return []
    template = route.split()[-1] if route.strip() else ""
    if not template.startswith("/") or _PARAMETER.search(template) is None:
        return []
    pattern, names = _route_pattern(template)
    path = _URL_PATH.match(url)
    if path is None:
        return []
    found = pattern.fullmatch(url, path.start("path"), path.end("path"))
    if found is None:
        return []
    return [RouteParameter(name, found.start(index + 1), found.end(index + 1)) for index, name in enumerate(names)
            if found.end(index + 1) > found.start(index + 1)]


@functools.lru_cache(maxsize=256)
def _route_pattern(template: str) -> tuple[re2._Regexp, list[str]]:
    """A pattern matching the paths ``template`` fits, one group per parameter, and their names
    (remembered: an application has a few routes). A trailing ``/`` is optional, as frameworks
    redirect one way or the other. RE2, so that a URL of any length takes linear time."""
    pieces, names, cursor = [], [], 0
    for parameter in _PARAMETER.finditer(template):
        pieces.append(re.escape(template[cursor : parameter.start()]))
        converter = parameter.group("brace_converter") or parameter.group("angle_converter")
        pieces.append("(.+?)" if converter in _ACROSS_SEGMENTS else "([^/]+?)")
        names.append(parameter.group("brace") or parameter.group("angle"))
        cursor = parameter.end()
    pieces.append(re.escape(template[cursor:].rstrip("/")) + "/?")
    return re2.compile("".join(pieces)), names
