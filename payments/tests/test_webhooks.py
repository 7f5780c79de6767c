"""Stripe's webhooks as localstripe sends them (signed by localstripe), replayed into the
app: confirmation, declines, refusals, replays, lapsed holds, and events out of order."""

import json
import logging
import time

import pytest

from bookings.models import ReservationSeat, ShowtimeCounters
from bookings.tests.factories import book, seat
from payments.models import Payment, PaymentStatus, WebhookEvent
from payments.tests.factories import (
    WEBHOOK_URL,
    checkout,
    deliver,
    lapse,
    only_payment,
    paid_at_stripe,
)
from payments.tests.stripe_helpers import CARD_DECLINED, intent_id_of, sign

pytestmark = pytest.mark.django_db


def post_signed(client, body: bytes):
    """A body the test made, signed with the test secret (localstripe cannot send it)."""
    return client.post(
        WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )


def test_paid_hold_becomes_confirmed_when_the_webhook_arrives(
    customer_client, anon_client, hold, stripe_on, recorder
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)

    response = deliver(anon_client, delivery)

    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "outcome": "confirmed"}
    body = customer_client.get(f"/api/reservations/{hold.pk}/").json()
    assert body["status"] == "CONFIRMED"
    assert body["expires_at"] is None
    assert body["payment"] == {"status": "paid", "amount": "30.00", "currency": "EUR"}
    payment = only_payment(hold)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.succeeded_at is not None
    seats = anon_client.get(f"/api/showtimes/{hold.showtime_id}/seats/").json()["seats"]
    assert {s["label"]: s["status"] for s in seats if s["status"] != "available"} == {
        "A1": "booked",
        "C1": "booked",
    }
    counters = ShowtimeCounters.objects.get(pk=hold.showtime_id)
    assert (counters.sold, counters.held) == (2, 0)
    # Confirmed like any other: a ticket per seat (and the confirmation email).
    tickets = customer_client.get(f"/api/reservations/{hold.pk}/tickets/").json()["results"]
    assert sorted(t["seat_label"] for t in tickets) == ["A1", "C1"]
    assert {t["status"] for t in tickets} == {"valid"}


