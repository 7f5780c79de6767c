"""Steps of a payment as a customer, Stripe and staff take them, for the tests."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from bookings.models import Reservation, ReservationSeat
from payments.models import Payment
from payments.shift_services import shift_open, shift_open_for
from payments.tests.stripe_helpers import CARD_OK

WEBHOOK_URL = "/api/payments/stripe/webhook/"


def lapse(reservation) -> None:
    """The hold's time ran out (its row and its claims say so)."""
    past = timezone.now() - dt.timedelta(seconds=5)
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=past)
    ReservationSeat.objects.filter(reservation=reservation).update(hold_expires_at=past)


def checkout_url(reservation) -> str:
    return f"/api/reservations/{reservation.pk}/checkout/"


def pay_url(reservation) -> str:
    return f"/api/reservations/{reservation.pk}/pay/"


def checkout(client, reservation):
    return client.post(checkout_url(reservation), {"provider": "stripe"}, format="json")


def deliver(client, delivery, *, signature=None, body=None):
    """POST a webhook to the app as Stripe would: the raw body, its signature, no token."""
    return client.post(
        WEBHOOK_URL,
        data=delivery.body if body is None else body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=delivery.signature if signature is None else signature,
    )


def paid_at_stripe(client, reservation, localstripe, recorder, *, card=CARD_OK):
    """Checkout as the customer, pay with ``card`` at localstripe, and wait for the
    webhook localstripe sends. Returns (checkout body, the recorded delivery)."""
    response = checkout(client, reservation)
    assert response.status_code == 201, response.content
    body = response.json()
    declined = localstripe.pay(body["client_secret"], card)
    event = "payment_intent.payment_failed" if declined else "payment_intent.succeeded"
    intent_id = body["client_secret"].split("_secret_")[0]
    return body, recorder.wait_for(event, intent_id)


def only_payment(reservation) -> Payment:
    (payment,) = Payment.objects.filter(reservation=reservation)
    return payment


def open_shift(staff, opening_float="100.00"):
    """Open a shift at the till for ``staff`` (or return the open one): taking money at
    the counter needs one."""
    return shift_open_for(staff=staff) or shift_open(
        cashier=staff, opening_float=Decimal(opening_float)
    )


def on_shift(staff):
    """``staff``, with an open shift at the till."""
    open_shift(staff)
    return staff
