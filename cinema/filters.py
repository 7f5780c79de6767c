import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError

from cinema import selectors
from cinema.models import Genre, Hall, Movie, Showtime
from core.days import DAY_OUT_OF_RANGE, day_in_range
from core.filters import EMPTY_VALUE, NoEmptyValuesFilterSet


class MovieFilter(NoEmptyValuesFilterSet):
    genre = django_filters.ChoiceFilter(choices=Genre.choices)

    class Meta:
        model = Movie
        fields = ["genre"]


class ShowtimeFilter(NoEmptyValuesFilterSet):
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
        return selectors.showtimes_on(queryset, check_day(value))


def check_day(value):
    """A day the schedule can show, or a 400 naming ``date``."""
    if not day_in_range(value):
        raise ValidationError({"date": [DAY_OUT_OF_RANGE]})
    return value


def schedule_day(request):
    """The ``?date=`` of a schedule request, validated by ``ShowtimeFilter``'s own date
    field and rules (the same errors) without building its form, which was a sixth of
    the schedule's time; None without one."""
    raw = request.query_params.get("date")
    if raw is None:
        return None
    errors, day = [], None
    try:
        day = ShowtimeFilter.base_filters["date"].field.clean(raw)
    except DjangoValidationError as exc:
        errors += exc.messages
    if not raw.strip():
        errors.append(EMPTY_VALUE)
    if errors:
        raise ValidationError({"date": errors})
    return check_day(day)
