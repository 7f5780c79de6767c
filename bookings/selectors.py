"""Reads of reservations and the live seat map, with their joins already applied."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connections, router
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from rest_framework import serializers

from bookings.models import Reservation, ReservationSeat
from cinema.models import Hall, Movie, Seat, SeatType, Showtime
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
# type), ...], {prices: templates})}. Seats never change while a hall has showtimes (its
# layout is locked), and a replaced layout gets new seat ids, so the version - the hall's
# creation time, capacity and the id of its seat number 1, read with the showtime through
# a unique index - tells a stale entry apart (the creation time also tells apart two halls
# that got the same id, as in tests whose transactions rolled back).
_LAYOUTS: dict[int, tuple[tuple, list[tuple], dict]] = {}
_LAYOUTS_MAX = 512
_TEMPLATES_MAX = 16  # price pairs kept per hall


def _hall_layout(*, hall_id: int, version: tuple, first_seat_id: int | None) -> tuple:
    cached = _LAYOUTS.get(hall_id)
    if cached is not None and cached[0] == version:
        return cached
    layout = [
        (seat_id, row, number, f"{row}{number}", seat_type)
        for seat_id, row, number, seat_type in Seat.objects.filter(hall_id=hall_id)
        .order_by("position")
        .values_list("id", "row", "number", "seat_type")
    ]
    entry = (version, layout, {})
    if (layout[0][0] if layout else None) != first_seat_id:
        return entry  # the layout changed between the two reads: do not keep it
    if len(_LAYOUTS) >= _LAYOUTS_MAX:
        _LAYOUTS.clear()
    _LAYOUTS[hall_id] = entry
    return entry


def _seat_templates(entry: tuple, prices: dict[str, str]) -> list[tuple]:
    """Per seat of the layout ``(id, available, booked, held)``: the seat's dict in each
    status at these prices. Kept with the layout per price pair; the seat map copies them
    (a copy is cheaper than building a dict, and no caller can change the cached ones)."""
    _, layout, templates = entry
    key = tuple(sorted(prices.items()))
    built = templates.get(key)
    if built is None:
        built = []
        for seat_id, row, number, label, seat_type in layout:
            base = {
                "id": seat_id,
                "row": row,
                "number": number,
                "label": label,
                "type": seat_type,
                "price": prices[seat_type],
            }
            built.append(
                (
                    seat_id,
                    {**base, "status": "available"},
                    {**base, "status": "booked"},
                    {**base, "status": "held"},
                )
            )
        if len(templates) >= _TEMPLATES_MAX:
            templates.clear()
        templates[key] = built
    return built


# The seat map's two queries, written out: building them with the ORM was half of the
# seat map's time (docs/performance.md). Per database alias, as the quoting differs.
_SEAT_MAP_SQL: dict[str, tuple[str, str]] = {}


def _seat_map_sql(connection) -> tuple[str, str]:
    sql = _SEAT_MAP_SQL.get(connection.alias)
    if sql is None:
        q = connection.ops.quote_name
        showtime, movie, hall, seat = (
            q(model._meta.db_table) for model in (Showtime, Movie, Hall, Seat)
        )
        claim = q(ReservationSeat._meta.db_table)
        # Identifiers only, from the models' metadata; every value is a parameter.
        showtime_sql = (
            f"SELECT s.{q('id')}, s.{q('hall_id')}, s.{q('movie_id')}, "  # noqa: S608
            f"s.{q('start_time')}, s.{q('end_time')}, s.{q('price')}, s.{q('vip_price')}, m.{q('title')}, "
            f"h.{q('name')}, h.{q('created_at')}, h.{q('capacity')}, "
            f"(SELECT f.{q('id')} FROM {seat} f WHERE f.{q('hall_id')} = s.{q('hall_id')} "
            f"AND f.{q('position')} = 1) "
            f"FROM {showtime} s INNER JOIN {movie} m ON m.{q('id')} = s.{q('movie_id')} "
            f"INNER JOIN {hall} h ON h.{q('id')} = s.{q('hall_id')} WHERE s.{q('id')} = %s"
        )
        claims_sql = (
            f"SELECT {q('seat_id')}, {q('hold_expires_at')} FROM {claim} "  # noqa: S608
            f"WHERE {q('showtime_id')} = %s AND {q('active')} = %s "
            f"AND ({q('hold_expires_at')} IS NULL OR {q('hold_expires_at')} > %s)"
        )
        sql = _SEAT_MAP_SQL[connection.alias] = (showtime_sql, claims_sql)
    return sql


def _money(value) -> str:
    # MySQL/MariaDB return Decimal; SQLite a float (its decimal columns are numeric).
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return str(value.quantize(_CENTS))


_CENTS = Decimal("0.01")


def showtime_seat_map(*, showtime_id: int, now: datetime | None = None) -> dict:
    """Every seat of the showtime's hall with its price and live status.

    Two queries whatever the hall's size: the showtime (with its movie's title, hall's
    name and a marker of the hall's layout), and the live claims (held claims whose hold
    has lapsed count as free, with no job needed); the hall's seats come from a
    per-process cache (a third query when it is cold), with each seat's dict ready per
    status and price pair. Plain dicts: a serializer per seat costs more than the queries
    for a large hall.

    Reads from the replica when one is configured (``read_from_replica``): the seat map
    is advisory, the booking decides under the showtime lock on the primary.
    """
    now = now or timezone.now()
    if not 0 < showtime_id < 2**63:
        raise Http404  # no such row, and more than the driver takes as a parameter
    with read_from_replica():
        connection = connections[router.db_for_read(Showtime)]
        showtime_sql, claims_sql = _seat_map_sql(connection)
        with connection.cursor() as cursor:
            cursor.execute(showtime_sql, [showtime_id])
            row = cursor.fetchone()
            if row is None:
                raise Http404
            cursor.execute(
                claims_sql,
                [showtime_id, True, connection.ops.adapt_datetimefield_value(now)],
            )
            claims = dict(cursor.fetchall())
        (
            showtime_id,
            hall_id,
            movie_id,
            start_time,
            end_time,
            price,
            vip_price,
            movie_title,
            hall_name,
            hall_created_at,
            hall_capacity,
            first_seat_id,
        ) = row
        to_datetime = connection.ops.convert_datetimefield_value
        start_time = to_datetime(start_time, None, connection)
        end_time = to_datetime(end_time, None, connection)
        entry = _hall_layout(
            hall_id=hall_id,
            version=(hall_created_at, hall_capacity, first_seat_id),
            first_seat_id=first_seat_id,
        )

    price, vip_price = _money(price), _money(vip_price)
    prices = {
        seat_type: vip_price if seat_type == SeatType.VIP else price
        for seat_type in SeatType.values
    }
    available = held = 0
    seat_list = []
    append = seat_list.append
    for seat_id, if_available, if_booked, if_held in _seat_templates(entry, prices):
        if seat_id not in claims:
            append(if_available.copy())
            available += 1
        elif claims[seat_id] is None:
            append(if_booked.copy())
        else:
            append(if_held.copy())
            held += 1
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
            "id": showtime_id,
            "movie": {"id": movie_id, "title": movie_title},
            "hall": {"id": hall_id, "name": hall_name},
            "start_time": _datetime_field.to_representation(start_time),
            "end_time": _datetime_field.to_representation(end_time),
            "price": price,
            "vip_price": vip_price,
            "bookable": now < start_time - cutoff,
        },
        "counts": counts,
        "seats": seat_list,
    }
