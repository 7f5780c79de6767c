"""A believable cinema for development: halls, movies, a week of showtimes, an admin
and a customer. Idempotent: every row is looked up by its natural key first."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from cinema import services
from cinema.exceptions import ShowtimeOverlap
from cinema.models import Genre, Hall, Movie, Showtime
from users.models import Role, User

HALLS = [
    # name, rows, seats per row, VIP back rows -> 280, 120, 192 seats
    ("Grand", 14, 20, ["M", "N"]),
    ("Studio", 10, 12, ["J"]),
    ("Riverside", 12, 16, ["K", "L"]),
]

MOVIES = [
    ("The Last Lighthouse", Genre.DRAMA, 118, "12", "A keeper refuses to leave a dying coast."),
    ("Orbit of Ashes", Genre.SCIFI, 142, "12", "A salvage crew finds a ship that left tomorrow."),
    ("Paper Tigers", Genre.COMEDY, 97, "6", "Three retirees open a karate school."),
    ("Night Shift at Hollow Creek", Genre.HORROR, 104, "16", "The motel has one rule."),
    ("Little Fox, Big Winter", Genre.ANIMATION, 88, "0", "A fox cub crosses the frozen lake."),
    ("Crossfire Protocol", Genre.ACTION, 126, "16", "A negotiator has eleven hours."),
    ("Letters to Lisbon", Genre.ROMANCE, 112, "6", "Two pen pals, one tram, forty years."),
    ("The Salt Road", Genre.DOCUMENTARY, 92, "0", "Caravans on the last salt route of the Sahara."),
    ("Kingdom of Glass", Genre.FANTASY, 134, "12", "A glassblower's daughter inherits a throne."),
    ("Undertow", Genre.THRILLER, 109, "16", "A lifeguard sees what she should not."),
]

USERS = [
    # username, role, dev-only password
    ("admin", Role.ADMIN, "marquee-admin-dev"),
    ("customer", Role.CUSTOMER, "marquee-customer-dev"),
]

DAYS = 7
FIRST_SHOW = dt.time(11, 0)
LAST_START = dt.time(22, 30)


def _round_up_quarter(moment: dt.datetime) -> dt.datetime:
    extra = (-moment.minute) % 15
    return (moment + dt.timedelta(minutes=extra)).replace(second=0, microsecond=0)


class Command(BaseCommand):
    help = "Load demo data (halls, movies, a week of showtimes, an admin and a customer)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with well-known passwords; it refuses to run with "
                "DEBUG off. Pass --force if this really is a throwaway environment."
            )
        with transaction.atomic():
            halls = self._halls()
            movies = self._movies()
        created = self._showtimes(halls, movies)
        self._users()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo cinema ready: {Hall.objects.count()} halls, {Movie.objects.count()} "
                f"movies, {Showtime.objects.count()} showtimes ({created} new)."
            )
        )

    def _progress(self, label: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        bar = "#" * filled + "-" * (width - filled)
        ending = "\n" if done == total else ""
        self.stdout.write(f"\r{label} [{bar}] {done}/{total}", ending=ending)
        self.stdout.flush()

    def _halls(self) -> list[Hall]:
        halls = []
        for name, rows, per_row, vip_rows in HALLS:
            hall = Hall.objects.filter(name=name).first()
            if hall is None:
                hall = services.hall_create(
                    name=name, rows=rows, seats_per_row=per_row, vip_rows=vip_rows
                )
            halls.append(hall)
        return halls

    def _movies(self) -> list[Movie]:
        movies = []
        for index, (title, genre, minutes, age, description) in enumerate(MOVIES):
            movie, _ = Movie.objects.get_or_create(
                title=title,
                defaults={
                    "genre": genre,
                    "duration_minutes": minutes,
                    "age_rating": age,
                    "description": description,
                    "release_date": dt.date(2026, 1, 9) + dt.timedelta(weeks=3 * index),
                    "poster_url": f"https://posters.example.com/{index + 1}.jpg",
                },
            )
            movies.append(movie)
        return movies

    def _showtimes(self, halls: list[Hall], movies: list[Movie]) -> int:
        """Each hall plays back to back from 11:00 to the last start at 22:30 local
        time. The grid depends only on the date, so a second run finds every showtime
        it would create (looked up by hall and start) and adds nothing."""
        zone = ZoneInfo(settings.TIME_ZONE)
        today = timezone.localdate()
        now = timezone.now()
        created = 0
        for day_index in range(DAYS):
            day = today + dt.timedelta(days=day_index)
            for hall_index, hall in enumerate(halls):
                start = dt.datetime.combine(day, FIRST_SHOW, tzinfo=zone)
                last = dt.datetime.combine(day, LAST_START, tzinfo=zone)
                slot = 0
                while start <= last:
                    movie = movies[(day_index * 3 + hall_index * 4 + slot) % len(movies)]
                    end = services.showtime_end(movie=movie, start_time=start)
                    if (
                        start > now
                        and not Showtime.objects.filter(hall=hall, start_time=start).exists()
                    ):
                        price = Decimal("9.50") if start.hour < 17 else Decimal("12.00")
                        try:
                            services.showtime_create(
                                movie=movie,
                                hall=hall,
                                start_time=start,
                                price=price,
                                vip_price=price + Decimal("4.00"),
                            )
                            created += 1
                        except ShowtimeOverlap:
                            pass  # staff scheduled something else there: keep theirs
                    start = _round_up_quarter(end)
                    slot += 1
            self._progress("Scheduling showtimes", day_index + 1, DAYS)
        return created

    def _users(self) -> None:
        self.stdout.write("Dev-only accounts (never use these passwords anywhere real):")
        for username, role, password in USERS:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={"email": f"{username}@marquee.example", "role": role},
            )
            user.role = role
            user.set_password(password)
            user.save()
            self.stdout.write(f"  {role:<8} {username} / {password}")
