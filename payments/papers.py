"""The printed papers of a reservation: its tickets and, for a sale at the counter, the
receipt of the money taken there.

Assembled here rather than in tickets because the receipt reads the box-office payment
(method, cashier, time), and tickets may not import payments (the layer contract in
pyproject.toml); payments sits above tickets and reads both. tickets.pdf draws from
plain values.
"""

from django.utils import timezone

from bookings.models import Reservation
from core.days import local_zone
from core.money import money_sum
from payments.models import Payment, PaymentStatus, Provider
from pricing.services import ticket_type_name
from tickets import pdf


def counter_receipt(*, reservation: Reservation) -> pdf.Receipt | None:
    """The receipt of a sale at the counter: its SUCCEEDED box-office payment, with the
    seats and prices paid. None for an online booking, or a counter sale not paid (yet)
    at the counter."""
    if not reservation.at_counter:
        return None
    payment = (
        Payment.objects.select_related("taken_by")
        .filter(
            reservation=reservation,
            provider=Provider.BOX_OFFICE,
            status=PaymentStatus.SUCCEEDED,
        )
        .first()
    )
    if payment is None:
        return None
    cashier = payment.taken_by
    showtime = reservation.showtime
    zone = local_zone()
    claims = list(reservation.seats.select_related("seat").order_by("seat__position"))
    discount = money_sum(claim.discount for claim in claims)
    voucher = reservation.voucher.code if reservation.voucher_id else ""
    return pdf.Receipt(
        reservation=reservation.pk,
        movie=showtime.movie.title,
        hall=showtime.hall.name,
        start=timezone.localtime(showtime.start_time, zone),
        # Each seat at its list price, the discount below them, then the total paid.
        seats=[
            (
                f"{claim.seat.label} · {ticket_type_name(showtime.price_list_id, claim.ticket_type)}",
                claim.list_price_or_price,
            )
            for claim in claims
        ],
        discount=discount,
        discount_reason=f"Voucher {voucher}" if voucher else "Discount",
        total=payment.amount,
        method=payment.get_method_display(),
        cashier=(cashier.get_full_name() or cashier.username) if cashier else "",
        paid_at=timezone.localtime(payment.succeeded_at or payment.created_at, zone),
    )


def reservation_tickets_pdf(*, reservation: Reservation, layout: str) -> bytes:
    """The reservation's valid tickets, one a page, and the counter receipt last.
    Errors: UnknownLayout (400), NoTicketsToPrint (409)."""
    chosen = pdf.layout_named(layout)
    tickets = pdf.printable_tickets(reservation=reservation)
    return pdf.tickets_pdf(tickets, layout=chosen, receipt=counter_receipt(reservation=reservation))
