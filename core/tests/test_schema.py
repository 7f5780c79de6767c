"""The published contract: typed errors per operation, exact types, and live answers that
match what the schema says about them."""

import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings

from bookings.exceptions import SeatsUnavailable, TooManySeats
from bookings.tests.factories import book, seat
from cinema.tests.factories import ShowtimeFactory
from core.errors import DomainError
from core.schema import ApiError
from testsupport.testing import client_for

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = client_for(None).get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def response_schema(schema, path, method, status) -> dict:
    content = schema["paths"][path][method]["responses"][str(status)]["content"]
    return content["application/json"]["schema"]


def component(schema, ref_or_schema) -> dict:
    name = ref_or_schema["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]


def codes(schema, error_component) -> list[str]:
    code = error_component["properties"]["code"]
    return component(schema, code["allOf"][0])["enum"]


def assert_matches(schema, path, method, status, body):
    """The body is valid against the operation's documented response for ``status``."""
    root = {"components": schema["components"], **response_schema(schema, path, method, status)}
    jsonschema.validate(body, root, cls=jsonschema.Draft4Validator)


# --- the machinery ----------------------------------------------------------------------
def test_domain_error_refuses_an_undeclared_field():
    with pytest.raises(TypeError, match="declares no field limit"):
        SeatsUnavailable(limit=3)
    assert TooManySeats(limit=3).extra == {"limit": 3}


def test_in_production_an_undeclared_field_is_dropped_and_logged_not_a_500(monkeypatch, caplog):
    monkeypatch.setattr(DomainError, "strict_fields", False)

    error = SeatsUnavailable(seats=[{"id": 7, "label": "A7"}], limit=3)

    assert error.extra == {"seats": [{"id": 7, "label": "A7"}]}
    assert "SeatsUnavailable declares no field limit" in caplog.text


def test_every_domain_error_class_declares_typed_fields():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for error in subclasses(DomainError):
        spec = ApiError.of(error)
        assert spec.code and spec.detail, error
        assert all(isinstance(name, str) for name in spec.fields), error


def test_booking_errors_are_typed_per_operation(schema):
    bad = response_schema(schema, "/api/reservations/", "post", 400)
    domain, fields = bad["oneOf"]
    assert fields == {"$ref": "#/components/schemas/FieldErrors"}
    error = component(schema, domain)
    assert set(codes(schema, error)) == {
        "no_seats",
        "duplicate_seats",
        "too_many_seats",
        "invalid_seats",
        "seat_limit_exceeded",
        "showtime_not_found",
        "showtime_closed",
        "invalid_idempotency_key",
        "parse_error",
        "json_too_deep",
        "unknown_ticket_type",
        "age_restricted",
        "voucher_invalid",
    }
    assert error["properties"]["limit"] == {"type": "integer"}
    assert error["properties"]["seats"] == {"type": "array", "items": {"type": "integer"}}
    conflict = component(schema, response_schema(schema, "/api/reservations/", "post", 409))
    assert sorted(codes(schema, conflict)) == [
        "no_block_available",
        "queue_closed",  # a showtime whose waiting room closed (waitingroom)
        "seats_unavailable",
        "showtime_cancelled",
        "voucher_exhausted",
        "voucher_expired",
        "voucher_not_applicable",
    ]
    assert conflict["properties"]["largest"] == {"type": "integer"}
    # A cancelled showtime's 409 names no seats: the taken seats are there when taken.
    assert conflict["required"] == ["detail", "code"]
    assert conflict["properties"]["seats"]["items"] == {"$ref": "#/components/schemas/TakenSeat"}
    overlap = component(schema, response_schema(schema, "/api/showtimes/", "post", 400)["oneOf"][0])
    assert "showtime_overlap" in codes(schema, overlap)
    assert overlap["properties"]["clash"] == {"$ref": "#/components/schemas/Clash"}


def test_framework_errors_on_every_operation(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        if path == "/api/health/":
            continue  # its own 503 body, for load balancers
        unavailable = component(schema, response_schema(schema, path, method, 503))
        expected = {"database_unavailable"} | ({"busy"} if method != "get" else set())
        assert expected <= set(codes(schema, unavailable)), where
        assert "Retry-After" in responses["503"]["headers"], where
        if operation["security"]:
            assert response_schema(schema, path, method, 401) == {
                "$ref": "#/components/schemas/AuthenticationError"
            }, where
        else:
            assert "401" not in responses or path in (
                "/api/auth/login/",
                "/api/login/",
                "/api/auth/refresh/",
            ), where
        for response in responses.values():
            body = response.get("content", {}).get("application/json", {}).get("schema", {})
            assert not any(key.startswith("x-marquee") for key in body), where


def _proxy_bodies() -> dict[int, dict]:
    """The JSON bodies the proxy in front answers by itself (deploy/nginx/marquee.conf)."""
    conf = (Path(settings.BASE_DIR) / "deploy" / "nginx" / "marquee.conf").read_text()
    found = re.findall(r"return (\d{3}) '(\{.*\})\\n';", conf)
    return {int(status): json.loads(body) for status, body in found}


def test_what_the_proxy_answers_itself_is_in_the_schema(schema):
    """Behind nginx, a client also meets nginx's own JSON errors: 503 when no app node
    answers, 413 for a body over client_max_body_size. Every operation declares them, so
    a generated client does not fail on an unknown code."""
    bodies = _proxy_bodies()
    assert set(bodies) == {413, 503}
    for path, method, operation in operations(schema):
        if path == "/api/health/":
            continue  # its own 503 body, for load balancers
        assert_matches(schema, path, method, 503, bodies[503])
        if "requestBody" in operation:
            assert_matches(schema, path, method, 413, bodies[413])


def test_admin_operations_declare_permission_denied(schema):
    forbidden = response_schema(schema, "/api/movies/", "post", 403)
    assert forbidden == {"$ref": "#/components/schemas/PermissionDeniedError"}
    assert "403" not in schema["paths"]["/api/users/me/"]["get"]["responses"]
    roles = component(schema, response_schema(schema, "/api/users/{id}/", "patch", 403))
    assert set(codes(schema, roles)) == {"permission_denied"}


# --- live answers match ------------------------------------------------------------------
@pytest.fixture
def show(db):
    return ShowtimeFactory()


def test_live_booking_errors_match_the_schema(schema, show, customer, other_customer):
    client = client_for(customer)
    path = "/api/reservations/"
    book(user=other_customer, showtime=show, seats=[seat(show, "A1")])
    taken = client.post(path, {"showtime": show.pk, "seats": [seat(show, "A1").pk]})
    assert taken.status_code == 409
    assert_matches(schema, path, "post", 409, taken.json())
    for body, code in [
        ({"showtime": show.pk, "seats": []}, "no_seats"),
        ({"showtime": show.pk, "seats": [999999]}, "invalid_seats"),
        ({"showtime": 999999, "seats": [1]}, "showtime_not_found"),
    ]:
        response = client.post(path, body, format="json")
        assert (response.status_code, response.json()["code"]) == (400, code)
        assert_matches(schema, path, "post", 400, response.json())
    fields = client.post(path, {"showtime": "x"}, format="json")
    assert fields.status_code == 400
    assert_matches(schema, path, "post", 400, fields.json())
    malformed = client.post(path, "{", content_type="application/json")
    assert malformed.json()["code"] == "parse_error"
    assert_matches(schema, path, "post", 400, malformed.json())
    form = client.post(path, "showtime=1", content_type="application/x-www-form-urlencoded")
    assert (form.status_code, form.json()["code"]) == (415, "unsupported_media_type")
    assert_matches(schema, path, "post", 415, form.json())


def test_live_auth_errors_match_the_schema(schema, db):
    missing = client_for(None).get("/api/reservations/")
    assert missing.status_code == 401
    assert_matches(schema, "/api/reservations/", "get", 401, missing.json())
    stale = client_for(None)
    stale.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    refused = stale.get("/api/reservations/")
    assert refused.json()["code"] == "token_not_valid"
    assert refused.json()["messages"]
    assert_matches(schema, "/api/reservations/", "get", 401, refused.json())


def test_older_helper_and_a_views_own_error_serializer_share_one_component():
    """A branch that still declares ``error_responses(409)`` beside a view answering
    ``OpenApiResponse(ErrorSerializer)`` gets one ``Error`` component and no warning."""
    from django.urls import path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.utils import OpenApiResponse, extend_schema
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.views import APIView

    from core.schema import ErrorSerializer, error_responses

    class Older(APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(request=None, responses={204: None, **error_responses(409)})
        def post(self, request):
            raise NotImplementedError

    class Own(APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(request=None, responses={204: None, 409: OpenApiResponse(ErrorSerializer)})
        def post(self, request):
            raise NotImplementedError

    GENERATOR_STATS.reset()
    generated = SchemaGenerator(
        patterns=[path("api/older/", Older.as_view()), path("api/own/", Own.as_view())]
    ).get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
    for path_ in ("/api/older/", "/api/own/"):
        conflict = generated["paths"][path_]["post"]["responses"]["409"]
        assert conflict["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


def test_operation_ids_are_names_a_generated_client_can_use(schema):
    ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", op_id) for op_id in ids), [
        op_id for op_id in ids if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", op_id)
    ]
    assert {"tickets_qr_svg_retrieve", "tickets_qr_png_retrieve"} <= set(ids)


@pytest.mark.parametrize(
    ("component", "always_present"),
    [("Payment", {"status", "reason", "detail"}), ("Checkout", {"status", "client_secret"})],
)
def test_answers_declare_the_fields_they_always_carry_required(schema, component, always_present):
    assert always_present <= set(schema["components"]["schemas"][component]["required"])


def test_a_new_booking_declares_its_location_and_replay_headers(schema):
    headers = schema["paths"]["/api/reservations/"]["post"]["responses"]["201"]["headers"]
    assert headers["Location"]["required"] is True
    assert headers["Idempotent-Replayed"]["schema"] == {"type": "string", "enum": ["true"]}


def test_a_null_email_is_valid_against_the_user_schema_as_openapi_3_0_reads_it(schema):
    """OpenAPI 3.0's ``nullable`` counts only beside a ``type``: beside a bare ``oneOf``
    a validating client refuses the null that a sign-up without an email gets back."""
    from openapi_schema_validator import OAS30Validator

    user = {**schema["components"]["schemas"]["User"], "components": schema["components"]}
    base = {"id": 1, "username": "ann", "first_name": "", "last_name": "", "role": "CUSTOMER"}
    base["date_joined"] = "2026-12-03T10:00:00Z"
    for email in (None, "", "ann@example.com"):
        OAS30Validator(user).validate({**base, "email": email})
