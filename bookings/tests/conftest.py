from decimal import Decimal

import pytest

from bookings.models import IdempotencyKey, Reservation, ReservationSeat
from cinema.tests.factories import HallFactory, ShowtimeFactory


def row_counts() -> dict:
    return {
        "reservations": Reservation.objects.count(),
        "claims": ReservationSeat.objects.count(),
        "live_claims": ReservationSeat.objects.filter(active=True).count(),
        "keys": IdempotencyKey.objects.count(),
    }


@pytest.fixture
def counts():
    """``counts()`` snapshots the booking tables, to show an error wrote nothing."""
    return row_counts


@pytest.fixture
def vip_price() -> Decimal:
    """The VIP price of ``show``; a test module may override it."""
    return Decimal("15.00")


@pytest.fixture
def show(db, vip_price):
    """A showtime in a hall of 3 rows of 4 seats (row C VIP), at 10.00 a seat."""
    hall = HallFactory(layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]})
    return ShowtimeFactory(hall=hall, price=Decimal("10.00"), vip_price=vip_price)
