"""Reads of reservations, the live seat map and availability, with their joins
already applied."""

import dataclasses
import functools
import hashlib
from array import array
from collections import Counter
from datetime import datetime
from decimal import Decimal

from django.db import router
from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from bookings import queries
from bookings.models import Reservation, ReservationSeat, SeatStatus, sales_open
from cinema.models import Seat, SeatType, Showtime
from core.db_router import read_from_replica
from core.limits import MAX_ID
from core.money import cents
from core.ticket_codes import normalise as normalise_ticket_code
from pricing.services import ticket_types
from users import roles


def reservation_queryset() -> QuerySet[Reservation]:
    """Reservations with everything their API representation needs: three queries for
    any page (reservations with showtime, movie and hall; their seats with seat)."""
    return Reservation.objects.select_related(
        "showtime__movie", "showtime__hall", "voucher"
    ).prefetch_related(
        Prefetch(
            "seats",
            queryset=ReservationSeat.objects.select_related("seat").order_by("seat__position"),
        )
    )


def reservation_list(*, user) -> QuerySet[Reservation]:
    """The reservations ``user`` may see: their own; staff who look bookings up (ADMIN,
    CASHIER: ``users.roles``) see all."""
    queryset = reservation_queryset()
    if user is None or not user.is_authenticated:
        return queryset.none()
    if user.has_perm(roles.VIEW_RESERVATIONS):
        return queryset
    return queryset.filter(user=user)


def reservation_get(*, pk: int) -> Reservation:
    return reservation_queryset().get(pk=pk)


# --- finding a reservation --------------------------------------------------------------
# What a word of a search may match (any part, any case): the customer as staff know
# them (a walk-in's name and email, the account's names, username and email) and, as
# the admin's search always did, the movie and the hall.
SEARCH_TEXT_FIELDS = (
    "customer_name",
    "customer_email",
    "user__username",
    "user__first_name",
    "user__last_name",
    "user__email",
    "showtime__movie__title",
    "showtime__hall__name",
)
SEARCH_MAX_LENGTH = 100


def _reservation_number(term: str) -> int | None:
    """``4998`` or ``#4998`` (as the confirmation email prints it): the number, else None."""
    digits = term[1:] if term.startswith("#") else term
    if digits.isascii() and digits.isdigit():
        return int(digits)
    return None


def reservation_search(queryset: QuerySet[Reservation], term: str) -> QuerySet[Reservation]:
    """The reservations of ``queryset`` that ``term`` finds: the one rule for the admin's
    search box and the API's ``?search=``.

    - a number, with or without ``#``: the reservation with that number, and only it;
    - a ticket code as printed or typed (any case, with or without dashes): the
      reservation holding that ticket, or any that the words below find;
    - otherwise each word must match (part of, any case) one of ``SEARCH_TEXT_FIELDS``:
      ``ann smith`` finds Ann Smith's account and the walk-in "Ann Smith" alike.

    The ticket's table is read through the reverse relation ``tickets`` (a lookup string:
    tickets sits above bookings), in a subquery, so a reservation is never listed twice.
    An empty term finds everything.
    """
    term = (term or "").strip()
    if not term:
        return queryset
    number = _reservation_number(term)
    if number is not None:
        return queryset.filter(pk=number) if 0 < number <= MAX_ID else queryset.none()
    found = Q()
    for word in term.split():
        any_field = Q()
        for field in SEARCH_TEXT_FIELDS:
            any_field |= Q(**{f"{field}__icontains": word})
        found &= any_field
    code = normalise_ticket_code(term)
    if code is not None:
        found |= Q(pk__in=Reservation.objects.filter(tickets__code=code).values("pk"))
    return queryset.filter(found)


def tickets_checked_in() -> Expression:
    """For a Reservation queryset: how many of its tickets were used at the door.

    Read through the reverse relation ``tickets`` (lookup strings; tickets sits above
    bookings and may not be imported here). A ticket is used exactly when its
    ``checked_in_at`` is set: the tickets app's check constraint
    ``tickets_ticket_used_when_checked_in`` guarantees it, so this needs no status value
    of theirs. A correlated subquery, so it multiplies no other join."""
    used = (
        Reservation.objects.filter(pk=OuterRef("pk"), tickets__checked_in_at__isnull=False)
        .order_by()
        .values("pk")
        .annotate(n=Count("tickets"))
        .values("n")
    )
    return Coalesce(Subquery(used, output_field=IntegerField()), Value(0))


def showtime_guest_list(*, showtime_id: int) -> QuerySet[Reservation]:
    """A showtime's reservations, of every status, in the order they were made, each
    with its customer, seats and ``checked_in`` (tickets used at the door): three
    queries for any page (reservations, their seats; and the count)."""
    return (
        reservation_queryset()
        .select_related("user")
        .filter(showtime_id=showtime_id)
        .annotate(checked_in=tickets_checked_in())
        .order_by("pk")
    )


