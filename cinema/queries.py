"""The catalogue's hot queries, compiled once per database (core/queries.py): the
pages of the movie list and of the schedule, each with its total. They are ordinary
querysets, so the ORM stays the one source of truth for their SQL;
cinema/tests/test_list_rendering.py, core/tests/test_pagination.py and
bookings/tests/test_catalogue.py check that they answer what the lists' ORM path
answers.
"""

from django.db.models import CharField, Count, DateTimeField, Window
from django.db.models.functions import Cast

from cinema.availability import available_seats
from cinema.models import MOVIE_PUBLIC_FIELDS, Movie, Showtime
from core.queries import PreparedQuery

# The columns of a catalogue row (cinema.serializers.MOVIE_LIST_COLUMNS' order), the
# release date as YYYY-MM-DD text (the MySQL driver's date parsing was a few per cent of
# the list); the total follows them.
MOVIE_CATALOGUE_COLUMNS = MOVIE_PUBLIC_FIELDS
_COLUMNS = [
    Cast(name, CharField()) if name == "release_date" else name for name in MOVIE_CATALOGUE_COLUMNS
]

movie_catalogue_page = PreparedQuery(
    "movie_catalogue_page",
    lambda p: Movie.objects.order_by(*Movie._meta.ordering).values_list(
        *_COLUMNS, Window(Count("*"))
    ),
    paged=True,
)


# The columns of a schedule row: ShowtimeSerializer's fields, flattened
# (cinema.serializers.showtime_list_data builds the item from them).
SHOWTIME_LIST_COLUMNS = (
    "id",
    "movie_id",
    "movie__title",
    "movie__duration_minutes",
    "movie__genre",
    "movie__age_rating",
    "movie__poster_url",
    "hall_id",
    "hall__name",
    "hall__capacity",
    "start_time",
    "end_time",
    "price",
    "vip_price",
    "available_seats",
    "cancelled_at",
    "cancel_reason",
    "price_list_id",
)


def _schedule(p, showtimes):
    return (
        # A cancelled screening is offered nowhere (its own page still says why).
        showtimes.filter(cancelled_at__isnull=True)
        .annotate(available_seats=available_seats(p("now", DateTimeField())))
        .order_by("start_time", "id")
        .values_list(*SHOWTIME_LIST_COLUMNS, Window(Count("*")))
    )


# The showtimes starting in [start, end) (a local day), and those starting from now on.
showtimes_between_page = PreparedQuery(
    "showtimes_between_page",
    lambda p: _schedule(
        p,
        Showtime.objects.filter(
            start_time__gte=p("start", DateTimeField()), start_time__lt=p("end", DateTimeField())
        ),
    ),
    paged=True,
)
upcoming_showtimes_page = PreparedQuery(
    "upcoming_showtimes_page",
    lambda p: _schedule(p, Showtime.objects.filter(start_time__gte=p("now", DateTimeField()))),
    paged=True,
)
