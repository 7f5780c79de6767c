"""Stripe's side of the story: refunds and disputes made in Stripe's Dashboard, and
successes applied only as Stripe's own copy of the PaymentIntent says.

The refunds are made at localstripe, as the Dashboard would make them. localstripe sends
no ``charge.refunded`` event and knows no disputes, so those events are built by the test
from localstripe's own charge (or by hand, for disputes) and signed with stripe-python's
helper and the test secret, as in test_webhooks.py."""

import datetime as dt
import json
import uuid

import pytest
import stripe
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from bookings.models import ReservationSeat
from notifications.delivery import deliver_due
from payments import gateway
from payments.models import Flag, PaymentStatus, WebhookEvent
from payments.selectors import money_figures
from payments.tests.factories import checkout, deliver, only_payment, paid_at_stripe
from payments.tests.stripe_helpers import intent_id_of, sign
from tickets.models import Ticket, TicketStatus
from tickets.services import ticket_check_in
from users.tests.factories import CashierFactory

pytestmark = pytest.mark.django_db

STATS = "/api/admin/stats/"


def signed_post(client, event: dict):
    body = json.dumps(event).encode()
    return client.post(
        "/api/payments/stripe/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body),
    )


def event(event_type: str, obj: dict) -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": event_type,
        "data": {"object": obj},
    }


def dashboard_refund(localstripe, intent_id: str, amount: int | None = None) -> dict:
    """A refund made in Stripe's Dashboard (at localstripe), and the charge.refunded event
    Stripe would send: localstripe's charge with its refunds."""
    params = {"payment_intent": intent_id}
    if amount is not None:
        params["amount"] = amount
    refund = localstripe.client().v1.refunds.create(params=params)
    charge = localstripe.client().v1.charges.retrieve(refund.charge).to_dict()
    charge["payment_intent"] = intent_id
    charge["refunds"] = {"object": "list", "data": [refund.to_dict()]}
    return event("charge.refunded", charge)


def dispute(intent_id: str, status: str, amount: int = 3000) -> dict:
    return {
        "id": "dp_marquee_1",
        "object": "dispute",
        "charge": "ch_disputed",
        "payment_intent": intent_id,
        "amount": amount,
        "currency": "eur",
        "status": status,
        "reason": "fraudulent",
    }


@pytest.fixture
def paid(customer_client, anon_client, hold, stripe_on, recorder):
    """The customer's hold on A1 and C1 (30.00), paid online and confirmed."""
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    assert deliver(anon_client, delivery).json()["outcome"] == "confirmed"
    return only_payment(hold)


def _money(show) -> dict:
    """The money figures of the day around the showtime."""
    return money_figures(
        start=show.start_time - dt.timedelta(days=1), end=show.start_time + dt.timedelta(days=1)
    )


def _seat_statuses(client, show) -> dict:
    seats = client.get(f"/api/showtimes/{show.pk}/seats/").json()["seats"]
    return {s["label"]: s["status"] for s in seats if s["status"] != "available"}


# --- refunds made in Stripe's Dashboard ---------------------------------------------------
def test_a_full_dashboard_refund_cancels_frees_the_seats_voids_and_emails(
    anon_client,
    customer_client,
    hold,
    paid,
    stripe_on,
    smtp_server,
    django_capture_on_commit_callbacks,
):
    refunded = dashboard_refund(stripe_on, paid.reference)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(anon_client, refunded)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "cancelled"}
    body = customer_client.get(f"/api/reservations/{hold.pk}/").json()
    assert body["status"] == "CANCELLED"
    assert body["payment"]["status"] == "refunded"
    payment = only_payment(hold)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refund_reference.startswith("re_")
    assert payment.reason == "refunded_at_stripe"
    assert _seat_statuses(anon_client, hold.showtime) == {}
    assert set(Ticket.objects.filter(reservation=hold).values_list("status", flat=True)) == {
        TicketStatus.VOID
    }
    # Marquee asked Stripe for no second refund.
    assert stripe_on.amount_refunded(payment.reference) == 3000
    assert len(stripe_on.client().v1.refunds.list(params={"payment_intent": paid.reference})) == 1
    deliver_due()
    cancellation = smtp_server.messages[-1]
    assert cancellation["Subject"].startswith("Cancelled: ")
    assert "30.00 EUR refunded to your card" in cancellation.get_body(("plain",)).get_content()
    money = _money(hold.showtime)
    assert (money["taken"], money["refunded"], money["net"]) == (30, 30, 0)

    # Stripe sends it again: applied once.
    again = signed_post(anon_client, refunded)
    assert again.json()["outcome"] == "duplicate"
    assert WebhookEvent.objects.filter(type="charge.refunded").count() == 1


