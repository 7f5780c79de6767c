"""The booking's hot queries are hand-written SQL (bookings/services.py); they must
give what the ORM queries they stand for give, and the lock must still be a lock."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings import services
from bookings.exceptions import ShowtimeNotFound
from bookings.tests.factories import book, seat
from cinema.models import Showtime
from cinema.tests.factories import HallFactory, ShowtimeFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def show():
    hall = HallFactory(layout={"rows": 2, "seats_per_row": 3, "vip_rows": ["B"]})
    return ShowtimeFactory(hall=hall, price=Decimal("9.50"), vip_price=Decimal("12.00"))


def test_locked_showtime_is_the_orm_showtime(show):
    expected = Showtime.objects.get(pk=show.pk)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked = services._lock_showtime(show.pk)
    for name in services._LOCKED_SHOWTIME_FIELDS:
        assert getattr(locked, name) == getattr(expected, name), name
        assert type(getattr(locked, name)) is type(getattr(expected, name)), name
    assert locked.price_for("VIP") == Decimal("12.00")
    assert str(locked.price) == "9.50"
    assert locked.start_time.tzinfo is not None
    if connection.features.has_select_for_update:
        assert queries[0]["sql"].rstrip().endswith("FOR UPDATE")


def test_lock_of_unknown_showtime_is_not_found():
    with transaction.atomic(), pytest.raises(ShowtimeNotFound):
        services._lock_showtime(987654321)


def test_seats_of_showtime_is_what_the_orm_gives(show):
    ids = [seat(show, "B3").pk, seat(show, "A1").pk, 987654321]
    rows = services._seats_of_showtime(showtime_id=show.pk, seat_ids=ids)
    assert [row["id"] for row in rows] == [ids[1], ids[0]]  # hall order, unknown left out
    assert rows[1] == {
        "id": ids[0],
        "row": "B",
        "number": 3,
        "seat_type": "VIP",
        "position": 6,
        "hall_id": show.hall_id,
        "hall_name": show.hall.name,
        "movie_title": show.movie.title,
    }
    other = ShowtimeFactory()
    assert services._seats_of_showtime(showtime_id=other.pk, seat_ids=ids[:2]) == []


def test_live_claims_are_the_requested_seats_and_the_customers_own(show):
    me, someone = UserFactory(), UserFactory()
    book(user=me, showtime=show, seats=[seat(show, "A1")])
    book(user=someone, showtime=show, seats=[seat(show, "A2")])
    book(user=someone, showtime=show, seats=[seat(show, "A3")])
    cancelled = book(user=me, showtime=show, seats=[seat(show, "B1")])
    services.reservation_cancel(reservation=cancelled, by=me)
    with transaction.atomic():
        claims = services._live_claims(
            showtime_id=show.pk,
            seat_ids=[seat(show, "A2").pk, seat(show, "B1").pk],
            user=me,
            now=timezone.now(),
        )
    assert sorted((seat_id, owner, bool(lapsed)) for seat_id, owner, lapsed in claims) == sorted(
        [(seat(show, "A1").pk, me.pk, False), (seat(show, "A2").pk, someone.pk, False)]
    )


def test_live_claims_mark_lapsed_holds(show):
    me = UserFactory()
    past = timezone.now() - dt.timedelta(hours=1)
    services.reservation_create(
        user=me, showtime_id=show.pk, seat_ids=[seat(show, "A1").pk], hold=True, now=past
    )
    services.reservation_create(
        user=me, showtime_id=show.pk, seat_ids=[seat(show, "A2").pk], hold=True
    )
    with transaction.atomic():
        claims = services._live_claims(
            showtime_id=show.pk, seat_ids=[seat(show, "B1").pk], user=me, now=timezone.now()
        )
    assert sorted((seat_id, bool(lapsed)) for seat_id, _, lapsed in claims) == [
        (seat(show, "A1").pk, True),
        (seat(show, "A2").pk, False),
    ]


def test_booking_rows_are_what_the_response_says(show):
    from bookings.models import Reservation, ReservationSeat
    from config.testing import client_for

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
