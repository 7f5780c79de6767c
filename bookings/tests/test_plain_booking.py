"""The plain booking body is read without building the serializer (``plain_booking``):
pinned here to what ``ReservationCreateSerializer`` answers for the same body."""

import pytest

from bookings.serializers import ReservationCreateSerializer, plain_booking
from bookings.services import SeatChoice
from bookings.tests.factories import seat_ids
from core.limits import MAX_ID

PLAIN = [
    {"showtime": 7, "seats": [12]},
    {"showtime": 7, "seats": [12, 13, 99]},
    {"showtime": 1, "seats": [MAX_ID], "hold": True},
    {"showtime": MAX_ID, "seats": [5], "hold": False},
    {"showtime": 7, "seats": []},  # the engine's no_seats
    {"showtime": 7, "seats": [12, 12]},  # the engine's duplicate_seats
]
OTHER = [
    {"showtime": "7", "seats": [12]},
    {"showtime": 7.0, "seats": [12]},
    {"showtime": True, "seats": [12]},
    {"showtime": 0, "seats": [12]},
    {"showtime": MAX_ID + 1, "seats": [12]},
    {"showtime": None, "seats": [12]},
    {"seats": [12]},
    {"showtime": 7},
    {"showtime": 7, "seats": [12], "quantity": 2},
    {"showtime": 7, "quantity": 2},
    {"showtime": 7, "seats": [12], "voucher": "SCHOOL24"},
    {"showtime": 7, "seats": [{"id": 12, "type": "child"}]},
    {"showtime": 7, "seats": [12, "13"]},
    {"showtime": 7, "seats": [12, True]},
    {"showtime": 7, "seats": [12, 1.5]},
    {"showtime": 7, "seats": [0]},
    {"showtime": 7, "seats": [-3]},
    {"showtime": 7, "seats": [MAX_ID + 1]},
    {"showtime": 7, "seats": "12"},
    {"showtime": 7, "seats": None},
    {"showtime": 7, "seats": [12], "hold": "true"},
    {"showtime": 7, "seats": [12], "hold": 1},
    {"showtime": 7, "seats": [12], "hold": None},
    {"showtime": 7, "seats": [12], "unknown": 1},
    [7, 12],
    "showtime=7",
    None,
]


def _serializer_answer(body):
    serializer = ReservationCreateSerializer(data=body)
    return serializer.validated_data if serializer.is_valid() else None


@pytest.mark.parametrize("body", PLAIN)
def test_plain_booking_answers_what_the_serializer_answers(body):
    fast = plain_booking(body)

    assert fast is not None
    assert fast == _serializer_answer(body)
    assert all(type(choice) is SeatChoice for choice in fast["seats"])


@pytest.mark.parametrize("body", OTHER)
def test_any_other_body_is_left_to_the_serializer(body):
    assert plain_booking(body) is None


def test_a_plain_booking_through_the_api_is_booked_as_before(customer_client, show):
    plain = {"showtime": show.pk, "seats": seat_ids(show, "A1", "A2"), "hold": True}
    as_text = {"showtime": str(show.pk), "seats": seat_ids(show, "A3"), "hold": "true"}

    first = customer_client.post("/api/reservations/", plain, format="json")
    second = customer_client.post("/api/reservations/", as_text, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert [s["label"] for s in first.json()["seats"]] == ["A1", "A2"]
    assert first.json()["status"] == second.json()["status"] == "HELD"
