"""The demo cinema's catalogue and schedule (``manage.py seed_demo``, which adds the
sales: demo/sales.py). Everything goes through the catalogue's services and is looked
up by its natural key first, so a second run finds it and adds nothing."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cinema import services
from cinema.exceptions import ShowtimeOverlap
from cinema.models import (
    Genre,
    Hall,
    Movie,
    SeatType,
    Showtime,
    TicketPrice,
    TicketType,
)
from core.days import local_zone
from pricing.models import DiscountKind, Voucher

HALLS = [
    # name, rows, seats per row, VIP back rows, accessible seats -> 280, 120, 192 seats
    ("Grand", 14, 20, ["M", "N"], ["A1", "A2", "A19", "A20"]),
    ("Studio", 10, 12, ["J"], ["A1", "A12"]),
    ("Riverside", 12, 16, ["K", "L"], ["A1", "A2", "A15", "A16"]),
]

# title, genre, minutes, age rating, blurb, popularity (0..1: how well it sells)
MOVIES = [
    ("The Last Lighthouse", Genre.DRAMA, 118, "12", "A keeper refuses to leave a dying coast.", 0.55),
    ("Orbit of Ashes", Genre.SCIFI, 142, "12", "A salvage crew finds a ship that left tomorrow.", 0.95),
    ("Paper Tigers", Genre.COMEDY, 97, "6", "Three retirees open a karate school.", 0.7),
    ("Night Shift at Hollow Creek", Genre.HORROR, 104, "16", "The motel has one rule.", 0.6),
    ("Little Fox, Big Winter", Genre.ANIMATION, 88, "0", "A fox cub crosses the frozen lake.", 0.8),
    ("Crossfire Protocol", Genre.ACTION, 126, "16", "A negotiator has eleven hours.", 0.85),
    ("Letters to Lisbon", Genre.ROMANCE, 112, "6", "Two pen pals, one tram, forty years.", 0.45),
    ("The Salt Road", Genre.DOCUMENTARY, 92, "0", "Caravans on the last salt route of the Sahara.", 0.2),
    ("Kingdom of Glass", Genre.FANTASY, 134, "12", "A glassblower's daughter inherits a throne.", 0.75),
    ("Undertow", Genre.THRILLER, 109, "16", "A lifeguard sees what she should not.", 0.5),
]  # fmt: skip

FIRST_SHOW = dt.time(11, 0)
LAST_START = dt.time(22, 30)
MATINEE_PRICE, EVENING_PRICE, VIP_SURCHARGE = Decimal("9.50"), Decimal("12.00"), Decimal("4.00")
# Past showtimes are scheduled as of this long before they start (the services refuse a
# start in the past, and a real schedule is published ahead anyway).
PUBLISHED_AHEAD = dt.timedelta(days=10)


def seed_halls() -> list[Hall]:
    halls = []
    for name, rows, per_row, vip_rows, accessible in HALLS:
        hall = Hall.objects.filter(name=name).first() or services.hall_create(
            name=name,
            rows=rows,
            seats_per_row=per_row,
            vip_rows=vip_rows,
            accessible_seats=accessible,
        )
        halls.append(hall)
    return halls


def seed_movies() -> list[Movie]:
    movies = []
    for index, (title, genre, minutes, age, description, _) in enumerate(MOVIES):
        movie = Movie.objects.filter(title=title).first() or services.movie_create(
            title=title,
            genre=genre,
            duration_minutes=minutes,
            age_rating=age,
            description=description,
            release_date=dt.date(2026, 1, 9) + dt.timedelta(weeks=3 * index),
            poster_url=f"https://posters.example.com/{index + 1}.jpg",
        )
        movies.append(movie)
    return movies


# The default price list's ticket types beside Adult (the showtime's own prices):
# code, name, under this age, STANDARD price, VIP price.
TICKET_TYPES = (
    ("child", "Child", 12, "7.50", "11.00"),
    ("student", "Student", None, "8.50", "13.00"),
    ("senior", "Senior", None, "8.00", "12.50"),
)
# A voucher the demo's customers use now and then: 10 % off.
DEMO_VOUCHER = "WELCOME10"


def seed_prices() -> None:
    """Child, Student and Senior in the default list, and the demo voucher; left as
    they are when they exist."""
    default = services.price_list_default()
    for position, (code, name, max_age, standard, vip) in enumerate(TICKET_TYPES, start=1):
        kind, created = TicketType.objects.get_or_create(
            price_list=default,
            code=code,
            defaults={"name": name, "max_age": max_age, "position": position},
        )
        if created:
            for seat_type, amount in ((SeatType.STANDARD, standard), (SeatType.VIP, vip)):
                TicketPrice.objects.create(
                    ticket_type=kind, seat_type=seat_type, amount=Decimal(amount)
                )
    if not Voucher.objects.filter(code_key=DEMO_VOUCHER).exists():
        Voucher(
            code=DEMO_VOUCHER,
            description="Welcome: 10 % off every seat",
            kind=DiscountKind.PERCENT,
            value=Decimal("10"),
        ).save()


def popularity(movie: Movie) -> float:
    return next((entry[5] for entry in MOVIES if entry[0] == movie.title), 0.5)


def _round_up_quarter(moment: dt.datetime) -> dt.datetime:
    extra = (-moment.minute) % 15
    return (moment + dt.timedelta(minutes=extra)).replace(second=0, microsecond=0)


def _day_grid(day: dt.date, day_index: int, halls: list[Hall], movies: list[Movie]):
    """(hall, movie, start) of one day: each hall plays back to back from 11:00 to the
    last start at 22:30 local time. Depends only on the date, so every run finds the
    same grid."""
    zone = local_zone()
    for hall_index, hall in enumerate(halls):
        start = dt.datetime.combine(day, FIRST_SHOW, tzinfo=zone)
        last = dt.datetime.combine(day, LAST_START, tzinfo=zone)
        slot = 0
        while start <= last:
            movie = movies[(day_index * 3 + hall_index * 4 + slot) % len(movies)]
            yield hall, movie, start
            start = _round_up_quarter(services.showtime_end(movie=movie, start_time=start))
            slot += 1


@transaction.atomic
def seed_schedule(
    *, halls: list[Hall], movies: list[Movie], days_back: int, days_ahead: int, progress=None
) -> tuple[list[Showtime], int]:
    """Showtimes from ``days_back`` days ago through ``days_ahead`` days from today
    (local days), each scheduled through ``showtime_create`` as of PUBLISHED_AHEAD
    before it starts (or now, if that is earlier). Returns every showtime of the range
    (found or created) and how many were created. A slot staff filled with something
    else is left to them."""
    now = timezone.now()
    today = timezone.localdate()
    first = today - dt.timedelta(days=days_back)
    existing = {
        (show.hall_id, show.start_time): show
        for show in Showtime.objects.filter(
            start_time__gte=dt.datetime.combine(first, dt.time.min, tzinfo=local_zone())
        ).select_related("movie", "hall")
    }
    showtimes, created = [], 0
    total = days_back + days_ahead + 1
    for offset in range(total):
        day = first + dt.timedelta(days=offset)
        for hall, movie, start in _day_grid(day, (day - dt.date(2026, 1, 1)).days, halls, movies):
            show = existing.get((hall.pk, start))
            if show is None:
                price = MATINEE_PRICE if start.hour < 17 else EVENING_PRICE
                try:
                    show = services.showtime_create(
                        movie=movie,
                        hall=hall,
                        start_time=start,
                        price=price,
                        vip_price=price + VIP_SURCHARGE,
                        now=min(now, start - PUBLISHED_AHEAD),
                    )
                except ShowtimeOverlap:
                    continue  # staff scheduled something else there: keep theirs
                created += 1
            showtimes.append(show)
        if progress:
            progress("Scheduling showtimes", offset + 1, total)
    return showtimes, created
