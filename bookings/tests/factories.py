"""Reservations for tests: through the booking service, so they are always valid, or
written straight to the tables (``make_reservation``) with the counters recounted, as
the booking engine would leave them; or (``reserve``) with the claims alone, as the
reports and seat maps read them."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from bookings import services
from bookings.models import LIVE_STATUSES, Reservation, ReservationSeat, ReservationStatus
from cinema.tests.factories import ShowtimeFactory
from core.money import money_sum
from users.tests.factories import UserFactory


def book(*, user=None, showtime=None, seats=None, hold=False, count=1) -> Reservation:
    """Book (or hold) ``seats`` (Seat objects; default the first ``count`` seats)."""
    user = user or UserFactory()
    showtime = showtime or ShowtimeFactory()
    if seats is None:
        seats = list(showtime.hall.seats.order_by("position")[:count])
    return services.reservation_create(
        user=user, showtime_id=showtime.pk, seat_ids=[seat.pk for seat in seats], hold=hold
    ).reservation


def seat(showtime, label: str):
    """The seat of the showtime's hall with this label, e.g. ``seat(show, "B3")``."""
    return showtime.hall.seats.get(row=label[0], number=int(label[1:]))


def seat_ids(showtime, *labels: str) -> list[int]:
    """The ids of the showtime's seats with these labels, in this order."""
    return [seat(showtime, label).pk for label in labels]


def make_reservation(*, showtime, seats, user, status="CONFIRMED", hold_expires_at=None):
    """A reservation with its seat claims, written directly (no booking rules): for
    tests that need seats taken in a given state, or a showtime with reservations."""
    reservation = Reservation.objects.create(
        user=user,
        showtime=showtime,
        status=status,
        expires_at=hold_expires_at,
        total_price=money_sum(showtime.price_for(seat.seat_type) for seat in seats),
    )
    active = None if status in ("CANCELLED", "EXPIRED") else True
    ReservationSeat.objects.bulk_create(
        ReservationSeat(
            reservation=reservation,
            showtime=showtime,
            seat=seat,
            price=showtime.price_for(seat.seat_type),
            active=active,
            hold_expires_at=hold_expires_at,
        )
        for seat in seats
    )
    services.showtime_counters_refresh(showtime_id=showtime.pk)
    return reservation


def reserve(user, showtime, seats, status):
    """A reservation as the booking engine leaves it, written straight to the tables."""
    reservation = Reservation.objects.create(
        user=user,
        showtime=showtime,
        status=status,
        expires_at=timezone.now() + dt.timedelta(minutes=10)
        if status == ReservationStatus.HELD
        else None,
    )
    total = Decimal("0")
    for seat in seats:
        price = showtime.price_for(seat.seat_type)
        total += price
        ReservationSeat.objects.create(
            reservation=reservation,
            showtime=showtime,
            seat=seat,
            price=price,
            active=True if status in LIVE_STATUSES else None,
            hold_expires_at=reservation.expires_at,
        )
    reservation.total_price = total
    reservation.save(update_fields=["total_price"])
    return reservation


def seats_of(showtime):
    return list(showtime.hall.seats.order_by("position"))
