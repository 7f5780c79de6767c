"""The booking's and the seat map's hot queries are prepared once (bookings/queries.py,
core/queries.py); each must give what the ORM gives for the same queryset, and the
lock must still be a lock."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings import queries, services
from bookings.exceptions import InvalidSeats, ShowtimeNotFound
from bookings.models import Reservation, ReservationSeat, SeatStatus, claim_status
from bookings.tests.factories import book, seat
from cinema.models import Showtime
from cinema.tests.factories import HallFactory, ShowtimeFactory
from testsupport.testing import client_for
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_show():
    hall = HallFactory(layout={"rows": 2, "seats_per_row": 3, "vip_rows": ["B"]})
    return ShowtimeFactory(hall=hall, price=Decimal("9.50"), vip_price=Decimal("12.00"))


def test_locked_showtime_is_the_orm_showtime(small_show):
    expected = Showtime.objects.get(pk=small_show.pk)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        locked = services._lock_showtime(small_show.pk)
    for name in queries.LOCKED_SHOWTIME_FIELDS:
        assert getattr(locked, name) == getattr(expected, name), name
        assert type(getattr(locked, name)) is type(getattr(expected, name)), name
    assert locked.price_for("VIP") == Decimal("12.00")
    assert str(locked.price) == "9.50"
    assert locked.start_time.tzinfo is not None
    if connection.features.has_select_for_update:
        assert captured[0]["sql"].rstrip().endswith("FOR UPDATE")


def test_lock_of_unknown_showtime_is_not_found():
    with transaction.atomic(), pytest.raises(ShowtimeNotFound):
        services._lock_showtime(987654321)


def test_showtime_locked_to_book_carries_its_hall_and_movie(small_show):
    show = small_show
    expected = Showtime.objects.get(pk=show.pk)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        locked, hall = services._lock_showtime_to_book(show.pk)
    for name in queries.LOCKED_SHOWTIME_FIELDS:
        assert getattr(locked, name) == getattr(expected, name), name
    assert hall == {
        "hall_name": show.hall.name,
        "movie_title": show.movie.title,
        "hall_created_at": show.hall.created_at,
        "hall_capacity": 6,
        "seat_1": seat(show, "A1").pk,
    }
    assert len(captured) == 1
    if connection.features.has_select_for_update:
        assert captured[0]["sql"].rstrip().endswith("FOR UPDATE")


def test_seats_to_book_are_in_hall_order_with_what_the_answer_needs(small_show):
    show = small_show
    with transaction.atomic():
        locked, hall = services._lock_showtime_to_book(show.pk)
    ids = (seat(show, "B3").pk, seat(show, "A1").pk)
    request = services._Request(
        user=None, showtime_id=show.pk, seat_ids=ids, hold=False, now=timezone.now()
    )
    seats = services._seats_to_book(locked, request, hall)
    assert [s.id for s in seats] == [ids[1], ids[0]]  # hall order
    assert seats[1]._asdict() == {
        "id": ids[0],
        "row": "B",
        "number": 3,
        "seat_type": "VIP",
        "position": 6,
        "hall_id": show.hall_id,
        "hall_name": show.hall.name,
        "movie_title": show.movie.title,
    }
    unknown = dataclasses.replace(request, seat_ids=(*ids, 987654321))
    with pytest.raises(InvalidSeats) as refused:
        services._seats_to_book(locked, unknown, hall)
    assert refused.value.extra == {"seats": [987654321]}


def test_claims_in_the_way_are_the_requested_seats_and_the_customers_own(small_show):
    show = small_show
    me, someone = UserFactory(), UserFactory()
    book(user=me, showtime=show, seats=[seat(show, "A1")])
    book(user=someone, showtime=show, seats=[seat(show, "A2")])
    book(user=someone, showtime=show, seats=[seat(show, "A3")])
    cancelled = book(user=me, showtime=show, seats=[seat(show, "B1")])
    services.reservation_cancel(reservation=cancelled, by=me)
    claims = queries.claims_in_the_way.rows(
        showtime_id=show.pk, seat_ids=[seat(show, "A2").pk, seat(show, "B1").pk], user_id=me.pk
    )
    assert sorted(claims) == sorted(
        [(seat(show, "A1").pk, me.pk, None), (seat(show, "A2").pk, someone.pk, None)]
    )


def test_claims_in_the_way_show_lapsed_holds(small_show):
    show = small_show
    me = UserFactory()
    past = timezone.now() - dt.timedelta(hours=1)
    services.reservation_create(
        user=me, showtime_id=show.pk, seat_ids=[seat(show, "A1").pk], hold=True, now=past
    )
    services.reservation_create(
        user=me, showtime_id=show.pk, seat_ids=[seat(show, "A2").pk], hold=True
    )
    now = timezone.now()
    claims = queries.claims_in_the_way.rows(
        showtime_id=show.pk, seat_ids=[seat(show, "B1").pk], user_id=me.pk
    )
    statuses = sorted(
        (seat_id, claim_status(active=True, hold_expires_at=expiry, now=now))
        for seat_id, _, expiry in claims
    )
    assert statuses == [
        (seat(show, "A1").pk, SeatStatus.AVAILABLE),  # lapsed
        (seat(show, "A2").pk, SeatStatus.HELD),
    ]


def test_booking_rows_are_what_the_response_says(small_show):
    show = small_show
    customer = UserFactory()
    ids = [seat(show, "B2").pk, seat(show, "A1").pk, seat(show, "A3").pk]
    response = client_for(customer).post(
        "/api/reservations/", {"showtime": show.pk, "seats": ids, "hold": True}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    stored = Reservation.objects.get(pk=body["id"])
    assert (stored.user_id, stored.showtime_id, stored.status) == (customer.pk, show.pk, "HELD")
    assert stored.total_price == Decimal("31.00")
    assert stored.expires_at is not None and stored.cancelled_at is None
    claims = {claim.pk: claim for claim in ReservationSeat.objects.filter(reservation=stored)}
    assert len(claims) == 3
    for item in body["seats"]:
        claim = claims[item["id"]]
        assert claim.seat_id == item["seat_id"]
        assert str(claim.price) == item["price"]
        assert claim.active is True
        assert claim.hold_expires_at == stored.expires_at
        assert claim.showtime_id == show.pk
    assert [item["label"] for item in body["seats"]] == ["A1", "A3", "B2"]


def _values(show, user, now):
    seats = list(show.hall.seats.order_by("position").values_list("pk", flat=True))
    return {
        "locked_showtime": {"showtime_id": show.pk},
        "locked_showtime_to_book": {"showtime_id": show.pk},
        "claims_in_the_way": {"showtime_id": show.pk, "seat_ids": seats[:3], "user_id": user.pk},
        "seat_map_showtime": {"showtime_id": show.pk},
        "seat_map_claims": {"showtime_id": show.pk, "now": now},
    }


@pytest.mark.parametrize(
    "name",
    [
        "locked_showtime",
        "locked_showtime_to_book",
        "claims_in_the_way",
        "seat_map_showtime",
        "seat_map_claims",
    ],
)
def test_prepared_query_answers_what_the_orm_answers(small_show, name):
    show = small_show
    me, someone = UserFactory(), UserFactory()
    now = timezone.now()
    book(user=me, showtime=show, seats=[seat(show, "A1"), seat(show, "B2")])
    book(user=someone, showtime=show, seats=[seat(show, "A2")], hold=True)
    lapsed = services.reservation_create(
        user=someone,
        showtime_id=show.pk,
        seat_ids=[seat(show, "A3").pk],
        hold=True,
        now=now - dt.timedelta(hours=1),
    )
    assert lapsed.reservation.status == "HELD"
    query = getattr(queries, name)
    values = _values(show, me, now)[name]

    prepared = query.rows(**values)
    again = query.rows(**values)  # from the cache: the same SQL, the same answer

    expected = list(query.queryset(**values))
    assert prepared == again == expected
    assert prepared  # each case finds something
    for got, want in zip(prepared, expected, strict=True):
        assert [type(value) for value in got] == [type(value) for value in want]
