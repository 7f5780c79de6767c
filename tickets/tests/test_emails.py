"""The confirmation and cancellation emails, as a real SMTP server receives them."""

import datetime as dt
from email.message import EmailMessage

import pytest
from django.db import transaction

from bookings import services as booking_services
from bookings.tests.factories import book, seat
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from notifications import registry
from notifications.delivery import deliver_due
from notifications.models import OutboxEmail, OutboxStatus
from tickets.codes import display
from tickets.emails import CANCELLATION, CONFIRMATION
from tickets.models import Ticket
from tickets.tests.qr_decode import decode_png
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def summer_show(db):
    """18:00 UTC on a July evening: 20:00 in Berlin (CEST), the cinema's zone."""
    hall = HallFactory(name="Riverside", layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]})
    start = dt.datetime(2030, 7, 5, 18, 0, tzinfo=dt.UTC)
    return ShowtimeFactory(
        hall=hall,
        movie=MovieFactory(title="Letters to Lisbon"),
        start_time=start,
        price="9.50",
        vip_price="13.50",
    )


def _parts(message: EmailMessage) -> dict[str, list]:
    parts: dict[str, list] = {}
    for part in message.walk():
        if not part.is_multipart():
            parts.setdefault(part.get_content_type(), []).append(part)
    return parts


def _assert_says(body: str, *phrases: str) -> None:
    missing = [phrase for phrase in phrases if phrase not in body]
    assert not missing, (missing, body)


def _inline_qr_codes(images: list, html: str) -> set[str]:
    """The codes the inline images' QR codes carry; each image is inline and shown by
    the HTML through its Content-ID."""
    codes = set()
    for image in images:
        content_id = image["Content-ID"].strip("<>")
        assert f'src="cid:{content_id}"' in html
        assert image.get_content_disposition() == "inline"
        (code,) = decode_png(image.get_content())
        codes.add(code)
    assert len(codes) == len(images)
    return codes


def test_emails_confirmation_arrives_with_both_parts_and_a_qr_per_ticket(
    smtp_server, summer_show, settings
):
    buyer = UserFactory(first_name="Ines", email="ines@example.com")
    reservation = book(
        user=buyer, showtime=summer_show, seats=[seat(summer_show, "B2"), seat(summer_show, "C3")]
    )
    codes = {t.seat.label: t.code for t in Ticket.objects.filter(reservation=reservation)}

    result = deliver_due()

    assert (result.sent, result.retried, result.dead) == (1, 0, 0)
    (delivery,) = smtp_server.sink.deliveries
    assert delivery.rcpt_tos == ["ines@example.com"]
    message = delivery.message
    outbox = OutboxEmail.objects.get()
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["To"] == "ines@example.com"
    assert message["Subject"] == "Your tickets: Letters to Lisbon, Friday 5 July 2030, 20:00"
    assert message["Message-ID"] == f"<{outbox.token}@marquee.example>"
    assert message.get_content_type() == "multipart/related"

    parts = _parts(message)
    (text,) = [part.get_content() for part in parts["text/plain"]]
    (html,) = [part.get_content() for part in parts["text/html"]]
    for body in (text, html):
        _assert_says(
            body,
            "Hello Ines",
            "Letters to Lisbon",
            "Riverside, Friday 5 July 2030, 20:00 (CEST)",
            "B2",
            "C3",
            "9.50",
            "13.50",
            "23.00",
            display(codes["B2"]),
            display(codes["C3"]),
        )
    assert _inline_qr_codes(parts["image/png"], html) == set(codes.values())
    assert OutboxEmail.objects.get().status == OutboxStatus.SENT


def test_emails_cancellation_arrives_with_the_refund_line_when_given(smtp_server, summer_show):
    buyer = UserFactory(email="paul@example.com")
    reservation = book(user=buyer, showtime=summer_show, seats=[seat(summer_show, "A1")])
    deliver_due()
    booking_services.reservation_cancel(reservation=reservation, by=buyer)

    def refund(*, reservation):
        return {"refund": f"{reservation.total_price} back to your card"}

    registry.add_context(CANCELLATION, refund)
    try:
        deliver_due()
    finally:
        registry._context_providers[CANCELLATION].remove(refund)

    confirmation, cancellation = smtp_server.messages
    assert cancellation["Subject"] == "Cancelled: Letters to Lisbon, Friday 5 July 2030, 20:00"
    assert cancellation["Message-ID"] != confirmation["Message-ID"]
    parts = _parts(cancellation)
    text = parts["text/plain"][0].get_content()
    html = parts["text/html"][0].get_content()
    for body in (text, html):
        _assert_says(body, "is cancelled", "A1", "9.50 back to your card")
    assert "image/png" not in parts


