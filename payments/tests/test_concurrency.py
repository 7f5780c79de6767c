"""Money and seats under real concurrency (MariaDB; threads released by a barrier, each
with its own connection; refunds really reach localstripe after each commit)."""

import time

import pytest
import stripe

from bookings import services as booking_services
from bookings.exceptions import SeatsUnavailable
from bookings.models import Reservation, ReservationSeat, ReservationStatus, ShowtimeCounters
from bookings.tests.factories import book, seat
from payments.models import Payment, PaymentStatus, WebhookEvent
from payments.tests.factories import checkout, deliver, lapse, only_payment, paid_at_stripe
from payments.tests.stripe_helpers import intent_id_of
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]

# Rounds of a race: (seat, delay of the first party, delay of the second party). Two
# rounds are released together; in the others one party starts a second late, so that
# both orders are seen whatever the machine's speed.
ROUNDS = [("A1", 0, 0), ("A2", 1.0, 0), ("A3", 0, 1.0), ("A4", 0, 0)]


def assert_money_and_seats_agree(localstripe) -> None:
    """No captured payment without its seats, no refunded payment whose money stayed,
    and no confirmed reservation with more than one payment taken."""
    for payment in Payment.objects.select_related("reservation"):
        reservation = payment.reservation
        live = ReservationSeat.objects.filter(reservation=reservation, active=True).count()
        if payment.status == PaymentStatus.SUCCEEDED:
            assert reservation.status == ReservationStatus.CONFIRMED
            assert live == reservation.seats.count() > 0
            if payment.reference:
                assert localstripe.amount_refunded(payment.reference) == 0
        if payment.status == PaymentStatus.REFUNDED and payment.reference:
            intent = localstripe.intent(payment.reference)
            assert intent.latest_charge.amount_refunded == intent.amount
        assert payment.status not in (PaymentStatus.REFUND_PENDING, PaymentStatus.REFUND_FAILED)
    for reservation in Reservation.objects.filter(status=ReservationStatus.CONFIRMED):
        assert reservation.payments.filter(status=PaymentStatus.SUCCEEDED).count() <= 1


def test_webhook_for_a_lapsed_hold_racing_a_booking_of_its_seat(
    customer, other_customer, show, stripe_on, recorder
):
    """Each round: the customer paid, but only after the hold lapsed; Stripe's webhook
    and another customer's booking of the same seat arrive together. Exactly one of
    them owns the seat; if it is not the payer, the payer's money goes back."""
    outcomes = set()
    for label, *delays in ROUNDS:
        hold = book(user=customer, showtime=show, seats=[seat(show, label)], hold=True)
        _, delivery = paid_at_stripe(client_for(customer), hold, stripe_on, recorder)
        lapse(hold)

        def act(i, delivery=delivery, label=label, delays=delays):
            time.sleep(delays[i])
            if i == 0:
                return deliver(client_for(None), delivery).json()["outcome"]
            try:
                return booking_services.reservation_create(
                    user=other_customer, showtime_id=show.pk, seat_ids=[seat(show, label).pk]
                )
            except SeatsUnavailable as exc:
                return exc

        webhook, booking = run_concurrently(act, 2)

        live = ReservationSeat.objects.filter(showtime=show, seat=seat(show, label), active=True)
        assert live.count() == 1
        hold.refresh_from_db()
        payment = only_payment(hold)
        if isinstance(booking, SeatsUnavailable):
            assert webhook == "confirmed"
            assert live.get().reservation_id == hold.pk
            assert (hold.status, payment.status) == ("CONFIRMED", PaymentStatus.SUCCEEDED)
            assert stripe_on.amount_refunded(payment.reference) == 0
        else:
            assert webhook == "refunded", (webhook, booking)
            assert live.get().reservation_id == booking.reservation.pk
            assert (hold.status, payment.status) == ("EXPIRED", PaymentStatus.REFUNDED)
            assert stripe_on.amount_refunded(payment.reference) == 1200
        outcomes.add(webhook)
    assert outcomes == {"confirmed", "refunded"}
    counters = ShowtimeCounters.objects.get(pk=show.pk)
    assert (counters.sold, counters.held) == (4, 0)
    assert_money_and_seats_agree(stripe_on)


