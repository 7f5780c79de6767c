"""The Sell screen sells ticket types and takes a voucher: the form's counts per type
go to the first seats chosen, the rest are Adult."""

from decimal import Decimal

import pytest
from django.test import Client

from bookings.models import Reservation
from bookings.tests.factories import seat_ids
from pricing.models import DiscountKind
from pricing.tests.factories import VoucherFactory, family_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(cashier):
    family_prices()  # Child 7.50 / 11.00, Student 8.00
    client = Client()
    client.force_login(cashier)
    return client


def _url(show):
    return f"/admin/box-office/sell/{show.pk}/"


def test_the_sell_page_offers_the_ticket_types_and_a_voucher_field(till, show):
    html = till.get(_url(show)).content.decode()

    assert 'name="type_child"' in html
    assert "Child <small>(under 12)</small>" in html
    assert 'data-price-standard="7.50"' in html
    assert 'name="type_student"' in html
    assert 'name="type_adult"' not in html  # Adult is every other seat
    assert 'name="voucher"' in html


def test_two_children_and_a_voucher_at_the_till(till, show):
    VoucherFactory(code="FAMILY10", kind=DiscountKind.PERCENT, value=Decimal("10"))
    form = {
        "seat": seat_ids(show, "A1", "A2", "A3", "A4"),
        "type_child": "2",
        "type_student": "",
        "voucher": "family10",
        "method": "cash",
        "key": "k-1",
    }

    response = till.post(_url(show), form)

    assert response.status_code == 302, response.content.decode()[:2000]
    sale = Reservation.objects.get()
    claims = sale.seats.order_by("seat__position")
    assert [(c.seat.label, c.ticket_type, c.price) for c in claims] == [
        ("A1", "child", Decimal("6.75")),
        ("A2", "child", Decimal("6.75")),
        ("A3", "adult", Decimal("10.80")),
        ("A4", "adult", Decimal("10.80")),
    ]
    assert sale.total_price == Decimal("35.10")
    assert sale.voucher.code == "FAMILY10"


def test_more_tickets_than_seats_is_said_and_sells_nothing(till, show):
    form = {"seat": seat_ids(show, "A1"), "type_child": "2", "method": "cash", "key": "k-2"}

    response = till.post(_url(show), form)

    assert response.status_code == 409
    assert "choose a seat for each ticket" in response.content.decode()
    assert not Reservation.objects.exists()


def test_an_unknown_voucher_is_said_and_sells_nothing(till, show):
    form = {"seat": seat_ids(show, "A1"), "voucher": "NOPE", "method": "cash", "key": "k-3"}

    response = till.post(_url(show), form)

    assert response.status_code == 409
    assert "There is no voucher" in response.content.decode()
    assert not Reservation.objects.exists()
