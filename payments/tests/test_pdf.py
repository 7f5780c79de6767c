"""GET /api/reservations/{id}/tickets.pdf: read back as a customer or a cashier would
see it. The text through pypdf, and every page rendered to an image (pypdfium2) whose
QR codes zxing-cpp decodes: they must be the reservation's ticket codes."""

import io
import zoneinfo

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from bookings.models import Reservation
from bookings.tests.factories import book, seat
from payments.models import Method
from payments.services import payment_take_at_box_office
from payments.tests.factories import on_shift
from testsupport.testing import client_for
from tickets.codes import display
from tickets.models import Ticket
from users.models import Role
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LAYOUTS = ["a4", "thermal"]


def pdf_url(reservation, layout: str | None = None) -> str:
    query = f"?layout={layout}" if layout else ""
    return f"/api/reservations/{reservation.pk}/tickets.pdf{query}"


def pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def decoded_qr_codes(content: bytes) -> list[list[str]]:
    """The QR codes each page shows, rendered at 200 dpi as a printer would."""
    document = pypdfium2.PdfDocument(content)
    try:
        codes = []
        for page in document:
            image = page.render(scale=200 / 72).to_pil().convert("L")
            codes.append([barcode.text for barcode in zxingcpp.read_barcodes(image)])
        return codes
    finally:
        document.close()


def page_sizes_mm(content: bytes) -> list[tuple[float, float]]:
    return [
        (
            round(float(page.mediabox.width) / 72 * 25.4),
            round(float(page.mediabox.height) / 72 * 25.4),
        )
        for page in PdfReader(io.BytesIO(content)).pages
    ]


def codes_of(reservation) -> list[str]:
    return list(
        Ticket.objects.filter(reservation=reservation)
        .order_by("seat__position")
        .values_list("code", flat=True)
    )


@pytest.fixture
def cashier(db):
    return on_shift(UserFactory(role=Role.CASHIER, first_name="Carla", last_name="Kasse"))


@pytest.fixture
def usher(db):
    return UserFactory(role=Role.USHER)


@pytest.fixture
def booking(customer, show):
    """The customer's confirmed booking of A1 and C1 (12.00 + 18.00), online."""
    return book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "C1")])


@pytest.fixture
def counter_sale(show, cashier):
    """A2 and C2 sold by the cashier to a walk-in, paid in cash: a hold rewritten as the
    counter sale leaves it (sold_by, no account), then paid at the box office."""
    hold = book(user=cashier, showtime=show, seats=[seat(show, "A2"), seat(show, "C2")], hold=True)
    Reservation.objects.filter(pk=hold.pk).update(
        user=None, sold_by=cashier, customer_name="Wanda Walkin", customer_email="wanda@example.com"
    )
    payment_take_at_box_office(reservation_id=hold.pk, method=Method.CASH, staff=cashier)
    return Reservation.objects.get(pk=hold.pk)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_tickets_pdf_prints_each_ticket_with_its_qr_code(customer_client, booking, layout):
    response = customer_client.get(pdf_url(booking, layout))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="tickets-{booking.pk}.pdf"'
    codes = codes_of(booking)
    assert len(codes) == 2
    assert decoded_qr_codes(response.content) == [[codes[0]], [codes[1]]]
    first, second = pages_text(response.content)
    for text, label, kind, price, code in (
        (first, "A1", "Standard", "€12.00", codes[0]),
        (second, "C1", "VIP", "€18.00", codes[1]),
    ):
        assert booking.showtime.movie.title in text
        assert f"Hall: {booking.showtime.hall.name}" in text
        assert f"Seat {label}" in text
        assert kind in text
        assert price in text
        assert display(code) in text


def test_tickets_pdf_shows_the_local_start_with_its_date(customer_client, booking, settings):
    settings.TIME_ZONE = "America/New_York"
    start = booking.showtime.start_time.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))

    (text, _) = pages_text(customer_client.get(pdf_url(booking)).content)

    assert f"{start:%H:%M}" in text
    assert f"{start.day} {start:%B %Y}" in text
    assert f"({start.tzname()})" in text


def test_tickets_pdf_is_a4_by_default_and_an_80mm_roll_for_thermal(customer_client, booking):
    a4 = customer_client.get(pdf_url(booking)).content
    roll = customer_client.get(pdf_url(booking, "thermal")).content

    assert page_sizes_mm(a4) == [(210, 297), (210, 297)]
    widths, heights = zip(*page_sizes_mm(roll), strict=True)
    assert widths == (80, 80)
    assert all(100 < height < 200 for height in heights), heights


@pytest.mark.parametrize("layout", LAYOUTS)
def test_counter_sale_pdf_ends_with_its_receipt(cashier, counter_sale, layout):
    response = client_for(cashier).get(pdf_url(counter_sale, layout))

    assert response.status_code == 200
    pages = pages_text(response.content)
    assert len(pages) == 3
    codes = codes_of(counter_sale)
    assert decoded_qr_codes(response.content) == [[codes[0]], [codes[1]], []]
    receipt = pages[2]
    assert f"Reservation {counter_sale.pk}" in receipt
    assert "Seat A2" in receipt and "€12.00" in receipt
    assert "Seat C2" in receipt and "€18.00" in receipt
    assert "Total" in receipt and "€30.00" in receipt
    assert "Cash" in receipt
    assert "Carla Kasse" in receipt
    assert "Sold " in receipt


def test_online_booking_pdf_has_no_receipt(customer_client, booking):
    pages = pages_text(customer_client.get(pdf_url(booking)).content)

    assert len(pages) == 2
    assert not any("receipt" in text for text in pages)


def test_a_used_ticket_is_not_printed_again(customer_client, booking):
    used, valid = codes_of(booking)
    Ticket.objects.filter(code=used).update(status="used", checked_in_at=booking.created_at)

    content = customer_client.get(pdf_url(booking)).content

    assert decoded_qr_codes(content) == [[valid]]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", 200),
        ("other", 404),
        ("usher", 404),
        ("cashier", 200),
        ("admin", 200),
        ("anonymous", 401),
    ],
)
def test_tickets_pdf_who_may_read_it(
    who, expected, booking, customer, other_customer, usher, cashier, admin_user
):
    user = {
        "owner": customer,
        "other": other_customer,
        "usher": usher,
        "cashier": cashier,
        "admin": admin_user,
        "anonymous": None,
    }[who]

    response = client_for(user).get(pdf_url(booking))

    assert response.status_code == expected
    if expected != 200:
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] in {"not_found", "not_authenticated"}


def test_tickets_pdf_unknown_reservation_is_404_even_when_a_pdf_is_asked_for(cashier):
    response = client_for(cashier).get(
        "/api/reservations/999999/tickets.pdf", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_tickets_pdf_of_a_hold_is_409(customer_client, customer, show):
    hold = book(user=customer, showtime=show, seats=[seat(show, "B1")], hold=True)

    response = customer_client.get(pdf_url(hold))

    assert response.status_code == 409
    assert response.json()["code"] == "no_valid_tickets"


def test_tickets_pdf_of_a_cancelled_booking_is_409(customer_client, booking):
    assert customer_client.delete(f"/api/reservations/{booking.pk}/").status_code == 200

    response = customer_client.get(pdf_url(booking))

    assert response.status_code == 409
    assert response.json()["code"] == "no_valid_tickets"


def test_tickets_pdf_unknown_layout_is_400(customer_client, booking):
    response = customer_client.get(pdf_url(booking, "a5"))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Unknown layout: use one of `layouts`.",
        "code": "unknown_layout",
        "layouts": ["a4", "thermal"],
    }
