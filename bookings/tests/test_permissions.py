"""Who may do what: one row per (role, method, route) with the status they get.

``owner`` made the reservation under test (a live hold); ``other`` is another customer.
"""

import pytest

from bookings.tests.factories import book
from cinema.tests.factories import ShowtimeFactory
from testsupport.testing import client_for
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

CASES = [
    # role, method, url, body, expected
    ("anon", "get", "/api/showtimes/{show}/seats/", None, 200),
    ("owner", "get", "/api/showtimes/{show}/seats/", None, 200),
    ("admin", "get", "/api/showtimes/{show}/seats/", None, 200),
    ("anon", "post", "/api/reservations/", {"showtime": "{show}", "seats": ["{free}"]}, 401),
    ("other", "post", "/api/reservations/", {"showtime": "{show}", "seats": ["{free}"]}, 201),
    ("admin", "post", "/api/reservations/", {"showtime": "{show}", "seats": ["{free}"]}, 201),
    ("anon", "get", "/api/reservations/", None, 401),
    ("owner", "get", "/api/reservations/", None, 200),
    ("admin", "get", "/api/reservations/", None, 200),
    ("anon", "get", "/api/reservations/{res}/", None, 401),
    ("owner", "get", "/api/reservations/{res}/", None, 200),
    ("other", "get", "/api/reservations/{res}/", None, 404),
    ("admin", "get", "/api/reservations/{res}/", None, 200),
    ("owner", "put", "/api/reservations/{res}/", {}, 405),
    ("owner", "patch", "/api/reservations/{res}/", {}, 405),
    ("anon", "delete", "/api/reservations/{res}/", None, 401),
    ("owner", "delete", "/api/reservations/{res}/", None, 200),
    ("other", "delete", "/api/reservations/{res}/", None, 404),
    ("admin", "delete", "/api/reservations/{res}/", None, 200),
    ("anon", "post", "/api/reservations/{res}/confirm/", None, 401),
    ("owner", "post", "/api/reservations/{res}/confirm/", None, 200),
    ("other", "post", "/api/reservations/{res}/confirm/", None, 404),
    ("admin", "post", "/api/reservations/{res}/confirm/", None, 403),
    ("anon", "post", "/api/shows/{show}/book/", {"seat_number": 5}, 401),
    ("other", "post", "/api/shows/{show}/book/", {"seat_number": 5}, 201),
    ("admin", "post", "/api/shows/{show}/book/", {"seat_number": 5}, 201),
    ("anon", "get", "/api/my-bookings/", None, 401),
    ("owner", "get", "/api/my-bookings/", None, 200),
    ("admin", "get", "/api/my-bookings/", None, 200),
    ("anon", "post", "/api/bookings/{res}/cancel/", None, 401),
    ("owner", "post", "/api/bookings/{res}/cancel/", None, 200),
    ("other", "post", "/api/bookings/{res}/cancel/", None, 404),
    ("admin", "post", "/api/bookings/{res}/cancel/", None, 200),
]


def _fill(value, ids):
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


@pytest.mark.parametrize(
    ("role", "method", "url", "body", "expected"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES],
)
def test_permissions_table(role, method, url, body, expected):
    owner = UserFactory()
    users = {"anon": None, "owner": owner, "other": UserFactory(), "admin": AdminFactory()}
    show = ShowtimeFactory()
    reservation = book(user=owner, showtime=show, hold=True)  # seat A1
    ids = {"show": show.pk, "res": reservation.pk, "free": show.hall.seats.get(position=5).pk}
    client = client_for(users[role])
    response = getattr(client, method)(_fill(url, ids), _fill(body, ids), format="json")
    assert response.status_code == expected, response.content
    assert response["Content-Type"].startswith("application/json")
