"""``rulesets/django.yaml`` on events from a real Django site and sentry-sdk's DjangoIntegration.

The site is served through Django's WSGI handler (as gunicorn or uWSGI would), driven by
werkzeug's test client: sentry-sdk instruments ``WSGIHandler.__call__``, so only requests that go
through it get a transaction and the full request (url, method, headers). ``django.test.Client``
calls the handler's ``get_response`` directly and would show neither.

What the real events show, and what the ruleset is built on:

* Django turns ``Http404`` and ``PermissionDenied`` into 404/403 responses and logs them on the
  ``django.request`` logger, which sentry-sdk ignores: the integration reports neither. They
  reach ``before_send`` only when the site reports them itself (here: the ``/api/`` views, as an
  API layer's exception handler does).
* A foreign Host header becomes an error event of the ``django.security.DisallowedHost`` logger;
  a CSRF rejection a warning event of ``django.security.csrf`` (with ``event_level=WARNING``).
* Unhandled view errors become events with mechanism ``django``.

The database outage is raised by the view with the message PostgreSQL gives, since SQLite cannot
lose its connection.
"""

from __future__ import annotations

import copy
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import django
import pytest
import sentry_sdk
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.handlers.wsgi import WSGIHandler
from django.db.utils import OperationalError
from django.http import Http404, HttpResponse
from django.test.utils import override_settings
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.static import serve
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from werkzeug.test import Client

from rules_engine.runtime.reloading import load_ruleset
from rules_engine.runtime.ruleset import Ruleset
from rules_engine.testing.capture import capture_events

RULESETS = Path(__file__).resolve().parents[2] / "rulesets"

SITE_SETTINGS = {
    "DEBUG": False,
    "ALLOWED_HOSTS": ["localhost"],
    "ROOT_URLCONF": __name__,
    "MIDDLEWARE": ["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"],
    "TEMPLATES": [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "OPTIONS": {}}],
}
# Loggers whose records must reach sentry-sdk's logging handler as breadcrumbs.
CHATTY_LOGGERS = {"django.template": logging.DEBUG, "shop": logging.INFO}
SECRETS = ("hunter2-Correct-Horse", "csrf-form-t0ken", "csrf-header-t0ken", "s3ss10n-c00kie",
           "csrf-c00kie", "eyJhbGciOiJIUzI1NiJ9.e30.signature")


# --------------------------------------------------------------------------- the site