def test_simultaneous_deliveries_of_one_event_are_handled_once(customer, hold, stripe_on, recorder):
    _, delivery = paid_at_stripe(client_for(customer), hold, stripe_on, recorder)

    results = run_concurrently(lambda i: deliver(client_for(None), delivery), 8)

    # Each success is read back from Stripe first, and at most STRIPE_MAX_CONCURRENT_CALLS
    # threads wait on Stripe at once: a delivery beyond them is 503 (changing nothing),
    # and Stripe sends it again.
    outcomes = sorted(
        r.json()["outcome"] if r.status_code == 200 else r.json()["code"] for r in results
    )
    assert outcomes.count("confirmed") == 1
    assert set(outcomes) <= {"confirmed", "duplicate", "payment_provider_unavailable"}
    assert deliver(client_for(None), delivery).json()["outcome"] == "duplicate"
    assert WebhookEvent.objects.filter(event_id=delivery.event["id"]).count() == 1
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CONFIRMED", "paid")
    counters = ShowtimeCounters.objects.get(pk=hold.showtime_id)
    assert (counters.sold, counters.held) == (2, 0)
    assert stripe_on.amount_refunded(only_payment(hold).reference) == 0
    assert_money_and_seats_agree(stripe_on)


def test_webhook_racing_the_customers_cancel_never_keeps_the_money(
    customer, show, stripe_on, recorder
):
    """Several rounds: the success webhook and the customer's cancel arrive together.
    Whichever wins, the reservation ends CANCELLED with its seats free and its money
    refunded in full at Stripe."""
    customer_client = client_for(customer)
    outcomes = set()
    for label, *delays in ROUNDS:
        hold = book(user=customer, showtime=show, seats=[seat(show, label)], hold=True)
        _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)

        def act(i, delivery=delivery, hold=hold, delays=delays):
            time.sleep(delays[i])
            if i == 0:
                return deliver(client_for(None), delivery)
            return customer_client.delete(f"/api/reservations/{hold.pk}/")

        webhook, cancel = run_concurrently(act, 2)
        # "confirmed": the webhook came first and the cancel refunded a paid reservation;
        # "refunded" or "already_applied": the cancel came first.
        outcomes.add(webhook.json()["outcome"] == "confirmed")

        assert (webhook.status_code, cancel.status_code) == (200, 200)
        hold.refresh_from_db()
        assert hold.status == ReservationStatus.CANCELLED
        assert not ReservationSeat.objects.filter(reservation=hold, active=True).exists()
        payment = only_payment(hold)
        assert payment.status == PaymentStatus.REFUNDED, (payment.status, webhook.json())
        assert stripe_on.amount_refunded(payment.reference) == 1200
        assert hold.payment_status == "refunded"
    assert outcomes == {True, False}
    counters = ShowtimeCounters.objects.get(pk=show.pk)
    assert (counters.sold, counters.held) == (0, 0)
    assert_money_and_seats_agree(stripe_on)


def test_cancel_racing_the_card_payment_either_stops_it_or_refunds_it(
    customer, show, stripe_on, recorder
):
    """The customer's browser confirms the card while the customer cancels in another
    tab: either the cancel stopped the PaymentIntent first (no money taken) or the
    money was taken and is refunded. Never money kept for a cancelled seat."""
    customer_client = client_for(customer)
    seen = set()
    for (_, *delays), label in zip(ROUNDS, ("B1", "B2", "B3", "B4"), strict=True):
        hold = book(user=customer, showtime=show, seats=[seat(show, label)], hold=True)
        body = checkout(customer_client, hold).json()
        intent_id = intent_id_of(body["client_secret"])
        stripe_on.attach_card(intent_id)
        browser = stripe_on.client()

        def act(i, hold=hold, intent_id=intent_id, browser=browser, delays=delays):
            time.sleep(delays[i])
            if i == 0:
                try:
                    return browser.v1.payment_intents.confirm(intent_id).status
                except stripe.InvalidRequestError:
                    return "refused"  # already cancelled
            return customer_client.delete(f"/api/reservations/{hold.pk}/").status_code

        paid, cancelled = run_concurrently(act, 2)
        assert cancelled == 200
        if paid == "succeeded":
            # The webhook comes too; whatever the order, the money is refunded once.
            delivery = recorder.wait_for("payment_intent.succeeded", intent_id)
            assert deliver(client_for(None), delivery).status_code == 200
            payment = only_payment(hold)
            assert payment.status == PaymentStatus.REFUNDED
            assert stripe_on.amount_refunded(intent_id) == 1200
        else:
            assert only_payment(hold).status == PaymentStatus.CANCELLED
            assert stripe_on.intent(intent_id).status == "canceled"
            assert stripe_on.amount_refunded(intent_id) == 0
        seen.add(paid)
    assert seen == {"succeeded", "refused"}
    assert_money_and_seats_agree(stripe_on)
