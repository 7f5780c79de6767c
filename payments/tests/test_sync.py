"""sync_payments: lost webhooks, abandoned checkouts, and refunds retried until Stripe
has given the money back (once)."""

import datetime as dt
import logging
from io import StringIO

import pytest
import stripe
from django.core.management import CommandError, call_command
from django.utils import timezone

from bookings.models import Reservation, ReservationSeat
from payments.models import Payment, PaymentStatus
from payments.tests.factories import checkout, deliver, only_payment, paid_at_stripe
from payments.tests.stripe_helpers import CARD_DECLINED, intent_id_of
from testsupport.faultproxy import REFUSE, FaultProxy

pytestmark = pytest.mark.django_db


def sync(*args) -> str:
    out = StringIO()
    call_command("sync_payments", "--older-than", "0", *args, stdout=out)
    return out.getvalue()


def test_a_lost_success_webhook_is_applied_by_sync_payments(
    customer_client, anon_client, hold, stripe_on, recorder
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)  # never delivered

    assert "confirmed: 1" in sync()

    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CONFIRMED", "paid")
    assert only_payment(hold).status == PaymentStatus.SUCCEEDED
    # The webhook arrives after all: nothing happens twice.
    assert deliver(anon_client, delivery).json()["outcome"] == "already_applied"
    assert "Nothing to settle." in sync()


def test_a_lost_failure_webhook_is_applied_by_sync_payments(
    customer_client, hold, stripe_on, recorder
):
    paid_at_stripe(customer_client, hold, stripe_on, recorder, card=CARD_DECLINED)

    assert "failed: 1" in sync()

    payment = only_payment(hold)
    assert (payment.status, payment.reason) == (PaymentStatus.FAILED, "card_declined")
    hold.refresh_from_db()
    assert hold.status == "HELD"


def test_sync_only_looks_at_payments_pending_for_a_while(
    customer_client, hold, stripe_on, recorder
):
    paid_at_stripe(customer_client, hold, stripe_on, recorder)

    out = StringIO()
    call_command("sync_payments", stdout=out)  # default: pending for 10 minutes

    assert "Nothing to settle." in out.getvalue()
    assert only_payment(hold).status == PaymentStatus.PENDING


def test_sync_leaves_an_unpaid_intent_of_a_live_hold_open(customer_client, hold, stripe_on):
    checkout(customer_client, hold)

    assert "open: 1" in sync()
    assert only_payment(hold).status == PaymentStatus.PENDING


def test_sync_cancels_an_unpaid_intent_whose_hold_lapsed(customer_client, hold, stripe_on):
    body = checkout(customer_client, hold).json()
    past = timezone.now() - dt.timedelta(seconds=1)
    Reservation.objects.filter(pk=hold.pk).update(expires_at=past)
    ReservationSeat.objects.filter(reservation=hold).update(hold_expires_at=past)

    assert "cancelled: 1" in sync()

    assert only_payment(hold).status == PaymentStatus.CANCELLED
    assert stripe_on.intent(intent_id_of(body["client_secret"])).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):  # the browser can no longer pay it
        stripe_on.pay(body["client_secret"])


def test_sync_fails_a_checkout_that_never_got_its_intent(hold, stripe_on):
    payment = Payment.objects.create(
        reservation=hold, provider="stripe", method="card", amount="30.00", currency="EUR"
    )
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=30)
    )

    assert "abandoned: 1" in sync()

    payment.refresh_from_db()
    assert (payment.status, payment.reason) == (PaymentStatus.FAILED, "checkout_abandoned")


def _stripe_refused(stripe_on, settings):
    host, port = stripe_on.url.removeprefix("http://").split(":")
    proxy = FaultProxy((host, int(port)), ports=range(19200, 19300)).start()
    proxy.set_mode(REFUSE)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{proxy.port}"
    return proxy


def test_refund_that_fails_leaves_the_seats_free_and_is_retried_until_done(
    customer_client,
    anon_client,
    hold,
    stripe_on,
    recorder,
    settings,
    caplog,
    django_capture_on_commit_callbacks,
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    deliver(anon_client, delivery)
    proxy = _stripe_refused(stripe_on, settings)
    try:
        with (
            caplog.at_level(logging.ERROR, logger="payments"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = customer_client.delete(f"/api/reservations/{hold.pk}/")
        with pytest.raises(CommandError, match="run sync_payments again"):
            sync()
    finally:
        proxy.stop()
        settings.STRIPE_API_BASE = stripe_on.url

    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    assert not ReservationSeat.objects.filter(reservation=hold, active=True).exists()
    payment = only_payment(hold)
    assert payment.status == PaymentStatus.REFUND_FAILED
    assert "sync_payments retries it" in caplog.text
    hold.refresh_from_db()
    assert hold.payment_status == "refund_failed"
    assert stripe_on.amount_refunded(payment.reference) == 0

    assert "refund REFUNDED: 1" in sync()

    assert only_payment(hold).status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(payment.reference) == 3000
    hold.refresh_from_db()
    assert hold.payment_status == "refunded"
    assert "Nothing to settle." in sync()
    assert stripe_on.amount_refunded(payment.reference) == 3000


def test_a_refund_done_at_stripe_but_not_recorded_is_not_made_twice(
    customer_client, anon_client, hold, stripe_on, recorder
):
    """The process died between Stripe's refund and our record of it."""
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    deliver(anon_client, delivery)
    payment = only_payment(hold)
    stripe_on.client().v1.refunds.create(params={"payment_intent": payment.reference})
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.REFUND_PENDING,
        succeeded=None,
        updated_at=timezone.now() - dt.timedelta(minutes=5),
    )

    assert "refund REFUNDED: 1" in sync()
    assert stripe_on.amount_refunded(payment.reference) == 3000


def test_a_refund_just_recorded_is_left_to_its_request(hold, stripe_on):
    Payment.objects.create(
        reservation=hold,
        provider="stripe",
        method="card",
        amount="30.00",
        currency="EUR",
        reference="pi_just_now",
        status=PaymentStatus.REFUND_PENDING,
    )

    assert "Nothing to settle." in sync()
