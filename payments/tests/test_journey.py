"""The whole paid journey over HTTP, as a customer and Stripe live it: the app runs as a
live server on a port of its own, localstripe delivers its signed webhooks to it.

hold -> checkout -> card confirmed at localstripe -> webhook -> CONFIRMED -> cancel ->
refund seen at localstripe.
"""

import time

import pytest
import requests
from pytest_django.live_server_helper import LiveServer

from bookings.tests.factories import seat
from payments.models import Payment, PaymentStatus, WebhookEvent
from payments.tests.factories import WEBHOOK_URL
from payments.tests.stripe_helpers import CARD_DECLINED, free_port, intent_id_of
from users.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(transactional_db, stripe_on, localstripe, recorder):
    """The app on 127.0.0.1:<port in 19200-19299>, receiving localstripe's webhooks."""
    server = LiveServer(f"127.0.0.1:{free_port()}")
    localstripe.configure_webhook("live", server.url + WEBHOOK_URL)
    yield server
    localstripe.configure_webhook("live", recorder.url)  # later events: recorded only
    server.stop()


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def login(self, username: str) -> None:
        response = self.call(
            "POST", "/api/auth/login/", {"username": username, "password": DEFAULT_PASSWORD}
        )
        self.session.headers["Authorization"] = f"Bearer {response.json()['access']}"

    def call(self, method: str, path: str, body=None, expect: int = 200) -> requests.Response:
        response = self.session.request(method, self.base + path, json=body, timeout=30)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response

    def wait_for(self, path: str, predicate, timeout: float = 20) -> dict:
        """Poll ``path`` until ``predicate(body)``: the webhook arrives about 1 s after
        the card is charged."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.call("GET", path).json()
            if predicate(body) or time.monotonic() > deadline:
                return body
            time.sleep(0.25)


@pytest.mark.parametrize("required", [False, True], ids=["payment optional", "PAYMENT_REQUIRED"])
def test_the_paid_journey_over_http(shop, customer, show, localstripe, settings, required):
    settings.PAYMENT_REQUIRED = required
    browser = Browser(shop.url)
    browser.login(customer.username)
    seats = [seat(show, "A1").pk, seat(show, "C2").pk]

    # Hold (with PAYMENT_REQUIRED on, a plain booking is a hold too).
    held = browser.call(
        "POST",
        "/api/reservations/",
        {"showtime": show.pk, "seats": seats, "hold": not required},
        expect=201,
    ).json()
    assert held["status"] == "HELD"
    reservation = f"/api/reservations/{held['id']}/"

    # Checkout: the price comes from the seats (12.00 + 18.00).
    payment = browser.call(
        "POST", f"{reservation}checkout/", {"provider": "stripe"}, expect=201
    ).json()
    assert (payment["amount"], payment["currency"], payment["status"]) == (
        "30.00",
        "EUR",
        "PENDING",
    )

    # The customer's browser pays at "Stripe"; Stripe's webhook confirms the seats.
    assert localstripe.pay(payment["client_secret"]) is None
    confirmed = browser.wait_for(reservation, lambda body: body["status"] == "CONFIRMED")
    assert confirmed["status"] == "CONFIRMED"
    assert confirmed["payment"] == {"status": "paid", "amount": "30.00", "currency": "EUR"}
    event = WebhookEvent.objects.get(payment_id=payment["id"])
    assert (event.type, event.outcome) == ("payment_intent.succeeded", "confirmed")
    seat_map = browser.call("GET", f"/api/showtimes/{show.pk}/seats/").json()
    assert seat_map["counts"]["booked"] == 2

    # Cancel: the seats are free at once and the refund is done before the answer.
    cancelled = browser.call("DELETE", reservation).json()
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["payment"]["status"] == "refunded"
    intent_id = intent_id_of(payment["client_secret"])
    assert localstripe.amount_refunded(intent_id) == 3000
    assert localstripe.intent(intent_id).latest_charge.refunded is True
    listed = browser.call("GET", "/api/payments/").json()["results"]
    assert [(p["id"], p["status"], p["reason"]) for p in listed] == [
        (payment["id"], "REFUNDED", "cancelled")
    ]
    assert browser.call("GET", f"/api/showtimes/{show.pk}/seats/").json()["counts"]["booked"] == 0


def test_a_declined_card_over_http_keeps_the_hold_for_another_try(
    shop, customer, show, localstripe
):
    browser = Browser(shop.url)
    browser.login(customer.username)
    held = browser.call(
        "POST",
        "/api/reservations/",
        {"showtime": show.pk, "seats": [seat(show, "B1").pk], "hold": True},
        expect=201,
    ).json()
    reservation = f"/api/reservations/{held['id']}/"
    first = browser.call("POST", f"{reservation}checkout/", {"provider": "stripe"}, expect=201)

    assert localstripe.pay(first.json()["client_secret"], CARD_DECLINED) == "card_declined"
    failed = browser.wait_for(reservation, lambda body: body["payment"]["status"] == "failed")

    assert failed["status"] == "HELD"
    assert failed["payment"]["status"] == "failed"
    assert Payment.objects.get(pk=first.json()["id"]).status == PaymentStatus.FAILED
    second = browser.call("POST", f"{reservation}checkout/", {"provider": "stripe"}, expect=201)
    assert second.json()["id"] != first.json()["id"]
    assert localstripe.pay(second.json()["client_secret"]) is None
    paid = browser.wait_for(reservation, lambda body: body["status"] == "CONFIRMED")
    assert paid["payment"]["status"] == "paid"
