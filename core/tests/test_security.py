"""Security tests after the OWASP API Security Top 10 (2023).

API1 object-level access, API5 function-level access, API3 mass assignment, API4
resource consumption (page size, seats per reservation and per customer, throttles),
API8 misconfiguration (deploy check, JSON-only errors under /api/), API7/API10 input
that becomes an outgoing URL (poster_url only http(s)).
"""

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import get_resolver

from bookings.models import Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book
from cinema.models import Movie
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from payments.services import payment_take_at_box_office
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from users.models import Role, User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(customer, other_customer, admin_user):
    """A showtime with the customer's confirmed reservation and other objects to act on."""
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 4, "seats_per_row": 5}))
    reservation = book(user=customer, showtime=showtime, count=2)
    payment = payment_take_at_box_office(
        reservation_id=reservation.pk, method="cash", staff=admin_user
    )
    return {
        "payment": payment,
        "showtime": showtime,
        "movie": showtime.movie,
        "hall": showtime.hall,
        "reservation": reservation,
        "spare_movie": MovieFactory(),
        "spare_hall": HallFactory(),
        "spare_showtime": ShowtimeFactory(),
        "user": other_customer,
        # Ticket routes name the ticket by its code.
        "ticket": SimpleNamespace(pk=reservation.tickets.order_by("pk").first().code),
    }


# --- API1: broken object-level authorisation ------------------------------------------


def test_security_others_reservation_is_404_on_every_route(world, other_client):
    reservation = world["reservation"]
    pk = reservation.pk

    responses = {
        "retrieve": other_client.get(f"/api/reservations/{pk}/"),
        "cancel": other_client.delete(f"/api/reservations/{pk}/"),
        "confirm": other_client.post(f"/api/reservations/{pk}/confirm/"),
        "compat cancel": other_client.post(f"/api/bookings/{pk}/cancel/"),
        "tickets": other_client.get(f"/api/reservations/{pk}/tickets/"),
        "qr svg": other_client.get(f"/api/tickets/{world['ticket'].pk}/qr.svg"),
        "qr png": other_client.get(f"/api/tickets/{world['ticket'].pk}/qr.png"),
    }

    for route, response in responses.items():
        assert response.status_code == 404, route
        assert response.json()["code"] == "not_found", route
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert ReservationSeat.objects.filter(reservation=reservation, active=True).count() == 2


def test_security_reservation_lists_never_show_others(world, other_client, customer):
    listed = other_client.get("/api/reservations/").json()
    filtered = other_client.get("/api/reservations/", {"user": customer.pk}).json()
    compat = other_client.get("/api/my-bookings/").json()

    assert listed["count"] == 0
    assert filtered["count"] == 0
    assert compat["count"] == 0


def test_security_owner_and_admin_see_the_reservation(world, customer_client, admin_client):
    pk = world["reservation"].pk

    assert customer_client.get(f"/api/reservations/{pk}/").status_code == 200
    assert admin_client.get(f"/api/reservations/{pk}/").status_code == 200


# --- API5: broken function-level authorisation ----------------------------------------

