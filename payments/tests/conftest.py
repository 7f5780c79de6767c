from decimal import Decimal

import pytest

from bookings.tests.factories import book, seat
from cinema.tests.factories import HallFactory, ShowtimeFactory
from notifications.testing import smtp_server  # noqa: F401  (a fixture)
from payments.tests.stripe_helpers import SECRET_KEY, WEBHOOK_SECRET, LocalStripe, WebhookRecorder


@pytest.fixture(scope="session")
def recorder():
    recorder = WebhookRecorder().start()
    yield recorder
    recorder.stop()


@pytest.fixture(scope="session")
def localstripe(recorder):
    """localstripe for the session, delivering every webhook to ``recorder``."""
    server = LocalStripe().start()
    server.configure_webhook("recorder", recorder.url)
    yield server
    server.stop()


@pytest.fixture
def stripe_on(settings, localstripe):
    """Stripe enabled, against localstripe, with short timeouts and no retries."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_CONNECT_TIMEOUT = 1
    settings.STRIPE_TIMEOUT = 5
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return localstripe


@pytest.fixture
def payment_required(settings):
    settings.PAYMENT_REQUIRED = True


@pytest.fixture
def show(db):
    """A showtime in a hall of 3 rows of 4 seats (row C VIP) at 12.00 and 18.00."""
    hall = HallFactory(layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]})
    return ShowtimeFactory(hall=hall, price=Decimal("12.00"), vip_price=Decimal("18.00"))


@pytest.fixture
def hold(show, customer):
    """The customer's hold on A1 and C1 (12.00 + 18.00)."""
    return book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "C1")], hold=True)
