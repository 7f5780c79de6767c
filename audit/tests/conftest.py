import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from payments.tests.factories import on_shift
from testsupport.testing import client_for
from users.tests.factories import AdminFactory, CashierFactory, UsherFactory


@pytest.fixture
def show(db):
    """Starts in 10 minutes (doors open, still on sale); 3 rows of 4 seats, row C VIP."""
    return ShowtimeFactory(
        hall=HallFactory(layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]}),
        movie=MovieFactory(title="Orbit of Ashes", duration_minutes=100),
        start_time=timezone.now() + dt.timedelta(minutes=10),
        price=Decimal("10.00"),
        vip_price=Decimal("15.00"),
    )


@pytest.fixture
def cashier(db):
    """On shift at the till: selling and taking money at the counter need one."""
    return on_shift(CashierFactory(username="carla"))


@pytest.fixture
def usher(db):
    return UsherFactory(username="ursula")


@pytest.fixture
def boss(db):
    return on_shift(AdminFactory(username="boss"))


@pytest.fixture
def cashier_api(cashier):
    return client_for(cashier)


@pytest.fixture
def boss_api(boss):
    return client_for(boss)


@pytest.fixture
def cashier_admin(cashier):
    client = Client()
    client.force_login(cashier)
    return client


@pytest.fixture
def boss_admin(boss):
    client = Client()
    client.force_login(boss)
    return client