@pytest.mark.parametrize("route", ["DELETE /api/reservations/{}/", "POST /api/bookings/{}/cancel/"])
def test_cancel_of_a_paid_reservation_refunds_it_at_stripe(
    customer_client,
    anon_client,
    hold,
    stripe_on,
    recorder,
    django_capture_on_commit_callbacks,
    route,
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    deliver(anon_client, delivery)
    method, path = route.split()

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(customer_client, method.lower())(path.format(hold.pk))

    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    payment = only_payment(hold)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refund_reference.startswith("re_")
    assert stripe_on.amount_refunded(payment.reference) == 3000
    hold.refresh_from_db()
    assert hold.payment_status == "refunded"
    assert not ReservationSeat.objects.filter(reservation=hold, active=True).exists()


def test_declined_card_fails_the_payment_keeps_the_hold_and_a_new_checkout_works(
    customer_client, anon_client, hold, stripe_on, recorder
):
    _, failed = paid_at_stripe(customer_client, hold, stripe_on, recorder, card=CARD_DECLINED)

    response = deliver(anon_client, failed)

    assert response.json()["outcome"] == "failed"
    payment = only_payment(hold)
    assert (payment.status, payment.reason, payment.detail) == (
        PaymentStatus.FAILED,
        "card_declined",
        "Your card was declined.",
    )
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("HELD", "failed")
    assert ReservationSeat.objects.filter(reservation=hold, active=True).count() == 2

    _, succeeded = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    assert deliver(anon_client, succeeded).json()["outcome"] == "confirmed"
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CONFIRMED", "paid")
    assert sorted(Payment.objects.filter(reservation=hold).values_list("status", flat=True)) == [
        "FAILED",
        "SUCCEEDED",
    ]


@pytest.mark.parametrize(
    "tamper",
    ["no signature", "another secret", "changed body", "not JSON", "too old"],
)
def test_bad_signature_is_400_and_changes_nothing(
    customer_client, anon_client, hold, stripe_on, recorder, tamper
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    changed = delivery.body.replace(b'"amount": 3000', b'"amount": 1')
    signature, body = {
        "no signature": ("", None),
        "another secret": (sign(delivery.body, "whsec_someone_else"), None),
        "changed body": (None, changed),
        "not JSON": (sign(b"{nope"), b"{nope"),
        "too old": (sign(delivery.body, timestamp=int(time.time()) - 600), None),
    }[tamper]

    response = deliver(anon_client, delivery, signature=signature, body=body)

    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_signature", "invalid_event"}
    assert only_payment(hold).status == PaymentStatus.PENDING
    assert WebhookEvent.objects.count() == 0
    hold.refresh_from_db()
    assert hold.status == "HELD"


def test_webhook_without_a_configured_secret_is_400(anon_client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = b'{"id": "evt_1", "type": "payment_intent.succeeded"}'

    response = post_signed(anon_client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"


def test_replayed_event_answers_200_and_does_nothing_twice(
    customer_client, anon_client, hold, stripe_on, recorder
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    first = deliver(anon_client, delivery)
    counters = ShowtimeCounters.objects.get(pk=hold.showtime_id)

    again = deliver(anon_client, delivery)

    assert (first.json()["outcome"], again.json()["outcome"]) == ("confirmed", "duplicate")
    assert again.status_code == 200
    assert WebhookEvent.objects.filter(event_id=delivery.event["id"]).count() == 1
    assert only_payment(hold).status == PaymentStatus.SUCCEEDED
    assert ShowtimeCounters.objects.get(pk=hold.showtime_id).sold == counters.sold == 2


def test_wrong_amount_is_refused_logged_and_given_back(
    customer_client,
    anon_client,
    hold,
    stripe_on,
    recorder,
    caplog,
    django_capture_on_commit_callbacks,
):
    body = checkout(customer_client, hold).json()
    intent_id = intent_id_of(body["client_secret"])
    # Someone with the secret key changes the amount before the card is charged.
    stripe_on.client().v1.payment_intents.update(intent_id, params={"amount": 100})
    stripe_on.pay(body["client_secret"])
    delivery = recorder.wait_for("payment_intent.succeeded", intent_id)

    with (
        caplog.at_level(logging.ERROR, logger="payments"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = deliver(anon_client, delivery)

    assert response.status_code == 200
    assert response.json()["outcome"] == "refused"
    assert "refused: amount 100 instead of 3000" in caplog.text
    payment = only_payment(hold)
    assert (payment.status, payment.reason) == (PaymentStatus.REFUNDED, "amount_mismatch")
    assert stripe_on.amount_refunded(intent_id) == 100
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("HELD", "refunded")


def test_lapsed_hold_paid_while_its_seats_are_still_free_is_confirmed(
    customer_client, anon_client, hold, stripe_on, recorder
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    lapse(hold)

    assert deliver(anon_client, delivery).json()["outcome"] == "confirmed"

    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CONFIRMED", "paid")
    claims = ReservationSeat.objects.filter(reservation=hold)
    assert [(c.active, c.hold_expires_at) for c in claims] == [(True, None), (True, None)]
    counters = ShowtimeCounters.objects.get(pk=hold.showtime_id)
    assert (counters.sold, counters.held) == (2, 0)


def test_lapsed_hold_whose_seat_was_taken_gets_its_money_back(
    customer_client,
    anon_client,
    other_customer,
    hold,
    stripe_on,
    recorder,
    caplog,
    django_capture_on_commit_callbacks,
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    lapse(hold)
    taker = book(user=other_customer, showtime=hold.showtime, seats=[seat(hold.showtime, "A1")])

    with (
        caplog.at_level(logging.WARNING, logger="payments"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = deliver(anon_client, delivery)

    assert response.json()["outcome"] == "refunded"
    assert "seats were taken" in caplog.text
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("EXPIRED", "refunded")
    payment = only_payment(hold)
    assert (payment.status, payment.reason) == (PaymentStatus.REFUNDED, "seats_taken")
    assert stripe_on.amount_refunded(payment.reference) == 3000
    live = ReservationSeat.objects.filter(showtime=hold.showtime, active=True)
    assert [claim.reservation_id for claim in live] == [taker.pk]
    counters = ShowtimeCounters.objects.get(pk=hold.showtime_id)
    assert (counters.sold, counters.held) == (1, 0)


def _renamed(delivery, event_type: str, event_id: str) -> bytes:
    event = delivery.event
    event["type"], event["id"] = event_type, event_id
    return json.dumps(event).encode()


def test_a_failure_reported_after_the_success_changes_nothing(
    customer_client, anon_client, hold, stripe_on, recorder
):
    """Events out of order (Stripe does not promise an order): localstripe cannot send
    a failure after a success, so this one is built from the success and signed with
    stripe-python's helper and the test secret."""
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    deliver(anon_client, delivery)
    late = _renamed(delivery, "payment_intent.payment_failed", "evt_late_failure")

    response = deliver(anon_client, delivery, body=late, signature=sign(late))

    assert response.json()["outcome"] == "stale"
    assert only_payment(hold).status == PaymentStatus.SUCCEEDED
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CONFIRMED", "paid")


def test_a_success_after_a_reported_failure_confirms(
    customer_client, anon_client, hold, stripe_on, recorder
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    early = _renamed(delivery, "payment_intent.payment_failed", "evt_early_failure")
    assert deliver(anon_client, delivery, body=early, signature=sign(early)).json() == {
        "received": True,
        "outcome": "failed",
    }

    assert deliver(anon_client, delivery).json()["outcome"] == "confirmed"
    assert only_payment(hold).status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize(
    "event",
    [
        {"id": "evt_other", "type": "charge.refunded", "data": {"object": {"id": "ch_1"}}},
        {
            "id": "evt_stranger",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_not_ours", "amount": 100, "currency": "eur"}},
        },
    ],
)
def test_events_that_are_not_ours_are_acknowledged_and_ignored(anon_client, stripe_on, event):
    body = json.dumps(event).encode()

    response = post_signed(anon_client, body)

    assert response.status_code == 200
    assert response.json()["outcome"] in {"ignored", "unknown_payment"}
    assert Payment.objects.count() == 0


def test_a_signed_event_of_the_wrong_shape_is_400(anon_client, stripe_on):
    body = b'{"id": "evt_x", "type": "payment_intent.succeeded", "data": {"object": 7}}'

    response = post_signed(anon_client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_event"


@pytest.mark.parametrize(
    "body",
    [
        # Nested deeper than Python's JSON parser recurses.
        b'{"id": "evt_deep", "type": "payment_intent.succeeded", "data": {"object": '
        + b"[" * 200_000
        + b"]" * 200_000
        + b"}}",
        # A lone surrogate: valid JSON, text no database column can hold.
        b'{"id": "evt_\\ud800", "type": "payment_intent.succeeded",'
        b' "data": {"object": {"id": "pi_x", "amount": 100, "currency": "eur"}}}',
        b'{"id": "evt_ok", "type": "payment_intent.succeeded",'
        b' "data": {"object": {"id": "pi_\\udfff", "amount": 100, "currency": "eur"}}}',
        # A number out of every range: 1e400 parses as infinity.
        b'{"id": "evt_big", "type": "payment_intent.succeeded",'
        b' "data": {"object": {"id": "pi_x", "amount": 1e400, "currency": "eur"}}}',
        b'{"id": "evt_nan", "type": "payment_intent.succeeded",'
        b' "data": {"object": {"id": "pi_x", "amount": NaN, "currency": "eur"}}}',
    ],
    ids=["deep", "surrogate in the event id", "surrogate in the intent id", "1e400", "NaN"],
)
def test_a_signed_hostile_body_is_400_logged_and_changes_nothing(
    anon_client, stripe_on, body, caplog
):
    with caplog.at_level("WARNING", logger="payments.services"):
        response = post_signed(anon_client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_event"
    assert WebhookEvent.objects.count() == 0
    assert any("webhook" in record.getMessage() for record in caplog.records)
