"""Project-level views: health check and JSON error pages for /api/."""

import contextlib
import sys

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpResponse, JsonResponse
from django.urls import is_valid_path
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import DatabaseUnavailable
from core.exceptions import is_database_unavailable, log_database_unavailable

_HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "database": serializers.ChoiceField(choices=["ok", "unreachable"]),
    },
)


class HealthView(APIView):
    """Liveness with the database: 200 when a query succeeds, 503 when not."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        auth=[],
        summary="Is this node healthy? (for load balancers)",
        description="200 when the database answers a query; 503, within about 2 s, "
        "when it is down or hung, with Retry-After.",
        responses={
            200: _HEALTH,
            503: OpenApiResponse(
                _HEALTH,
                description="The database cannot be reached; take this node out.",
                examples=[
                    OpenApiExample(
                        "Database down",
                        value={"status": "unavailable", "database": "unreachable"},
                        response_only=True,
                        status_codes=["503"],
                    )
                ],
            ),
        },
        parameters=[
            OpenApiParameter(
                "Retry-After",
                int,
                OpenApiParameter.HEADER,
                response=[503],
                description="Seconds to wait before asking again.",
            )
        ],
        tags=["health"],
    )
    def get(self, request):
        if not database_reachable():
            return Response(
                {"status": "unavailable", "database": "unreachable"},
                status=503,
                headers={"Retry-After": str(DatabaseUnavailable.retry_after)},
            )
        return Response({"status": "ok", "database": "ok"})


def database_reachable() -> bool:
    """``SELECT 1`` on the default database, answered within about HEALTH_DB_TIMEOUT.

    On MySQL/MariaDB the check opens a connection of its own with that connect and read
    timeout, because the request's connection waits up to DB_READ_TIMEOUT, longer than
    a load balancer waits for a health check; a hung server is thus reported within
    2 s. The extra connection costs a millisecond on the local network.
    """
    connection = connections["default"]
    if connection.vendor != "mysql":
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            return False
        return True
    timeout = settings.HEALTH_DB_TIMEOUT
    params = connection.get_connection_params()
    params.update(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)
    try:
        raw = connection.get_new_connection(params)
    except connection.Database.Error:
        return False
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchone()
    except connection.Database.Error:
        return False
    finally:
        with contextlib.suppress(connection.Database.Error):
            raw.close()
    return True


def _is_api(request) -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse(
            {
                "detail": "You do not have permission to perform this action.",
                "code": "permission_denied",
            },
            status=403,
        )
    return defaults.permission_denied(request, exception)


def not_found(request, exception=None):
    if request.path in ("/api", "/api/"):
        detail = "Not found. Every operation is under /api/: see /api/docs/ or /api/schema/."
        return JsonResponse({"detail": detail, "code": "not_found"}, status=404)
    if _is_api(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


@csrf_exempt  # it changes nothing; a POST gets the same JSON 404, not a CSRF page
def outside_api(request, path=""):
    """Every path that is neither the API, the admin, the docs' redirect nor a static
    file (config/urls.py routes them here, so this holds with DEBUG on too): an API
    client that forgot the prefix (the seed-000 paths have none) hears where the API
    is, and which path it probably meant."""
    detail = "Not found. The API lives under /api/ (see /api/docs/)."
    suggestion = "/api" + request.path
    if is_valid_path(suggestion) or is_valid_path(suggestion + "/"):
        detail = f"Not found. The API lives under /api/: did you mean {suggestion}?"
    return JsonResponse({"detail": detail, "code": "not_found"}, status=404)


def server_error(request):
    # Django calls this while handling the exception, so it is still at hand. An
    # outage of the database (in a middleware, the admin, anywhere outside DRF's own
    # handler) is a 503 with Retry-After, logged in one line, not a 500 with a traceback.
    exc = sys.exc_info()[1]
    if exc is not None and is_database_unavailable(exc):
        log_database_unavailable(request, exc)
        if _is_api(request):
            response = JsonResponse(
                {"detail": DatabaseUnavailable.detail, "code": DatabaseUnavailable.code},
                status=503,
            )
        else:
            response = HttpResponse(
                "The service is unavailable for a moment; please try again.",
                content_type="text/plain; charset=utf-8",
                status=503,
            )
        response["Retry-After"] = str(DatabaseUnavailable.retry_after)
        response._has_been_logged = True  # Django would log it again, with the traceback
        return response
    if _is_api(request):
        return JsonResponse(
            {"detail": "Internal server error.", "code": "server_error"}, status=500
        )
    return defaults.server_error(request)
