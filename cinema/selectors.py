"""Reads of the catalogue and the schedule, with their joins already applied so lists
run a constant number of queries."""

import datetime as dt

from django.db import router
from django.db.models import QuerySet
from django.utils import timezone

from cinema import queries
from cinema.availability import available_seats
from cinema.models import Hall, Movie, PriceList, Showtime
from core.days import local_day_range


def movie_list() -> QuerySet[Movie]:
    return Movie.objects.all()


class MovieCatalogue:
    """The whole catalogue in the model's order as a page source for the paginator
    (core/pagination.py): one query per page, its total read with it (``COUNT(*)
    OVER ()``), prepared once (``cinema.queries.movie_catalogue_page``). For the movie
    list without search, filter or ordering, its busiest form. Rows are in
    ``MOVIE_PUBLIC_FIELDS`` order, with the release date already as ``YYYY-MM-DD``
    text."""

    ordered = True

    def window_page(self, *, offset: int, limit: int) -> tuple[list[tuple], int]:
        rows = queries.movie_catalogue_page.rows(
            using=router.db_for_read(Movie), limit=limit, offset=offset
        )
        total = rows[0][-1] if rows else 0
        return [row[:-1] for row in rows], total

    def count(self) -> int:
        return Movie.objects.count()


def hall_list() -> QuerySet[Hall]:
    return Hall.objects.all()


def hall_detail_queryset() -> QuerySet[Hall]:
    return Hall.objects.prefetch_related("seats")


def with_available_seats(queryset: QuerySet[Showtime], *, now=None) -> QuerySet[Showtime]:
    """Annotate ``available_seats`` (cinema.availability): one query for the whole page."""
    return queryset.annotate(available_seats=available_seats(now or timezone.now()))


def showtime_list(
    *, upcoming_only: bool = False, listed_only: bool = False, now=None
) -> QuerySet[Showtime]:
    """Showtimes with their movie, hall and available seats. ``listed_only``: those a
    schedule offers, i.e. not cancelled by the cinema (a cancelled one keeps its page)."""
    now = now or timezone.now()
    queryset = Showtime.objects.select_related("movie", "hall")
    if upcoming_only:
        queryset = queryset.filter(start_time__gte=now)
    if listed_only:
        queryset = queryset.filter(cancelled_at__isnull=True)
    return with_available_seats(queryset, now=now).order_by("start_time", "id")


class ShowtimeSchedule:
    """The schedule of a local ``day`` (every showtime that starts on it), or without a
    day the upcoming showtimes, in ``showtime_list``'s order and with its
    ``SHOWTIME_LIST_COLUMNS``, as a page source for the paginator
    (core/pagination.py): one prepared query per page with its total
    (``cinema.queries``). For the schedule without a movie or hall filter, its
    busiest form."""

    ordered = True

    def __init__(self, *, day: dt.date | None = None, now: dt.datetime | None = None):
        self.now = now or timezone.now()
        self.day = day

    def _values(self) -> tuple:
        if self.day is None:
            return queries.upcoming_showtimes_page, {"now": self.now}
        start, end = local_day_range(self.day)
        return queries.showtimes_between_page, {"start": start, "end": end, "now": self.now}

    def window_page(self, *, offset: int, limit: int) -> tuple[list[tuple], int]:
        query, values = self._values()
        rows = query.rows(using=router.db_for_read(Showtime), limit=limit, offset=offset, **values)
        total = rows[0][-1] if rows else 0
        return [row[:-1] for row in rows], total

    def count(self) -> int:
        query, values = self._values()
        return query.queryset(**values).count()


def showtimes_on(queryset: QuerySet[Showtime], day: dt.date) -> QuerySet[Showtime]:
    start, end = local_day_range(day)
    return queryset.filter(start_time__gte=start, start_time__lt=end)


def movie_upcoming_showtimes(*, movie: Movie) -> QuerySet[Showtime]:
    return showtime_list(upcoming_only=True, listed_only=True).filter(movie=movie)


def price_list_list() -> QuerySet[PriceList]:
    """Price lists, the default first, with their ticket types and prices (3 queries)."""
    return PriceList.objects.prefetch_related("ticket_types__prices").order_by(
        "-is_default", "name", "id"
    )
