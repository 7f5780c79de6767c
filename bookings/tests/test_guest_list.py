"""A showtime's guest list: ``GET /api/showtimes/{id}/reservations/`` for counter staff,
and in the admin the reservation list filtered by the showtime, linked from its page as
"Guest list": number, customer, seats, paid or not, and how many are checked in."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import PaymentState, Reservation
from bookings.tests.factories import book, seat
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from testsupport.testing import client_for
from tickets.services import ticket_check_in
from users.models import Role
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def show():
    """Starts in 10 minutes: its doors are open."""
    return ShowtimeFactory(
        movie=MovieFactory(title="Paper Tigers"),
        hall=HallFactory(layout={"rows": 3, "seats_per_row": 4}),
        start_time=timezone.now() + dt.timedelta(minutes=10),
    )


@pytest.fixture
def usher():
    return UserFactory(role=Role.USHER)


@pytest.fixture
def guests(show, usher):
    """Ann (A1, A2; one checked in, paid), a walk-in (B1) and a cancelled booking (C4)."""
    ann = UserFactory(username="ann", first_name="Ann", last_name="Lee", email="ann@example.com")
    first = book(user=ann, showtime=show, seats=[seat(show, "A2"), seat(show, "A1")])
    Reservation.objects.filter(pk=first.pk).update(payment_status=PaymentState.PAID)
    ticket_check_in(code=first.tickets.order_by("seat__position").first().code, by=usher)

    cashier = UserFactory(role=Role.CASHIER)
    walk_in = book(user=UserFactory(), showtime=show, seats=[seat(show, "B1")])
    Reservation.objects.filter(pk=walk_in.pk).update(
        user=None, sold_by=cashier, customer_name="Bruno Diaz", customer_email="bruno@mail.test"
    )

    gone = book(showtime=show, seats=[seat(show, "C4")])
    services.reservation_cancel(reservation=gone, by=gone.user)
    return first, walk_in, gone


def url(show) -> str:
    return f"/api/showtimes/{show.pk}/reservations/"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CASHIER])
def test_guest_list_for_counter_staff(role, show, guests):
    first, walk_in, gone = guests
    response = client_for(UserFactory(role=role)).get(url(show))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    rows = {row["id"]: row for row in body["results"]}
    assert [row["id"] for row in body["results"]] == [first.pk, walk_in.pk, gone.pk]
    assert rows[first.pk] == {
        "id": first.pk,
        "status": "CONFIRMED",
        "customer": "Ann Lee",
        "email": "ann@example.com",
        "at_counter": False,
        "seats": ["A1", "A2"],
        "total_price": "20.00",
        "payment_status": "paid",
        "checked_in": 1,
        "created_at": rows[first.pk]["created_at"],
    }
    assert rows[walk_in.pk]["customer"] == "Bruno Diaz"
    assert rows[walk_in.pk]["email"] == "bruno@mail.test"
    assert rows[walk_in.pk]["at_counter"] is True
    assert rows[walk_in.pk]["payment_status"] == "none"
    assert rows[walk_in.pk]["checked_in"] == 0
    assert rows[gone.pk]["status"] == "CANCELLED"
    assert rows[gone.pk]["seats"] == ["C4"]  # a cancelled one still says what it had


def test_guest_list_filters_by_status(admin_client, show, guests):
    response = admin_client.get(url(show), {"status": "CANCELLED"})
    assert [row["id"] for row in response.json()["results"]] == [guests[2].pk]
    assert admin_client.get(url(show), {"status": "NOPE"}).status_code == 400


def test_guest_list_is_paginated(admin_client, show, guests):
    body = admin_client.get(url(show), {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


@pytest.mark.parametrize("role", [Role.USHER, Role.CUSTOMER])
def test_guest_list_refused_to_others(role, show, guests):
    response = client_for(UserFactory(role=role)).get(url(show))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_guest_list_needs_a_login(anon_client, show):
    assert anon_client.get(url(show)).status_code == 401


def test_guest_list_of_an_unknown_showtime_is_404(admin_client):
    assert admin_client.get("/api/showtimes/999999/reservations/").status_code == 404
    assert admin_client.get(f"/api/showtimes/{2**63}/reservations/").status_code == 404


def test_guest_list_query_budget(admin_client, show, guests, django_assert_max_num_queries):
    for label in ("B2", "B3", "B4"):
        book(showtime=show, seats=[seat(show, label)])
    with django_assert_max_num_queries(4):
        response = admin_client.get(url(show))
    assert response.status_code == 200


# --- the admin --------------------------------------------------------------------------
@pytest.fixture(params=[Role.ADMIN, Role.CASHIER])
def counter_browser(request, client):
    client.force_login(UserFactory(role=request.param))
    return client


def test_showtime_page_links_its_guest_list(counter_browser, show, guests):
    html = counter_browser.get(f"/admin/cinema/showtime/{show.pk}/change/").content.decode()
    link = f"/admin/bookings/reservation/?showtime__id__exact={show.pk}"
    assert f'href="{link}"' in html and "Guest list" in html

    response = counter_browser.get(link)
    assert response.status_code == 200
    listed = response.context["cl"].result_list
    first, walk_in, gone = guests
    assert sorted(obj.pk for obj in listed) == sorted([first.pk, walk_in.pk, gone.pk])
    page = response.content.decode()
    start = timezone.localtime(show.start_time)
    assert f"<h1>Guest list: Paper Tigers, {show.hall.name}, " in page
    assert f"{start:%H:%M}</h1>" in page
    for text in ("Ann Lee", "A1, A2", "Bruno Diaz", "C4", "1 / 2"):
        assert text in page, text
    assert "Paid" in page  # the payment column of the registered admin


def test_guest_list_link_not_shown_to_an_usher(client, usher, show):
    client.force_login(usher)
    response = client.get(f"/admin/cinema/showtime/{show.pk}/change/")
    assert response.status_code == 200
    assert "Guest list" not in response.content.decode()


def test_admin_guest_list_query_budget(staff_client, show, guests, django_assert_max_num_queries):
    link = f"/admin/bookings/reservation/?showtime__id__exact={show.pk}"
    with django_assert_max_num_queries(14) as captured:
        staff_client.get(link)
    before = len(captured)
    for label in ("B2", "B3", "B4"):
        book(showtime=show, seats=[seat(show, label)])
    with django_assert_max_num_queries(before):
        staff_client.get(link)
