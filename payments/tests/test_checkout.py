"""Checkout against localstripe: the server's price, one PaymentIntent, the hold
extended once, and what a customer sees when Stripe is off or down."""

import datetime as dt
import os
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings.models import Reservation, ReservationSeat, ShowtimeCounters
from bookings.tests.factories import book, seat
from payments import gateway, services
from payments.models import Payment, PaymentStatus
from payments.tests.factories import checkout, checkout_url, only_payment
from payments.tests.stripe_helpers import CARD_DECLINED, intent_id_of
from testsupport.faultproxy import BLACKHOLE, REFUSE, FaultProxy

pytestmark = pytest.mark.django_db


def test_checkout_creates_an_intent_for_the_price_of_the_claimed_seats(
    customer_client, hold, stripe_on
):
    response = customer_client.post(
        checkout_url(hold), {"provider": "stripe", "amount": "0.01"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    payment = only_payment(hold)
    assert body == {
        "id": payment.pk,
        "reservation": hold.pk,
        "status": "PENDING",
        "amount": "30.00",
        "currency": "EUR",
        "provider": "stripe",
        "client_secret": payment.client_secret,
        "expires_at": body["expires_at"],
    }
    intent = stripe_on.intent(intent_id_of(body["client_secret"]))
    assert intent.id == payment.reference
    assert (intent.amount, intent.currency) == (3000, "eur")
    assert intent.metadata.to_dict() == {
        "marquee_payment": str(payment.pk),
        "marquee_reservation": str(hold.pk),
    }
    assert customer_client.get(f"/api/reservations/{hold.pk}/").json()["payment"] == {
        "status": "pending",
        "amount": "30.00",
        "currency": "EUR",
    }


def test_checkout_uses_the_currency_setting(customer_client, hold, stripe_on, settings):
    settings.CURRENCY = "JPY"  # the stored prices stay 30.00
    response = checkout(customer_client, hold)

    assert response.json()["currency"] == "JPY"
    intent = stripe_on.intent(intent_id_of(response.json()["client_secret"]))
    assert (intent.amount, intent.currency) == (30, "jpy")  # JPY has no minor unit


def test_second_checkout_returns_the_pending_payment_and_creates_no_intent(
    customer_client, hold, stripe_on
):
    def intents_at_stripe() -> int:
        return len(stripe_on.client().v1.payment_intents.list(params={"limit": 1000}).data)

    first = checkout(customer_client, hold)
    before = intents_at_stripe()
    second = checkout(customer_client, hold)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert Payment.objects.filter(reservation=hold).count() == 1
    assert intents_at_stripe() == before


def test_first_checkout_extends_the_hold_to_the_payment_window_once(
    customer, hold, stripe_on, settings
):
    settings.PAYMENT_WINDOW_MINUTES = 15
    started = hold.created_at
    first = services.payment_checkout(reservation_id=hold.pk, user=customer, provider="stripe")
    window = first.payment.created_at + dt.timedelta(minutes=15)

    hold.refresh_from_db()
    assert abs((hold.expires_at - window).total_seconds()) < 1
    assert hold.expires_at > started + dt.timedelta(minutes=settings.HOLD_MINUTES)
    claims = ReservationSeat.objects.filter(reservation=hold)
    assert {claim.hold_expires_at for claim in claims} == {hold.expires_at}
    assert ShowtimeCounters.objects.get(pk=hold.showtime_id).holds_lapse_at == hold.expires_at

    # The card is declined; a second checkout ten minutes later does not extend again.
    assert stripe_on.pay(first.payment.client_secret, CARD_DECLINED) == "card_declined"
    Payment.objects.filter(pk=first.payment.pk).update(status=PaymentStatus.FAILED)
    later = timezone.now() + dt.timedelta(minutes=10)
    second = services.payment_checkout(
        reservation_id=hold.pk, user=customer, provider="stripe", now=later
    )
    assert second.created
    hold.refresh_from_db()
    assert hold.expires_at == first.expires_at


def test_checkout_refusals(customer_client, other_client, admin_client, customer, show, stripe_on):
    confirmed = book(user=customer, showtime=show, seats=[seat(show, "B1")])
    lapsed = book(user=customer, showtime=show, seats=[seat(show, "B2")], hold=True)
    Reservation.objects.filter(pk=lapsed.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    held = book(user=customer, showtime=show, seats=[seat(show, "B3")], hold=True)

    def code(client, reservation, body=None):
        response = client.post(
            checkout_url(reservation),
            {"provider": "stripe"} if body is None else body,
            format="json",
        )
        data = response.json()
        return response.status_code, data.get("code", data)

    assert code(customer_client, confirmed) == (409, "already_confirmed")
    assert code(customer_client, lapsed) == (409, "hold_expired")
    assert code(other_client, held) == (404, "not_found")
    assert code(admin_client, held) == (403, "not_owner")
    assert code(customer_client, held, {"provider": "paypal"})[0] == 400
    assert code(customer_client, held, {})[0] == 400
    assert Payment.objects.count() == 0


def test_checkout_with_stripe_off_is_400_and_the_demo_needs_no_key(customer_client, hold):
    response = checkout(customer_client, hold)

    assert response.status_code == 400
    assert response.json()["code"] == "provider_disabled"
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("mode", [REFUSE, BLACKHOLE])
def test_checkout_with_stripe_down_is_a_fast_503_and_takes_nothing(
    customer_client, hold, stripe_on, settings, mode
):
    host, port = stripe_on.url.removeprefix("http://").split(":")
    with FaultProxy((host, int(port)), ports=range(19200, 19300)) as proxy:
        proxy.set_mode(mode)
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{proxy.port}"
        settings.STRIPE_TIMEOUT = 1
        started = time.monotonic()
        response = checkout(customer_client, hold)
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["code"] == "payment_provider_unavailable"
    assert response["Retry-After"] == "5"
    assert elapsed < 4, elapsed  # connect 1 s / read 1 s, no retry in this test
    payment = only_payment(hold)
    assert (payment.status, payment.reason, payment.reference) == (
        PaymentStatus.FAILED,
        "provider_unavailable",
        None,
    )
    hold.refresh_from_db()
    assert hold.status == "HELD"
    assert hold.payment_status == "failed"

    # Stripe is back: a checkout works.
    settings.STRIPE_API_BASE = stripe_on.url
    again = checkout(customer_client, hold)
    assert again.status_code == 201
    assert Decimal(again.json()["amount"]) == Decimal("30.00")


def test_checkout_the_provider_refuses_is_a_422_not_a_retry_forever_503(
    customer_client, hold, stripe_on, monkeypatch
):
    """Stripe refuses some payments for good (an amount under its minimum charge, say):
    telling the client to retry after 5 s would be a lie."""

    def refuse(**kwargs):
        raise gateway.ProviderRefused("Amount must be at least €0.50 eur", code="amount_too_small")

    monkeypatch.setattr(gateway, "create_intent", refuse)

    response = checkout(customer_client, hold)

    assert response.status_code == 422
    assert response.json()["code"] == "payment_provider_refused"
    assert "pay at the box office" in response.json()["detail"]
    assert "Retry-After" not in response
    payment = only_payment(hold)
    assert (payment.status, payment.reason) == (PaymentStatus.FAILED, "provider_refused")
    assert "at least €0.50" in payment.detail  # Stripe's words, for staff
    hold.refresh_from_db()
    assert hold.status == "HELD"


def _start_with(currency: str) -> subprocess.CompletedProcess:
    """Django set up in a fresh interpreter, as every start (gunicorn, manage.py) does."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "CURRENCY": currency, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("currency", ["KWD", "bhd"])
def test_a_three_decimal_currency_stops_the_app_from_starting(currency):
    """The app refuses to start rather than charge a tenth of each price."""
    started = _start_with(currency)

    assert started.returncode != 0
    assert f"CURRENCY={currency.upper()} has three decimals" in started.stderr


@pytest.mark.parametrize("currency", ["EUR", "JPY"])
def test_two_and_zero_decimal_currencies_start(currency):
    started = _start_with(currency)

    assert started.returncode == 0, started.stderr
