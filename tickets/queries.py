"""The ticket inserts of the booking path, compiled once (core/queries.py): a confirmed
booking writes its tickets in its own transaction, so their INSERT is on the hot path
(docs/performance.md)."""

from core.queries import PreparedInsert
from tickets.models import Ticket

TICKET_FIELDS = (
    "code",
    "reservation_id",
    "showtime_id",
    "seat_id",
    "status",
    "issued_at",
    "voided_at",
    "checked_in_at",
    "checked_in_by_id",
)

tickets_insert = PreparedInsert(Ticket, TICKET_FIELDS)