# (method, path, body, anonymous, customer, admin). Writes with an empty body show that
# the caller got past the permission check (400) or did not (401/403).
ACCESS_TABLE = [
    ("get", "/api/health/", None, 200, 200, 200),
    ("get", "/api/schema/", None, 200, 200, 200),
    ("get", "/api/docs/", None, 200, 200, 200),
    ("get", "/api/redoc/", None, 200, 200, 200),
    ("post", "/api/auth/register/", {}, 400, 400, 400),
    ("post", "/api/signup/", {}, 400, 400, 400),
    ("post", "/api/auth/login/", {}, 400, 400, 400),
    ("post", "/api/login/", {}, 400, 400, 400),
    ("post", "/api/auth/refresh/", {}, 400, 400, 400),
    ("post", "/api/auth/logout/", {}, 401, 400, 400),
    ("get", "/api/users/me/", None, 401, 200, 200),
    ("patch", "/api/users/me/", {}, 401, 200, 200),
    ("get", "/api/users/", None, 401, 403, 200),
    ("get", "/api/users/{user}/", None, 401, 403, 200),
    ("patch", "/api/users/{user}/", {}, 401, 403, 400),
    ("get", "/api/movies/", None, 200, 200, 200),
    ("post", "/api/movies/", {}, 401, 403, 400),
    ("get", "/api/movies/{movie}/", None, 200, 200, 200),
    ("put", "/api/movies/{movie}/", {}, 401, 403, 400),
    ("patch", "/api/movies/{movie}/", {}, 401, 403, 200),
    ("delete", "/api/movies/{spare_movie}/", None, 401, 403, 204),
    ("get", "/api/movies/{movie}/showtimes/", None, 200, 200, 200),
    ("get", "/api/movies/{movie}/shows/", None, 200, 200, 200),
    ("get", "/api/halls/", None, 200, 200, 200),
    ("post", "/api/halls/", {}, 401, 403, 400),
    ("get", "/api/halls/{hall}/", None, 200, 200, 200),
    ("put", "/api/halls/{spare_hall}/", {}, 401, 403, 405),
    ("patch", "/api/halls/{spare_hall}/", {}, 401, 403, 200),
    ("delete", "/api/halls/{spare_hall}/", None, 401, 403, 204),
    ("get", "/api/showtimes/", None, 200, 200, 200),
    ("post", "/api/showtimes/", {}, 401, 403, 400),
    ("get", "/api/showtimes/{showtime}/", None, 200, 200, 200),
    ("put", "/api/showtimes/{spare_showtime}/", {}, 401, 403, 405),
    ("patch", "/api/showtimes/{spare_showtime}/", {}, 401, 403, 200),
    # A showtime with reservations is protected, even from an ADMIN.
    ("delete", "/api/showtimes/{showtime}/", None, 401, 403, 409),
    ("delete", "/api/showtimes/{spare_showtime}/", None, 401, 403, 204),
    ("get", "/api/showtimes/{showtime}/seats/", None, 200, 200, 200),
    ("get", "/api/showtimes/{showtime}/reservations/", None, 401, 403, 200),
    ("get", "/api/reservations/", None, 401, 200, 200),
    ("post", "/api/reservations/", {}, 401, 400, 400),
    ("get", "/api/reservations/{reservation}/", None, 401, 200, 200),
    # Only the holder confirms; this one is already confirmed.
    ("post", "/api/reservations/{reservation}/confirm/", None, 401, 409, 403),
    ("delete", "/api/reservations/{reservation}/", None, 401, 200, 200),
    ("post", "/api/shows/{showtime}/book/", {}, 401, 400, 400),
    ("get", "/api/my-bookings/", None, 401, 200, 200),
    ("post", "/api/bookings/{reservation}/cancel/", None, 401, 200, 200),
    ("get", "/api/admin/stats/", None, 401, 403, 200),
    ("get", "/api/reservations/{reservation}/tickets/", None, 401, 200, 200),
    ("get", "/api/tickets/{ticket}/qr.svg", None, 401, 200, 200),
    ("get", "/api/tickets/{ticket}/qr.png", None, 401, 200, 200),
    ("post", "/api/check-ins/", {}, 401, 403, 400),
    # Checkout is the holder's; the box office is staff's; Stripe signs its webhook.
    ("post", "/api/reservations/{reservation}/checkout/", {}, 401, 400, 400),
    ("post", "/api/reservations/{reservation}/pay/", {}, 401, 403, 400),
    ("post", "/api/payments/stripe/webhook/", {}, 400, 400, 400),
    ("get", "/api/payments/", None, 401, 200, 200),
    ("get", "/api/payments/{payment}/", None, 401, 200, 200),
]


def _fill(path: str, world: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(world[m.group(1)].pk), path)


@pytest.mark.parametrize("role", ["anonymous", "customer", "admin"])
@pytest.mark.parametrize(
    "method, path, body, anonymous, customer_status, admin_status",
    ACCESS_TABLE,
    ids=[f"{row[0].upper()} {row[1]}" for row in ACCESS_TABLE],
)
def test_security_function_level_access(
    world, customer, admin_user, role, method, path, body, anonymous, customer_status, admin_status
):
    user = {"anonymous": None, "customer": customer, "admin": admin_user}[role]
    expected = {"anonymous": anonymous, "customer": customer_status, "admin": admin_status}[role]
    client = client_for(user)

    kwargs = {"format": "json"} if body is not None else {}
    response = getattr(client, method)(_fill(path, world), body, **kwargs)

    assert response.status_code == expected, response.content[:300]
    if expected >= 400:
        assert response["Content-Type"].startswith("application/json")