def test_a_dashboard_refund_after_check_in_is_recorded_and_flagged_not_cancelled(
    anon_client, customer_client, hold, paid, stripe_on, admin_user
):
    ticket = Ticket.objects.filter(reservation=hold).order_by("pk").first()
    ticket_check_in(code=ticket.code, by=admin_user, now=hold.showtime.start_time)

    response = signed_post(anon_client, dashboard_refund(stripe_on, paid.reference))

    assert response.status_code == 200
    assert response.json()["outcome"] == "refunded_checked_in"
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CONFIRMED", "refunded")
    payment = only_payment(hold)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.flag == Flag.REFUNDED_AFTER_CHECK_IN
    assert "after a ticket was used" in payment.flag_reason
    assert _seat_statuses(anon_client, hold.showtime) == {"A1": "booked", "C1": "booked"}
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.USED


def test_a_partial_dashboard_refund_is_recorded_and_flagged_the_reservation_stays(
    anon_client, customer_client, admin_client, hold, paid, stripe_on
):
    first = dashboard_refund(stripe_on, paid.reference, amount=1000)

    response = signed_post(anon_client, first)

    assert response.json()["outcome"] == "partially_refunded"
    payment = only_payment(hold)
    assert (payment.status, str(payment.refunded_amount)) == (PaymentStatus.SUCCEEDED, "10.00")
    assert payment.flag == Flag.PARTIAL_REFUND
    assert payment.flag_reason.startswith("10.00 of 30.00 EUR refunded")
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CONFIRMED", "paid")
    (listed,) = customer_client.get("/api/payments/").json()["results"]
    assert (listed["status"], listed["refunded_amount"]) == ("SUCCEEDED", "10.00")
    day = timezone.localdate(hold.showtime.start_time).isoformat()
    money = admin_client.get(STATS, {"from": day, "to": day}).json()["money"]
    assert (money["taken"], money["refunded"], money["net"]) == ("30.00", "10.00", "20.00")

    # A second partial refund (15.00 more), then the first event again with a new id
    # (out of order): the larger sum stays.
    assert signed_post(anon_client, dashboard_refund(stripe_on, paid.reference, amount=1500))
    first["id"] = "evt_first_again"
    assert signed_post(anon_client, first).json()["outcome"] == "already_applied"
    assert str(only_payment(hold).refunded_amount) == "25.00"


def test_a_failed_refund_made_in_the_dashboard_instead_is_recorded_once(
    anon_client,
    customer_client,
    hold,
    paid,
    stripe_on,
    settings,
    capsys,
    django_capture_on_commit_callbacks,
):
    """Marquee's refund failed (Stripe unreachable); staff refund it in the Dashboard;
    Stripe's charge.refunded settles it, and sync_payments has nothing left to do."""
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_client.delete(f"/api/reservations/{hold.pk}/").status_code == 200
    assert only_payment(hold).status == PaymentStatus.REFUND_FAILED
    settings.STRIPE_API_BASE = stripe_on.url
    gateway.guard.reset()

    response = signed_post(anon_client, dashboard_refund(stripe_on, paid.reference))

    assert response.json()["outcome"] == "refunded"
    payment = only_payment(hold)
    assert (payment.status, payment.reason, payment.flag) == (
        PaymentStatus.REFUNDED,
        "cancelled",
        "",
    )
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CANCELLED", "refunded")
    call_command("sync_payments", older_than=0)
    assert "Nothing to settle." in capsys.readouterr().out
    assert stripe_on.amount_refunded(paid.reference) == 3000


