import django_filters

from cinema import selectors
from cinema.models import Genre, Hall, Movie, Showtime


class MovieFilter(django_filters.FilterSet):
    genre = django_filters.ChoiceFilter(choices=Genre.choices)

    class Meta:
        model = Movie
        fields = ["genre"]


class ShowtimeFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(
        method="filter_date",
        label="A day (YYYY-MM-DD) in the cinema's time zone; without it, upcoming showtimes.",
    )
    movie = django_filters.ModelChoiceFilter(queryset=Movie.objects.all())
    hall = django_filters.ModelChoiceFilter(queryset=Hall.objects.all())

    class Meta:
        model = Showtime
        fields = ["date", "movie", "hall"]

    def filter_date(self, queryset, name, value):
        return selectors.showtimes_on(queryset, value)
