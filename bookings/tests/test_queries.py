"""Query budgets of the hot booking paths, and proof that the fast paths answer exactly
what the slow ones did (docs/performance.md)."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book, seat, seat_ids
from cinema import services as cinema_services
from cinema.tests.factories import HallFactory, ShowtimeFactory
from testsupport.testing import client_for
from waitingroom.services import is_queued

pytestmark = pytest.mark.django_db

RESERVATIONS = "/api/reservations/"


@pytest.mark.parametrize("labels", [("A1",), ("A1", "C4", "B2")])
def test_booking_query_budget(customer_client, show, django_assert_max_num_queries, labels):
    # user, savepoint, lock (with the hall's marker; its seats come from the process's
    # copy), live claims, reservation, claims, counters, tickets, the confirmation
    # email's outbox row, release savepoint (the test's transaction stands in for the
    # request's)
    body = {"showtime": show.pk, "seats": seat_ids(show, *labels)}
    # Which showtimes have a waiting room is cached for every node (QUEUED_CACHE_SECONDS):
    # read once here, as any earlier booking would have, it costs the booking nothing.
    is_queued(show.pk)
    # The hall's layout is kept per process: any earlier booking or seat map of the hall
    # (this one) has read it.
    assert customer_client.get(f"/api/showtimes/{show.pk}/seats/").status_code == 200
    with django_assert_max_num_queries(10):
        response = customer_client.post(RESERVATIONS, body, format="json")
    assert response.status_code == 201
    assert ReservationSeat.objects.filter(showtime=show, active=True).count() == len(labels)


@pytest.mark.parametrize("hold", [False, True])
def test_booking_response_is_what_reading_it_back_shows(customer_client, show, hold):
    """The 201 is rendered from the objects the booking created; it must equal the
    reservation as the API reads it from the database."""
    response = customer_client.post(
        RESERVATIONS,
        {"showtime": show.pk, "seats": seat_ids(show, "C4", "A1", "B2"), "hold": hold},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    again = customer_client.get(f"{RESERVATIONS}{body['id']}/")
    assert again.status_code == 200
    assert body == again.json()
    assert [s["label"] for s in body["seats"]] == ["A1", "B2", "C4"]
    assert [s["price"] for s in body["seats"]] == ["10.00", "10.00", "15.00"]
    assert body["total_price"] == "35.00"
    assert body["showtime"]["movie_title"] == show.movie.title
    assert body["showtime"]["hall_name"] == show.hall.name
    assert body["status"] == ("HELD" if hold else "CONFIRMED")
    assert all(isinstance(s["id"], int) for s in body["seats"])


def test_compat_booking_response_is_what_reading_it_back_shows(customer_client, show):
    response = customer_client.post(f"/api/shows/{show.pk}/book/", {"seat_number": 5})
    assert response.status_code == 201
    again = customer_client.get(f"{RESERVATIONS}{response.json()['id']}/")
    assert response.json() == again.json()
    assert response.json()["seats"][0]["label"] == "B1"


def test_idempotent_replay_answers_the_first_reservation(customer_client, show):
    body = {"showtime": show.pk, "seats": seat_ids(show, "A1", "A2")}
    first = customer_client.post(RESERVATIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = customer_client.post(RESERVATIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_booking_releases_a_lapsed_hold_with_its_claims(customer_client, customer, show):
    lapsed = book(showtime=show, seats=[seat(show, "A1"), seat(show, "A2")], hold=True)
    Reservation.objects.filter(pk=lapsed.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    ReservationSeat.objects.filter(reservation=lapsed).update(
        hold_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = customer_client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "A2")}, format="json"
    )
    assert response.status_code == 201
    lapsed.refresh_from_db()
    assert lapsed.status == ReservationStatus.EXPIRED
    # Both claims of the lapsed hold are released, not only the seat booked again.
    assert list(lapsed.seats.values_list("active", flat=True)) == [None, None]
    assert ReservationSeat.objects.filter(showtime=show, active=True).count() == 1


def test_seat_cap_counts_own_seats_while_taken_check_sees_others(customer, show, settings):
    """One query answers both checks: the customer's own seats count toward the cap,
    other customers' seats make the request a 409."""
    settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME = 3
    book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "A2")])
    book(showtime=show, seats=[seat(show, "B1")])
    client = client_for(customer)

    over_cap = client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "A3", "A4")}, format="json"
    )
    assert over_cap.status_code == 400
    assert over_cap.json()["code"] == "seat_limit_exceeded"

    taken = client.post(RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "B1")})
    assert taken.status_code == 409
    assert taken.json()["seats"] == [{"id": seat(show, "B1").pk, "label": "B1"}]

    ok = client.post(RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "A3")})
    assert ok.status_code == 201


