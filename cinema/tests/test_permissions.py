"""Who may do what on the catalogue: one table of (role, method, url, status)."""

import pytest

from cinema.models import Hall, Movie, Showtime
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db

ANON, CUSTOMER, ADMIN = "anon", "customer", "admin"


@pytest.fixture
def objects():
    show = ShowtimeFactory()
    return {"movie": show.movie, "hall": show.hall, "showtime": show}


@pytest.fixture
def clients(anon_client, customer_client, admin_client):
    return {ANON: anon_client, CUSTOMER: customer_client, ADMIN: admin_client}


READS = [
    ("get", "/api/movies/"),
    ("get", "/api/movies/{movie}/"),
    ("get", "/api/movies/{movie}/showtimes/"),
    ("get", "/api/movies/{movie}/shows/"),
    ("get", "/api/halls/"),
    ("get", "/api/halls/{hall}/"),
    ("get", "/api/showtimes/"),
    ("get", "/api/showtimes/{showtime}/"),
]

WRITES = [
    ("post", "/api/movies/"),
    ("put", "/api/movies/{movie}/"),
    ("patch", "/api/movies/{movie}/"),
    ("delete", "/api/movies/{movie}/"),
    ("post", "/api/halls/"),
    ("patch", "/api/halls/{hall}/"),
    ("delete", "/api/halls/{hall}/"),
    ("post", "/api/showtimes/"),
    ("patch", "/api/showtimes/{showtime}/"),
    ("delete", "/api/showtimes/{showtime}/"),
]


def _url(template, objects):
    return template.format(**{name: obj.pk for name, obj in objects.items()})


@pytest.mark.parametrize("role", [ANON, CUSTOMER, ADMIN])
@pytest.mark.parametrize(("method", "url"), READS)
def test_catalogue_reads_are_public(clients, objects, role, method, url):
    response = getattr(clients[role], method)(_url(url, objects))
    assert response.status_code == 200


@pytest.mark.parametrize(("role", "expected"), [(ANON, 401), (CUSTOMER, 403)])
@pytest.mark.parametrize(("method", "url"), WRITES)
def test_catalogue_writes_need_admin(clients, objects, role, expected, method, url):
    counts = (Movie.objects.count(), Hall.objects.count(), Showtime.objects.count())
    response = getattr(clients[role], method)(_url(url, objects), {"title": "x"})
    assert response.status_code == expected
    assert response.data["code"] in {"not_authenticated", "permission_denied"}
    assert (Movie.objects.count(), Hall.objects.count(), Showtime.objects.count()) == counts
    objects["movie"].refresh_from_db()
    assert objects["movie"].title != "x"


def test_put_on_showtimes_and_halls_is_not_allowed(admin_client, objects):
    for url in ("/api/halls/{hall}/", "/api/showtimes/{showtime}/"):
        assert admin_client.put(_url(url, objects), {}).status_code == 405


def test_admin_writes_succeed(admin_client):
    movie = MovieFactory()
    hall = HallFactory()
    assert admin_client.patch(f"/api/movies/{movie.pk}/", {"title": "New"}).status_code == 200
    assert admin_client.patch(f"/api/halls/{hall.pk}/", {"name": "Renamed"}).status_code == 200
