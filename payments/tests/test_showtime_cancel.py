"""The cinema cancels a screening (``bookings.services.showtime_cancel``, POST
/api/showtimes/{id}/cancel/, the admin's page, ``manage.py cancel_showtime``): every live
reservation cancelled, card payments refunded at Stripe (localstripe) once, counter
payments owed, tickets void, one email per customer with the reason and the way the money
comes back; resumable after a fault midway; the showtime sells nothing more."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import PaymentState, Reservation, ReservationStatus
from bookings.tests.factories import book, seat, seat_ids
from boxoffice.services import counter_sale_create
from cinema.tests.factories import ShowtimeFactory
from notifications.delivery import deliver_due
from payments.models import Payment, PaymentStatus, Provider
from payments.services import payment_refund_by_staff
from payments.tests.factories import deliver, on_shift, only_payment, paid_at_stripe, pay_url
from tickets.models import Ticket, TicketStatus
from users.tests.factories import CashierFactory, UserFactory

pytestmark = pytest.mark.django_db

REASON = "The projector broke down."


def cancel_url(show) -> str:
    return f"/api/showtimes/{show.pk}/cancel/"


def _screening_emails(smtp_server) -> list:
    return [m for m in smtp_server.messages if m["Subject"].startswith("Screening cancelled")]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def house(show, customer, customer_client, anon_client, admin_client, stripe_on, recorder):
    """A showtime with every kind of live reservation: paid by card online (the
    customer's A1 + C1), paid in cash at the box office (another customer's A2), a
    counter sale to a walk-in with an email (A3, cash), one to a walk-in without (A4,
    card terminal) and an unpaid hold (B1)."""
    card = book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "C1")], hold=True)
    _, delivery = paid_at_stripe(customer_client, card, stripe_on, recorder)
    assert deliver(anon_client, delivery).status_code == 200
    cash = book(user=UserFactory(email="cash@example.com"), showtime=show, seats=[seat(show, "A2")])
    assert admin_client.post(pay_url(cash), {"method": "cash"}, format="json").status_code == 200
    cashier = on_shift(CashierFactory())
    walk_in = counter_sale_create(
        cashier=cashier,
        showtime_id=show.pk,
        seat_ids=seat_ids(show, "A3"),
        method="cash",
        customer_name="Ada",
        customer_email="ada@example.com",
    ).reservation
    anonymous = counter_sale_create(
        cashier=cashier, showtime_id=show.pk, seat_ids=seat_ids(show, "A4"), method="card"
    ).reservation
    held = book(
        user=UserFactory(email="held@example.com"),
        showtime=show,
        seats=[seat(show, "B1")],
        hold=True,
    )
    return {"card": card, "cash": cash, "walk_in": walk_in, "anonymous": anonymous, "held": held}


def _status(reservation) -> str:
    return Reservation.objects.values_list("status", flat=True).get(pk=reservation.pk)


def _start_in_the_past(show, minutes: int = 30) -> None:
    """The screening started ``minutes`` ago (moved after its sales, as time would)."""
    start = timezone.now() - dt.timedelta(minutes=minutes)
    type(show).objects.filter(pk=show.pk).update(
        start_time=start, end_time=start + (show.end_time - show.start_time)
    )


@pytest.mark.parametrize("started", [False, True], ids=["before-start", "after-start"])
def test_showtime_cancel_cancels_refunds_and_tells_every_customer(
    house,
    show,
    admin_client,
    smtp_server,
    stripe_on,
    started,
    django_capture_on_commit_callbacks,
):
    if started:
        _start_in_the_past(show)
        # A guest already inside: the cancel goes on, their ticket stays used.
        Ticket.objects.filter(reservation=house["cash"]).update(
            status=TicketStatus.USED, checked_in_at=timezone.now()
        )
    deliver_due()  # the confirmations, out of the way
    sent_before = len(smtp_server.messages)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(cancel_url(show), {"reason": REASON}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reservations_cancelled"] == 5
    assert body["cancel_reason"] == REASON and body["cancelled_at"]
    assert {_status(r) for r in house.values()} == {ReservationStatus.CANCELLED}
    # The card: refunded at Stripe in full; the counter's cash: owed; the terminal: owed.
    card = only_payment(house["card"])
    assert card.status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(card.reference) == 3000
    for name in ("cash", "walk_in", "anonymous"):
        payment = only_payment(house[name])
        assert (payment.provider, payment.status) == (
            Provider.BOX_OFFICE,
            PaymentStatus.REFUND_PENDING,
        )
    # Tickets: none valid; a used one stays used.
    assert not Ticket.objects.filter(showtime=show, status=TicketStatus.VALID).exists()
    used = Ticket.objects.filter(showtime=show, status=TicketStatus.USED).count()
    assert used == (1 if started else 0)

    deliver_due()
    emails = _screening_emails(smtp_server)
    assert len(smtp_server.messages) - sent_before == len(emails) == 3
    by_address = {m["To"]: _text(m) for m in emails}
    assert set(by_address) == {house["card"].user.email, "cash@example.com", "ada@example.com"}
    for text in by_address.values():
        assert REASON in text and "the cinema has cancelled this screening" in text
    assert "30.00 EUR refunded to your card" in by_address[house["card"].user.email]
    assert "12.00 EUR to collect at the box office" in by_address["cash@example.com"]
    assert "to collect at the box office" in by_address["ada@example.com"]


def test_showtime_cancel_twice_is_409_and_changes_nothing(house, show, admin_client, smtp_server):
    assert admin_client.post(cancel_url(show), {"reason": REASON}, format="json").status_code == 200
    deliver_due()
    sent = len(smtp_server.messages)
    states = list(Payment.objects.order_by("pk").values_list("status", "updated_at"))

    again = admin_client.post(cancel_url(show), {"reason": "Another reason"}, format="json")

    assert again.status_code == 409
    assert again.json()["code"] == "showtime_cancelled"
    deliver_due()
    assert len(smtp_server.messages) == sent
    assert list(Payment.objects.order_by("pk").values_list("status", "updated_at")) == states
    show.refresh_from_db()
    assert show.cancel_reason == REASON


def test_showtime_cancel_resumes_after_a_fault_midway_and_never_refunds_twice(
    house,
    show,
    stripe_on,
    smtp_server,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    real = booking_services._mark_cancelled
    calls = Counter()

    def third_one_fails(reservation, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the node died")
        return real(reservation, **kwargs)

    monkeypatch.setattr(booking_services, "_mark_cancelled", third_one_fails)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
    ):
        booking_services.showtime_cancel(showtime_id=show.pk, reason=REASON, by="test")

    # The showtime is cancelled and sells nothing; the first two are done, the rest live.
    show.refresh_from_db()
    assert show.cancelled_at is not None
    ordered = sorted(house.values(), key=lambda r: r.pk)
    assert [_status(r) for r in ordered[:2]] == [ReservationStatus.CANCELLED] * 2
    assert {_status(r) for r in ordered[2:]} <= {
        ReservationStatus.CONFIRMED,
        ReservationStatus.HELD,
    }
    card = only_payment(house["card"])
    assert card.status == PaymentStatus.REFUNDED  # the card's was the first reservation

    monkeypatch.setattr(booking_services, "_mark_cancelled", real)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cancel_showtime", str(show.pk), "--reason", "a different reason")

    assert {_status(r) for r in house.values()} == {ReservationStatus.CANCELLED}
    card.refresh_from_db()
    assert card.status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(card.reference) == 3000  # once, not twice
    assert Payment.objects.filter(reservation=house["card"]).count() == 1
    deliver_due()
    recipients = Counter(m["To"] for m in _screening_emails(smtp_server))
    assert recipients == {
        house["card"].user.email: 1,
        "cash@example.com": 1,
        "ada@example.com": 1,
    }
    # Every email gives the first reason: the one the showtime keeps.
    assert all(REASON in _text(m) for m in _screening_emails(smtp_server))

    # Run once more: nothing left, said so, nothing changed.
    call_command("cancel_showtime", str(show.pk), "--reason", REASON)
    deliver_due()
    assert len(_screening_emails(smtp_server)) == 3


def test_showtime_cancel_leaves_a_refund_stripe_did_not_make_for_sync_payments(
    house, show, stripe_on, settings, django_capture_on_commit_callbacks
):
    """Stripe down during the cancel: the card's refund stays due, the reservation is
    cancelled all the same; sync_payments makes the refund once Stripe is back."""
    reachable = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.showtime_cancel(showtime_id=show.pk, reason=REASON, by="test")
    card = only_payment(house["card"])
    assert _status(house["card"]) == ReservationStatus.CANCELLED
    assert card.status in {PaymentStatus.REFUND_PENDING, PaymentStatus.REFUND_FAILED}

    settings.STRIPE_API_BASE = reachable
    Payment.objects.filter(pk=card.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    call_command("sync_payments")

    card.refresh_from_db()
    assert card.status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(card.reference) == 3000


def test_owed_counter_money_is_closed_when_staff_hand_it_back(house, show, admin_user):
    booking_services.showtime_cancel(showtime_id=show.pk, reason=REASON, by="test")
    cash = only_payment(house["cash"])

    assert payment_refund_by_staff(payment_id=cash.pk, staff=admin_user) == PaymentStatus.REFUNDED

    cash.refresh_from_db()
    assert cash.status == PaymentStatus.REFUNDED
    assert Reservation.objects.get(pk=house["cash"].pk).payment_status == PaymentState.REFUNDED


def test_a_cancelled_showtime_sells_nothing_online_nor_at_the_counter(
    show, customer_client, admin_client
):
    assert admin_client.post(cancel_url(show), {"reason": REASON}, format="json").status_code == 200

    online = customer_client.post(
        "/api/reservations/", {"showtime": show.pk, "seats": seat_ids(show, "B2")}, format="json"
    )
    counter = admin_client.post(
        "/api/box-office/sales/",
        {"showtime": show.pk, "seats": seat_ids(show, "B2"), "method": "cash"},
        format="json",
    )

    assert (online.status_code, online.json()["code"]) == (409, "showtime_cancelled")
    assert (counter.status_code, counter.json()["code"]) == (409, "showtime_cancelled")
    assert not Reservation.objects.filter(showtime=show).exists()


def test_a_cancelled_showtime_shows_as_cancelled(show, anon_client, admin_client):
    assert admin_client.post(cancel_url(show), {"reason": REASON}, format="json").status_code == 200

    detail = anon_client.get(f"/api/showtimes/{show.pk}/").json()
    seat_map = anon_client.get(f"/api/showtimes/{show.pk}/seats/").json()["showtime"]
    upcoming = anon_client.get("/api/showtimes/").json()["results"]
    of_the_day = anon_client.get(
        "/api/showtimes/", {"date": timezone.localdate(show.start_time).isoformat()}
    ).json()["results"]
    of_the_movie = anon_client.get(f"/api/movies/{show.movie_id}/showtimes/").json()["results"]

    assert detail["cancel_reason"] == REASON and detail["cancelled_at"]
    assert (seat_map["cancelled"], seat_map["bookable"]) == (True, False)
    for listing in (upcoming, of_the_day, of_the_movie):
        assert show.pk not in [item["id"] for item in listing]


def test_the_door_refuses_a_ticket_of_a_cancelled_showtime(house, show, admin_client):
    code = Ticket.objects.filter(reservation=house["cash"]).values_list("code", flat=True).get()
    booking_services.showtime_cancel(showtime_id=show.pk, reason=REASON, by="test")

    response = admin_client.post("/api/check-ins/", {"code": code}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_void"


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": "   "}, {"reason": "bad\x00byte"}, {"reason": "x" * 501}],
    ids=["missing", "empty", "blank", "control-character", "too-long"],
)
def test_showtime_cancel_needs_a_readable_reason(show, admin_client, body):
    response = admin_client.post(cancel_url(show), body, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    show.refresh_from_db()
    assert show.cancelled_at is None


def test_showtime_cancel_of_an_unknown_showtime_is_404(admin_client):
    response = admin_client.post("/api/showtimes/999999/cancel/", {"reason": REASON}, format="json")

    assert response.status_code == 404


# --- the admin: an action on the schedule and a confirmation page asking why -----------
def _admin(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_admin_cancel_screening_asks_why_then_cancels(house, show, admin_user, smtp_server):
    client = _admin(admin_user)
    page = f"/admin/cinema/showtime/{show.pk}/cancel-screening/"
    change = client.get(f"/admin/cinema/showtime/{show.pk}/change/")
    assert page in change.content.decode()

    asked = client.get(page)
    assert asked.status_code == 200
    assert "5 live reservations" in asked.content.decode()
    refused = client.post(page, {"reason": "  "})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    show.refresh_from_db()
    assert show.cancelled_at is None

    done = client.post(page, {"reason": REASON})

    assert done.status_code == 302
    assert done["Location"] == f"/admin/cinema/showtime/{show.pk}/change/"
    show.refresh_from_db()
    assert show.cancel_reason == REASON
    assert {_status(r) for r in house.values()} == {ReservationStatus.CANCELLED}
    # Done: the showtime's page offers it no more.
    assert page not in client.get(done["Location"]).content.decode()


def test_admin_action_cancel_screening_goes_to_the_confirmation_page(show, admin_user):
    client = _admin(admin_user)

    response = client.post(
        "/admin/cinema/showtime/",
        {"action": "cancel_screening", "_selected_action": [show.pk]},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/cinema/showtime/{show.pk}/cancel-screening/"
    show.refresh_from_db()
    assert show.cancelled_at is None  # nothing yet: the page asks why first


def test_admin_action_cancel_screening_is_not_offered_to_a_cashier(show):
    client = Client()
    client.force_login(CashierFactory())

    listing = client.get("/admin/cinema/showtime/")

    assert listing.status_code == 200
    assert "cancel_screening" not in listing.content.decode()


# --- the reports ---------------------------------------------------------------------
def test_a_cancelled_screening_counts_no_seats_in_the_reports(show, admin_client):
    other = ShowtimeFactory(hall=show.hall, start_time=show.end_time + dt.timedelta(hours=1))
    book(showtime=other, seats=[seat(other, "A1"), seat(other, "A2"), seat(other, "A3")])
    book(showtime=show, seats=[seat(show, "A1")])
    assert admin_client.post(cancel_url(show), {"reason": REASON}, format="json").status_code == 200
    day = timezone.localdate(show.start_time).isoformat()
    last = timezone.localdate(other.start_time).isoformat()

    stats = admin_client.get("/api/admin/stats/", {"from": day, "to": last}).json()

    # 3 of the other screening's 12 seats; the cancelled one's 12 seats are not empty seats.
    assert stats["totals"]["tickets_sold"] == 3
    assert stats["totals"]["capacity"] == 12
    assert stats["totals"]["occupancy"] == 0.25


def test_tonight_shows_a_cancelled_screening_as_cancelled_without_sell(admin_user):
    start = timezone.now() + dt.timedelta(minutes=10)
    if timezone.localdate(start) != timezone.localdate():
        start = timezone.now() - dt.timedelta(minutes=10)
    show = ShowtimeFactory(start_time=start)
    booking_services.showtime_cancel(showtime_id=show.pk, reason=REASON, by="test")

    page = _admin(admin_user).get("/admin/").content.decode()

    row = page[page.index(f'data-showtime="{show.pk}"') :].split("</tr>")[0]
    assert 'class="cancelled">cancelled<' in row
    assert 'class="sell"' not in row


def test_the_api_finishes_a_cancel_that_stopped_midway_then_answers_409(
    show, admin_client, monkeypatch
):
    reservations = [book(showtime=show, seats=[s]) for s in show.hall.seats.all()[:4]]
    real = booking_services._mark_cancelled
    calls = Counter()

    def second_one_fails(reservation, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the database went away")
        return real(reservation, **kwargs)

    monkeypatch.setattr(booking_services, "_mark_cancelled", second_one_fails)
    with pytest.raises(RuntimeError):
        booking_services.showtime_cancel(showtime_id=show.pk, reason=REASON, by="test")
    monkeypatch.setattr(booking_services, "_mark_cancelled", real)

    finished = admin_client.post(cancel_url(show), {"reason": REASON}, format="json")
    done = admin_client.post(cancel_url(show), {"reason": REASON}, format="json")

    assert finished.status_code == 200
    assert finished.json()["reservations_cancelled"] == 3
    assert (done.status_code, done.json()["code"]) == (409, "showtime_cancelled")
    assert {_status(r) for r in reservations} == {ReservationStatus.CANCELLED}


def test_a_hold_of_a_screening_being_cancelled_cannot_be_paid(show, customer, admin_client):
    """Between the showtime's mark and its hold's turn (or after a stop midway), the hold
    cannot be paid at the counter nor checked out online."""
    held = book(user=customer, showtime=show, seats=[seat(show, "B3")], hold=True)
    type(show).objects.filter(pk=show.pk).update(cancelled_at=timezone.now(), cancel_reason=REASON)

    at_counter = admin_client.post(pay_url(held), {"method": "cash"}, format="json")

    assert (at_counter.status_code, at_counter.json()["code"]) == (409, "showtime_cancelled")
    assert not Payment.objects.filter(reservation=held).exists()
    assert _status(held) == ReservationStatus.HELD


def test_card_money_arriving_for_a_screening_being_cancelled_goes_back(
    show,
    customer,
    customer_client,
    anon_client,
    stripe_on,
    recorder,
    django_capture_on_commit_callbacks,
):
    """A checkout begun before the cancel, paid after the mark: no tickets for a
    cancelled screening, the money refunded, and the run cancels the hold."""
    held = book(user=customer, showtime=show, seats=[seat(show, "B4")], hold=True)
    response = customer_client.post(
        f"/api/reservations/{held.pk}/checkout/", {"provider": "stripe"}, format="json"
    )
    assert response.status_code == 201
    type(show).objects.filter(pk=show.pk).update(cancelled_at=timezone.now(), cancel_reason=REASON)
    assert stripe_on.pay(response.json()["client_secret"]) is None
    intent_id = response.json()["client_secret"].split("_secret_")[0]
    delivery = recorder.wait_for("payment_intent.succeeded", intent_id)

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(anon_client, delivery).status_code == 200

    assert not Ticket.objects.filter(reservation=held).exists()
    assert only_payment(held).status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(intent_id) == 1200

    booking_services.showtime_cancel(showtime_id=show.pk, reason=REASON, by="test")

    assert _status(held) == ReservationStatus.CANCELLED
    assert only_payment(held).status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(intent_id) == 1200
