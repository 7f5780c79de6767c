"""What a payment charges: the reservation's total, summed once when it was booked. A
total that its seats' prices no longer add up to is refused, loudly, not charged."""

import logging
from decimal import Decimal

import pytest

from bookings.models import Reservation
from payments.models import Payment
from payments.tests.factories import checkout, pay_url
from payments.tests.stripe_helpers import intent_id_of

pytestmark = pytest.mark.django_db


def test_checkout_and_box_office_charge_the_booked_total(
    customer_client, admin_client, hold, show, stripe_on
):
    assert hold.total_price == Decimal("30.00")  # A1 12.00 + C1 18.00

    body = checkout(customer_client, hold).json()
    intent = stripe_on.intent(intent_id_of(body["client_secret"]))
    assert (body["amount"], intent.amount) == ("30.00", 3000)

    response = admin_client.post(pay_url(hold), {"method": "cash"}, format="json")
    assert response.json()["payment"]["amount"] == "30.00"
    assert Payment.objects.get(reservation=hold, provider="box_office").amount == Decimal("30.00")


@pytest.mark.parametrize("total", ["29.99", "0.00", "60.00"])
def test_a_total_its_seats_do_not_add_up_to_is_refused_not_charged(
    customer_client, admin_client, hold, stripe_on, caplog, total
):
    """Rows written around the engine (a data load, a hand-made fix) could make the two
    disagree: neither figure is taken then."""
    Reservation.objects.filter(pk=hold.pk).update(total_price=Decimal(total))
    intents_before = len(stripe_on.client().v1.payment_intents.list(params={"limit": 1000}).data)

    with caplog.at_level(logging.ERROR, logger="payments"):
        online = checkout(customer_client, hold)
        counter = admin_client.post(pay_url(hold), {"method": "cash"}, format="json")

    for response in (online, counter):
        assert response.status_code == 409
        assert response.json()["code"] == "total_mismatch"
    assert not Payment.objects.filter(reservation=hold).exists()
    assert len(stripe_on.client().v1.payment_intents.list(params={"limit": 1000}).data) == (
        intents_before
    )
    hold.refresh_from_db()
    assert (hold.status, hold.payment_status) == ("HELD", "none")
    assert f"total {total} but its seats' prices add up to 30.00" in caplog.text
