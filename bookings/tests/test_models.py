from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from bookings.models import Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book
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
