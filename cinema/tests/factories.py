import datetime as dt
from decimal import Decimal

import factory
from django.conf import settings
from django.utils import timezone

from cinema.models import Genre, Hall, Movie, Seat, Showtime
from cinema.services import Layout, build_seats


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie

    title = factory.Sequence(lambda n: f"Movie {n}")
    description = "A film."
    poster_url = "https://posters.example.com/movie.jpg"
    duration_minutes = 120
    release_date = dt.date(2026, 1, 1)
    genre = Genre.DRAMA


class HallFactory(factory.django.DjangoModelFactory):
    """A hall with seats: ``HallFactory(layout={"rows": 3, "seats_per_row": 4,
    "vip_rows": ["C"]})``; by default 3 rows of 4 standard seats."""

    class Meta:
        model = Hall
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Hall {n}")

    @factory.post_generation
    def layout(hall, create, extracted, **kwargs):
        if not create:
            return
        layout = {"rows": 3, "seats_per_row": 4, "vip_rows": (), **(extracted or {})}
        seats = build_seats(
            hall=hall,
            layout=Layout(
                rows=layout["rows"],
                seats_per_row=layout["seats_per_row"],
                vip_rows=tuple(layout["vip_rows"]),
                accessible_seats=tuple(layout.get("accessible_seats", ())),
            ),
        )
        Seat.objects.bulk_create(seats)
        hall.capacity = len(seats)
        hall.save(update_fields=["capacity"])


class ShowtimeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Showtime

    movie = factory.SubFactory(MovieFactory)
    hall = factory.SubFactory(HallFactory)
    start_time = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    end_time = factory.LazyAttribute(
        lambda s: (
            s.start_time
            + dt.timedelta(minutes=s.movie.duration_minutes + settings.CLEANING_BUFFER_MINUTES)
        )
    )
    price = Decimal("10.00")
    vip_price = Decimal("15.00")


def showtime_form(movie, hall, start, price="10.00") -> dict:
    """The admin's showtime form as a browser posts it."""
    local = timezone.localtime(start)
    return {
        "movie": movie.pk,
        "hall": hall.pk,
        "start_time_0": local.strftime("%Y-%m-%d"),
        "start_time_1": local.strftime("%H:%M"),
        "price": price,
        "vip_price": "",
    }


def future(hours=24) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def tomorrow_at(hour, minute=0) -> dt.datetime:
    """Tomorrow at this local time."""
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
