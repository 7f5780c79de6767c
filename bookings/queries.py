"""The booking engine's and the seat map's hot queries, compiled once per database
(core/queries.py): ordinary querysets, so the ORM stays the one source of truth for
their SQL. bookings/tests/test_prepared_queries.py checks that each answers what the same
queryset answers when the ORM runs it.

Kept prepared because the bench showed the ORM's query building costing at least a fifth
of these requests' throughput (docs/performance.md); everything else is plain ORM.
"""

from django.db.models import Case, DateTimeField, F, IntegerField, OuterRef, Q, Subquery, When

from bookings.models import Reservation, ReservationSeat, ShowtimeCounters
from cinema.models import Hall, Movie, Seat, Showtime
from core.queries import PreparedInsert, PreparedQuery, PreparedUpdate

# The fields of the locked showtime a booking needs. Only the showtime row is locked:
# a select_related join would lock the movie and hall rows too (FOR UPDATE locks every
# joined row on MySQL/MariaDB), serialising bookings of every showtime of that hall.
LOCKED_SHOWTIME_FIELDS = (
    "id",
    "movie_id",
    "hall_id",
    "start_time",
    "price",
    "vip_price",
    "cancelled_at",
    "cancel_reason",
    "price_list_id",
)
SEAT_FIELDS = ("id", "row", "number", "seat_type", "position", "hall_id")

locked_showtime = PreparedQuery(
    "locked_showtime",
    lambda p: (
        Showtime.objects.select_for_update()
        .filter(pk=p("showtime_id"))
        .order_by()
        .values_list(*LOCKED_SHOWTIME_FIELDS)
    ),
)

# The showtime locked for a booking of named seats: the fields above, then its hall's
# name and its movie's title (for the answer) and the marker of its hall's layout
# (creation time, capacity, id of seat number 1), which tells whether the process's copy
# of the layout (bookings/selectors.py) may stand in for reading the seats. Subqueries,
# not joins: a locking read does not lock what its subqueries read.
LOCKED_TO_BOOK_EXTRAS = ("hall_name", "movie_title", "hall_created_at", "hall_capacity", "seat_1")


def _of_hall(field: str) -> Subquery:
    return Subquery(Hall.objects.filter(pk=OuterRef("hall_id")).order_by().values(field)[:1])


locked_showtime_to_book = PreparedQuery(
    "locked_showtime_to_book",
    lambda p: (
        Showtime.objects.select_for_update()
        .filter(pk=p("showtime_id"))
        .order_by()
        .values_list(
            *LOCKED_SHOWTIME_FIELDS,
            _of_hall("name"),
            Subquery(Movie.objects.filter(pk=OuterRef("movie_id")).order_by().values("title")[:1]),
            _of_hall("created_at"),
            _of_hall("capacity"),
            Subquery(
                Seat.objects.filter(hall_id=OuterRef("hall_id"), position=1)
                .order_by()
                .values("id")[:1]
            ),
        )
    ),
)


# The showtime's active claims that are on one of the requested seats or belong to the
# customer, with their owner and hold expiry: the taken check and the per-customer count
# in one query. A union of two index lookups (the requested seats; the customer's
# reservations), not one filter with an OR: the OR read every live claim of the
# showtime, up to a full hall's, for every booking.
def _live_claims(p):
    return (
        ReservationSeat.objects.filter(showtime_id=p("showtime_id"))
        .active()
        .order_by()
        .values_list("seat_id", "reservation__user_id", "hold_expires_at")
    )


claims_in_the_way = PreparedQuery(
    "claims_in_the_way",
    lambda p: (
        _live_claims(p)
        .filter(seat_id__in=p.list("seat_ids"))
        .union(_live_claims(p).filter(reservation__user_id=p("user_id")))
    ),
)

# The seat map's showtime, with its movie's title, its hall's name and a marker of the
# hall's layout (creation time, capacity, id of seat number 1).
seat_map_showtime = PreparedQuery(
    "seat_map_showtime",
    lambda p: (
        Showtime.objects.filter(pk=p("showtime_id"))
        .order_by()
        .values_list(
            "id",
            "hall_id",
            "movie_id",
            "start_time",
            "end_time",
            "price",
            "vip_price",
            "movie__title",
            "hall__name",
            "hall__created_at",
            "hall__capacity",
            Subquery(
                Seat.objects.filter(hall_id=OuterRef("hall_id"), position=1)
                .order_by()
                .values("id")[:1]
            ),
            "cancelled_at",
            "price_list_id",
        )
    ),
)

# The seat map's claims: the showtime's live ones, with the status each gives its seat.
seat_map_claims = PreparedQuery(
    "seat_map_claims",
    lambda p: (
        ReservationSeat.objects.filter(showtime_id=p("showtime_id"))
        .live(p("now", DateTimeField()))
        .with_status(p("now", DateTimeField()))
        .order_by()
        .values_list("seat_id", "status")
    ),
)

# A booking's writes: the reservation, its claims, and the showtime's counters.
RESERVATION_FIELDS = (
    "user_id",
    "sold_by_id",
    "customer_name",
    "customer_email",
    "showtime_id",
    "status",
    "total_price",
    "expires_at",
    "cancelled_at",
    "payment_status",
    "voucher_id",
    "created_at",
    "updated_at",
)
reservation_insert = PreparedInsert(Reservation, RESERVATION_FIELDS)
claims_insert = PreparedInsert(
    ReservationSeat,
    (
        "reservation_id",
        "showtime_id",
        "seat_id",
        "price",
        "ticket_type",
        "list_price",
        "active",
        "hold_expires_at",
    ),
)

# ``seats`` more sold (fewer: services._count, which guards against going below zero).
counters_sell = PreparedUpdate(
    "counters_sell",
    lambda p: (
        ShowtimeCounters.objects.filter(pk=p("showtime_id")),
        {"sold": F("sold") + p("seats", IntegerField())},
    ),
)
# ``seats`` more held until ``until``, which becomes the earliest expiry if it is sooner.
counters_hold = PreparedUpdate(
    "counters_hold",
    lambda p: (
        ShowtimeCounters.objects.filter(pk=p("showtime_id")),
        {
            "held": F("held") + p("seats", IntegerField()),
            "holds_lapse_at": Case(
                When(
                    Q(holds_lapse_at__isnull=True)
                    | Q(holds_lapse_at__gt=p("until", DateTimeField())),
                    then=p("until", DateTimeField()),
                ),
                default=F("holds_lapse_at"),
            ),
        },
    ),
)