# --- disputes -----------------------------------------------------------------------------
def test_a_dispute_flags_the_payment_and_the_reports_show_the_money(
    anon_client, admin_client, staff_client, hold, paid
):
    created = signed_post(
        anon_client, event("charge.dispute.created", dispute(paid.reference, "needs_response"))
    )

    assert created.status_code == 200
    assert created.json()["outcome"] == "disputed"
    payment = only_payment(hold)
    assert (payment.flag, payment.dispute_status, str(payment.disputed_amount)) == (
        Flag.DISPUTED,
        "needs_response",
        "30.00",
    )
    hold.refresh_from_db()
    assert hold.status == "CONFIRMED"
    day = timezone.localdate(hold.showtime.start_time).isoformat()
    money = admin_client.get(STATS, {"from": day, "to": day}).json()["money"]
    assert (money["disputed"], money["dispute_lost"], money["net"]) == ("30.00", "0.00", "30.00")
    # The payments admin lists it under "needs attention"; an unflagged payment is not.
    listed = staff_client.get("/admin/payments/payment/", {"attention": "yes"})
    assert [p.pk for p in listed.context["cl"].result_list] == [payment.pk]

    closed = signed_post(
        anon_client, event("charge.dispute.closed", dispute(paid.reference, "lost"))
    )

    assert closed.json()["outcome"] == "dispute_lost"
    payment.refresh_from_db()
    assert payment.dispute_status == "lost"
    assert payment.flag_reason.startswith("Dispute lost at Stripe (fraudulent): 30.00 EUR")
    money = admin_client.get(STATS, {"from": day, "to": day}).json()["money"]
    assert (money["disputed"], money["dispute_lost"], money["net"]) == ("0.00", "30.00", "0.00")
    page = staff_client.get("/admin/reports/", {"from": day, "to": day})
    assert page.context["money"]["total"]["dispute_lost"] == "€30.00"


def test_a_dispute_won_keeps_the_money_and_a_late_created_event_changes_nothing(
    anon_client, hold, paid
):
    won = signed_post(anon_client, event("charge.dispute.closed", dispute(paid.reference, "won")))
    late = signed_post(
        anon_client, event("charge.dispute.created", dispute(paid.reference, "needs_response"))
    )

    assert (won.json()["outcome"], late.json()["outcome"]) == ("dispute_won", "stale")
    assert only_payment(hold).dispute_status == "won"
    money = _money(hold.showtime)
    assert (money["disputed"], money["dispute_lost"], money["net"]) == (0, 0, 30)


# --- bad input: events about payments that are not ours -----------------------------------
@pytest.mark.parametrize(
    "unknown",
    [
        event(
            "charge.refunded",
            {
                "id": "ch_unknown",
                "payment_intent": "pi_unknown",
                "amount": 3000,
                "amount_refunded": 3000,
                "refunded": True,
                "currency": "eur",
            },
        ),
        event("charge.refunded", {"id": "ch_no_intent", "amount": 3000, "refunded": True}),
        event("charge.dispute.created", dispute("pi_unknown", "needs_response")),
    ],
    ids=["refund of an unknown PaymentIntent", "refund of a charge with none", "dispute"],
)
def test_an_event_for_an_unknown_charge_is_recorded_and_changes_nothing(
    anon_client, hold, paid, unknown
):
    response = signed_post(anon_client, unknown)

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_payment"
    recorded = WebhookEvent.objects.get(event_id=unknown["id"])
    assert (recorded.outcome, recorded.payment) == ("unknown_payment", None)
    payment = only_payment(hold)
    assert (payment.status, payment.flag, payment.refunded_amount) == (
        PaymentStatus.SUCCEEDED,
        "",
        0,
    )
    hold.refresh_from_db()
    assert hold.status == "CONFIRMED"


@pytest.mark.parametrize(
    "wrong",
    [
        event("charge.dispute.created", "dp_1"),
        event("charge.dispute.created", dispute("pi_x", "needs_response", amount=10**30)),
        event("charge.refunded", {"id": "ch_x", "payment_intent": "pi_x", "amount_refunded": -5}),
    ],
    ids=["not an object", "an amount no payment has", "a negative refund"],
)
def test_a_charge_event_of_the_wrong_shape_is_400(anon_client, stripe_on, wrong):
    response = signed_post(anon_client, wrong)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_event"
    assert WebhookEvent.objects.count() == 0