def _api_routes() -> set[str]:
    """Every route under /api/ in the URL configuration, as a path template."""
    found = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            else:
                found.add(route)

    walk(get_resolver().url_patterns, "")
    normalised = set()
    for route in found:
        route = route.replace("^", "").replace("$", "")
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        if route.startswith("api/"):
            normalised.add("/" + route)
    return normalised


def test_security_access_table_covers_every_api_route():
    table = {re.sub(r"\{\w+\}", "{}", row[1]) for row in ACCESS_TABLE}
    routes = {re.sub(r"\{\w+\}", "{}", route) for route in _api_routes()}

    assert routes - table == set(), "add these routes to ACCESS_TABLE"


# --- API3: mass assignment -------------------------------------------------------------


def test_security_reservation_body_cannot_set_owner_status_or_price(
    world, customer_client, customer, other_customer
):
    showtime = world["showtime"]
    seat = showtime.hall.seats.order_by("position").last()

    response = customer_client.post(
        "/api/reservations/",
        {
            "showtime": showtime.pk,
            "seats": [seat.pk],
            "user": other_customer.pk,
            "status": ReservationStatus.CANCELLED,
            "total_price": "0.01",
            "expires_at": None,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    reservation = Reservation.objects.get(pk=response.json()["id"])
    assert reservation.user_id == customer.pk
    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.total_price == showtime.price == Decimal("10.00")


def test_security_register_cannot_choose_role_or_staff(anon_client, db):
    response = anon_client.post(
        "/api/auth/register/",
        {
            "username": "mallory",
            "email": "mallory@example.com",
            "password": DEFAULT_PASSWORD,
            "role": Role.ADMIN,
            "is_staff": True,
            "is_superuser": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    user = User.objects.get(username="mallory")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.CUSTOMER, False, False)


def test_security_profile_update_cannot_change_role(customer_client, customer):
    response = customer_client.patch(
        "/api/users/me/", {"role": Role.ADMIN, "is_staff": True, "first_name": "Eve"}, format="json"
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.role, customer.is_staff, customer.first_name) == (Role.CUSTOMER, False, "Eve")


# --- API4: unrestricted resource consumption ------------------------------------------


def test_security_page_size_is_capped(anon_client, db):
    Movie.objects.bulk_create(
        Movie(title=f"M{i}", duration_minutes=90, release_date="2026-01-01", genre="drama")
        for i in range(105)
    )

    response = anon_client.get("/api/movies/", {"page_size": 10_000})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 105
    assert len(body["results"]) == 100


def test_security_seats_per_reservation_are_capped(customer_client, settings):
    settings.MAX_SEATS_PER_RESERVATION = 10
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 3, "seats_per_row": 5}))
    seats = list(showtime.hall.seats.values_list("pk", flat=True))[:11]

    response = customer_client.post(
        "/api/reservations/", {"showtime": showtime.pk, "seats": seats}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "too_many_seats"
    assert Reservation.objects.count() == 0


def test_security_seats_per_customer_per_showtime_are_capped(customer_client, settings):
    settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME = 4
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 5}))
    seats = list(showtime.hall.seats.order_by("position").values_list("pk", flat=True))

    first = customer_client.post(
        "/api/reservations/", {"showtime": showtime.pk, "seats": seats[:3]}, format="json"
    )
    second = customer_client.post(
        "/api/reservations/", {"showtime": showtime.pk, "seats": seats[3:5]}, format="json"
    )

    assert first.status_code == 201
    assert second.status_code == 400
    assert second.json()["code"] == "seat_limit_exceeded"
    assert ReservationSeat.objects.filter(showtime=showtime, active=True).count() == 3


@pytest.mark.django_db(transaction=True)
@requires_mysql_marks[0]
@requires_mysql_marks[1]
def test_security_seat_cap_per_customer_holds_under_concurrency(settings):
    settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME = 4
    scalper = UserFactory()
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 4, "seats_per_row": 5}))
    seats = list(showtime.hall.seats.order_by("position").values_list("pk", flat=True))
    # Eight requests of two different seats each, at once: the cap allows two of them.
    batches = [seats[i * 2 : i * 2 + 2] for i in range(8)]

    def attempt(i):
        response = client_for(scalper).post(
            "/api/reservations/", {"showtime": showtime.pk, "seats": batches[i]}, format="json"
        )
        return response.status_code

    statuses = run_concurrently(attempt, 8)

    assert all(isinstance(status, int) for status in statuses), statuses
    assert statuses.count(201) == 2, statuses
    assert set(statuses) <= {201, 400, 503}, statuses
    owned = ReservationSeat.objects.filter(
        showtime=showtime, active=True, reservation__user=scalper
    ).count()
    assert owned == 4


