"""API plumbing: health, docs, redirects and the one exception handler."""

from unittest import mock

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError, connections
from rest_framework.exceptions import NotFound

from core.exceptions import api_exception_handler

pytestmark = pytest.mark.django_db


def test_health_is_200_with_the_database_up(anon_client):
    response = anon_client.get("/api/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_with_retry_after_when_the_database_cannot_be_reached(anon_client):
    # The real outages (refused, black-holed) are in test_faults.py; this covers the
    # check's own failure paths on either database.
    connection = connections["default"]
    if connection.vendor == "mysql":
        failure = mock.patch.object(
            type(connection),
            "get_new_connection",
            side_effect=connection.Database.OperationalError(2003, "Can't connect"),
        )
    else:
        failure = mock.patch(
            "django.db.backends.utils.CursorWrapper.execute",
            side_effect=OperationalError("unable to open database file"),
        )
    with failure:
        response = anon_client.get("/api/health/")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert int(response["Retry-After"]) > 0


def test_swagger_redirects_to_the_docs(anon_client):
    response = anon_client.get("/swagger/")

    assert response.status_code == 302
    assert response["Location"] == "/api/docs/"


@pytest.mark.parametrize(
    ("path", "ours"),
    [
        ("/api/docs/", "/static/drf_spectacular_sidecar/"),
        # ReDoc's script is the sidecar's, served by the API without its outside logo.
        ("/api/redoc/", "/api/redoc/redoc.standalone.js?v="),
    ],
)
def test_docs_pages_load_assets_from_our_own_static_files(anon_client, path, ours):
    response = anon_client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert ours in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_schema_declares_bearer_jwt(anon_client):
    response = anon_client.get("/api/schema/?format=json")

    assert response.status_code == 200
    schemes = response.json()["components"]["securitySchemes"]
    assert schemes["jwtAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def test_unknown_api_path_is_json_404_with_debug_off(anon_client, settings):
    settings.DEBUG = False

    response = anon_client.get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_handler_maps_django_validation_error_to_400_field_errors():
    exc = DjangoValidationError({"start_time": ["Must be in the future."]})

    response = api_exception_handler(exc, {})

    assert response.status_code == 400
    assert response.data == {"start_time": ["Must be in the future."]}


def test_handler_maps_a_plain_django_validation_error_to_detail_and_code():
    response = api_exception_handler(DjangoValidationError("Nope."), {})

    assert response.status_code == 400
    assert response.data["detail"] == "Nope."
    assert response.data["code"] == "invalid"


def test_handler_adds_a_code_to_framework_errors():
    response = api_exception_handler(NotFound(), {})

    assert response.data == {"detail": "Not found.", "code": "not_found"}


def test_handler_turns_a_lock_timeout_into_503_with_retry_after(settings):
    settings.DB_LOCK_WAIT_TIMEOUT = 3
    exc = OperationalError(1205, "Lock wait timeout exceeded; try restarting transaction")

    response = api_exception_handler(exc, {})

    assert response.status_code == 503
    assert response.data["code"] == "busy"
    # It waited a whole lock-wait timeout: asking for less would not be honest.
    assert response["Retry-After"] == "3"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("release_date", ["release_date", "id"]),
        ("-title", ["-title", "id"]),
        ("-release_date", ["-release_date", "id"]),
    ],
)
def test_ordering_always_ends_on_the_primary_key(query, expected):
    """Ties on the requested field keep one order from page to page: on MariaDB rows
    that tie come back in any order unless the primary key breaks the tie."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from cinema.models import Movie
    from cinema.views import MovieViewSet
    from core.filters import StableOrderingFilter

    request = Request(APIRequestFactory().get("/api/movies/", {"ordering": query}))

    ordering = StableOrderingFilter().get_ordering(request, Movie.objects.all(), MovieViewSet())

    assert ordering == expected


@pytest.mark.parametrize("query", ["bogus", "title,release_date", "", "description"])
def test_ordering_refuses_what_the_schema_does_not_list(anon_client, db, query):
    response = anon_client.get("/api/movies/", {"ordering": query})
    assert response.status_code == 400
    assert response.json() == {
        "ordering": ["Give one of: title, -title, release_date, -release_date."]
    }
