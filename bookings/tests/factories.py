"""Reservations for tests, made through the booking service so they are always valid."""

from bookings import services
from cinema.tests.factories import ShowtimeFactory
from users.tests.factories import UserFactory


def book(*, user=None, showtime=None, seats=None, hold=False, count=1):
    """Book (or hold) ``seats`` (Seat objects; default the first ``count`` seats)."""
    user = user or UserFactory()
    showtime = showtime or ShowtimeFactory()
    if seats is None:
        seats = list(showtime.hall.seats.order_by("position")[:count])
    return services.reservation_create(
        user=user, showtime_id=showtime.pk, seat_ids=[seat.pk for seat in seats], hold=hold
    )


def seat(showtime, label: str):
    """The seat of the showtime's hall with this label, e.g. ``seat(show, "B3")``."""
    return showtime.hall.seats.get(row=label[0], number=int(label[1:]))
