"""A voucher given at checkout: the hold is discounted first and Stripe is asked for
the discounted total, to the cent; refunds return what was paid."""

from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import Reservation, ReservationSeat
from bookings.tests.factories import seat
from payments.models import Payment, PaymentStatus
from payments.tests.factories import checkout_url, deliver, lapse, only_payment
from payments.tests.stripe_helpers import intent_id_of
from pricing.models import DiscountKind
from pricing.tests.factories import VoucherFactory

pytestmark = pytest.mark.django_db


def _checkout(client, hold, **extra):
    return client.post(checkout_url(hold), {"provider": "stripe", **extra}, format="json")


def test_a_voucher_at_checkout_discounts_the_hold_and_stripe_charges_the_new_total(
    customer_client, hold, stripe_on
):
    # The hold: A1 12.00 + C1 18.00. 12.5 % off: 1.50 and 2.25.
    VoucherFactory(code="WINTER", kind=DiscountKind.PERCENT, value=Decimal("12.5"))

    response = _checkout(customer_client, hold, voucher="winter")

    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "26.25"
    intent = stripe_on.intent(intent_id_of(response.json()["client_secret"]))
    assert intent.amount == 2625
    reservation = customer_client.get(f"/api/reservations/{hold.pk}/").json()
    assert (reservation["voucher"], reservation["discount"], reservation["total_price"]) == (
        "WINTER",
        "3.75",
        "26.25",
    )
    assert [s["price"] for s in reservation["seats"]] == ["10.50", "15.75"]
    assert Reservation.objects.get(pk=hold.pk).total_price == Decimal("26.25")


def test_the_same_voucher_again_is_the_same_checkout(customer_client, hold, stripe_on):
    VoucherFactory(code="WINTER", kind=DiscountKind.AMOUNT, value=Decimal("5.00"))

    first = _checkout(customer_client, hold, voucher="WINTER")
    second = _checkout(customer_client, hold, voucher="WINTER")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["amount"] == first.json()["amount"] == "25.00"
    assert Payment.objects.filter(reservation=hold).count() == 1


def test_a_voucher_after_the_payment_was_asked_for_is_refused(customer_client, hold, stripe_on):
    VoucherFactory(code="LATE", kind=DiscountKind.AMOUNT, value=Decimal("5.00"))
    assert _checkout(customer_client, hold).status_code == 201

    late = _checkout(customer_client, hold, voucher="LATE")

    assert late.status_code == 409
    assert late.json()["code"] == "voucher_not_applicable"
    assert only_payment(hold).amount == Decimal("30.00")
    assert Reservation.objects.get(pk=hold.pk).voucher is None


def test_an_unknown_voucher_at_checkout_asks_stripe_for_nothing(customer_client, hold, stripe_on):
    response = _checkout(customer_client, hold, voucher="NOPE")

    assert response.status_code == 400
    assert response.json()["code"] == "voucher_invalid"
    assert not Payment.objects.filter(reservation=hold).exists()
    assert Reservation.objects.get(pk=hold.pk).total_price == Decimal("30.00")


def _paid_with_voucher_then_lapsed(client, hold, stripe_on, recorder, code):
    body = _checkout(client, hold, voucher=code).json()
    stripe_on.pay(body["client_secret"])
    delivery = recorder.wait_for("payment_intent.succeeded", intent_id_of(body["client_secret"]))
    lapse(hold)
    return delivery


def test_a_lapsed_hold_paid_after_its_voucher_was_used_up_gets_its_money_back(
    customer_client,
    anon_client,
    other_customer,
    hold,
    stripe_on,
    recorder,
    django_capture_on_commit_callbacks,
):
    """The lapse gave the hold's use of the voucher back; another customer took it, so the
    late payment cannot make the hold a use again (one use over the limit)."""
    voucher = VoucherFactory(
        code="ONCE", kind=DiscountKind.AMOUNT, value=Decimal("5.00"), max_uses=1
    )
    delivery = _paid_with_voucher_then_lapsed(customer_client, hold, stripe_on, recorder, "ONCE")
    taker = services.reservation_create(
        user=other_customer,
        showtime_id=hold.showtime_id,
        seat_ids=[seat(hold.showtime, "B1").pk],
        voucher="once",
    ).reservation

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(anon_client, delivery).json()["outcome"] == "refunded"

    payment = only_payment(hold)
    assert (payment.status, payment.reason) == (PaymentStatus.REFUNDED, "voucher_exhausted")
    assert "voucher was used up" in payment.detail
    assert stripe_on.amount_refunded(payment.reference) == 2500
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("EXPIRED", "refunded")
    assert list(voucher.reservations.live(timezone.now())) == [taker]
    assert not ReservationSeat.objects.filter(reservation=hold, active=True).exists()


def test_a_lapsed_hold_paid_while_its_voucher_has_a_use_left_is_confirmed(
    customer_client, anon_client, hold, stripe_on, recorder
):
    voucher = VoucherFactory(
        code="ONCE", kind=DiscountKind.AMOUNT, value=Decimal("5.00"), max_uses=1
    )
    delivery = _paid_with_voucher_then_lapsed(customer_client, hold, stripe_on, recorder, "ONCE")

    assert deliver(anon_client, delivery).json()["outcome"] == "confirmed"

    hold.refresh_from_db()
    assert (hold.status, hold.payment_status, hold.total_price) == (
        "CONFIRMED",
        "paid",
        Decimal("25.00"),
    )
    assert list(voucher.reservations.live(timezone.now())) == [hold]
