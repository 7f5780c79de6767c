"""Reads of reservations and the live seat map, with their joins already applied."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from rest_framework import serializers

from bookings.models import Reservation, ReservationSeat
from cinema.models import Seat, SeatType, Showtime
from config.db_router import read_from_replica
from users.permissions import is_admin

_datetime_field = serializers.DateTimeField()


def reservation_queryset() -> QuerySet[Reservation]:
    """Reservations with everything their API representation needs: three queries for
    any page (reservations with showtime, movie and hall; their seats with seat)."""
    return Reservation.objects.select_related("showtime__movie", "showtime__hall").prefetch_related(
        Prefetch(
            "seats",
            queryset=ReservationSeat.objects.select_related("seat").order_by("seat__position"),
        )
    )


def reservation_list(*, user) -> QuerySet[Reservation]:
    """The reservations ``user`` may see: their own; an ADMIN sees all."""
    queryset = reservation_queryset()
    if is_admin(user):
        return queryset
    if user is None or not user.is_authenticated:
        return queryset.none()
    return queryset.filter(user=user)


def reservation_get(*, pk: int) -> Reservation:
    return reservation_queryset().get(pk=pk)


# A hall's seat layout, per process: {hall_id: (version, [(id, row, number, label,
# type), ...])}. Seats never change while a hall has showtimes (its layout is locked),
# and a replaced layout gets new seat ids, so the version - the hall's creation time,
# capacity and the id of its seat number 1, read with the showtime through a unique
# index - tells a stale entry apart (the creation time also tells apart two halls that
# got the same id, as in tests whose transactions rolled back).
_LAYOUTS: dict[int, tuple[tuple, list[tuple]]] = {}
_LAYOUTS_MAX = 512


def _hall_layout(*, hall_id: int, version: tuple, first_seat_id: int | None) -> list[tuple]:
    cached = _LAYOUTS.get(hall_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    layout = [
        (seat_id, row, number, f"{row}{number}", seat_type)
        for seat_id, row, number, seat_type in Seat.objects.filter(hall_id=hall_id)
        .order_by("position")
        .values_list("id", "row", "number", "seat_type")
    ]
    if (layout[0][0] if layout else None) != first_seat_id:
        return layout  # the layout changed between the two reads: do not keep it
    if len(_LAYOUTS) >= _LAYOUTS_MAX:
        _LAYOUTS.clear()
    _LAYOUTS[hall_id] = (version, layout)
    return layout


def showtime_seat_map(*, showtime_id: int, now: datetime | None = None) -> dict:
    """Every seat of the showtime's hall with its price and live status.

    Two queries whatever the hall's size: the showtime (with its movie's title, hall's
    name and a marker of the hall's layout), and the live claims (held claims whose hold
    has lapsed count as free, with no job needed); the hall's seats come from a
    per-process cache (a third query when it is cold). Plain dicts: a serializer per
    seat costs more than the queries for a large hall.

    Reads from the replica when one is configured (``read_from_replica``): the seat map
    is advisory, the booking decides under the showtime lock on the primary.
    """
    now = now or timezone.now()
    with read_from_replica():
        showtime = (
            Showtime.objects.filter(pk=showtime_id)
            .values(
                "id",
                "hall_id",
                "movie_id",
                "start_time",
                "end_time",
                "price",
                "vip_price",
                movie_title=F("movie__title"),
                hall_name=F("hall__name"),
                hall_created_at=F("hall__created_at"),
                hall_capacity=F("hall__capacity"),
                first_seat_id=Subquery(
                    Seat.objects.filter(hall_id=OuterRef("hall_id"), position=1).values("id")[:1]
                ),
            )
            .first()
        )
        if showtime is None:
            raise Http404
        claims = dict(
            ReservationSeat.objects.filter(showtime_id=showtime_id, active=True)
            .filter(Q(hold_expires_at__isnull=True) | Q(hold_expires_at__gt=now))
            .order_by()
            .values_list("seat_id", "hold_expires_at")
        )
        layout = _hall_layout(
            hall_id=showtime["hall_id"],
            version=(
                showtime["hall_created_at"],
                showtime["hall_capacity"],
                showtime["first_seat_id"],
            ),
            first_seat_id=showtime["first_seat_id"],
        )

    prices = {
        seat_type: str(showtime["vip_price"] if seat_type == SeatType.VIP else showtime["price"])
        for seat_type in SeatType.values
    }
    available = held = 0
    seat_list = []
    for seat_id, row, number, label, seat_type in layout:
        if seat_id not in claims:
            status = "available"
            available += 1
        elif claims[seat_id] is None:
            status = "booked"
        else:
            status = "held"
            held += 1
        seat_list.append(
            {
                "id": seat_id,
                "row": row,
                "number": number,
                "label": label,
                "type": seat_type,
                "price": prices[seat_type],
                "status": status,
            }
        )
    total = len(seat_list)
    counts = {
        "available": available,
        "held": held,
        "booked": total - available - held,
        "total": total,
    }
    cutoff = timedelta(minutes=settings.BOOKING_CUTOFF_MINUTES)

    return {
        "showtime": {
            "id": showtime["id"],
            "movie": {"id": showtime["movie_id"], "title": showtime["movie_title"]},
            "hall": {"id": showtime["hall_id"], "name": showtime["hall_name"]},
            "start_time": _datetime_field.to_representation(showtime["start_time"]),
            "end_time": _datetime_field.to_representation(showtime["end_time"]),
            "price": str(showtime["price"]),
            "vip_price": str(showtime["vip_price"]),
            "bookable": now < showtime["start_time"] - cutoff,
        },
        "counts": counts,
        "seats": seat_list,
    }
