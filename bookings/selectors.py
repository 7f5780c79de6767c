"""Reads of reservations and the live seat map, with their joins already applied."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from rest_framework import serializers

from bookings.models import Reservation, ReservationSeat
from cinema.models import Seat, Showtime
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


def showtime_seat_map(*, showtime_id: int, now: datetime | None = None) -> dict:
    """Every seat of the showtime's hall with its price and live status.

    Three queries whatever the hall's size: the showtime, its hall's seats, the live
    claims (held claims whose hold has lapsed count as free, with no job needed). Plain
    dicts: a serializer per seat costs more than the queries for a large hall.
    """
    now = now or timezone.now()
    try:
        showtime = Showtime.objects.select_related("movie", "hall").get(pk=showtime_id)
    except Showtime.DoesNotExist:
        raise Http404 from None

    seats = Seat.objects.filter(hall_id=showtime.hall_id).order_by("position")
    seat_rows = seats.values_list("id", "row", "number", "seat_type")
    claims = dict(
        ReservationSeat.objects.filter(showtime_id=showtime.pk, active=True)
        .filter(Q(hold_expires_at__isnull=True) | Q(hold_expires_at__gt=now))
        .values_list("seat_id", "hold_expires_at")
    )

    prices = {}
    counts = {"available": 0, "held": 0, "booked": 0, "total": 0}
    seat_list = []
    for seat_id, row, number, seat_type in seat_rows:
        if seat_id not in claims:
            status = "available"
        elif claims[seat_id] is None:
            status = "booked"
        else:
            status = "held"
        counts[status] += 1
        price = prices.get(seat_type)
        if price is None:
            price = prices[seat_type] = str(showtime.price_for(seat_type))
        seat_list.append(
            {
                "id": seat_id,
                "row": row,
                "number": number,
                "label": f"{row}{number}",
                "type": seat_type,
                "price": price,
                "status": status,
            }
        )
    counts["total"] = len(seat_list)
    cutoff = timedelta(minutes=settings.BOOKING_CUTOFF_MINUTES)

    return {
        "showtime": {
            "id": showtime.pk,
            "movie": {"id": showtime.movie_id, "title": showtime.movie.title},
            "hall": {"id": showtime.hall_id, "name": showtime.hall.name},
            "start_time": _datetime_field.to_representation(showtime.start_time),
            "end_time": _datetime_field.to_representation(showtime.end_time),
            "price": str(showtime.price),
            "vip_price": str(showtime.vip_price),
            "bookable": now < showtime.start_time - cutoff,
        },
        "counts": counts,
        "seats": seat_list,
    }
