"""Reads of the catalogue and the schedule, with their joins already applied so lists
run a constant number of queries."""

import datetime as dt
from collections.abc import Callable

from django.db import router
from django.db.models import Expression, F, QuerySet
from django.utils import timezone

from cinema import queries
from cinema.models import Hall, Movie, Showtime
from config.days import local_day_range


def movie_list() -> QuerySet[Movie]:
    return Movie.objects.all()


class MovieCatalogue:
    """The whole catalogue in the model's order as a page source for the paginator
    (config/pagination.py): one query per page, its total read with it (``COUNT(*)
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


# --- availability -----------------------------------------------------------------------
# How many seats of a showtime are free is the booking engine's to say: it owns the seat
# claims and keeps counters of them. It hands its expression over when the apps are
# ready (bookings.apps), so the catalogue lists availability without importing the
# booking engine. Without one every seat is free.
def _every_seat_free(now: dt.datetime) -> Expression:
    return F("hall__capacity")


_available_seats: Callable[[dt.datetime], Expression] = _every_seat_free


def provide_available_seats(expression: Callable[[dt.datetime], Expression]) -> None:
    """Set how ``available_seats`` is computed for a Showtime queryset at a moment."""
    global _available_seats
    _available_seats = expression


def with_available_seats(queryset: QuerySet[Showtime], *, now=None) -> QuerySet[Showtime]:
    """Annotate ``available_seats``: one query for the whole page."""
    return queryset.annotate(available_seats=_available_seats(now or timezone.now()))


def showtime_list(*, upcoming_only: bool = False, now=None) -> QuerySet[Showtime]:
    now = now or timezone.now()
    queryset = Showtime.objects.select_related("movie", "hall")
    if upcoming_only:
        queryset = queryset.filter(start_time__gte=now)
    return with_available_seats(queryset, now=now).order_by("start_time", "id")


def showtimes_on(queryset: QuerySet[Showtime], day: dt.date) -> QuerySet[Showtime]:
    start, end = local_day_range(day)
    return queryset.filter(start_time__gte=start, start_time__lt=end)


def movie_upcoming_showtimes(*, movie: Movie) -> QuerySet[Showtime]:
    return showtime_list(upcoming_only=True).filter(movie=movie)
