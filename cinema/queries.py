"""The catalogue's hot query, compiled once per database (config/queries.py): the movie
list's page with its total, an ordinary queryset, so the ORM stays the one source of
truth for its SQL. cinema/tests/test_list_rendering.py checks that it answers what the
ORM path of the list answers.
"""

from django.db.models import CharField, Count, Window
from django.db.models.functions import Cast

from cinema.models import MOVIE_PUBLIC_FIELDS, Movie
from config.queries import PreparedQuery

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
