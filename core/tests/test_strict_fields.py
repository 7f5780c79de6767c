"""JSON types are part of the contract: where the schema says "string", a number or a
boolean is a 400 naming the field, on every endpoint that takes one (core/serializers.py).
DRF itself is not patched: only our serializers are strict."""

import pytest
from rest_framework import fields
from rest_framework_simplejwt.tokens import RefreshToken

from cinema.tests.factories import HallFactory, MovieFactory
from testsupport.testing import client_for
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STRONG = "Correct-Horse-42"
MOVIE = {
    "title": "Dune",
    "duration_minutes": 150,
    "release_date": "2026-01-01",
    "genre": "drama",
}
REGISTER = {"username": "ann", "email": "ann@example.com", "password": STRONG}


def _cases():
    """(who, method, path, body, the field the 400 must name)"""
    return [
        ("anon", "post", "/api/auth/register/", {**REGISTER, "username": 0}, "username"),
        ("anon", "post", "/api/signup/", {**REGISTER, "email": 1}, "email"),
        ("anon", "post", "/api/auth/register/", {**REGISTER, "first_name": True}, "first_name"),
        ("anon", "post", "/api/auth/login/", {"username": 0, "password": STRONG}, "username"),
        ("anon", "post", "/api/login/", {"username": "ann", "password": 42}, "password"),
        ("anon", "post", "/api/auth/refresh/", {"refresh": 0}, "refresh"),
        ("customer", "post", "/api/auth/logout/", {"refresh": 0}, "refresh"),
        ("customer", "patch", "/api/users/me/", {"last_name": 7}, "last_name"),
        ("admin", "patch", "/api/users/{user}/", {"role": 1}, "role"),
        ("admin", "patch", "/api/users/{user}/", {"role": True}, "role"),
        ("admin", "post", "/api/movies/", {**MOVIE, "title": 0}, "title"),
        ("admin", "post", "/api/movies/", {**MOVIE, "genre": 1}, "genre"),
        ("admin", "post", "/api/movies/", {**MOVIE, "poster_url": 5}, "poster_url"),
        ("admin", "patch", "/api/movies/{movie}/", {"age_rating": 16}, "age_rating"),
        ("admin", "post", "/api/halls/", {"name": 0, "rows": 2, "seats_per_row": 2}, "name"),
        (
            "admin",
            "post",
            "/api/halls/",
            {"name": "X", "rows": 2, "seats_per_row": 2, "vip_rows": [1]},
            "vip_rows",
        ),
        ("admin", "patch", "/api/halls/{hall}/", {"name": False}, "name"),
    ]


@pytest.mark.parametrize(("who", "method", "path", "body", "field"), _cases())
def test_strict_strings_on_every_endpoint(
    who, method, path, body, field, anon_client, customer_client, admin_client
):
    client = {"anon": anon_client, "customer": customer_client, "admin": admin_client}[who]
    path = path.format(user=UserFactory().pk, movie=MovieFactory().pk, hall=HallFactory().pk)
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_strict_string_accepts_a_string(customer):
    body = {"refresh": str(RefreshToken.for_user(customer))}
    response = client_for(customer).post("/api/auth/logout/", body, format="json")
    assert response.status_code == 204


def test_drf_itself_is_left_as_it_is():
    assert fields.CharField().run_validation(5) == "5"
    assert fields.ChoiceField(choices=["1"]).run_validation(1) == "1"
