"""Plain HTTP as clients and browser apps use it: both slash forms, a JSON 404 outside
/api/, CORS, conditional GETs of the seat map and showtime, and bad tokens on public
reads."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.models import ReservationSeat
from bookings.tests.factories import book, seat
from cinema.models import Movie
from cinema.tests.factories import ShowtimeFactory
from testsupport.testing import client_for

ORIGIN = "https://app.example.com"


@pytest.fixture
def show(db):
    return ShowtimeFactory()


# --- trailing slashes ---------------------------------------------------------------------
def test_post_without_the_slash_books_with_no_redirect(customer_client, show):
    response = customer_client.post(
        "/api/reservations", {"showtime": show.pk, "seats": [seat(show, "A1").pk]}
    )
    assert response.status_code == 201
    assert response["Location"] == f"/api/reservations/{response.json()['id']}/"


@pytest.mark.parametrize(
    "path",
    [
        "/api/movies",
        "/api/movies/{movie}",
        "/api/movies/{movie}/showtimes",
        "/api/movies/{movie}/shows",
        "/api/showtimes/{show}/seats",
        "/api/halls",
        "/api/health",
        "/api/schema",
        "/api/docs",
    ],
)
def test_every_get_route_answers_without_its_slash(anon_client, show, path):
    url = path.format(movie=show.movie_id, show=show.pk)
    assert anon_client.get(url).status_code == 200
    assert anon_client.get(url + "/").status_code == 200


def test_compatibility_routes_answer_without_their_slash(anon_client, customer_client, show):
    signup = anon_client.post(
        "/api/signup", {"username": "seed", "password": "correct-horse-battery"}
    )
    assert signup.status_code == 201
    login = anon_client.post(
        "/api/login", {"username": "seed", "password": "correct-horse-battery"}
    )
    assert login.status_code == 200
    booked = customer_client.post(f"/api/shows/{show.pk}/book", {"seat_number": 1})
    assert booked.status_code == 201
    assert customer_client.get("/api/my-bookings").json()["count"] == 1
    cancel = customer_client.post(f"/api/bookings/{booked.json()['id']}/cancel")
    assert cancel.json()["status"] == "CANCELLED"


def test_unknown_api_path_is_still_a_json_404(anon_client, db):
    response = anon_client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api", "/api/"])
def test_the_api_root_is_a_json_404_pointing_at_the_docs(anon_client, db, settings, path, debug):
    settings.DEBUG = debug
    response = anon_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
    assert "/api/docs/" in response.json()["detail"]


# --- outside /api/ ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "meant"),
    [("/movies/", "/api/movies/"), ("/auth/login/", "/api/auth/login/"), ("/showtimes", None)],
)
def test_a_path_without_the_prefix_gets_a_json_404_naming_it(anon_client, db, path, meant):
    response = anon_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "not_found"
    assert "/api/" in body["detail"]
    if meant:
        assert meant in body["detail"]


def test_the_json_404_outside_the_api_holds_with_debug_on(anon_client, db, settings):
    settings.DEBUG = True  # the developer's `make run`
    response = anon_client.get("/showtimes/")
    assert response.status_code == 404
    assert response.json()["detail"].endswith("did you mean /api/showtimes/?")


@pytest.mark.parametrize(("path", "target"), [("/admin", "/admin/"), ("/swagger", "/swagger/")])
def test_people_paths_without_their_slash_still_redirect(anon_client, db, path, target):
    response = anon_client.get(path)
    assert response.status_code == 301
    assert response["Location"] == target


def test_a_post_without_the_prefix_gets_the_json_404_too(db):
    # CSRF checks on, as in a real server: the 404 must not turn into a CSRF page.
    response = APIClient(enforce_csrf_checks=True).post(
        "/auth/register/", {"username": "x"}, format="json"
    )
    assert response.status_code == 404
    assert "did you mean /api/auth/register/?" in response.json()["detail"]


def test_an_api_client_on_an_admin_path_hears_the_api_path_it_meant(admin_client):
    response = admin_client.get("/admin/stats/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Not found. The API lives under /api/: did you mean /api/admin/stats/?",
        "code": "not_found",
    }


def test_a_browser_on_that_admin_path_still_gets_the_admin(anon_client, db):
    response = anon_client.get("/admin/stats/", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_keeps_its_html_404(staff_client):
    response = staff_client.get("/admin/no-such-page/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


# --- CORS ---------------------------------------------------------------------------------
def test_preflight_from_an_allowed_origin(anon_client, db, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = anon_client.options(
        "/api/reservations/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "if-none-match"} <= allowed
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_cors_exposes_the_headers_clients_read(anon_client, show, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = anon_client.get(f"/api/showtimes/{show.pk}/seats/", HTTP_ORIGIN=ORIGIN)
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"Retry-After", "Idempotent-Replayed", "ETag"} <= exposed


def test_no_origin_is_allowed_by_default(anon_client, db):
    response = anon_client.options(
        "/api/movies/", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert "Access-Control-Allow-Origin" not in response


# --- conditional GETs ---------------------------------------------------------------------
def _seats(client, show, etag=None):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(f"/api/showtimes/{show.pk}/seats/", **headers)


def test_seat_map_answers_304_while_no_seat_changes(anon_client, show):
    first = _seats(anon_client, show)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first["Cache-Control"] == "max-age=2"
    again = _seats(anon_client, show, etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert _seats(anon_client, show, f'W/{etag}, "other"').status_code == 304
    assert _seats(anon_client, show, '"other"').status_code == 200


def test_seat_map_etag_changes_with_every_seat_status(anon_client, show, customer):
    tags = [_seats(anon_client, show)["ETag"]]
    held = book(user=customer, showtime=show, seats=[seat(show, "A1")], hold=True)
    tags.append(_seats(anon_client, show)["ETag"])
    client_for(customer).post(f"/api/reservations/{held.pk}/confirm/")
    tags.append(_seats(anon_client, show)["ETag"])
    client_for(customer).delete(f"/api/reservations/{held.pk}/")
    tags.append(_seats(anon_client, show)["ETag"])
    assert len(set(tags[:3])) == 3  # free, held, booked
    assert tags[3] == tags[0]  # free again: the same map, the same tag
    stale = _seats(anon_client, show, tags[2])
    assert stale.status_code == 200
    assert stale.json()["counts"]["booked"] == 0


def test_seat_map_etag_changes_when_a_hold_lapses_with_no_write(anon_client, show, customer):
    free = _seats(anon_client, show)["ETag"]
    hold = book(user=customer, showtime=show, seats=[seat(show, "A1")], hold=True)
    held = _seats(anon_client, show)["ETag"]
    # Time passes: the hold's expiry is now behind us, and nothing was written since.
    ReservationSeat.objects.filter(reservation=hold).update(
        hold_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = _seats(anon_client, show, held)
    assert response.status_code == 200
    assert response.json()["counts"]["held"] == 0
    assert response["ETag"] == free


def test_seat_map_etag_follows_the_price(anon_client, show):
    before = _seats(anon_client, show)["ETag"]
    type(show).objects.filter(pk=show.pk).update(price="99.00")
    assert _seats(anon_client, show, before).status_code == 200


def test_showtime_detail_is_conditional_too(anon_client, show, customer):
    url = f"/api/showtimes/{show.pk}/"
    first = anon_client.get(url)
    assert anon_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    book(user=customer, showtime=show, seats=[seat(show, "A1")])
    changed = anon_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed.json()["available_seats"] == first.json()["available_seats"] - 1


# --- bad tokens ---------------------------------------------------------------------------
def _stale_client():
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.revoked")
    return client


@pytest.mark.parametrize(
    "path", ["/api/movies/", "/api/showtimes/", "/api/halls/", "/api/showtimes/{show}/seats/"]
)
def test_a_bad_token_is_ignored_on_public_reads(show, path):
    response = _stale_client().get(path.format(show=show.pk))
    assert response.status_code == 200


def test_a_bad_token_is_refused_on_writes_and_private_reads(db):
    client = _stale_client()
    create = client.post("/api/movies/", {"title": "X"}, format="json")
    assert create.status_code == 401
    assert create.json()["code"] == "token_not_valid"
    assert client.get("/api/reservations/").status_code == 401
    assert not Movie.objects.exists()