def test_a_customers_own_seat_asked_again_counts_once_toward_the_cap(customer, show, settings):
    """The customer's own claim on a requested seat is both "in the way" and "theirs":
    it counts once, so at the cap's edge the answer is that the seat is taken."""
    settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME = 3
    book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "A2")])
    client = client_for(customer)

    again = client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "A2")}, format="json"
    )

    assert again.status_code == 409
    assert again.json()["code"] == "seats_unavailable"
    assert again.json()["seats"] == [{"id": seat(show, "A2").pk, "label": "A2"}]


def test_a_booking_after_a_hall_move_decides_on_the_new_hall(customer_client, show, counts):
    """The seats come from the process's copy of the hall's layout, chosen by the hall
    the locked showtime is in now: after a move (possible while it has no
    reservations), the old hall's seats are unknown and the new hall's are booked."""
    old_seat = seat(show, "A1").pk
    # The process's copy of the old hall's layout (a seat map reads it as a booking does).
    assert customer_client.get(f"/api/showtimes/{show.pk}/seats/").status_code == 200
    other_hall = HallFactory(layout={"rows": 1, "seats_per_row": 2})
    show.hall = other_hall
    show.save(update_fields=["hall"])
    before = counts()

    response = customer_client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": [old_seat]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_seats"
    assert response.json()["seats"] == [old_seat]
    assert counts() == before

    new_seat = other_hall.seats.order_by("position").last()
    booked = customer_client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": [new_seat.pk]}, format="json"
    )
    assert booked.status_code == 201
    assert [s["label"] for s in booked.json()["seats"]] == ["A2"]
    assert booked.json()["showtime"]["hall_name"] == other_hall.name


def test_a_booking_never_uses_the_seats_of_a_replaced_layout(customer_client):
    """Once a hall's showtimes are gone its layout may be replaced (new seat ids): a
    booking of the next showtime must know the new seats and refuse the old ones, though
    the process still holds a copy of the old layout (read by the old showtime's seat
    map, as its bookings would)."""
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 3}))
    hall, start = show.hall, show.start_time
    old_ids = list(hall.seats.order_by("position").values_list("id", flat=True))
    assert customer_client.get(f"/api/showtimes/{show.pk}/seats/").status_code == 200
    cinema_services.showtime_delete(showtime=show)
    cinema_services.hall_update(
        hall=hall, layout=cinema_services.Layout(rows=2, seats_per_row=3, vip_rows=("B",))
    )
    new_show = ShowtimeFactory(hall=hall, start_time=start)
    new_ids = list(hall.seats.order_by("position").values_list("id", flat=True))

    stale = customer_client.post(
        RESERVATIONS, {"showtime": new_show.pk, "seats": old_ids[-1:]}, format="json"
    )
    fresh = customer_client.post(
        RESERVATIONS, {"showtime": new_show.pk, "seats": new_ids[-1:]}, format="json"
    )

    assert stale.status_code == 400
    assert stale.json()["code"] == "invalid_seats"
    assert fresh.status_code == 201
    assert fresh.json()["seats"][0]["seat_type"] == "VIP"
    assert ReservationSeat.objects.filter(showtime=new_show, active=True).count() == 1


# --- seat map ---------------------------------------------------------------------------
def test_seat_map_with_a_known_hall_costs_two_queries(anon_client, django_assert_num_queries):
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 10, "seats_per_row": 12}))
    book(showtime=show, seats=list(show.hall.seats.order_by("position")[:4]))
    first = anon_client.get(f"/api/showtimes/{show.pk}/seats/")
    assert first.status_code == 200
    other_show = ShowtimeFactory(hall=show.hall, start_time=show.end_time)
    # the showtime (with its hall's layout marker) and its live claims
    with django_assert_num_queries(2):
        second = anon_client.get(f"/api/showtimes/{other_show.pk}/seats/")
    assert second.status_code == 200
    assert second.json()["counts"] == {"available": 120, "held": 0, "booked": 0, "total": 120}
    assert [s["id"] for s in second.json()["seats"]] == [s["id"] for s in first.json()["seats"]]


def test_seat_map_sees_a_replaced_layout(anon_client):
    """The per-process layout cache must never serve the seats of an old layout: once
    the hall's showtimes are gone its layout may be replaced, and the next showtime's
    seat map shows the new seats."""
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 3}))
    hall, start = show.hall, show.start_time
    old = anon_client.get(f"/api/showtimes/{show.pk}/seats/").json()
    assert old["counts"]["total"] == 6
    cinema_services.showtime_delete(showtime=show)
    cinema_services.hall_update(
        hall=hall,
        layout=cinema_services.Layout(rows=2, seats_per_row=3, vip_rows=("B",)),
    )
    new_show = ShowtimeFactory(hall=hall, start_time=start)
    new = anon_client.get(f"/api/showtimes/{new_show.pk}/seats/").json()
    new_ids = set(hall.seats.values_list("id", flat=True))
    assert {s["id"] for s in new["seats"]} == new_ids
    assert not new_ids & {s["id"] for s in old["seats"]}
    assert [s["seat_type"] for s in new["seats"]] == ["STANDARD"] * 3 + ["VIP"] * 3
