import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory


@pytest.fixture
def later_show(db):
    """Starts in two days, in a hall of 3 rows of 4 seats (row C VIP), 10.00 / 15.00 a
    seat."""
    hall = HallFactory(layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]})
    return ShowtimeFactory(
        hall=hall,
        movie=MovieFactory(title="Orbit of Ashes", duration_minutes=100),
        start_time=timezone.now() + dt.timedelta(days=2),
        price=Decimal("10.00"),
        vip_price=Decimal("15.00"),
    )
