"""Reads of the catalogue and the schedule, with their joins already applied so lists
run a constant number of queries."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from bookings.models import ReservationSeat
from cinema.models import Hall, Movie, Showtime


def movie_list() -> QuerySet[Movie]:
    return Movie.objects.all()


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