def test_security_login_throttle_ignores_forged_forwarded_for(anon_client, customer):
    statuses = []
    for attempt in range(12):
        response = anon_client.post(
            "/api/auth/login/",
            {"username": f"nobody{attempt}", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        )
        statuses.append(response.status_code)

    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"


def test_security_login_throttle_per_username_across_addresses(anon_client, customer):
    statuses = []
    for attempt in range(11):
        response = anon_client.post(
            "/api/auth/login/",
            {"username": customer.username, "password": "wrong"},
            format="json",
            REMOTE_ADDR=f"198.51.100.{attempt}",
        )
        statuses.append(response.status_code)

    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


# --- API8: security misconfiguration ---------------------------------------------------

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "test-only-" + "k" * 50,
    "ALLOWED_HOSTS": "marquee.example.com,testserver",
}


def _run_production(args, extra_env=None):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="config.settings", **(extra_env or {}))
    # Fixed arguments from this file, run with the test interpreter.
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_security_deploy_check_passes_with_production_settings():
    result = _run_production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])

    assert result.returncode == 0, result.stdout + result.stderr


def test_security_production_refuses_to_start_without_secret_key():
    result = _run_production(["manage.py", "check"], {"SECRET_KEY": ""})

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


PRODUCTION_PROBE = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
client = Client(raise_request_exception=False)
out = {"renderers": settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"], "debug": settings.DEBUG}
for path in ("/api/no-such-thing/", "/api/movies/not-a-number/x/"):
    r = client.get(path, HTTP_ACCEPT="text/html", secure=True)
    out[path] = [r.status_code, r["Content-Type"], r.content.decode()[:300]]
r = client.get("/api/users/me/", HTTP_ACCEPT="text/html", secure=True)
out["me"] = [r.status_code, r["Content-Type"], r.content.decode()[:300]]
r = client.get("/api/health/")
out["plain_http"] = [r.status_code, r.get("Location")]
r = client.get("/api/movies/")
out["redirect"] = [r.status_code, r.get("Location")]
print(json.dumps(out))
"""


def test_security_production_api_answers_json_never_html():
    import json

    result = _run_production(["-c", PRODUCTION_PROBE])

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["debug"] is False
    assert out["renderers"] == ["core.renderers.FastJSONRenderer"]  # JSON only
    for key in ("/api/no-such-thing/", "/api/movies/not-a-number/x/"):
        status, content_type, body = out[key]
        assert status == 404
        assert content_type == "application/json"
        assert "<html" not in body.lower() and "Traceback" not in body
    # Asking for HTML gets JSON anyway: "not acceptable" or the auth error, never a page.
    status, content_type, body = out["me"]
    assert status in (401, 406)
    assert content_type == "application/json"
    # Plain HTTP is redirected to HTTPS, except the load balancer's health check.
    # (200, or 503 where the subprocess has no database: either way, not a redirect.)
    assert out["plain_http"][0] in (200, 503)
    assert out["plain_http"][1] is None
    assert out["redirect"] == [301, "https://testserver/api/movies/"]


@pytest.mark.urls("core.tests.failing_urls")
@pytest.mark.parametrize("path", ["/api/boom/django/", "/api/boom/drf/"])
def test_security_server_error_is_json_without_stack_trace(db, settings, path):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    response = client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Internal server error.", "code": "server_error"}
    assert b"Traceback" not in response.content
    assert b"secret-internal-detail" not in response.content


def test_security_unknown_api_path_is_json_404(anon_client, db):
    response = anon_client.get("/api/definitely/not/here/", HTTP_ACCEPT="text/html")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


# --- API7/API10: URLs the clients will fetch ------------------------------------------


@pytest.mark.parametrize(
    "poster_url",
    [
        "javascript:alert(1)",
        "ftp://posters.example.com/a.jpg",
        "file:///etc/passwd",
        "data:text/html;base64,PHNjcmlwdD4=",
        "//posters.example.com/a.jpg",
    ],
)
def test_security_poster_url_must_be_http_or_https(admin_client, poster_url):
    movie = {
        "title": "Poster test",
        "duration_minutes": 100,
        "release_date": "2026-01-01",
        "genre": "drama",
        "poster_url": poster_url,
    }

    created = admin_client.post("/api/movies/", movie, format="json")
    existing = MovieFactory()
    patched = admin_client.patch(
        f"/api/movies/{existing.pk}/", {"poster_url": poster_url}, format="json"
    )

    assert created.status_code == 400
    assert "poster_url" in created.json()
    assert patched.status_code == 400
    assert "poster_url" in patched.json()
    assert not Movie.objects.filter(poster_url=poster_url).exists()


@pytest.mark.parametrize(
    "poster_url", ["https://posters.example.com/a.jpg", "http://posters.example.com/b.png"]
)
def test_security_poster_url_accepts_http_and_https(admin_client, poster_url):
    response = admin_client.post(
        "/api/movies/",
        {
            "title": "Poster ok",
            "duration_minutes": 100,
            "release_date": "2026-01-01",
            "genre": "drama",
            "poster_url": poster_url,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["poster_url"] == poster_url


def test_security_settings_used_by_these_tests_exist():
    assert django_settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME >= 1
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


# --- hostile input: deep JSON, far-away dates ------------------------------------------


@pytest.mark.parametrize("depth", [33, 990, 100_000])
@pytest.mark.parametrize(
    "path, auth",
    [("/api/auth/login/", False), ("/api/auth/register/", False), ("/api/reservations/", True)],
)
def test_security_deeply_nested_json_is_400_not_500(customer, path, auth, depth):
    client = client_for(customer if auth else None)
    body = '{"username": ' + "[" * depth + "]" * depth + ', "password": "x", "seats": [1]}'

    response = client.post(path, body, content_type="application/json")

    assert response.status_code == 400, response.content[:200]
    assert response.json()["code"] == "json_too_deep"


def test_security_ordinary_nesting_is_still_accepted(customer_client):
    showtime = ShowtimeFactory()
    seat = showtime.hall.seats.order_by("position").first()

    response = customer_client.post(
        "/api/reservations/", {"showtime": showtime.pk, "seats": [seat.pk]}, format="json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    "start_time",
    ["9999-12-31T23:30:00+00:00", "9999-12-31T23:59:59-12:00", "5000-01-01T20:00:00Z"],
)
def test_security_showtime_near_year_9999_is_400_on_create_and_update(admin_client, start_time):
    movie, hall = MovieFactory(), HallFactory()
    existing = ShowtimeFactory()

    created = admin_client.post(
        "/api/showtimes/",
        {"movie": movie.pk, "hall": hall.pk, "start_time": start_time, "price": "10.00"},
        format="json",
    )
    patched = admin_client.patch(
        f"/api/showtimes/{existing.pk}/", {"start_time": start_time}, format="json"
    )

    assert created.status_code == 400, created.content
    assert "start_time" in created.json()
    assert patched.status_code == 400, patched.content
    assert "start_time" in patched.json()
    existing_start = existing.start_time
    existing.refresh_from_db()
    assert existing.start_time == existing_start
    assert not hall.showtimes.exists()


@pytest.mark.parametrize("release_date", ["9999-12-31", "0001-01-01", "1700-01-01"])
def test_security_movie_release_date_out_of_range_is_400(admin_client, release_date):
    body = {"title": "T", "duration_minutes": 90, "release_date": release_date, "genre": "drama"}

    created = admin_client.post("/api/movies/", body, format="json")
    movie = MovieFactory()
    patched = admin_client.patch(
        f"/api/movies/{movie.pk}/", {"release_date": release_date}, format="json"
    )

    assert created.status_code == 400
    assert "release_date" in created.json()
    assert patched.status_code == 400
    assert Movie.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/showtimes/?date=9999-12-31",
        "/api/showtimes/?date=0001-01-01",
        "/api/admin/stats/?from=9999-12-30&to=9999-12-31",
        "/api/admin/stats/?from=0001-01-01&to=0001-01-02",
    ],
)
def test_security_far_away_query_dates_are_400(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code == 400, response.content