# --- successes read back from Stripe ------------------------------------------------------
def _open_checkout(client, hold) -> tuple[str, dict]:
    body = checkout(client, hold).json()
    return intent_id_of(body["client_secret"]), body


def _claimed_success(intent_id: str, hold, payment_id: int, amount: int = 3000) -> dict:
    """A signed success as a forger with the webhook secret would write it: the right
    PaymentIntent, amount and metadata, and status succeeded."""
    return event(
        "payment_intent.succeeded",
        {
            "id": intent_id,
            "object": "payment_intent",
            "status": "succeeded",
            "amount": amount,
            "currency": "eur",
            "metadata": {"marquee_payment": str(payment_id), "marquee_reservation": str(hold.pk)},
        },
    )


def test_a_signed_success_stripe_does_not_back_is_an_anomaly_not_money(
    anon_client, customer_client, hold, stripe_on, capsys
):
    intent_id, _ = _open_checkout(customer_client, hold)  # never paid at Stripe
    payment = only_payment(hold)

    response = signed_post(anon_client, _claimed_success(intent_id, hold, payment.pk))

    assert response.status_code == 200
    assert response.json()["outcome"] == "unverified"
    payment.refresh_from_db()
    assert (payment.status, payment.flag) == (PaymentStatus.PENDING, Flag.UNVERIFIED_SUCCESS)
    assert "Stripe says the PaymentIntent is requires_payment_method" in payment.flag_reason
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("HELD", "pending")
    assert _money(hold.showtime)["taken"] == 0
    # sync_payments reads it back, finds it open and payable, and exits 0.
    call_command("sync_payments", older_than=0)
    assert "open: 1" in capsys.readouterr().out
    assert only_payment(hold).status == PaymentStatus.PENDING


def test_a_success_whose_event_lies_is_applied_as_stripe_says(
    anon_client, customer_client, hold, stripe_on
):
    """The event names another reservation and an amount of 1 cent; Stripe's copy is
    the checkout's own, paid: it confirms."""
    intent_id, body = _open_checkout(customer_client, hold)
    stripe_on.pay(body["client_secret"])
    lying = _claimed_success(intent_id, hold, 999_999, amount=1)

    assert signed_post(anon_client, lying).json()["outcome"] == "confirmed"
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CONFIRMED", "paid")


def test_a_success_of_the_wrong_amount_at_stripe_is_given_back_and_not_counted(
    anon_client, customer_client, hold, stripe_on, recorder, django_capture_on_commit_callbacks
):
    intent_id, body = _open_checkout(customer_client, hold)
    stripe_on.client().v1.payment_intents.update(intent_id, params={"amount": 100})
    stripe_on.pay(body["client_secret"])
    delivery = recorder.wait_for("payment_intent.succeeded", intent_id)

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(anon_client, delivery).json()["outcome"] == "refused"

    payment = only_payment(hold)
    assert (payment.status, payment.anomaly, payment.flag) == (
        PaymentStatus.REFUNDED,
        True,
        Flag.UNVERIFIED_SUCCESS,
    )
    hold.refresh_from_db()
    assert hold.status == "HELD"
    money = _money(hold.showtime)
    assert (money["taken"], money["refunded"], money["anomalies"]) == (0, 0, 1)


