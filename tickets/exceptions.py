"""Ticket and door errors: plain domain errors (core/errors.py) with a ``code``.

The door's refusals carry the ticket (``DoorRefusal.ticket``): the view adds it to the
answer, so the door screen can show the seat and the showtime. The refusal of a cancel
once a ticket was used (``ReservationCheckedIn``, 409 ``checked_in``) is the booking
engine's error (bookings/exceptions.py), raised here by ``tickets_void``.
"""

from datetime import datetime

from core.errors import Conflict, InvalidRequest, NotFound


class TicketNotFound(NotFound):
    detail = "No ticket has this code."
    code = "ticket_not_found"


class DoorRefusal(Conflict):
    """The ticket exists but does not admit now; ``ticket`` is the Ticket."""

    def __init__(self, detail: str | None = None, *, ticket, **extra):
        super().__init__(detail, **extra)
        self.ticket = ticket


class AlreadyCheckedIn(DoorRefusal):
    detail = "This ticket was already checked in."
    code = "already_checked_in"
    fields = {"checked_in_at": datetime}


class TicketVoid(DoorRefusal):
    detail = "This ticket is void: its reservation was cancelled."
    code = "ticket_void"


class WrongShowtime(DoorRefusal):
    detail = "This ticket is for another showtime."
    code = "wrong_showtime"
    fields = {"scanner_showtime": int}


class TooEarly(DoorRefusal):
    detail = "The doors for this showtime are not open yet."
    code = "too_early"
    fields = {"doors_open_at": datetime}


class ShowtimeEnded(DoorRefusal):
    detail = "This showtime has ended; its tickets no longer admit."
    code = "showtime_ended"


# The door's refusal codes, in the order the door checks them (docs/tickets.md).
DOOR_REFUSAL_CODES = tuple(
    refusal.code
    for refusal in (TicketVoid, WrongShowtime, AlreadyCheckedIn, TooEarly, ShowtimeEnded)
)


# --- printed tickets (tickets.pdf) ---------------------------------------------------------
class UnknownLayout(InvalidRequest):
    detail = "Unknown layout: use one of `layouts`."
    code = "unknown_layout"
    fields = {"layouts": list[str]}


class NoTicketsToPrint(Conflict):
    detail = "This reservation has no valid tickets to print (it is not confirmed, or cancelled)."
    code = "no_valid_tickets"
