"""Issue 20's "done when": a family of two adults and two children books with a
voucher through the API and pays by card (localstripe), and another at the counter;
every figure to the cent: the seats, the total Stripe charges, the refund, the voucher's
uses."""

from decimal import Decimal

import pytest

from bookings.models import Reservation
from bookings.tests.factories import seat_ids
from payments.models import Payment, PaymentStatus
from payments.tests.factories import deliver, on_shift
from pricing.models import DiscountKind, Voucher
from pricing.tests.factories import VoucherFactory, family_prices
from testsupport.testing import client_for
from users.tests.factories import CashierFactory

pytestmark = pytest.mark.django_db


def _family(show, row, **extra):
    a, b, c, d = seat_ids(show, f"{row}1", f"{row}2", f"{row}3", f"{row}4")
    return {
        "showtime": show.pk,
        "seats": [a, b, {"id": c, "type": "child"}, {"id": d, "type": "child"}],
        **extra,
    }


def test_a_family_books_with_a_voucher_pays_by_card_and_is_refunded_to_the_cent(
    customer,
    show,
    anon_client,
    localstripe,
    recorder,
    stripe_on,
    django_capture_on_commit_callbacks,
):
    # 12.00, 12.00 and two children at 7.50, less 15 %: 10.20 + 10.20 + 6.38 + 6.38.
    family_prices()
    VoucherFactory(code="FAMILY15", kind=DiscountKind.PERCENT, value=Decimal("15"), max_uses=10)
    family = client_for(customer)

    held = family.post(
        "/api/reservations/", _family(show, "A", voucher="family15", hold=True), format="json"
    )
    assert held.status_code == 201, held.json()
    reservation = held.json()
    assert (reservation["discount"], reservation["total_price"]) == ("5.84", "33.16")

    checkout = family.post(
        f"/api/reservations/{reservation['id']}/checkout/", {"provider": "stripe"}, format="json"
    )
    assert checkout.status_code == 201
    assert checkout.json()["amount"] == "33.16"
    intent_id = checkout.json()["client_secret"].split("_secret_")[0]
    assert stripe_on.intent(intent_id).amount == 3316  # Stripe charges exactly the total
    assert localstripe.pay(checkout.json()["client_secret"]) is None
    delivery = recorder.wait_for("payment_intent.succeeded", intent_id)
    assert deliver(anon_client, delivery).json()["outcome"] == "confirmed"
    paid = family.get(f"/api/reservations/{reservation['id']}/").json()
    assert paid["status"] == "CONFIRMED"
    assert paid["payment"] == {"status": "paid", "amount": "33.16", "currency": "EUR"}
    tickets = family.get(f"/api/reservations/{reservation['id']}/tickets/").json()
    assert tickets["count"] == 4

    with django_capture_on_commit_callbacks(execute=True):  # the refund asked after the commit
        family.delete(f"/api/reservations/{reservation['id']}/")
    cancelled = family.get(f"/api/reservations/{reservation['id']}/").json()
    assert cancelled["payment"]["status"] == "refunded"
    assert localstripe.amount_refunded(intent_id) == 3316  # what was paid, to the cent
    assert Payment.objects.get(reservation_id=reservation["id"]).status == PaymentStatus.REFUNDED
    voucher = Voucher.objects.get(code="FAMILY15")
    assert voucher.reservations.exclude(status="CANCELLED").count() == 0  # its use is back


def test_a_family_buys_at_the_counter_with_a_voucher(show):
    family_prices()
    VoucherFactory(code="TENOFF", kind=DiscountKind.AMOUNT, value=Decimal("10.00"))
    cashier = on_shift(CashierFactory())

    sale = client_for(cashier).post(
        "/api/box-office/sales/",
        _family(show, "B", voucher="TENOFF", method="cash", customer={"name": "The Ortegas"}),
        format="json",
    )

    assert sale.status_code == 201, sale.json()
    body = sale.json()
    # 10.00 over 12 + 12 + 7.50 + 7.50, in proportion: 3.08, 3.08, 1.92, 1.92.
    assert [(s["ticket_type"], s["discount"], s["price"]) for s in body["seats"]] == [
        ("adult", "3.08", "8.92"),
        ("adult", "3.08", "8.92"),
        ("child", "1.92", "5.58"),
        ("child", "1.92", "5.58"),
    ]
    assert (body["voucher"], body["discount"], body["total_price"]) == ("TENOFF", "10.00", "29.00")
    assert len(body["tickets"]) == 4
    assert Payment.objects.get(reservation_id=body["id"]).amount == Decimal("29.00")
    assert Reservation.objects.get(pk=body["id"]).total_price == Decimal("29.00")