# A hall's seat layout, per process: {hall_id: (version, [(id, row, number, label,
# type), ...], {prices: templates}, {seat id: index in the list})}. Seats never change
# while a hall has showtimes (its layout is locked), and a replaced layout gets new seat
# ids, so the version - the hall's creation time, capacity and the id of its seat number
# 1, read with the showtime through a unique index - tells a stale entry apart (the
# creation time also tells apart two halls that got the same id, as in tests whose
# transactions rolled back).
_LAYOUTS: dict[int, tuple[tuple, list[tuple], dict, dict[int, int]]] = {}
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
    entry = (version, layout, {}, {seat[0]: index for index, seat in enumerate(layout)})
    if (layout[0][0] if layout else None) != first_seat_id:
        return entry  # the layout changed between the two reads: do not keep it
    if len(_LAYOUTS) >= _LAYOUTS_MAX:
        _LAYOUTS.clear()
    _LAYOUTS[hall_id] = entry
    return entry


def hall_seats(*, hall_id: int, marker: tuple) -> tuple[list[tuple], dict[int, int]]:
    """The hall's seats in hall order as ``(id, row, number, label, seat_type)``, and
    each seat's index in that list by id: the process's copy while ``marker`` (the hall's
    creation time, capacity and id of seat number 1, read with its showtime) matches,
    else read afresh."""
    _, layout, _, index = _hall_layout(hall_id=hall_id, version=marker, first_seat_id=marker[2])
    return layout, index


def _seat_templates(entry: tuple, prices: dict[str, str]) -> list[tuple]:
    """Per seat of the layout ``(id, {status: dict})``: the seat's dict in each status
    at these prices. Kept with the layout per price pair; the seat map copies them (a
    copy is cheaper than building a dict, and no caller can change the cached ones)."""
    _, layout, templates, _ = entry
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
                "seat_type": seat_type,
                "price": prices[seat_type],
            }
            built.append(
                (seat_id, {status: {**base, "status": status} for status in SeatStatus.values})
            )
        if len(templates) >= _TEMPLATES_MAX:
            templates.clear()
        templates[key] = built
    return built


_TYPES = tuple(SeatType.values)
_AVAILABLE = SeatStatus.AVAILABLE.value


def _money(value: Decimal) -> str:
    return str(cents(value))


@dataclasses.dataclass(frozen=True)
class SeatMapState:
    """What a showtime's seat map is built from, as read at ``now``: the showtime's row
    (with its movie's title, its hall's name and a marker of the hall's layout), the
    live claims as ``(seat_id, status)`` and the hall's cached layout."""

    now: datetime
    row: tuple
    claims: tuple[tuple[int, str], ...]
    layout: tuple
    ticket_types: tuple = ()

    @property
    def cancelled(self) -> bool:
        return self.row[12] is not None

    @property
    def bookable(self) -> bool:
        return not self.cancelled and sales_open(self.row[3], self.now)

    @functools.cached_property
    def etag(self) -> str:
        """A strong validator of the seat map: the map is a function of exactly these
        inputs, so the tag changes exactly when the map does: a seat's status (a hold
        that lapses too, since the claims are read at ``now``), a price, the times, a
        name, the layout, or the booking cutoff passing. Hashing them costs far less
        than building and rendering the map, which a matching If-None-Match skips."""
        digest = hashlib.blake2b(
            repr((_SEAT_MAP_FORMAT, self.row, self.bookable, self.ticket_types)).encode(),
            digest_size=16,
        )
        # The claims as one signed integer each (booked +id, held -id), sorted, as bytes:
        # a tenth of the cost of hashing their text (docs/performance.md).
        claims = sorted(seat_id * _CLAIM_SIGN[status] for seat_id, status in self.claims)
        digest.update(array("q", claims).tobytes())
        return f'"{digest.hexdigest()}"'


# Part of every seat map's ETag: change it when the map's JSON changes shape.
_SEAT_MAP_FORMAT = "seat-map-4"
# A live claim's status in its seat map ETag (a new status must be added here).
_CLAIM_SIGN = {SeatStatus.BOOKED.value: 1, SeatStatus.HELD.value: -1}


