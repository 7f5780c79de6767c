"""Tickets: issued when a reservation becomes CONFIRMED, voided when it is cancelled
(both from the booking engine's transition steps, through its signals:
``tickets.receivers``), used once at the door (``ticket_check_in``).

Lock order, continuing the booking engine's (docs/booking.md): showtime row,
reservation row, then the reservation's tickets. The check-in takes no lock but the
ticket's own row, in one conditional UPDATE, so a busy door never waits for a showtime's
bookings and two scanners of one code cannot both admit it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

import audit
from bookings.exceptions import ReservationCheckedIn
from bookings.models import ReservationSeat
from cinema.models import Seat
from tickets import queries, selectors
from tickets.codes import new_code, normalise
from tickets.exceptions import (
    AlreadyCheckedIn,
    ShowtimeEnded,
    TicketNotFound,
    TicketVoid,
    TooEarly,
    WrongShowtime,
)
from tickets.models import Ticket, TicketStatus


def tickets_issue(*, reservation, now: datetime, seat_ids: list[int] | None = None) -> int:
    """A valid ticket for each seat of ``reservation``, which has just become
    CONFIRMED. Caller holds the showtime lock, in the confirming transaction. One
    INSERT (prepared: tickets/queries.py), after one read of the reservation's seats unless ``seat_ids`` names them.
    Returns how many."""
    if seat_ids is None:
        seat_ids = list(
            ReservationSeat.objects.filter(reservation_id=reservation.pk)
            .active()
            .values_list("seat_id", flat=True)
        )
    if seat_ids:
        queries.tickets_insert.execute(
            [
                {
                    "code": new_code(),
                    "reservation_id": reservation.pk,
                    "showtime_id": reservation.showtime_id,
                    "seat_id": seat_id,
                    "status": TicketStatus.VALID,
                    "issued_at": now,
                    "voided_at": None,
                    "checked_in_at": None,
                    "checked_in_by_id": None,
                }
                for seat_id in seat_ids
            ]
        )
    return len(seat_ids)


def tickets_void(*, reservation, now: datetime, keep_used: bool = False) -> int:
    """Void the tickets of ``reservation``, which is being cancelled; refuse if one was
    checked in (ReservationCheckedIn, 409 ``checked_in``, naming its seats), unless
    ``keep_used`` (the cinema cancelled the screening: a used ticket stays used). Caller holds
    the showtime and reservation locks; this locks the tickets' rows, so a check-in of
    one of them either committed before (then this refuses) or finds it void after.
    Returns how many were voided."""
    tickets = list(
        Ticket.objects.select_for_update()
        .filter(reservation_id=reservation.pk)
        .order_by("pk")
        .values_list("status", "seat_id")
    )
    used = [seat_id for status, seat_id in tickets if status == TicketStatus.USED]
    if used and not keep_used:
        seats = Seat.objects.filter(pk__in=used).order_by("position")
        raise ReservationCheckedIn(seats=[{"id": seat.pk, "label": seat.label} for seat in seats])
    if not tickets:
        return 0
    return Ticket.objects.filter(reservation_id=reservation.pk, status=TicketStatus.VALID).update(
        status=TicketStatus.VOID, voided_at=now
    )


def doors_open_at(start_time: datetime) -> datetime:
    return start_time - timedelta(minutes=settings.DOORS_OPEN_MINUTES)


def _refuse_at_door(ticket: Ticket, *, showtime_id: int | None, now: datetime) -> None:
    """Raise the door's answer for a ticket that does not admit now. The order is
    what the door staff need first: a void ticket is worthless anywhere, a ticket for
    another screen sends its holder elsewhere, and only then do used and time matter."""
    if ticket.status == TicketStatus.VOID:
        raise TicketVoid(ticket=ticket)
    if showtime_id is not None and ticket.showtime_id != showtime_id:
        raise WrongShowtime(
            detail=f"This ticket is for showtime {ticket.showtime_id}, not {showtime_id}.",
            ticket=ticket,
            scanner_showtime=showtime_id,
        )
    if ticket.status == TicketStatus.USED:
        raise AlreadyCheckedIn(ticket=ticket, checked_in_at=ticket.checked_in_at)
    opens = doors_open_at(ticket.showtime.start_time)
    if now < opens:
        raise TooEarly(ticket=ticket, doors_open_at=opens)
    if now >= ticket.showtime.end_time:
        raise ShowtimeEnded(ticket=ticket)


def ticket_check_in(*, code: str, by, showtime_id: int | None = None, now=None) -> Ticket:
    """Admit the ticket with ``code`` (as typed or scanned) once.

    ``showtime_id`` is the showtime the scanner is set to, if any. Errors:
    TicketNotFound (404); TicketVoid, WrongShowtime, AlreadyCheckedIn (with the first
    scan's time), TooEarly (before DOORS_OPEN_MINUTES ahead of the start), ShowtimeEnded
    (409), each carrying the ticket.

    Race-free without a lock wait: the admission is one ``UPDATE ... WHERE status =
    'valid'``. Of two scanners reading one code at the same moment, the second UPDATE
    waits for the first one's row lock and then matches nothing; it reads the ticket
    again and answers ``already_checked_in`` (or ``ticket_void`` if a cancel won).
    """
    now = now or timezone.now()
    stored = normalise(code)
    ticket = selectors.ticket_at_door(code=stored) if stored else None
    if ticket is None:
        raise TicketNotFound()
    _refuse_at_door(ticket, showtime_id=showtime_id, now=now)
    admitted = Ticket.objects.filter(Q(pk=ticket.pk) & Q(status=TicketStatus.VALID)).update(
        status=TicketStatus.USED, checked_in_at=now, checked_in_by=by
    )
    if not admitted:
        ticket.refresh_from_db(fields=["status", "checked_in_at"])
        _refuse_at_door(ticket, showtime_id=showtime_id, now=now)
        raise AlreadyCheckedIn(ticket=ticket, checked_in_at=ticket.checked_in_at)
    ticket.status = TicketStatus.USED
    ticket.checked_in_at = now
    ticket.checked_in_by = by
    audit.record(
        audit.Action.CHECK_IN,
        ticket,
        actor=by,
        # Not the code: it admitted its bearer, and the trail is read by more people.
        label=f"Ticket {ticket.pk} (reservation {ticket.reservation_id})",
        before={"status": TicketStatus.VALID},
        after={"status": ticket.status, "checked_in_at": now},
    )
    return ticket
