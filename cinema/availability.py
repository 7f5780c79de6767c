"""How many seats of a showtime are free: the booking engine's to say.

The booking engine owns the seat claims and keeps counters of them; it hands its
expression over when the apps are ready (``bookings.apps``), so the catalogue lists
availability without importing the booking engine. Without one every seat is free.
"""

import datetime as dt
from collections.abc import Callable

from django.db.models import Expression, F


def _every_seat_free(now: dt.datetime) -> Expression:
    return F("hall__capacity")


_available_seats: Callable[[dt.datetime], Expression] = _every_seat_free


def provide_available_seats(expression: Callable[[dt.datetime], Expression]) -> None:
    """Set how ``available_seats`` is computed for a Showtime queryset at a moment."""
    global _available_seats
    _available_seats = expression


def available_seats(now) -> Expression:
    """The free seats of each showtime in a Showtime queryset at ``now``."""
    return _available_seats(now)
