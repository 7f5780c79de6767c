"""A family's ticket types and voucher, everywhere a person reads them: the tickets
API, the confirmation email as the SMTP server receives it, the printed tickets and the
counter's receipt read back from the PDF, and the door screen."""

import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from pypdf import PdfReader

from bookings import services as booking_services
from bookings.tests.factories import seat
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory, future
from notifications.delivery import deliver_due
from notifications.testing import smtp_server  # noqa: F401  (a fixture)
from payments.tests.factories import on_shift
from pricing.models import DiscountKind
from pricing.tests.factories import VoucherFactory, family_prices
from testsupport.testing import client_for
from tickets.models import Ticket
from users.models import Role
from users.tests.factories import CashierFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(db):
    """Adult 12.00, Child 7.50 (under 12); a 10 % voucher FAMILY10."""
    family_prices()
    VoucherFactory(code="FAMILY10", kind=DiscountKind.PERCENT, value=Decimal("10"))
    return ShowtimeFactory(
        hall=HallFactory(layout={"rows": 2, "seats_per_row": 4}),
        movie=MovieFactory(title="The Lighthouse Keepers", age_rating="6"),
        start_time=future(hours=1),
        price=Decimal("12.00"),
        vip_price=Decimal("18.00"),
    )


def _family(show):
    return [
        booking_services.SeatChoice(seat(show, "A1").pk),
        booking_services.SeatChoice(seat(show, "A2").pk),
        booking_services.SeatChoice(seat(show, "A3").pk, "child"),
        booking_services.SeatChoice(seat(show, "A4").pk, "child"),
    ]


def _book_family(show, user):
    choices = _family(show)
    return booking_services.reservation_create(
        user=user,
        showtime_id=show.pk,
        seat_ids=[choice.seat_id for choice in choices],
        choices=choices,
        voucher="FAMILY10",
    ).reservation


def test_the_tickets_say_their_type(show):
    family = UserFactory()
    reservation = _book_family(show, family)

    body = client_for(family).get(f"/api/reservations/{reservation.pk}/tickets/").json()

    assert [
        (t["seat_label"], t["ticket_type"], t["ticket_type_name"]) for t in body["results"]
    ] == [
        ("A1", "adult", "Adult"),
        ("A2", "adult", "Adult"),
        ("A3", "child", "Child"),
        ("A4", "child", "Child"),
    ]


def test_the_confirmation_email_shows_types_discounts_and_the_voucher(smtp_server, show):  # noqa: F811
    _book_family(show, UserFactory(email="ortega@example.com"))

    deliver_due()

    (message,) = smtp_server.messages
    text = message.get_body(("plain",)).get_content()
    # 12.00 and 7.50 less 10 %: 10.80 and 6.75; 3.90 off in all; 35.10.
    for line in (
        "A1 (Standard), Adult  €12.00 - €1.20 = €10.80",
        "A3 (Standard), Child  €7.50 - €0.75 = €6.75",
        "Voucher FAMILY10: -€3.90",
        "Total: €35.10",
    ):
        assert line in text, text
    html = message.get_body(("html",)).get_content()
    assert "Standard, Child" in html and "Voucher FAMILY10" in html and "-€3.90" in html


def test_the_printed_tickets_and_the_receipt_show_types_and_the_voucher(show):
    cashier = on_shift(CashierFactory())
    till = client_for(cashier)
    sale = till.post(
        "/api/box-office/sales/",
        {
            "showtime": show.pk,
            "seats": [
                seat(show, "B1").pk,
                {"id": seat(show, "B2").pk, "type": "child"},
            ],
            "voucher": "FAMILY10",
            "method": "cash",
        },
        format="json",
    ).json()

    pdf = till.get(f"/api/reservations/{sale['id']}/tickets.pdf")

    assert pdf.status_code == 200
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages]
    assert "Standard · Adult" in pages[0]
    assert "Standard · Child" in pages[1]
    receipt = pages[-1]
    for text in (
        "Seat B1 · Adult",
        "€12.00",
        "Seat B2 · Child",
        "€7.50",
        "Voucher FAMILY10",
        "-€1.95",
        "€17.55",
    ):
        assert text in receipt, receipt


def test_the_door_screen_says_child(show):
    reservation = _book_family(show, UserFactory())
    child = Ticket.objects.get(reservation=reservation, seat=seat(show, "A3"))
    adult = Ticket.objects.get(reservation=reservation, seat=seat(show, "A1"))
    usher = Client()
    usher.force_login(UserFactory(role=Role.USHER))

    def scan(ticket):
        return usher.post(
            f"/door/{show.pk}/scan/",
            json.dumps({"code": ticket.code}),
            content_type="application/json",
        ).json()

    assert scan(child)["ticket_type"] == "Standard · Child"
    assert scan(adult)["ticket_type"] == "Standard"
