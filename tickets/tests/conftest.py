import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from notifications.testing import smtp_server  # noqa: F401  (a fixture)


def showtime_starting_in(minutes: float, **kwargs):
    """A showtime in a hall of 3 rows of 4 seats (row C VIP), 10.00 / 15.00 a seat."""
    hall = HallFactory(layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]})
    return ShowtimeFactory(
        hall=hall,
        movie=MovieFactory(title="Orbit of Ashes", duration_minutes=100),
        start_time=timezone.now() + dt.timedelta(minutes=minutes),
        price=Decimal("10.00"),
        vip_price=Decimal("15.00"),
        **kwargs,
    )


@pytest.fixture
def show(db):
    """Starts in 10 minutes: its doors are open (DOORS_OPEN_MINUTES, 30)."""
    return showtime_starting_in(10)


@pytest.fixture
def later_show(db):
    """Starts in two days: its doors are closed."""
    return showtime_starting_in(2 * 24 * 60)
