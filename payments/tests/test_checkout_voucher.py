"""A voucher given at checkout: the hold is discounted first and Stripe is asked for
the discounted total, to the cent; refunds return what was paid."""

from decimal import Decimal

import pytest

from bookings.models import Reservation
from payments.models import Payment
from payments.tests.factories import checkout_url, only_payment
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