def test_a_success_that_cannot_be_read_back_is_503_and_applied_when_stripe_is_back(
    anon_client, customer_client, hold, stripe_on, recorder, settings
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: refused

    down = deliver(anon_client, delivery)

    assert down.status_code == 503
    assert down.json()["code"] == "payment_provider_unavailable"
    assert int(down["Retry-After"]) >= 1
    assert WebhookEvent.objects.count() == 0
    assert only_payment(hold).status == PaymentStatus.PENDING
    hold.refresh_from_db()
    assert hold.status == "HELD"

    settings.STRIPE_API_BASE = stripe_on.url
    assert deliver(anon_client, delivery).json()["outcome"] == "confirmed"
    assert ReservationSeat.objects.filter(reservation=hold, active=True).count() == 2


# --- refund idempotency keys --------------------------------------------------------------
def test_a_refund_after_a_refusal_uses_a_new_key_and_a_network_failure_keeps_it(
    customer_client, hold, paid, stripe_on, monkeypatch, django_capture_on_commit_callbacks
):
    """The service's calls to the gateway, recorded: refused, then a timeout, then done."""
    keys = []
    answers = [
        gateway.ProviderRefused("This charge is disputed.", code="charge_disputed"),
        gateway.ProviderUnavailable("Request timed out"),
    ]
    real_refund = gateway.refund

    def refund(intent_id, *, idempotency_key):
        keys.append(idempotency_key)
        if answers:
            raise answers.pop(0)
        return real_refund(intent_id, idempotency_key=idempotency_key)

    monkeypatch.setattr(gateway, "refund", refund)
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_client.delete(f"/api/reservations/{hold.pk}/").status_code == 200
    payment = only_payment(hold)
    assert (payment.status, payment.refund_attempt) == (PaymentStatus.REFUND_FAILED, 1)

    with pytest.raises(CommandError):  # the timeout: run it again
        call_command("sync_payments", older_than=0)
    assert only_payment(hold).refund_attempt == 1
    call_command("sync_payments", older_than=0)

    payment = only_payment(hold)
    assert payment.status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(payment.reference) == 3000
    assert keys[0].endswith("-refund")
    assert keys[1:] == [keys[0] + "-1", keys[0] + "-1"]


def test_the_keys_sent_to_stripe_a_new_one_after_a_refusal_the_same_on_a_network_retry(
    customer_client,
    hold,
    paid,
    stripe_on,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """What goes over the wire: Stripe refuses the first refund (400); the next attempt,
    by sync_payments, loses its connection once and stripe-python sends it again."""
    sent = []
    faults = ["refuse", "drop"]
    real_request = stripe.RequestsClient.request

    def request(self, method, url, headers, post_data=None):
        if method == "post" and url.endswith("/v1/refunds"):
            sent.append(headers["Idempotency-Key"])
            fault = faults.pop(0) if faults else None
            if fault == "refuse":
                error = {"type": "invalid_request_error", "code": "charge_disputed"}
                body = json.dumps({"error": error | {"message": "This charge is disputed."}})
                return body.encode(), 400, {}
            if fault == "drop":
                raise stripe.APIConnectionError("Connection reset by peer", should_retry=True)
        return real_request(self, method, url, headers, post_data)

    monkeypatch.setattr(stripe.RequestsClient, "request", request)
    with django_capture_on_commit_callbacks(execute=True):
        customer_client.delete(f"/api/reservations/{hold.pk}/")
    assert only_payment(hold).status == PaymentStatus.REFUND_FAILED

    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    call_command("sync_payments", older_than=0)

    payment = only_payment(hold)
    assert payment.status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(payment.reference) == 3000
    assert len(sent) == 3
    assert sent[0] != sent[1] == sent[2]


# --- staff ----------------------------------------------------------------------------------
def test_an_admin_marks_a_flagged_payment_reviewed_a_cashier_cannot(
    anon_client, staff_client, hold, paid
):
    signed_post(
        anon_client, event("charge.dispute.created", dispute(paid.reference, "needs_response"))
    )
    action = {"action": "mark_reviewed", "_selected_action": [paid.pk]}

    cashier = Client()
    cashier.force_login(CashierFactory())
    assert cashier.post("/admin/payments/payment/", action).status_code in (200, 302)
    assert only_payment(hold).flag == Flag.DISPUTED

    response = staff_client.post("/admin/payments/payment/", action, follow=True)

    assert "1 payment(s) marked as reviewed." in response.content.decode()
    payment = only_payment(hold)
    assert (payment.flag, payment.dispute_status) == ("", "needs_response")
    assert (
        not staff_client.get("/admin/payments/payment/", {"attention": "yes"})
        .context["cl"]
        .result_list
    )
