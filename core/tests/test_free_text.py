"""Free text a client sets holds no control characters: a name with CR/LF would print a
forged-looking line in a plain-text email. A 400 names the field and changes nothing;
multi-line text (a movie's description) keeps its line breaks."""

import pytest

from users.models import User

pytestmark = pytest.mark.django_db

NEW_USER = {"username": "eve", "email": "eve@example.com", "password": "Velvet-Curtain-1927"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Eve\r\nBcc: x@example.com"),
        ("last_name", "Sm\nith"),
        ("first_name", "Eve\x00"),
        ("last_name", "Ev\x1be"),  # ESC, a terminal's escape sequences
        ("first_name", "E\u0085ve"),  # NEL, a C1 line break
        ("last_name", "Eve\u2028Smith"),  # Unicode's line separator
        ("email", "eve@example.com\r\nBcc: x@example.com"),
    ],
)
@pytest.mark.parametrize("url", ["/api/auth/register/", "/api/signup/"])
def test_sign_up_refuses_control_characters_naming_the_field(anon_client, url, field, value):
    response = anon_client.post(url, {**NEW_USER, field: value}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not User.objects.filter(username="eve").exists()


def test_whitespace_around_text_is_trimmed_as_before_not_refused(anon_client):
    body = {**NEW_USER, "first_name": "Eve\r\n", "last_name": "\tSmith "}

    response = anon_client.post("/api/auth/register/", body, format="json")

    assert response.status_code == 201, response.json()
    user = User.objects.get(username="eve")
    assert (user.first_name, user.last_name) == ("Eve", "Smith")


def test_sign_up_accepts_names_as_people_write_them(anon_client):
    body = {**NEW_USER, "first_name": "Zoë-Anne", "last_name": "O'Brien Núñez 李"}

    response = anon_client.post("/api/auth/register/", body, format="json")

    assert response.status_code == 201, response.json()
    assert User.objects.get(username="eve").last_name == "O'Brien Núñez 李"


def test_profile_update_refuses_a_line_break_and_keeps_the_name(customer, customer_client):
    before = customer.first_name

    response = customer_client.patch(
        "/api/users/me/", {"first_name": "Eve\r\nX-Mailer: forged"}, format="json"
    )

    assert response.status_code == 400
    assert "first_name" in response.json()
    customer.refresh_from_db()
    assert customer.first_name == before


def test_a_password_may_hold_any_character(anon_client):
    body = {**NEW_USER, "password": "Velvet\tCurtain\x7f1927"}

    assert anon_client.post("/api/auth/register/", body, format="json").status_code == 201
    response = anon_client.post(
        "/api/auth/login/", {"username": "eve", "password": body["password"]}, format="json"
    )
    assert response.status_code == 200


def test_a_movie_description_keeps_its_line_breaks_but_its_title_may_not(admin_client):
    movie = {"duration_minutes": 170, "release_date": "1995-12-15", "genre": "thriller"}

    created = admin_client.post(
        "/api/movies/",
        {**movie, "title": "Heat", "description": "A thief.\r\n\tA detective."},
        format="json",
    )
    refused = admin_client.post("/api/movies/", {**movie, "title": "Heat\n2"}, format="json")

    assert created.status_code == 201, created.json()
    assert created.json()["description"] == "A thief.\r\n\tA detective."
    assert refused.status_code == 400
    assert list(refused.json()) == ["title"]
