from decimal import Decimal

import pytest

from cinema.tests.factories import HallFactory, ShowtimeFactory
from payments.tests.factories import open_shift
from testsupport.testing import client_for
from users.tests.factories import CashierFactory, UsherFactory


@pytest.fixture
def cashier(db):
    """A cashier at work: with an open shift (a float of 100.00), which selling needs."""
    cashier = CashierFactory()
    open_shift(cashier)
    return cashier


@pytest.fixture
def usher(db):
    return UsherFactory()


@pytest.fixture
def cashier_client(cashier):
    return client_for(cashier)


@pytest.fixture
def show(db):
    """A showtime in a hall of 3 rows of 4 seats (row C VIP) at 12.00 and 18.00."""
    hall = HallFactory(layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]})
    return ShowtimeFactory(hall=hall, price=Decimal("12.00"), vip_price=Decimal("18.00"))
