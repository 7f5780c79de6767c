"""The box office, PAYMENT_REQUIRED on every route, the payments list and the admin."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import Reservation, ReservationStatus
from bookings.tests.factories import book, seat
from payments import services
from payments.models import Payment, PaymentStatus
from payments.tests.factories import (
    checkout,
    deliver,
    on_shift,
    only_payment,
    paid_at_stripe,
    pay_url,
)
from testsupport.testing import client_for
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

RESERVATIONS = "/api/reservations/"
PAYMENTS = "/api/payments/"


# --- the box office -----------------------------------------------------------------------
@pytest.mark.parametrize("method", ["cash", "card_terminal"])
def test_box_office_payment_confirms_the_hold(admin_client, admin_user, hold, method):
    response = admin_client.post(pay_url(hold), {"method": method}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "CONFIRMED"
    assert body["payment"] == {"status": "paid", "amount": "30.00", "currency": "EUR"}
    payment = only_payment(hold)
    assert (payment.provider, payment.method, payment.status) == ("box_office", method, "SUCCEEDED")
    assert payment.amount == Decimal("30.00")
    assert payment.taken_by == admin_user


def test_box_office_refusals(admin_client, customer_client, customer, show):
    held = book(user=customer, showtime=show, seats=[seat(show, "A1")], hold=True)
    assert customer_client.post(pay_url(held), {"method": "cash"}, format="json").status_code == 403
    assert admin_client.post(pay_url(held), {"method": "gold"}, format="json").status_code == 400
    assert admin_client.post(pay_url(held), {"method": "cash"}, format="json").status_code == 200

    again = admin_client.post(pay_url(held), {"method": "cash"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_paid")
    assert Payment.objects.filter(reservation=held).count() == 1

    lapsed = book(user=customer, showtime=show, seats=[seat(show, "A2")], hold=True)
    Reservation.objects.filter(pk=lapsed.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = admin_client.post(pay_url(lapsed), {"method": "cash"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "hold_expired")
    missing = admin_client.post("/api/reservations/999999/pay/", {"method": "cash"}, format="json")
    assert missing.status_code == 404


def test_staff_cancelling_in_the_admin_refund_a_box_office_payment_at_the_counter(
    admin_client, staff_client, hold, stripe_on
):
    admin_client.post(pay_url(hold), {"method": "cash"}, format="json")
    page = f"/admin/bookings/reservation/{hold.pk}/cancel/"

    response = staff_client.post(page, follow=True)

    assert response.status_code == 200
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CANCELLED", "refunded")
    payment = only_payment(hold)
    assert (payment.status, payment.reason) == (PaymentStatus.REFUNDED, "cancelled")
    assert payment.refunded_at is not None


@pytest.mark.parametrize("who", ["customer", "admin"])
def test_cancelling_through_the_api_leaves_box_office_money_owed_until_handed_back(
    admin_client, customer_client, hold, stripe_on, who
):
    """Cash taken at the counter cannot go back by itself: a cancel through the API (the
    customer's, or an ADMIN's from a back-office tool) leaves it owed (refund pending, in
    the report too) until staff record handing it back."""
    admin_client.post(pay_url(hold), {"method": "cash"}, format="json")
    client = customer_client if who == "customer" else admin_client
    response = client.delete(f"{RESERVATIONS}{hold.pk}/")

    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    assert response.json()["payment"]["status"] == "refund_pending"
    payment = only_payment(hold)
    assert (payment.status, payment.refunded_at) == (PaymentStatus.REFUND_PENDING, None)
    assert "box office" in payment.detail
    # sync_payments (which retries Stripe's refunds) leaves it alone, however late.
    later = timezone.now() + dt.timedelta(hours=1)
    tally = services.payments_sync(older_than=dt.timedelta(0), now=later)
    assert not [outcome for outcome in tally if outcome.startswith("refund")]
    assert only_payment(hold).status == PaymentStatus.REFUND_PENDING

    staff = on_shift(AdminFactory())
    assert services.payment_refund_by_staff(payment_id=payment.pk, staff=staff) == "REFUNDED"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_at is not None
    assert payment.detail == "Paid back at the box office."
    mine = customer_client.get(f"{RESERVATIONS}{hold.pk}/").json()
    assert mine["payment"]["status"] == "refunded"


def test_box_office_stops_a_pending_online_payment(
    admin_client, customer_client, hold, stripe_on, django_capture_on_commit_callbacks
):
    online = checkout(customer_client, hold).json()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(pay_url(hold), {"method": "cash"}, format="json")

    assert response.json()["status"] == "CONFIRMED"
    assert Payment.objects.get(pk=online["id"]).status == PaymentStatus.CANCELLED
    assert stripe_on.intent(Payment.objects.get(pk=online["id"]).reference).status == "canceled"
    hold.refresh_from_db()
    assert hold.payment_status == "paid"


def test_online_payment_arriving_after_the_box_office_is_refunded(
    admin_client,
    customer_client,
    anon_client,
    hold,
    stripe_on,
    recorder,
    django_capture_on_commit_callbacks,
):
    body, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(pay_url(hold), {"method": "cash"}, format="json")
    online = Payment.objects.get(pk=body["id"])

    # The cancel at Stripe was refused (the card was charged) and the success applied.
    assert online.status == PaymentStatus.REFUNDED
    assert online.reason == "duplicate"
    assert stripe_on.amount_refunded(online.reference) == 3000
    assert deliver(anon_client, delivery).json()["outcome"] == "already_applied"
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("CONFIRMED", "paid")


# --- PAYMENT_REQUIRED ---------------------------------------------------------------------
def test_payment_required_makes_every_booking_a_hold(customer_client, show, payment_required):
    response = customer_client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": [seat(show, "A1").pk]}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["status"] == "HELD"
    assert response.json()["payment"]["status"] == "none"

    confirm = customer_client.post(f"{RESERVATIONS}{response.json()['id']}/confirm/")
    assert (confirm.status_code, confirm.json()["code"]) == (409, "payment_required")
    assert Reservation.objects.get().status == "HELD"


def test_payment_required_compat_booking_says_what_to_do_next(
    customer_client, show, payment_required
):
    response = customer_client.post(f"/api/shows/{show.pk}/book/", {"seat_number": 2})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "HELD"
    assert body["next"] == {
        "action": "checkout",
        "detail": body["next"]["detail"],
        "checkout": f"/api/reservations/{body['id']}/checkout/",
        "pay_by": body["expires_at"],
    }
    assert "POST /api/reservations/" in body["next"]["detail"]


def test_without_payment_required_compat_booking_has_no_next_step(customer_client, show):
    body = customer_client.post(f"/api/shows/{show.pk}/book/", {"seat_number": 2}).json()
    assert body["status"] == "CONFIRMED"
    assert "next" not in body


def test_payment_required_no_route_confirms_without_a_succeeded_payment(
    client,
    customer,
    customer_client,
    anon_client,
    show,
    stripe_on,
    recorder,
    payment_required,
    django_capture_on_commit_callbacks,
):
    """Every route that could confirm, tried with no money taken; then the two that take
    money. At the end every CONFIRMED reservation has exactly one SUCCEEDED payment."""
    ids = iter(s.pk for s in show.hall.seats.order_by("position"))
    tries = []
    # The API's booking, with and without "hold", and the compat route.
    for hold in (False, True):
        tries.append(
            customer_client.post(
                RESERVATIONS,
                {"showtime": show.pk, "seats": [next(ids)], "hold": hold},
                format="json",
            )
        )
    tries.append(customer_client.post(f"/api/shows/{show.pk}/book/", {"seat_number": 3}))
    next(ids)
    assert [r.status_code for r in tries] == [201, 201, 201]
    held = [Reservation.objects.get(pk=r.json()["id"]) for r in tries]
    assert {r.status for r in held} == {ReservationStatus.HELD}
    # Confirm, as the customer and through the service.
    assert customer_client.post(f"{RESERVATIONS}{held[0].pk}/confirm/").status_code == 409
    with pytest.raises(Exception, match="must be paid"):
        booking_services.reservation_confirm(reservation=held[1], user=customer)
    # A checkout, and a declined card.
    _, failed = paid_at_stripe(
        customer_client, held[2], stripe_on, recorder, card="4000000000000341"
    )
    assert deliver(anon_client, failed).json()["outcome"] == "failed"
    # The admin: the change form cannot set a status; there is no "add payment" page.
    staff = on_shift(AdminFactory(is_superuser=True))
    client.force_login(staff)
    url = f"/admin/bookings/reservation/{held[0].pk}/change/"
    client.post(url, {"status": "CONFIRMED", "payment_status": "paid"})
    assert client.get("/admin/payments/payment/add/").status_code == 403
    assert Reservation.objects.filter(status=ReservationStatus.CONFIRMED).count() == 0

    # The two ways money is taken: online, and the box office action in the admin.
    _, paid = paid_at_stripe(customer_client, held[0], stripe_on, recorder)
    assert deliver(anon_client, paid).json()["outcome"] == "confirmed"
    response = client.post(
        "/admin/bookings/reservation/",
        {"action": "take_cash", "_selected_action": [held[1].pk]},
        follow=True,
    )
    assert response.status_code == 200

    confirmed = Reservation.objects.filter(status=ReservationStatus.CONFIRMED)
    assert {r.pk for r in confirmed} == {held[0].pk, held[1].pk}
    for reservation in confirmed:
        assert reservation.payments.filter(status=PaymentStatus.SUCCEEDED).count() == 1
        assert reservation.payment_status == "paid"
    assert Reservation.objects.get(pk=held[2].pk).status == ReservationStatus.HELD


# --- reading --------------------------------------------------------------------------------
def test_payments_list_is_scoped_and_filtered(admin_client, customer, show):
    mine = book(user=customer, showtime=show, seats=[seat(show, "A1")], hold=True)
    theirs = book(user=UserFactory(), showtime=show, seats=[seat(show, "A2")], hold=True)
    staff = on_shift(AdminFactory())
    services.payment_take_at_box_office(reservation_id=mine.pk, method="cash", staff=staff)
    services.payment_take_at_box_office(
        reservation_id=theirs.pk, method="card_terminal", staff=staff
    )

    own = client_for(customer).get(PAYMENTS).json()
    assert [p["reservation"] for p in own["results"]] == [mine.pk]
    assert own["results"][0]["user"] == customer.pk
    assert admin_client.get(PAYMENTS).json()["count"] == 2
    by_method = admin_client.get(PAYMENTS, {"method": "card_terminal"}).json()["results"]
    assert [p["reservation"] for p in by_method] == [theirs.pk]
    assert admin_client.get(PAYMENTS, {"provider": "stripe"}).json()["count"] == 0
    assert admin_client.get(PAYMENTS, {"status": "SUCCEEDED"}).json()["count"] == 2
    today = timezone.localdate().isoformat()
    assert admin_client.get(PAYMENTS, {"from": today, "to": today}).json()["count"] == 2
    assert admin_client.get(PAYMENTS, {"to": "2000-01-01"}).json()["count"] == 0
    assert admin_client.get(PAYMENTS, {"status": "RICH"}).status_code == 400
    assert admin_client.get(PAYMENTS, {"from": "yesterday"}).status_code == 400
    assert admin_client.get(PAYMENTS, {"from": "0001-01-01"}).status_code == 400
    other = own["results"][0]["id"] + 1
    assert client_for(customer).get(f"{PAYMENTS}{other}/").status_code == 404
    assert admin_client.get(f"{PAYMENTS}{other}/").json()["method"] == "card_terminal"
    assert admin_client.get(f"{PAYMENTS}stripe/").status_code == 404


@pytest.mark.parametrize(
    "params, named",
    [
        ({"status": ""}, "status"),
        ({"reservation": ""}, "reservation"),
        ({"from": ""}, "from"),
        ({"to": " "}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
    ],
)
def test_payments_list_refuses_empty_or_bad_filters_naming_the_parameter(
    admin_client, params, named
):
    response = admin_client.get(PAYMENTS, params)

    assert response.status_code == 400
    assert list(response.json()) == [named]


def test_payments_list_query_budget(admin_client, customer, show, django_assert_max_num_queries):
    staff = on_shift(AdminFactory())
    for label in ("A1", "A2", "A3", "B1", "B2"):
        held = book(user=customer, showtime=show, seats=[seat(show, label)], hold=True)
        services.payment_take_at_box_office(reservation_id=held.pk, method="cash", staff=staff)

    with django_assert_max_num_queries(3):  # user + count + page with reservations
        response = admin_client.get(PAYMENTS)
    assert response.json()["count"] == 5


@pytest.mark.parametrize(
    "role, method, url, expected",
    [
        ("anon", "get", PAYMENTS, 401),
        ("customer", "get", PAYMENTS, 200),
        ("admin", "get", PAYMENTS, 200),
        ("anon", "post", "checkout", 401),
        ("admin", "post", "checkout", 403),
        ("anon", "post", "pay", 401),
        ("customer", "post", "pay", 403),
        ("admin", "post", "pay", 200),
    ],
)
def test_payment_permissions(role, method, url, expected, customer, hold, anon_client, stripe_on):
    client = {
        "anon": anon_client,
        "customer": client_for(customer),
        "admin": client_for(on_shift(AdminFactory())),
    }[role]
    body = {"checkout": {"provider": "stripe"}, "pay": {"method": "cash"}}.get(url)
    url = {"checkout": f"{RESERVATIONS}{hold.pk}/checkout/", "pay": pay_url(hold)}.get(url, url)

    response = getattr(client, method)(url, body, format="json")

    assert response.status_code == expected, response.content


# --- the admin --------------------------------------------------------------------------------
def test_admin_refund_action_cancels_and_refunds(
    client,
    customer_client,
    anon_client,
    hold,
    stripe_on,
    recorder,
    django_capture_on_commit_callbacks,
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    deliver(anon_client, delivery)
    staff = AdminFactory(is_superuser=True)
    client.force_login(staff)
    listing = client.get("/admin/payments/payment/", {"status__exact": "SUCCEEDED"})
    assert listing.status_code == 200
    assert str(hold.pk) in listing.content.decode()
    chosen = {"action": "refund_selected", "_selected_action": [only_payment(hold).pk]}
    asked = client.post("/admin/payments/payment/", chosen)
    # First the question, with what goes back where; nothing refunded yet.
    assert "€30.00 goes back to the customer's card" in asked.content.decode()
    assert only_payment(hold).status == PaymentStatus.SUCCEEDED

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/payments/payment/", {**chosen, "confirm": "yes"}, follow=True
        )

    assert response.status_code == 200
    payment = only_payment(hold)
    assert payment.status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(payment.reference) == 3000
    hold.refresh_from_db()
    assert hold.status == ReservationStatus.CANCELLED
    page = client.get(f"/admin/bookings/reservation/{hold.pk}/change/")
    assert page.status_code == 200
    assert "Refunded" in page.content.decode()
