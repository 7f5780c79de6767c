"""Reads of the catalogue and the schedule, with their joins already applied so lists
run a constant number of queries."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, router
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from bookings.models import ReservationSeat
from cinema.models import MOVIE_PUBLIC_FIELDS, Hall, Movie, Showtime


def movie_list() -> QuerySet[Movie]:
    return Movie.objects.all()


class MovieCatalogue:
    """The whole catalogue in the model's order (title, id) as a page source for the
    paginator (config/pagination.py): one hand-written query per page, its total read
    with it (``COUNT(*) OVER ()``). For the movie list without search, filter or
    ordering, its busiest form; building the same query with the ORM was a third of that
    list's time (docs/performance.md). Rows are in ``MOVIE_LIST_COLUMNS`` order, with the
    release date already as ``YYYY-MM-DD`` text."""

    ordered = True
    _sql: dict[str, str] = {}

    def _connection(self):
        return connections[router.db_for_read(Movie)]

    def _page_sql(self, connection) -> str:
        sql = self._sql.get(connection.alias)
        if sql is None:
            q = connection.ops.quote_name
            text = connection.ops.cast_char_field_without_max_length
            columns = ", ".join(
                f"CAST({q(name)} AS {text})" if name == "release_date" else q(name)
                for name in MOVIE_CATALOGUE_COLUMNS
            )
            order = ", ".join(
                f"{q(name[1:])} DESC" if name.startswith("-") else q(name)
                for name in Movie._meta.ordering
            )
            table = q(Movie._meta.db_table)
            # Identifiers only, from the model's metadata; every value is a parameter.
            sql = self._sql[connection.alias] = (
                f"SELECT {columns}, COUNT(*) OVER () FROM {table} "  # noqa: S608
                f"ORDER BY {order} LIMIT %s OFFSET %s"
            )
        return sql

    def window_page(self, *, offset: int, limit: int) -> tuple[list[tuple], int]:
        connection = self._connection()
        with connection.cursor() as cursor:
            cursor.execute(self._page_sql(connection), [limit, offset])
            rows = cursor.fetchall()
        total = rows[0][-1] if rows else 0
        return [row[:-1] for row in rows], total

    def count(self) -> int:
        return Movie.objects.count()


# The columns of MovieCatalogue's rows (cinema.serializers.MOVIE_LIST_COLUMNS' order).
MOVIE_CATALOGUE_COLUMNS = MOVIE_PUBLIC_FIELDS


def hall_list() -> QuerySet[Hall]:
    return Hall.objects.all()


def hall_detail_queryset() -> QuerySet[Hall]:
    return Hall.objects.prefetch_related("seats")


def live_claims(*, now: dt.datetime | None = None) -> Q:
    """A seat claim that still blocks its seat: active and not an expired hold."""
    now = now or timezone.now()
    return Q(active=True) & (Q(hold_expires_at__isnull=True) | Q(hold_expires_at__gt=now))


def _claim_count(condition: Q) -> Subquery:
    counts = (
        ReservationSeat.objects.filter(condition, showtime=OuterRef("pk"))
        .order_by()
        .values("showtime")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def with_seat_counts(queryset: QuerySet[Showtime], *, now=None) -> QuerySet[Showtime]:
    """Annotate ``claimed_seats`` (held or booked), ``sold_seats`` (booked) and
    ``available_seats`` (capacity - claimed) with correlated subqueries: one query for
    the whole page, no GROUP BY over the joined rows."""
    now = now or timezone.now()
    return queryset.annotate(
        claimed_seats=_claim_count(live_claims(now=now)),
        sold_seats=_claim_count(Q(active=True, hold_expires_at__isnull=True)),
    ).annotate(available_seats=F("hall__capacity") - F("claimed_seats"))


def showtime_list(*, upcoming_only: bool = False, now=None) -> QuerySet[Showtime]:
    now = now or timezone.now()
    queryset = Showtime.objects.select_related("movie", "hall")
    if upcoming_only:
        queryset = queryset.filter(start_time__gte=now)
    return with_seat_counts(queryset, now=now).order_by("start_time", "id")


def local_day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[local midnight, next local midnight) of ``day`` in the cinema's TIME_ZONE, as
    aware datetimes. Computed in Python so the database needs no time zone tables
    (MariaDB's are often not loaded, and ``__date`` would then silently match nothing);
    a DST day is 23 or 25 hours long."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def showtimes_on(queryset: QuerySet[Showtime], day: dt.date) -> QuerySet[Showtime]:
    start, end = local_day_range(day)
    return queryset.filter(start_time__gte=start, start_time__lt=end)


def movie_upcoming_showtimes(*, movie: Movie) -> QuerySet[Showtime]:
    return showtime_list(upcoming_only=True).filter(movie=movie)
