"""Best available through the API: ``POST /api/reservations/`` with ``quantity``
instead of ``seats``."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from bookings.models import Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book, seat
from cinema.tests.factories import HallFactory, ShowtimeFactory
from testsupport.testing import client_for

pytestmark = pytest.mark.django_db

RESERVATIONS = "/api/reservations/"


@pytest.fixture
def wide():
    """5 rows of 8 seats, row E VIP, seats A1 and A2 accessible: the best row is C
    ((5 - 1) * 2/3 = 2.67 -> D is 0.33 away, C 0.67)."""
    hall = HallFactory(
        layout={
            "rows": 5,
            "seats_per_row": 8,
            "vip_rows": ["E"],
            "accessible_seats": ["A1", "A2"],
        }
    )
    return ShowtimeFactory(hall=hall, price=Decimal("10.00"), vip_price=Decimal("15.00"))


def _labels(body):
    return [s["label"] for s in body["seats"]]


def _post(client, body):
    response = client.post(RESERVATIONS, body, format="json")
    return response.status_code, response.json()


def test_an_empty_hall_gives_the_centre_of_the_row_two_thirds_back(customer_client, wide):
    code, body = _post(customer_client, {"showtime": wide.pk, "quantity": 4})

    assert code == 201, body
    assert _labels(body) == ["D3", "D4", "D5", "D6"]
    assert body["status"] == ReservationStatus.CONFIRMED
    assert body["total_price"] == "40.00"
    assert body["showtime"]["hall_name"] == wide.hall.name
    reservation = Reservation.objects.get(pk=body["id"])
    assert sorted(reservation.seats.values_list("seat_id", flat=True)) == sorted(
        s["seat_id"] for s in body["seats"]
    )


def test_taken_seats_move_the_block(customer_client, wide):
    # D's middle is taken: D has pairs only at its ends; C's centre is next best.
    book(showtime=wide, seats=[seat(wide, f"D{n}") for n in range(3, 7)])

    code, body = _post(customer_client, {"showtime": wide.pk, "quantity": 2, "hold": True})

    assert code == 201, body
    assert _labels(body) == ["C4", "C5"]
    assert body["status"] == ReservationStatus.HELD


def test_a_second_buyer_gets_seats_next_best_and_none_twice(customer_client, other_client, wide):
    _, first = _post(customer_client, {"showtime": wide.pk, "quantity": 4})
    code, second = _post(other_client, {"showtime": wide.pk, "quantity": 4})

    assert code == 201, second
    assert not set(_labels(first)) & set(_labels(second))
    assert len({label[0] for label in _labels(second)}) == 1  # one row


def test_seat_type_keeps_to_that_type(customer_client, wide):
    code, body = _post(customer_client, {"showtime": wide.pk, "quantity": 3, "seat_type": "VIP"})

    assert code == 201, body
    assert {s["seat_type"] for s in body["seats"]} == {"VIP"}
    assert {s["row"] for s in body["seats"]} == {"E"}
    assert body["total_price"] == "45.00"

    code, body = _post(
        customer_client, {"showtime": wide.pk, "quantity": 2, "seat_type": "ACCESSIBLE"}
    )
    assert code == 201, body
    assert _labels(body) == ["A1", "A2"]


def test_no_block_is_409_with_the_largest_there_is(customer_client, wide, counts):
    book(showtime=wide, seats=[seat(wide, "A3")])
    before = counts()

    code, body = _post(
        customer_client, {"showtime": wide.pk, "quantity": 3, "seat_type": "ACCESSIBLE"}
    )

    assert code == 409
    assert body["code"] == "no_block_available"
    assert body["largest"] == 2
    assert counts() == before


def test_no_seat_of_the_type_left_is_largest_zero(customer_client, show):
    book(showtime=show, seats=[seat(show, f"{r}{n}") for r in "AB" for n in range(1, 5)])

    code, body = _post(
        customer_client, {"showtime": show.pk, "quantity": 1, "seat_type": "STANDARD"}
    )

    assert code == 409, body
    assert (body["code"], body["largest"]) == ("no_block_available", 0)
    # Without a type, VIP row C serves.
    code, body = _post(customer_client, {"showtime": show.pk, "quantity": 1})
    assert (code, body["seats"][0]["row"]) == (201, "C")
    book(showtime=show, seats=[seat(show, "C2"), seat(show, "C3")])
    code, body = _post(customer_client, {"showtime": show.pk, "quantity": 2, "seat_type": "VIP"})
    assert (code, body["code"], body["largest"]) == (409, "no_block_available", 1)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({}, "seats"),
        ({"seats": [1], "quantity": 1}, "quantity"),
        ({"seats": [1], "seat_type": "VIP"}, "seat_type"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 2, "seat_type": "GOLD"}, "seat_type"),
    ],
)
def test_seats_or_quantity_exactly_one(customer_client, show, counts, extra, field):
    before = counts()

    code, body = _post(customer_client, {"showtime": show.pk, **extra})

    assert code == 400
    assert field in body, body
    assert counts() == before


def test_too_many_is_too_many_seats(customer_client, show, counts):
    before = counts()
    limit = settings.MAX_SEATS_PER_RESERVATION

    code, body = _post(customer_client, {"showtime": show.pk, "quantity": limit + 1})

    assert code == 400
    assert (body["code"], body["limit"]) == ("too_many_seats", limit)
    assert counts() == before


def test_the_per_customer_cap_still_applies(customer, show, settings):
    settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME = 3
    book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "A2")])

    code, body = _post(client_for(customer), {"showtime": show.pk, "quantity": 2})

    assert code == 400
    assert (body["code"], body["owned"]) == ("seat_limit_exceeded", 2)


def test_an_idempotent_retry_books_nothing_more(customer_client, wide):
    headers = {"HTTP_IDEMPOTENCY_KEY": "best-1"}
    first = customer_client.post(
        RESERVATIONS, {"showtime": wide.pk, "quantity": 2}, format="json", **headers
    )
    again = customer_client.post(
        RESERVATIONS, {"showtime": wide.pk, "quantity": 2}, format="json", **headers
    )
    other = customer_client.post(
        RESERVATIONS, {"showtime": wide.pk, "quantity": 3}, format="json", **headers
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert Reservation.objects.filter(showtime=wide).count() == 1


def test_unknown_showtime(customer_client):
    code, body = _post(customer_client, {"showtime": 999999, "quantity": 2})

    assert (code, body["code"]) == (400, "showtime_not_found")


def test_a_lapsed_hold_frees_its_seats_for_best_available(customer_client):
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 1, "seats_per_row": 3}))
    lapsed = book(showtime=show, seats=[seat(show, "A1"), seat(show, "A2")], hold=True)
    past = timezone.now() - dt.timedelta(seconds=1)
    Reservation.objects.filter(pk=lapsed.pk).update(expires_at=past)
    ReservationSeat.objects.filter(reservation=lapsed).update(hold_expires_at=past)

    code, body = _post(customer_client, {"showtime": show.pk, "quantity": 3})

    assert code == 201, body
    assert _labels(body) == ["A1", "A2", "A3"]
