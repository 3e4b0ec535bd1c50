"""A hand-written ``before_send`` of the usual kind, as teams write it before adopting rulesets.

Sensitive headers, cookies, query parameters and body keys are filtered; frame variables and
``extra`` are cleaned by key name; a few regexes catch e-mails, card numbers and ``password=``
in messages; client errors (4xx) and health checks are dropped. It is written the way such hooks
usually are (a key deny-list, plain ``re``, no validators, no allow-list) and is the baseline a
ruleset is compared with for both cost and leaks.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

FILTERED = "[Filtered]"

SENSITIVE_HEADERS = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
    "x-csrf-token",
    "x-forwarded-for",
}
SENSITIVE_PARAMS = {
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "apikey",
    "key",
    "password",
    "secret",
    "signature",
}
SENSITIVE_KEYS = {
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_token",
    "auth",
    "authorization",
    "credentials",
    "card",
    "card_number",
    "cvv",
    "ssn",
    "session",
    "session_id",
    "cookie",
    "email",
}
HEALTH_CHECK_TRANSACTIONS = {"/health", "/healthz", "/ping", "/metrics", "/ready"}

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
CARD_RE = re.compile(r"\b(?:\d[ -]?){13,19}\b")
PASSWORD_RE = re.compile(r"(password|passwd|pwd|secret|token)=\S+", re.IGNORECASE)


def scrub_text(text: str) -> str:
    text = EMAIL_RE.sub(FILTERED, text)
    text = CARD_RE.sub(FILTERED, text)
    return PASSWORD_RE.sub(lambda match: f"{match.group(1)}={FILTERED}", text)


def is_sensitive_key(key: Any) -> bool:
    return isinstance(key, str) and key.lower() in SENSITIVE_KEYS


def scrub_mapping(data: Any, depth: int = 0) -> Any:
    """Filter values under sensitive keys, recursively (hooks usually stop at some depth)."""
    if depth > 10:
        return data
    if isinstance(data, dict):
        for key, value in data.items():
            if is_sensitive_key(key):
                data[key] = FILTERED
            else:
                data[key] = scrub_mapping(value, depth + 1)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            data[index] = scrub_mapping(value, depth + 1)
    return data


def scrub_query_string(query: Any) -> Any:
    if not isinstance(query, str) or not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, FILTERED if name.lower() in SENSITIVE_PARAMS else value) for name, value in pairs])


def scrub_request(request: dict[str, Any]) -> None:
    headers = request.get("headers")
    if isinstance(headers, dict):
        for name in list(headers):
            if name.lower() in SENSITIVE_HEADERS:
                headers[name] = FILTERED
    if "cookies" in request:
        request["cookies"] = FILTERED
    request["query_string"] = scrub_query_string(request.get("query_string"))
    if isinstance(request.get("data"), (dict, list)):
        scrub_mapping(request["data"])
    env = request.get("env")
    if isinstance(env, dict) and "REMOTE_ADDR" in env:
        env["REMOTE_ADDR"] = FILTERED


def scrub_user(event: dict[str, Any]) -> None:
    user = event.get("user")
    if isinstance(user, dict):
        for field in ("email", "ip_address", "username"):
            if field in user:
                user[field] = FILTERED


def scrub_exceptions(event: dict[str, Any]) -> None:
    for exception in event.get("exception", {}).get("values", []):
        if isinstance(exception.get("value"), str):
            exception["value"] = scrub_text(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            if "vars" in frame:
                scrub_mapping(frame["vars"])


def scrub_logentry(event: dict[str, Any]) -> None:
    logentry = event.get("logentry")
    if not isinstance(logentry, dict):
        return
    if isinstance(logentry.get("formatted"), str):
        logentry["formatted"] = scrub_text(logentry["formatted"])
    if isinstance(logentry.get("params"), list):
        logentry["params"] = [scrub_text(p) if isinstance(p, str) else p for p in logentry["params"]]


def scrub_breadcrumbs(event: dict[str, Any]) -> None:
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        if isinstance(crumb.get("message"), str):
            crumb["message"] = scrub_text(crumb["message"])
        data = crumb.get("data")
        if isinstance(data, dict):
            scrub_mapping(data)
            if "http.query" in data:
                data["http.query"] = scrub_query_string(data["http.query"])


def scrub_spans(event: dict[str, Any]) -> None:
    for span in event.get("spans", []):
        data = span.get("data")
        if isinstance(data, dict) and "http.query" in data:
            data["http.query"] = scrub_query_string(data["http.query"])


def is_client_error(event: dict[str, Any], hint: dict[str, Any]) -> bool:
    exc_info = hint.get("exc_info")
    if exc_info:
        status = getattr(exc_info[1], "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            return True
    return False


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    if is_client_error(event, hint):
        return None
    if isinstance(event.get("request"), dict):
        scrub_request(event["request"])
    scrub_user(event)
    scrub_exceptions(event)
    scrub_logentry(event)
    scrub_breadcrumbs(event)
    if isinstance(event.get("extra"), dict):
        scrub_mapping(event["extra"])
    return event


def before_send_transaction(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    if event.get("transaction") in HEALTH_CHECK_TRANSACTIONS:
        return None
    if isinstance(event.get("request"), dict):
        scrub_request(event["request"])
    scrub_user(event)
    scrub_spans(event)
    return event
