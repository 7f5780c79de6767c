import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.models import (
    Reservation,
    ReservationSeat,
    ReservationStatus,
    SeatStatus,
    claim_status,
)
from bookings.tests.factories import book, make_reservation
from cinema.tests.factories import ShowtimeFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _claim(reservation, seat, active=True):
    return ReservationSeat.objects.create(
        reservation=reservation,
        showtime=reservation.showtime,
        seat=seat,
        price=Decimal("10.00"),
        active=active,
    )


def test_reservation_seat_second_live_claim_on_a_seat_is_refused_by_the_database():
    first = book()
    seat = first.seats.get().seat
    second = Reservation.objects.create(
        user=UserFactory(), showtime=first.showtime, status=ReservationStatus.CONFIRMED
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        _claim(second, seat)
    assert ReservationSeat.objects.filter(seat=seat, active=True).count() == 1


def test_reservation_seat_released_claims_do_not_block_each_other_or_a_live_one():
    showtime = ShowtimeFactory()
    seat = showtime.hall.seats.first()
    for _ in range(3):
        reservation = Reservation.objects.create(
            user=UserFactory(), showtime=showtime, status=ReservationStatus.CANCELLED
        )
        _claim(reservation, seat, active=None)
    live = Reservation.objects.create(
        user=UserFactory(), showtime=showtime, status=ReservationStatus.CONFIRMED
    )
    _claim(live, seat)
    assert ReservationSeat.objects.filter(seat=seat).count() == 4
    assert ReservationSeat.objects.filter(seat=seat, active=True).count() == 1


def test_reservation_seat_same_seat_in_another_showtime_is_independent():
    first = book()
    seat = first.seats.get().seat
    other_show = ShowtimeFactory(hall=seat.hall, start_time=first.showtime.end_time)
    other = Reservation.objects.create(
        user=UserFactory(), showtime=other_show, status=ReservationStatus.CONFIRMED
    )
    _claim(other, seat)
    assert ReservationSeat.objects.filter(seat=seat, active=True).count() == 2


def test_reservation_seat_active_false_is_refused():
    reservation = book()
    seat = reservation.showtime.hall.seats.exclude(pk=reservation.seats.get().seat_id).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        _claim(reservation, seat, active=False)


def test_reservation_held_without_expiry_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(
            user=UserFactory(), showtime=ShowtimeFactory(), status=ReservationStatus.HELD
        )


def test_claim_rule_in_python_and_in_sql_agree_on_every_kind_of_claim(customer):
    """``claim_status`` and the ReservationSeat queryset methods state one rule; a claim
    of every kind must be classified the same by both."""
    show = ShowtimeFactory()
    seats = list(show.hall.seats.order_by("position"))
    now = timezone.now()
    soon, ago = now + dt.timedelta(minutes=5), now - dt.timedelta(minutes=5)
    kinds = {
        "booked": ("CONFIRMED", None),
        "held": ("HELD", soon),
        "lapsed": ("HELD", ago),
        "expired": ("EXPIRED", ago),
        "cancelled": ("CANCELLED", None),
        "cancelled hold": ("CANCELLED", soon),
    }
    for seat, (status, expiry) in zip(seats, kinds.values(), strict=False):
        make_reservation(
            showtime=show, seats=[seat], user=customer, status=status, hold_expires_at=expiry
        )
    claims = ReservationSeat.objects.filter(showtime=show)
    python = {
        claim.pk: claim_status(active=claim.active, hold_expires_at=claim.hold_expires_at, now=now)
        for claim in claims
    }
    by_label = {claim.seat.label: python[claim.pk] for claim in claims.select_related("seat")}
    assert list(by_label.values()) == [
        SeatStatus.BOOKED,
        SeatStatus.HELD,
        SeatStatus.AVAILABLE,
        SeatStatus.AVAILABLE,
        SeatStatus.AVAILABLE,
        SeatStatus.AVAILABLE,
    ]

    sql = dict(claims.with_status(now).values_list("pk", "status"))
    assert sql == python

    def ids(queryset):
        return set(queryset.values_list("pk", flat=True))

    live = {pk for pk, status in python.items() if status != SeatStatus.AVAILABLE}
    assert ids(claims.live(now)) == live
    assert ids(claims.booked()) == {pk for pk, s in python.items() if s == SeatStatus.BOOKED}
    assert ids(claims.live(now)) - ids(claims.booked()) == {
        pk for pk, s in python.items() if s == SeatStatus.HELD
    }
    # Active but not live: exactly the lapsed holds, which are still counted as holds.
    assert ids(claims.lapsed(now)) == ids(claims.active()) - live
    assert ids(claims.holds()) == ids(claims.active()) - ids(claims.booked())