def test_emails_cancellation_without_a_refund_has_no_refund_line(smtp_server, summer_show):
    buyer = UserFactory()
    reservation = book(user=buyer, showtime=summer_show, seats=[seat(summer_show, "A1")])
    deliver_due()
    booking_services.reservation_cancel(reservation=reservation, by=buyer)
    deliver_due()
    assert "Refund" not in smtp_server.messages[1].get_body(("plain",)).get_content()


def test_emails_cancelled_before_the_confirmation_went_out_get_only_the_cancellation(
    smtp_server, summer_show
):
    """A confirmation still in the outbox when the reservation is cancelled would carry
    QR codes the door refuses: it is skipped, and the cancellation arrives alone."""
    buyer = UserFactory(email="quick@example.com")
    reservation = book(user=buyer, showtime=summer_show, seats=[seat(summer_show, "A1")])
    booking_services.reservation_cancel(reservation=reservation, by=buyer)

    result = deliver_due()

    assert (result.sent, result.skipped) == (1, 1)
    (only,) = smtp_server.messages
    assert only["Subject"].startswith("Cancelled: ")
    assert only["To"] == "quick@example.com"
    statuses = dict(OutboxEmail.objects.values_list("kind", "status"))
    assert statuses == {CONFIRMATION: OutboxStatus.SKIPPED, CANCELLATION: OutboxStatus.SENT}


def test_emails_customer_without_an_address_gets_none_and_nothing_fails(
    smtp_server, summer_show, customer_client
):
    buyer = UserFactory(email="")
    reservation = book(user=buyer, showtime=summer_show, seats=[seat(summer_show, "A1")])
    booking_services.reservation_cancel(reservation=reservation, by=buyer)

    result = deliver_due()

    assert (result.sent, result.skipped, result.retried, result.dead) == (0, 2, 0, 0)
    assert smtp_server.messages == []
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.SKIPPED}


def test_emails_rolled_back_booking_sends_nothing(smtp_server, summer_show):
    buyer = UserFactory()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        book(user=buyer, showtime=summer_show, seats=[seat(summer_show, "A1")])
        assert OutboxEmail.objects.count() == 1  # written, inside the transaction
        raise Abort

    assert deliver_due().handled == 0
    assert not OutboxEmail.objects.exists()
    assert not Ticket.objects.exists()
    assert smtp_server.messages == []


def test_emails_refused_booking_sends_nothing(smtp_server, summer_show, customer_client):
    book(showtime=summer_show, seats=[seat(summer_show, "A1")])
    deliver_due()
    response = customer_client.post(
        "/api/reservations/",
        {"showtime": summer_show.pk, "seats": [seat(summer_show, "A1").pk]},
        format="json",
    )
    assert response.status_code == 409
    assert deliver_due().handled == 0
    assert len(smtp_server.messages) == 1  # the first booking's, nothing for the refusal


def test_emails_show_a_title_as_written_in_the_subject_and_text_and_escaped_in_html(
    smtp_server, summer_show
):
    summer_show.movie.title = "Marley & Me's <Night>"
    summer_show.movie.save()
    buyer = UserFactory(first_name="Ines", email="ines@example.com")
    book(user=buyer, showtime=summer_show, seats=[seat(summer_show, "A1")])

    deliver_due()

    (delivery,) = smtp_server.sink.deliveries
    message = delivery.message
    assert message["Subject"] == "Your tickets: Marley & Me's <Night>, Friday 5 July 2030, 20:00"
    parts = _parts(message)
    (text,) = [part.get_content() for part in parts["text/plain"]]
    (html,) = [part.get_content() for part in parts["text/html"]]
    assert "Marley & Me's <Night>" in text
    assert "Marley &amp; Me&#x27;s &lt;Night&gt;" in html
    assert "<Night>" not in html
