"""The emails about a reservation: built by the outbox worker at delivery
(``notifications.registry``), from the reservation as the database has it then.

Everything they show is fixed once the reservation is made: its seats with the price
paid (kept on the claims even after a cancel), the showtime's start (locked once it has
reservations), the tickets' codes. So rendering at delivery shows what rendering at
the state change would have, and keeps templates and QR images out of the booking's
transaction.

HTML and plain text from Django templates (``tickets/templates/tickets/email/``); each
ticket's QR code is an inline PNG (``multipart/related``) that the HTML shows by its
Content-ID. Other apps add to the context with ``notifications.registry.add_context``;
the cancellation email shows a ``refund`` line when one is given (payments gives it:
``payments.selectors.refund_line``, registered in ``PaymentsConfig.ready``).
"""

from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from bookings.models import PaymentState, Reservation, ReservationStatus
from bookings.services import CONFIRMATION_EMAIL
from core.days import local_zone
from core.money import format_money, money_sum
from notifications import registry
from pricing.services import ticket_type_name
from tickets.qr import qr_png
from tickets.selectors import reservation_tickets

# The engine names the kind: its re-send (bookings.services) writes it too.
CONFIRMATION = CONFIRMATION_EMAIL
CANCELLATION = "reservation_cancelled"
_QR_SCALE = 5


def _reservation(message) -> Reservation:
    return Reservation.objects.select_related(
        "user", "showtime__movie", "showtime__hall", "voucher"
    ).get(pk=message.context["reservation"])


def _context(reservation: Reservation) -> dict:
    showtime = reservation.showtime
    start = timezone.localtime(showtime.start_time, local_zone())
    claims = list(reservation.seats.select_related("seat").order_by("seat__position"))
    discount = money_sum(claim.discount for claim in claims)
    return {
        "name": _greeting_name(reservation),
        "reservation": reservation,
        "movie": showtime.movie.title,
        "hall": showtime.hall.name,
        "start": start,
        "start_text": dateformat.format(start, "l j F Y, H:i"),
        "time_zone": start.tzname(),
        "seats": [
            {
                "label": claim.seat.label,
                "type": claim.seat.get_seat_type_display(),
                "ticket": ticket_type_name(showtime.price_list_id, claim.ticket_type),
                "list_price": format_money(claim.list_price_or_price),
                "discount": format_money(claim.discount) if claim.discount else "",
                "price": format_money(claim.price),
            }
            for claim in claims
        ],
        # What came off the list prices (a voucher, a price set at the counter), and
        # the voucher's code, shown above the total.
        "discount": format_money(discount) if discount else "",
        "voucher": reservation.voucher.code if reservation.voucher_id else "",
        "total": format_money(reservation.total_price),
        # Confirmed with no payment (PAYMENT_REQUIRED off): the money is taken at the
        # box office, so the email says so instead of "paid".
        "paid": reservation.payment_status == PaymentState.PAID,
        "doors_open_minutes": settings.DOORS_OPEN_MINUTES,
    }


def _greeting_name(reservation: Reservation) -> str:
    """The name to greet: the account's first name or username online; at the counter
    the name the customer gave (else the account's), or none for a walk-in."""
    if reservation.customer_name:
        return reservation.customer_name
    user = reservation.user
    return (user.first_name or user.username) if user is not None else ""


def _render(name: str, context: dict, *, to: str) -> EmailMultiAlternatives:
    subject = " ".join(render_to_string(f"tickets/email/{name}_subject.txt", context).split())
    text = render_to_string(f"tickets/email/{name}.txt", context)
    html = render_to_string(f"tickets/email/{name}.html", context)
    email = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    email.attach_alternative(html, "text/html")
    return email


def _qr_image(code: str, content_id: str) -> MIMEImage:
    image = MIMEImage(qr_png(code, scale=_QR_SCALE), "png")
    image.add_header("Content-ID", f"<{content_id}>")
    image.add_header("Content-Disposition", "inline", filename=f"ticket-{code}.png")
    return image


@registry.register(CONFIRMATION)
def confirmation_email(message) -> EmailMultiAlternatives | None:
    """Movie, hall, start in the cinema's time zone, seats and prices, and a QR code per
    ticket."""
    reservation = _reservation(message)
    if not reservation.contact_email:
        return None
    if reservation.status == ReservationStatus.CANCELLED:
        # Cancelled before this was sent: its tickets are void, and the cancellation
        # email follows. A confirmation with QR codes the door refuses helps nobody.
        return None
    tickets = [
        {
            "code": ticket.code,
            "display_code": ticket.display_code,
            "seat": ticket.seat.label,
            "content_id": f"ticket-{ticket.code}@marquee",
        }
        for ticket in reservation_tickets(reservation_id=reservation.pk)
    ]
    context = {
        **_context(reservation),
        "tickets": tickets,
        **registry.extra_context(CONFIRMATION, reservation=reservation),
    }
    email = _render("confirmed", context, to=reservation.contact_email)
    # multipart/related: the images belong to the HTML that shows them.
    email.mixed_subtype = "related"
    for ticket in tickets:
        email.attach(_qr_image(ticket["code"], ticket["content_id"]))
    return email


@registry.register(CANCELLATION)
def cancellation_email(message) -> EmailMultiAlternatives | None:
    """The cancelled seats and, when the app that took the payment says so, the
    refund (``refund`` in the context: a line of text, or anything printable). When
    the cinema cancelled the screening, why, and how the money comes back."""
    reservation = _reservation(message)
    if not reservation.contact_email:
        return None
    context = {
        **_context(reservation),
        "refund": message.context.get("refund"),
        # The cinema's reason when it cancelled the whole screening (decided with the
        # cancel: bookings.services.showtime_cancel), else absent.
        "screening_cancelled": message.context.get("screening_cancelled"),
        **registry.extra_context(CANCELLATION, reservation=reservation),
    }
    return _render("cancelled", context, to=reservation.contact_email)