def seat_map_state(*, showtime_id: int, now: datetime | None = None) -> SeatMapState:
    """The reads a seat map needs, in two queries whatever the hall's size: the showtime
    and its live claims (a lapsed hold counts as free, with no job needed); the hall's
    seats come from a per-process cache (a third query when it is cold). 404 for an
    unknown showtime.

    Reads from the replica when one is configured (``read_from_replica``): the seat map
    is advisory, the booking decides under the showtime lock on the primary.
    """
    now = now or timezone.now()
    if not 0 < showtime_id <= MAX_ID:
        raise Http404  # no such row, and more than the driver takes as a parameter
    with read_from_replica():
        using = router.db_for_read(Showtime)
        rows = queries.seat_map_showtime.rows(using=using, showtime_id=showtime_id)
        if not rows:
            raise Http404
        claims = queries.seat_map_claims.rows(using=using, showtime_id=showtime_id, now=now)
        row = tuple(rows[0])
        hall_id, hall_created_at, hall_capacity, first_seat_id = row[1], *row[9:12]
        layout = _hall_layout(
            hall_id=hall_id,
            version=(hall_created_at, hall_capacity, first_seat_id),
            first_seat_id=first_seat_id,
        )
        # The price list's types (a per-process copy of a few seconds: pricing).
        types = ticket_types(row[13], fresh=False)
    return SeatMapState(
        now=now, row=row, claims=tuple(map(tuple, claims)), layout=layout, ticket_types=types
    )


def showtime_seat_map(*, showtime_id: int, now: datetime | None = None) -> dict:
    """Every seat of the showtime's hall with its price and live status, and the counts
    per status. ``start_time`` and ``end_time`` are datetimes (the view formats them)."""
    return seat_map_build(seat_map_state(showtime_id=showtime_id, now=now))


def seat_map_build(state: SeatMapState) -> dict:
    """The seat map from its state: each seat's dict is ready per status and price pair
    in the layout cache, and copied. Plain dicts: a serializer per seat costs more than
    the queries for a large hall."""
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
        *_,
    ) = state.row
    price, vip_price = _money(price), _money(vip_price)
    prices = {seat_type: vip_price if seat_type == SeatType.VIP else price for seat_type in _TYPES}
    # Each live claim's seat in its status; every other seat is available.
    status_of = dict(state.claims).get
    seat_list = [
        templates[status_of(seat_id, _AVAILABLE)].copy()
        for seat_id, templates in _seat_templates(state.layout, prices)
    ]
    tally = Counter(status for _, status in state.claims)

    return {
        "showtime": {
            "id": showtime_id,
            "movie": {"id": movie_id, "title": movie_title},
            "hall": {"id": hall_id, "name": hall_name},
            "start_time": start_time,
            "end_time": end_time,
            "price": price,
            "vip_price": vip_price,
            "bookable": state.bookable,
            "cancelled": state.cancelled,
        },
        "ticket_types": [
            {
                "code": info.code,
                "name": info.name,
                "max_age": info.max_age,
                "prices": {
                    seat_type: _money(info.prices[seat_type])
                    if seat_type in info.prices
                    else prices[seat_type]
                    for seat_type in _TYPES
                },
            }
            for info in state.ticket_types
        ],
        "counts": {
            "available": len(seat_list) - tally[SeatStatus.HELD] - tally[SeatStatus.BOOKED],
            "held": tally[SeatStatus.HELD],
            "booked": tally[SeatStatus.BOOKED],
            "total": len(seat_list),
        },
        "seats": seat_list,
    }


# --- availability -----------------------------------------------------------------------
def _live_claim_count(now: datetime) -> Subquery:
    claims = (
        ReservationSeat.objects.filter(showtime=OuterRef("pk"))
        .live(now)
        .order_by()
        .values("showtime")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(claims, output_field=IntegerField()), Value(0))


def available_seats(now: datetime) -> Expression:
    """Seats of a showtime (in a Showtime queryset) that are free at ``now``: capacity
    minus live claims.

    From the counters (``ShowtimeCounters``: sold + held) while no counted hold has
    lapsed, which is nearly always; a showtime whose earliest hold lapsed before ``now``
    and was not released yet counts its live claims instead (the ELSE branch runs only
    for that showtime's row). A showtime without counters has no claims.
    """
    capacity = F("hall__capacity")
    fresh = (
        Q(counters__isnull=True)
        | Q(counters__holds_lapse_at__isnull=True)
        | Q(counters__holds_lapse_at__gt=now)
    )
    return Case(
        When(
            fresh,
            then=capacity
            - Coalesce(F("counters__sold"), Value(0))
            - Coalesce(F("counters__held"), Value(0)),
        ),
        default=capacity - _live_claim_count(now),
        output_field=IntegerField(),
    )


def seats_available(sender, *, now: datetime, **kwargs) -> Expression:
    """The engine's answer to the catalogue's ``cinema.signals.seats_available``
    (connected in ``BookingsConfig.ready``): ``available_seats`` at ``now``."""
    return available_seats(now)


def sold_seats() -> Expression:
    """Seats of a showtime (in a Showtime queryset) that are booked."""
    return Coalesce(F("counters__sold"), Value(0), output_field=IntegerField())