def reported(view):
    """Report every exception of the view, as API exception handlers do, then let Django answer."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Exception as exc:
            sentry_sdk.capture_exception(exc)
            raise

    return wrapper


def order_detail(request, pk):
    raise Http404("No Order matches the given query.")


def staff_only(request):
    raise PermissionDenied("staff only")


@csrf_exempt
def checkout(request):
    return HttpResponse(str(len(request.POST) / 0))


def contact(request):
    return HttpResponse("thanks")


def health(request):
    return HttpResponse("ok")


def orders_report(request):
    from django.template import Context, Template

    logging.getLogger("shop").info("rendering the orders report")
    Template("{{ missing.total }}").render(Context({}))  # logs on django.template at debug level
    return HttpResponse(Template("{% if %}").render(Context({})))


def inventory(request):
    raise OperationalError('connection to server at "db" (10.0.0.5), port 5432 failed: Connection refused')


urlpatterns = [
    path("orders/<int:pk>/", order_detail),
    path("staff/", staff_only),
    path("api/orders/<int:pk>/", reported(order_detail)),
    path("api/staff/", reported(staff_only)),
    path("checkout/", checkout),
    path("contact/", contact),
    path("health/", health),
    path("reports/orders/", orders_report),
    path("inventory/", inventory),
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": "/nonexistent-static-root"}),
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": "/nonexistent-media-root"}),
]


@pytest.fixture(scope="module")
def site():
    """The WSGI application of the site; Django is configured once per process."""
    if not settings.configured:
        settings.configure(SECRET_KEY="not-a-secret-" * 4, INSTALLED_APPS=[], DATABASES={},
                           LOGGING_CONFIG=None, USE_TZ=True, **SITE_SETTINGS)
    if not django.apps.apps.ready:
        django.setup(set_prefix=False)
    previous_levels = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    for name, level in CHATTY_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    try:
        with override_settings(**SITE_SETTINGS):
            yield WSGIHandler()
    finally:
        for name, level in previous_levels.items():
            logging.getLogger(name).setLevel(level)


@dataclass
class Served:
    events: list[dict]  # what the transport received
    raw: list[dict] = field(default_factory=list)  # events as the SDK built them, before the ruleset
    raw_crumbs: list[dict] = field(default_factory=list)  # breadcrumbs before the ruleset


def serve_requests(site, rules: Ruleset | None, *requests: tuple) -> Served:
    """Send ``(method, path, options)`` requests (options of werkzeug's ``Client.open``, plus
    ``cookies``) to the site with the ruleset's hooks installed."""
    served = Served(events=[])

    def recorder(seen: list[dict]):
        def record(event, hint):
            seen.append(copy.deepcopy(event))
            return event

        return record

    integrations = [DjangoIntegration(), LoggingIntegration(level=logging.DEBUG, event_level=logging.WARNING)]
    options = {"integrations": integrations}
    if rules is not None:
        options = rules.sentry_options(before_send=recorder(served.raw), before_send_transaction=recorder(served.raw),
                                       before_breadcrumb=recorder(served.raw_crumbs), integrations=integrations)
    with capture_events(traces_sample_rate=1.0, **options) as events:
        client = Client(site)
        for method, url, options in requests:
            for name, value in options.pop("cookies", {}).items():
                client.set_cookie(name, value)
            client.open(url, method=method, **options)
    served.events = events
    return served


def errors(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get("type") != "transaction"]


def transactions(events: list[dict]) -> list[str]:
    return [e["transaction"] for e in events if e.get("type") == "transaction"]


def main_exception(event: dict) -> dict:
    return event["exception"]["values"][-1]


def django_rules() -> Ruleset:
    return load_ruleset(RULESETS / "django.yaml")


# --------------------------------------------------------------------------- filters


def test_django_reports_neither_not_found_nor_permission_denied_on_its_own(site):
    served = serve_requests(site, None, ("GET", "/orders/3/", {}), ("GET", "/staff/", {}))
    assert errors(served.events) == []
    assert transactions(served.events) == ["/orders/{pk}/", "/staff/"]


def test_reported_not_found_is_dropped_and_permission_denied_grouped_per_view(site):
    rules = django_rules()
    served = serve_requests(site, rules, ("GET", "/api/orders/3/", {}), ("GET", "/api/staff/", {}))
    assert sorted(main_exception(e)["type"] for e in errors(served.raw)) == ["Http404", "PermissionDenied"]
    assert rules.stats()["dropped"] == {"not-found": 1}
    [denied] = errors(served.events)
    assert main_exception(denied)["type"] == "PermissionDenied"
    assert denied["fingerprint"] == ["permission-denied", "/api/staff/"]
    assert denied["level"] == "warning"


def test_foreign_host_headers_and_csrf_rejections_are_dropped(site):
    rules = django_rules()
    served = serve_requests(site, rules, ("GET", "/checkout/", {"headers": {"Host": "evil.example"}}),
                            ("POST", "/contact/", {"data": {"message": "hello"}}))
    assert sorted((e["logger"], e["level"]) for e in errors(served.raw)) == [
        ("django.security.DisallowedHost", "error"), ("django.security.csrf", "warning")]
    assert errors(served.events) == []
    assert rules.stats()["dropped"] == {"disallowed-host": 1, "suspicious-operations": 1}


def test_health_check_and_static_file_transactions_are_dropped(site):
    rules = django_rules()
    urls = ("/health/", "/static/app.css", "/media/logo.png", "/orders/3/")
    served = serve_requests(site, rules, *[("GET", url, {}) for url in urls])
    assert transactions(served.raw) == ["/health/", "/static/{path}", "/media/{path}", "/orders/{pk}/"]
    assert transactions(served.events) == ["/orders/{pk}/"]
    assert rules.stats()["dropped"] == {"health-checks": 1, "admin-static": 2}


