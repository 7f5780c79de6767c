"""Finding a reservation: by its number (``4998``, ``#4998``), by a ticket code as printed
or typed, by the customer's name, email or username (an account's or a walk-in's); the
same rule in the admin's search box and in ``GET /api/reservations/?search=``."""

import pytest

from bookings.models import Reservation
from bookings.tests.factories import book
from cinema.tests.factories import MovieFactory, ShowtimeFactory
from testsupport.testing import client_for
from tickets.codes import display
from users.models import Role
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/bookings/reservation/"


@pytest.fixture
def show():
    return ShowtimeFactory(movie=MovieFactory(title="Paper Tigers"))


@pytest.fixture
def cashier():
    return UserFactory(username="till1", role=Role.CASHIER)


@pytest.fixture
def ann(show):
    """An online booking by the account ann.lee (Ann Lee) of two seats."""
    user = UserFactory(
        username="ann.lee", first_name="Ann", last_name="Lee", email="ann@example.com"
    )
    return book(user=user, showtime=show, count=2)


@pytest.fixture
def walk_in(show, cashier):
    """Sold at the counter to Bruno Diaz, a walk-in with no account."""
    reservation = book(user=UserFactory(), showtime=show, seats=list(show.hall.seats.all()[4:5]))
    Reservation.objects.filter(pk=reservation.pk).update(
        user=None, sold_by=cashier, customer_name="Bruno Diaz", customer_email="bruno@mail.test"
    )
    return reservation


@pytest.fixture
def other(show):
    user = UserFactory(username="zed", first_name="Zed", email="zed@example.com")
    return book(user=user, showtime=show, seats=list(show.hall.seats.all()[6:7]))


def admin_found(client, term) -> list[int]:
    response = client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    return sorted(obj.pk for obj in response.context["cl"].result_list)


def api_found(client, term) -> list[int]:
    response = client.get("/api/reservations/", {"search": term})
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])


def printed_code(reservation) -> str:
    return display(reservation.tickets.order_by("pk").first().code)


@pytest.fixture(params=[Role.ADMIN, Role.CASHIER])
def staff_browser(request, client):
    client.force_login(UserFactory(role=request.param))
    return client


@pytest.fixture(params=[Role.ADMIN, Role.CASHIER])
def staff_api(request):
    return client_for(UserFactory(role=request.param))


def _terms(ann, walk_in):
    code = printed_code(ann)
    return [
        (str(ann.pk), [ann.pk]),
        (f"#{ann.pk}", [ann.pk]),
        (f"  #{walk_in.pk} ", [walk_in.pk]),
        (code, [ann.pk]),  # as printed: K3F9-7QXM-...
        (code.lower().replace("-", ""), [ann.pk]),  # typed: lower case, no dashes
        (code.lower().replace("-", " "), [ann.pk]),
        ("bruno", [walk_in.pk]),  # a walk-in's name
        ("Bruno Diaz", [walk_in.pk]),
        ("BRUNO@MAIL.TEST", [walk_in.pk]),  # a walk-in's email
        ("ann@example.com", [ann.pk]),  # the account's email
        ("ann.lee", [ann.pk]),  # username
        ("ann lee", [ann.pk]),  # first and last name
        ("Lee", [ann.pk]),
        ("nobody-like-this", []),
        (str(ann.pk + walk_in.pk + 1000), []),
        ("9" * 30, []),  # beyond any id: nothing, not an error
    ]


def test_admin_search_finds_by_number_code_name_email_and_username(
    staff_browser, ann, walk_in, other
):
    for term, expected in _terms(ann, walk_in):
        assert admin_found(staff_browser, term) == expected, term


def test_admin_search_box_is_shown_with_its_help(staff_browser, ann):
    html = staff_browser.get(CHANGELIST).content.decode()
    assert 'id="searchbar"' in html
    assert "#4998" in html


def test_admin_search_of_the_issue_example_finds_reservation_4998(staff_browser, show):
    Reservation.objects.create(id=4998, user=UserFactory(), showtime=show, status="CONFIRMED")
    Reservation.objects.create(id=49980, user=UserFactory(), showtime=show, status="CONFIRMED")
    assert admin_found(staff_browser, "4998") == [4998]
    assert admin_found(staff_browser, "#4998") == [4998]


def test_api_search_finds_by_number_code_name_email_and_username(staff_api, ann, walk_in, other):
    for term, expected in _terms(ann, walk_in):
        assert api_found(staff_api, term) == expected, term


def test_api_search_empty_finds_everything(staff_api, ann, walk_in, other):
    assert api_found(staff_api, "") == sorted([ann.pk, walk_in.pk, other.pk])


def test_api_customer_search_only_searches_their_own(ann, other):
    client = client_for(ann.user)
    assert api_found(client, "zed") == []
    assert api_found(client, str(other.pk)) == []
    assert api_found(client, printed_code(other)) == []
    assert api_found(client, "paper") == [ann.pk]
    assert api_found(client, f"#{ann.pk}") == [ann.pk]


def test_api_search_too_long_is_400_naming_the_parameter(staff_api):
    response = staff_api.get("/api/reservations/", {"search": "x" * 101})
    assert response.status_code == 400
    assert "search" in response.json()


def test_api_search_combines_with_filters(staff_api, ann, walk_in):
    response = staff_api.get(
        "/api/reservations/", {"search": "bruno", "showtime": walk_in.showtime_id}
    )
    assert [item["id"] for item in response.json()["results"]] == [walk_in.pk]
    response = staff_api.get("/api/reservations/", {"search": "bruno", "status": "CANCELLED"})
    assert response.json()["results"] == []


def test_api_search_query_budget(staff_api, ann, walk_in, other, django_assert_max_num_queries):
    # Count, page, seats: whatever is searched (the ticket code is a subquery, not a read).
    for term in ("", "ann", printed_code(ann), f"#{ann.pk}"):
        with django_assert_max_num_queries(3):
            response = staff_api.get("/api/reservations/", {"search": term})
        assert response.status_code == 200


def test_search_lists_a_reservation_once_whatever_matches(staff_api, show):
    # Several tickets and a name that matches: one row, not one per ticket.
    user = UserFactory(username="dup", first_name="Dup")
    reservation = book(user=user, showtime=show, count=3)
    code = printed_code(reservation)
    assert api_found(staff_api, "dup") == [reservation.pk]
    assert api_found(staff_api, code) == [reservation.pk]
    assert staff_api.get("/api/reservations/", {"search": "dup"}).json()["count"] == 1


def test_search_is_documented_in_the_schema(anon_client):
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/reservations/"]["get"]["parameters"]
    search = next(p for p in parameters if p["name"] == "search")
    assert "#4998" in search["description"]
    assert search["schema"]["maxLength"] == 100
