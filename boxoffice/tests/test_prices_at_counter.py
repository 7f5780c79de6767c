"""Ticket types, vouchers and prices set by hand at the counter."""

from decimal import Decimal

import pytest

from audit.models import Action, AuditEntry
from bookings.models import Reservation
from bookings.tests.factories import seat, seat_ids
from payments.models import Payment
from payments.tests.factories import on_shift
from pricing.models import DiscountKind
from pricing.tests.factories import VoucherFactory, family_prices
from testsupport.testing import client_for
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/box-office/sales/"


@pytest.fixture(autouse=True)
def _prices(db):
    family_prices()  # Child 7.50 / 11.00, Student 8.00


def _family(show, **extra):
    a1, a2, a3, a4 = seat_ids(show, "A1", "A2", "A3", "A4")
    return {
        "showtime": show.pk,
        "seats": [a1, a2, {"id": a3, "type": "child"}, {"id": a4, "type": "child"}],
        "method": "cash",
        **extra,
    }


def test_a_family_with_a_voucher_pays_the_discounted_total_at_the_counter(cashier_client, show):
    VoucherFactory(code="FAMILY10", kind=DiscountKind.PERCENT, value=Decimal("10"))

    response = cashier_client.post(URL, _family(show, voucher="family10"), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    # 12.00, 12.00, 7.50, 7.50 less 10 %: 10.80, 10.80, 6.75, 6.75.
    assert [(s["ticket_type"], s["price"]) for s in body["seats"]] == [
        ("adult", "10.80"),
        ("adult", "10.80"),
        ("child", "6.75"),
        ("child", "6.75"),
    ]
    assert (body["voucher"], body["discount"], body["total_price"]) == (
        "FAMILY10",
        "3.90",
        "35.10",
    )
    payment = Payment.objects.get(reservation_id=body["id"])
    assert payment.amount == Decimal("35.10")  # the money taken is the total, to the cent


def test_a_cashier_sets_a_price_by_hand_with_a_reason_and_the_audit_trail_keeps_it(
    cashier_client, cashier, show
):
    body = {
        "showtime": show.pk,
        "seats": [{"id": seat(show, "A1").pk, "price": "5.00"}, seat(show, "A2").pk],
        "price_reason": "Broken armrest",
        "method": "cash",
    }

    response = cashier_client.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    sale = response.json()
    assert [(s["list_price"], s["discount"], s["price"]) for s in sale["seats"]] == [
        ("12.00", "7.00", "5.00"),
        ("12.00", "0.00", "12.00"),
    ]
    assert sale["total_price"] == "17.00"
    entry = AuditEntry.objects.get(action=Action.OVERRIDE)
    assert entry.actor_id == cashier.pk
    assert entry.object_id == str(sale["id"])
    assert entry.before == {"A1": "12.00"}
    assert entry.after == {"A1": "5.00", "reason": "Broken armrest"}


@pytest.mark.parametrize("price", ["12.01", "-1.00"])
def test_a_cashier_may_not_go_above_the_list_price_or_below_zero(cashier_client, show, price):
    body = {
        "showtime": show.pk,
        "seats": [{"id": seat(show, "A1").pk, "price": price}],
        "price_reason": "Regular",
        "method": "cash",
    }

    response = cashier_client.post(URL, body, format="json")

    assert response.status_code in (400, 403)
    if response.status_code == 403:
        assert response.json()["code"] == "price_override_refused"
        assert response.json()["highest"] == "12.00"
    assert Reservation.objects.count() == 0
    assert not AuditEntry.objects.filter(action=Action.OVERRIDE).exists()


def test_the_floor_setting_bounds_a_cashiers_price(cashier_client, show, settings):
    settings.PRICE_OVERRIDE_FLOOR_PERCENT = 50
    body = {
        "showtime": show.pk,
        "seats": [{"id": seat(show, "A1").pk, "price": "5.99"}],
        "price_reason": "Friend of the house",
        "method": "cash",
    }

    response = cashier_client.post(URL, body, format="json")

    assert response.status_code == 403
    assert response.json()["lowest"] == "6.00"


def test_an_admin_may_sell_above_the_list_price(show):
    admin = on_shift(AdminFactory())
    body = {
        "showtime": show.pk,
        "seats": [{"id": seat(show, "C1").pk, "price": "25.00"}],
        "price_reason": "Premiere gala seat",
        "method": "cash",
    }

    response = client_for(admin).post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["total_price"] == "25.00"


def test_a_price_by_hand_needs_a_reason(cashier_client, show):
    body = {"showtime": show.pk, "seats": [{"id": seat(show, "A1").pk, "price": "5.00"}]}

    response = cashier_client.post(URL, {**body, "method": "cash"}, format="json")

    assert response.status_code == 400
    assert "price_reason" in response.json()
    assert Reservation.objects.count() == 0


def test_a_customer_online_cannot_set_a_price(show):
    body = {"showtime": show.pk, "seats": [{"id": seat(show, "A1").pk, "price": "1.00"}]}

    response = client_for(UserFactory()).post("/api/reservations/", body, format="json")

    assert response.status_code == 201
    assert response.json()["total_price"] == "12.00"  # the list price: `price` is not theirs
