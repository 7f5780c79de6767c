"""Reads of tickets, with their joins applied, and the showtimes the door screen offers."""

from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from bookings.models import ReservationSeat
from cinema.models import Showtime
from tickets.models import Ticket, TicketStatus
from users import roles

_DOOR_JOINS = ("seat", "showtime__movie", "showtime__hall")


def _with_ticket_type(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Each ticket's ticket type, from its seat's claim (``Ticket.ticket_type``), in
    the same query."""
    return tickets.annotate(
        claim_ticket_type=Subquery(
            ReservationSeat.objects.filter(
                reservation_id=OuterRef("reservation_id"), seat_id=OuterRef("seat_id")
            )
            .order_by("-pk")
            .values("ticket_type")[:1]
        )
    )


def ticket_queryset() -> QuerySet[Ticket]:
    """Tickets with what their API representation shows (seat, movie, hall, ticket
    type), in the order of the hall's seats."""
    return _with_ticket_type(Ticket.objects.select_related(*_DOOR_JOINS)).order_by(
        "seat__position", "pk"
    )


def reservation_tickets(*, reservation_id: int) -> QuerySet[Ticket]:
    return ticket_queryset().filter(reservation_id=reservation_id)


def ticket_for_user(*, code: str, user) -> Ticket | None:
    """The ticket with this (stored) code if ``user`` may see it: its reservation's
    owner, or staff who look tickets up (``users.roles``). None otherwise, so another
    customer's ticket is a plain 404."""
    tickets = Ticket.objects.filter(code=code)
    if not user.has_perm(roles.VIEW_TICKETS):
        tickets = tickets.filter(reservation__user=user)
    return tickets.first()


def ticket_at_door(*, code: str) -> Ticket | None:
    return _with_ticket_type(Ticket.objects.select_related(*_DOOR_JOINS)).filter(code=code).first()


def checked_in_seat_ids(*, showtime_id: int) -> set[int]:
    """Seats of the showtime whose ticket was checked in (the admin's seat map)."""
    return set(
        Ticket.objects.filter(showtime_id=showtime_id, status=TicketStatus.USED).values_list(
            "seat_id", flat=True
        )
    )


def attendance(*, showtime_id: int) -> dict:
    """``{"inside": checked in, "tickets": valid or used}`` for one showtime."""
    figures = Ticket.objects.filter(showtime_id=showtime_id).aggregate(
        inside=Count("pk", filter=Q(status=TicketStatus.USED)),
        tickets=Count("pk", filter=~Q(status=TicketStatus.VOID)),
    )
    return {"inside": figures["inside"], "tickets": figures["tickets"]}


def ticket_count(status: str, *, showtime_ref: str = "pk") -> Coalesce:
    """For a Showtime queryset: how many of its tickets have ``status`` (a correlated
    subquery, so it never multiplies other joins)."""
    counted = (
        Ticket.objects.filter(showtime=OuterRef(showtime_ref), status=status)
        .order_by()
        .values("showtime")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def door_showtimes(*, since: datetime, until: datetime) -> list[Showtime]:
    """Showtimes that have not ended by ``since`` and start before ``until``, in start
    order, with their movie and hall (the door screen's list)."""
    return list(
        Showtime.objects.select_related("movie", "hall")
        .filter(end_time__gt=since, start_time__lt=until)
        .order_by("start_time", "pk")
    )


def door_showtime(*, showtime_id: int) -> Showtime | None:
    return Showtime.objects.select_related("movie", "hall").filter(pk=showtime_id).first()
