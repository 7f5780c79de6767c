"""Structured request logs: one JSON line per request on the ``marquee.request`` logger.

    {"ts": "2026-05-04T10:00:00.123+00:00", "method": "POST", "path": "/api/reservations/",
     "status": 201, "duration_ms": 12.3, "user": 42}

The query string is left out on purpose (it may carry search terms or tokens), and so is
a ticket's code in a path such as ``/api/tickets/<code>/qr.svg``: the code admits its
bearer at the door, so a log line shows ``<code>`` in its place. ``user``
is the authenticated user's id or null. It is read without triggering authentication:
DRF puts the JWT user on the request once the view has authenticated it, while Django's
session user stays a lazy object that we must not evaluate (that would cost a session
query on every request that never asked for one).
"""

import json
import logging
import time
from datetime import UTC, datetime

from django.conf import settings
from django.urls import is_valid_path
from django.utils.functional import empty

from core.views import not_found, outside_api

logger = logging.getLogger("marquee.request")

# URL arguments that are secrets to whoever reads them (a ticket's code admits its bearer).
SECRET_URL_KWARGS = ("code",)


def _logged_path(request) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name in SECRET_URL_KWARGS:
            value = match.kwargs.get(name)
            if value:
                path = path.replace(str(value), f"<{name}>")
    return path


def _user_id(request) -> int | None:
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty:
        return None
    if not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = settings.REQUEST_LOG

    def __call__(self, request):
        if not self.enabled:
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        status = response.status_code
        level = logging.ERROR if status >= 500 else logging.INFO
        if logger.isEnabledFor(level):
            logger.log(
                level,
                json.dumps(
                    {
                        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                        "method": request.method,
                        "path": _logged_path(request),
                        "status": status,
                        "duration_ms": round(duration_ms, 1),
                        "user": _user_id(request),
                    },
                    separators=(",", ":"),
                ),
            )
        return response


class OptionalSlashMiddleware:
    """Every API route answers with or without its trailing slash, with no redirect.

    ``POST /api/reservations`` used to get a 301 to the slashed path, and clients that
    follow a 301 with a GET drop the body. Here a path under /api/ that does not resolve
    as it is, but does with a slash, is served as the slashed path, in the same request.
    The routes, their names and the schema keep one (slashed) form, and a slashed path
    costs nothing more than a string check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and not path.endswith("/"):
            urlconf = getattr(request, "urlconf", None)
            if not is_valid_path(path, urlconf) and is_valid_path(f"{path}/", urlconf):
                request.path_info = f"{path}/"
                request.path = f"{request.path}/"
        return self.get_response(request)


class ApiJsonNotFoundMiddleware:
    """``/api/`` answers JSON, in development too.

    With DEBUG off a URL that matches no route goes to ``handler404`` (JSON under
    ``/api/``, core/views.py). With DEBUG on (``make run``) Django answers it with its
    technical 404 page instead, an HTML page that lists every URL pattern: an API client
    then gets HTML it cannot read. This turns any HTML 404 under ``/api/`` into the same
    JSON ``handler404`` gives. A path that resolves only with a trailing slash never
    gets here: OptionalSlashMiddleware serves it as it is. ``/api`` itself, with no slash,
    is the API's too; and an API client calling an admin path whose twin under ``/api/``
    exists hears that path (``_api_twin_wanted``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _api_twin_wanted(request):
            return outside_api(request)
        response = self.get_response(request)
        if (
            response.status_code == 404
            and (request.path == "/api" or request.path.startswith("/api/"))
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return not_found(request)
        return response


def _api_twin_wanted(request) -> bool:
    """An API client (it asks for JSON, not HTML) calling an admin path whose twin
    under /api/ exists, such as seed 000's ``/admin/stats/``: the admin would send it to
    its login page; it hears the path it meant instead (a JSON 404, outside_api). A
    browser asks for HTML and gets the admin as before."""
    accept = request.headers.get("Accept", "")
    return (
        request.path.startswith("/admin/")
        and "application/json" in accept
        and "text/html" not in accept
        and is_valid_path("/api" + request.path, getattr(request, "urlconf", None))
    )
