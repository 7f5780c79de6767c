"""The reservations admin: read-only pages with a Cancel button that goes through the
booking service, statuses in words, times in the cinema's time zone; and the seat map
on a showtime's page."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from bookings import services
from bookings.admin import showtime_seat_map_html
from bookings.models import Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book, reserve, seat, seats_of
from cinema.models import Showtime
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def show():
    return ShowtimeFactory(
        movie=MovieFactory(title="Paper Tigers"),
        hall=HallFactory(name="Studio", layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]}),
        start_time=timezone.now() + dt.timedelta(days=1),
    )


def _page(client, reservation) -> str:
    response = client.get(f"/admin/bookings/reservation/{reservation.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_reservation_page_is_read_only_with_a_cancel_button(staff_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "C2")])

    html = _page(staff_client, reservation)

    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert f'href="/admin/bookings/reservation/{reservation.pk}/cancel/"' in html
    assert f"Reservation {reservation.pk} (confirmed)" in html  # not the raw CONFIRMED
    assert "CONFIRMED" not in html
    # The seats with what each does now, instead of an unexplained "Active" tick.
    assert "<td>A1</td><td>Standard</td><td class='num'>10.00</td><td>booked</td>" in html
    assert "<td>C2</td><td>VIP</td><td class='num'>15.00</td><td>booked</td>" in html
    assert "Active" not in html


def test_reservation_page_says_what_each_seat_does(staff_client, customer, show):
    hold = book(user=customer, showtime=show, seats=[seat(show, "B1")], hold=True)
    cancelled = book(user=customer, showtime=show, seats=[seat(show, "B2")])
    services.reservation_cancel(reservation=cancelled, by=customer)

    held_until = timezone.localtime(hold.expires_at).strftime("%H:%M")
    assert f"<td>held until {held_until}</td>" in _page(staff_client, hold)
    html = _page(staff_client, cancelled)
    assert "<td>released</td>" in html
    assert "/cancel/" not in html  # nothing left to cancel


def test_cancel_button_asks_then_cancels_through_the_service(staff_client, customer, show, client):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A2"), seat(show, "A3")])
    url = f"/admin/bookings/reservation/{reservation.pk}/cancel/"

    question = staff_client.get(url)
    assert question.status_code == 200
    assert "A2, A3" in question.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED  # a GET changes nothing

    done = staff_client.post(url, follow=True)

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert not ReservationSeat.objects.filter(reservation=reservation, active=True).exists()
    assert "its seats are free again" in done.content.decode()
    seat_map = client.get(f"/api/showtimes/{show.pk}/seats/").json()
    statuses = {item["label"]: item["status"] for item in seat_map["seats"]}
    assert statuses["A2"] == statuses["A3"] == "available"


def test_cancelling_a_started_showtime_is_refused_with_the_reason(staff_client, customer, show):
    reservation = book(user=customer, showtime=show)
    show.start_time = timezone.now() - dt.timedelta(minutes=5)
    show.save(update_fields=["start_time"])

    response = staff_client.post(
        f"/admin/bookings/reservation/{reservation.pk}/cancel/", follow=True
    )

    assert "Not cancelled: This showtime has started" in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED


def test_reservation_list_filters_by_upcoming_showtimes(staff_client, customer, show):
    upcoming = book(user=customer, showtime=show)
    played = ShowtimeFactory(start_time=timezone.now() - dt.timedelta(days=2))
    old = Reservation.objects.create(
        user=customer, showtime=played, status=ReservationStatus.CONFIRMED
    )

    def listed(**params):
        response = staff_client.get("/admin/bookings/reservation/", params)
        return {reservation.pk for reservation in response.context["cl"].result_list}

    page = staff_client.get("/admin/bookings/reservation/").content.decode()
    assert "?show=upcoming" in page
    assert listed(show="upcoming") == {upcoming.pk}
    assert listed(show="past") == {old.pk}
    assert listed(show="past7") == {old.pk}


def test_reservation_list_names_showtimes_in_local_time(staff_client, customer, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    show = ShowtimeFactory(
        movie=MovieFactory(title="Undertow"),
        start_time=dt.datetime(2030, 11, 30, 17, 0, tzinfo=dt.UTC),
    )
    reservation = Reservation.objects.create(
        user=customer, showtime=show, status=ReservationStatus.CONFIRMED
    )
    booked_at = dt.datetime(2030, 11, 2, 9, 30, tzinfo=dt.UTC)
    Reservation.objects.filter(pk=reservation.pk).update(created_at=booked_at)

    html = staff_client.get("/admin/bookings/reservation/").content.decode()

    assert "Sat 30 Nov 2030, 18:00" in html
    assert "Sat 2 Nov 2030, 10:30" in html  # booked at 09:30 UTC
    assert "17:00" not in html and "09:30" not in html


def test_admin_showtime_with_reservations_says_why_it_cannot_be_deleted(staff_client, customer):
    show = ShowtimeFactory()
    book(user=customer, showtime=show)

    page = staff_client.get(f"/admin/cinema/showtime/{show.pk}/change/").content.decode()
    single = staff_client.get(f"/admin/cinema/showtime/{show.pk}/delete/", follow=True)
    bulk = staff_client.post(
        "/admin/cinema/showtime/",
        {"action": "delete_selected", "_selected_action": [show.pk], "day": "all"},
        follow=True,
    )

    assert 'class="deletelink"' not in page
    for response in (single, bulk):
        html = response.content.decode()
        assert "reservations" in html and "permission" not in html
    assert "cannot be deleted: it has reservations" in single.content.decode()
    assert "Nothing was deleted" in bulk.content.decode()
    assert Showtime.objects.filter(pk=show.pk).exists()


# --- the seat map on a showtime's page ----------------------------------------------------
def test_seat_map_colours_seats_by_status(customer, other_customer):
    hall = HallFactory(layout={"rows": 2, "seats_per_row": 3, "vip_rows": ["B"]})
    show = ShowtimeFactory(hall=hall)
    a1, a2, a3, b1, _b2, _b3 = seats_of(show)
    reserve(customer, show, [a1], ReservationStatus.CONFIRMED)
    reserve(other_customer, show, [b1], ReservationStatus.HELD)
    expired = reserve(other_customer, show, [a2], ReservationStatus.HELD)
    expired.seats.update(hold_expires_at=timezone.now() - dt.timedelta(minutes=1))
    reserve(customer, show, [a3], ReservationStatus.CANCELLED)

    html = showtime_seat_map_html(show)

    statuses = dict(re.findall(r'data-seat="(\w+)" data-status="(\w+)"', html))
    assert statuses == {
        "A1": "booked",
        "A2": "available",
        "A3": "available",
        "B1": "held",
        "B2": "available",
        "B3": "available",
    }
    vip = re.findall(r'class="seat seat-\w+ seat-vip" data-seat="(\w+)"', html)
    assert vip == ["B1", "B2", "B3"]
    assert "booked: 1" in html and "held: 1" in html and "available: 4" in html


def test_seat_map_of_a_show_no_longer_on_sale_counts_unsold_seats_not_available(customer):
    hall = HallFactory(layout={"rows": 2, "seats_per_row": 3})
    show = ShowtimeFactory(hall=hall)
    reserve(customer, show, seats_of(show)[:2], ReservationStatus.CONFIRMED)
    Showtime.objects.filter(pk=show.pk).update(
        start_time=timezone.now() - dt.timedelta(hours=3),
        end_time=timezone.now() - dt.timedelta(hours=1),
    )
    show.refresh_from_db()

    html = showtime_seat_map_html(show)

    assert "not sold: 4" in html and "booked: 2" in html
    assert "available:" not in html


def test_seat_map_of_unsaved_showtime_is_empty(db):
    assert showtime_seat_map_html(None) == ""