# --------------------------------------------------------------------------- grouping


def test_database_outages_are_one_issue(site):
    served = serve_requests(site, django_rules(), ("GET", "/inventory/", {}))
    [event] = errors(served.events)
    assert event["fingerprint"] == ["database-error", "connection"]
    assert event["tags"]["error_group"] == "database_error"
    assert event["tags"]["database_error_type"].endswith("OperationalError")
    assert event["level"] == "error"
    main = main_exception(event)
    assert f"{main['type']}: {main['value']}".startswith("Database Error: connection to server at")


def test_template_syntax_errors_group_by_message_and_template_debug_crumbs_are_dropped(site):
    served = serve_requests(site, django_rules(), ("GET", "/reports/orders/", {}))
    [event] = errors(served.events)
    assert main_exception(event)["type"] == "TemplateSyntaxError"
    assert event["fingerprint"] == ["template-error", main_exception(event)["value"]]
    assert event["tags"]["error_group"] == "template_error"
    assert [c["category"] for c in served.raw_crumbs] == ["shop", "django.template"]
    crumbs = [(c.get("category"), c.get("message")) for c in event["breadcrumbs"]["values"]]
    assert crumbs == [("shop", "rendering the orders report")]


def test_redis_cache_crumbs_are_dropped_and_query_crumbs_kept():
    """Shapes recorded by sentry-sdk's RedisIntegration and DjangoIntegration (no Redis server here)."""
    rules = django_rules()
    cache_get = {"type": "redis", "category": "redis", "message": "GET ':1:views.decorators.cache.page'",
                 "data": {"redis.command": "GET", "redis.key": ":1:views.decorators.cache.page"}}
    query = {"category": "query", "message": "SELECT id FROM shop_order WHERE id = %s", "data": {}}
    assert rules.before_breadcrumb(cache_get, {}) is None
    assert rules.before_breadcrumb(query, {})["message"] == "SELECT id FROM shop_order WHERE id = %s"


# --------------------------------------------------------------------------- scrubbing


def test_server_errors_are_kept_with_session_csrf_and_form_secrets_scrubbed(site):
    form = {"first_name": "Ana", "last_name": "Lima", "password1": SECRETS[0], "password2": SECRETS[0],
            "csrfmiddlewaretoken": SECRETS[1], "plan": "yearly"}
    headers = {"X-CSRFToken": SECRETS[2], "Authorization": f"Bearer {SECRETS[5]}",
               "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", "Referer": "http://localhost/cart/"}
    cookies = {"sessionid": SECRETS[3], "csrftoken": SECRETS[4], "theme": "dark"}
    rules = django_rules()
    served = serve_requests(site, rules, ("POST", "/checkout/?step=2",
                                          {"data": form, "headers": headers, "cookies": cookies}))
    [event] = errors(served.events)
    assert main_exception(event)["type"] == "ZeroDivisionError"
    request = event["request"]
    assert not any(secret in repr(served.events) for secret in SECRETS)  # the transaction too
    assert all(secret in repr(errors(served.raw)) for secret in SECRETS)  # as the SDK built the event
    assert request["data"]["plan"] == "yearly"
    forms = [e["request"]["data"] for e in served.events]
    assert all(data.keys() == {"password1", "password2", "csrfmiddlewaretoken", "plan"} for data in forms)
    assert rules.stats()["redactions"]["signup-forms"] == 2 * len(forms)
    assert request["data"]["password1"] == request["data"]["csrfmiddlewaretoken"] == "[Filtered]"
    assert request["headers"]["User-Agent"] == headers["User-Agent"]
    assert request["headers"]["Referer"] == headers["Referer"]
    assert request["url"] == "http://localhost/checkout/" and request["query_string"] == "step=2"
