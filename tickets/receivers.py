"""Tickets' part in the booking engine's transitions: receivers of its signals
(bookings/signals.py), connected in ``TicketsConfig.ready``. They run inside the
engine's transaction, under its showtime and reservation locks. Everything here is
writes to this database: tickets, and outbox rows that the email worker delivers after
commit.
"""

from datetime import datetime

from bookings.models import ReservationStatus
from notifications.services import email_enqueue
from tickets import emails, services


def reservation_confirmed(
    sender, *, reservation, now: datetime, seat_ids: list[int] | None = None, **kwargs
):
    """The reservation has just become CONFIRMED: a ticket per seat, and the
    confirmation email with them."""
    services.tickets_issue(reservation=reservation, now=now, seat_ids=seat_ids)
    email_enqueue(kind=emails.CONFIRMATION, context={"reservation": reservation.pk})


def reservation_cancelling(
    sender, *, reservation, now: datetime, screening_cancelled=None, **kwargs
):
    """The reservation is being cancelled (its status is still the old one, so a
    refusal changes nothing): refuse if a ticket was checked in (409 ``checked_in``),
    void its tickets, and tell the customer if it was a confirmed sale (a hold they let
    go was never confirmed to them by email).

    When the cinema cancelled the whole screening (``screening_cancelled``, its reason),
    guests already inside do not stop it: their tickets stay used (who was in is
    history), the others are voided, and the email says why."""
    services.tickets_void(
        reservation=reservation, now=now, keep_used=screening_cancelled is not None
    )
    if reservation.status == ReservationStatus.CONFIRMED:
        context = {"reservation": reservation.pk}
        if screening_cancelled is not None:
            context["screening_cancelled"] = screening_cancelled
        email_enqueue(kind=emails.CANCELLATION, context=context)
