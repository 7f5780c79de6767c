"""The bench's own data, created with the ORM in the bench database (never through the
API, so seeding costs no requests and measures nothing).

- one 300-seat hall (15 rows x 20, rows M-O VIP), twenty movies;
- ``booking_showtimes`` fresh showtimes whose seats the distinct-seat booking scenario
  walks through one by one (300 consecutive requests per showtime, so the scenario also
  measures the rate of a single showtime), and ``spread_showtimes`` more that a second
  booking scenario visits round robin (no two consecutive requests share a showtime);
- a seat-map showtime with 150 of its 300 seats sold (every other seat);
- a hot showtime whose few "hot" seats everyone fights for;
- a few hundred customers with JWT access tokens.

Called by bench/run.py (``seed()``, ``claims_on()``, ``hot_show_invariants()``); Django
must be set up first. ``reset`` removes the previous pass's catalogue and bookings so
every pass starts with the same data; the customers are kept.
"""

import datetime as dt
import string
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from bookings.models import (
    LIVE_STATUSES,
    IdempotencyKey,
    Reservation,
    ReservationSeat,
    ReservationStatus,
    ShowtimeCounters,
)
from bookings.services import showtime_counters_refresh
from cinema.models import Genre, Hall, Movie, Seat, SeatType, Showtime
from core.money import money_sum
from notifications.models import OutboxEmail
from tickets.models import Ticket
from users.models import Role, User, fold_username

ROWS = 15
SEATS_PER_ROW = 20
VIP_ROWS = {"M", "N", "O"}
HALL_SEATS = ROWS * SEATS_PER_ROW
MOVIES = 20
PRICE = Decimal("10.00")
VIP_PRICE = Decimal("15.00")
USERNAME_PREFIX = "bench-customer-"


def reset() -> None:
    """Delete every reservation and the whole catalogue (the bench database only): the
    tickets first, which protect their reservations, showtimes and seats; and the emails
    the last run's bookings wrote to the outbox (nothing delivers them here), so each run
    starts from the same tables."""
    OutboxEmail.objects.all().delete()
    Ticket.objects.all().delete()
    ReservationSeat.objects.all().delete()
    IdempotencyKey.objects.all().delete()
    Reservation.objects.all().delete()
    Showtime.objects.all().delete()
    Seat.objects.all().delete()
    Hall.objects.all().delete()
    Movie.objects.all().delete()


def _customers(count: int) -> list[User]:
    existing = User.objects.filter(username__startswith=USERNAME_PREFIX).count()
    if existing < count:
        User.objects.bulk_create(
            [
                User(
                    username=f"{USERNAME_PREFIX}{i}",
                    # bulk_create skips User.save(), which keeps this column.
                    username_fold=fold_username(f"{USERNAME_PREFIX}{i}"),
                    email=f"{USERNAME_PREFIX}{i}@bench.example.com",
                    role=Role.CUSTOMER,
                    password="!",  # unusable: the bench signs tokens, nobody logs in
                )
                for i in range(existing, count)
            ]
        )
    return list(User.objects.filter(username__startswith=USERNAME_PREFIX).order_by("id")[:count])


def _hall() -> tuple[Hall, list[Seat]]:
    hall = Hall.objects.create(name="Bench hall")
    seats = []
    for row_index, letter in enumerate(string.ascii_uppercase[:ROWS]):
        for number in range(1, SEATS_PER_ROW + 1):
            seats.append(
                Seat(
                    hall=hall,
                    row=letter,
                    number=number,
                    position=row_index * SEATS_PER_ROW + number,
                    seat_type=SeatType.VIP if letter in VIP_ROWS else SeatType.STANDARD,
                )
            )
    Seat.objects.bulk_create(seats)
    hall.capacity = len(seats)
    hall.save(update_fields=["capacity"])
    return hall, list(Seat.objects.filter(hall=hall).order_by("position"))


def _sell(showtime: Showtime, seats: list[Seat], customers: list[User], per_order: int) -> None:
    """Book ``seats`` as CONFIRMED reservations of ``per_order`` seats each."""
    for i in range(0, len(seats), per_order):
        chunk = seats[i : i + per_order]
        prices = [showtime.price_for(seat.seat_type) for seat in chunk]
        reservation = Reservation.objects.create(
            user=customers[(i // per_order) % len(customers)],
            showtime=showtime,
            status=ReservationStatus.CONFIRMED,
            total_price=money_sum(prices),
        )
        ReservationSeat.objects.bulk_create(
            [
                ReservationSeat(
                    reservation=reservation,
                    showtime=showtime,
                    seat=seat,
                    price=price,
                    active=True,
                )
                for seat, price in zip(chunk, prices, strict=True)
            ]
        )


# The spread booking scenario visits this many showtimes round robin.
SPREAD_WIDTH = 20


@transaction.atomic
def _catalogue(booking_showtimes: int, spread_showtimes: int, customers: list[User]) -> dict:
    movies = Movie.objects.bulk_create(
        [
            Movie(
                title=f"Bench movie {i:02d}",
                description="A film that exists to be listed. " * 4,
                poster_url=f"https://posters.example.com/bench-{i}.jpg",
                duration_minutes=90 + i,
                release_date=dt.date(2026, 1, 1) + dt.timedelta(days=i),
                genre=list(Genre.values)[i % len(Genre.values)],
            )
            for i in range(MOVIES)
        ]
    )
    movies = list(Movie.objects.order_by("id"))
    hall, seats = _hall()
    # Tomorrow from 10:00 on, back to back: all in the future, none overlapping.
    first = (timezone.localtime() + dt.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    slot = dt.timedelta(minutes=120 + 90 + settings.CLEANING_BUFFER_MINUTES)
    showtimes = []
    for i in range(booking_showtimes + spread_showtimes + 2):
        movie = movies[i % len(movies)]
        start = first + i * slot
        showtimes.append(
            Showtime(
                movie=movie,
                hall=hall,
                start_time=start,
                end_time=start
                + dt.timedelta(minutes=movie.duration_minutes + settings.CLEANING_BUFFER_MINUTES),
                price=PRICE,
                vip_price=VIP_PRICE,
            )
        )
    Showtime.objects.bulk_create(showtimes)
    showtimes = list(Showtime.objects.filter(hall=hall).order_by("start_time"))
    seat_map_show, hot_show = showtimes[0], showtimes[1]
    booking_shows = showtimes[2 : 2 + booking_showtimes]
    spread_shows = showtimes[2 + booking_showtimes :]
    # Half sold: every other seat, in orders of 5 seats by different customers.
    _sell(seat_map_show, seats[::2], customers, per_order=5)
    # Claims written straight to the table: their counters as the booking engine keeps
    # them (and every other showtime's at zero).
    for showtime in showtimes:
        showtime_counters_refresh(showtime_id=showtime.pk)
    # The hot seats: the middle of row H, the best in the house.
    hot_seats = [s for s in seats if s.row == "H" and 7 <= s.number <= 14]
    return {
        "hall": hall.pk,
        "seat_map_showtime": seat_map_show.pk,
        "hot_showtime": hot_show.pk,
        "hot_seats": [s.pk for s in hot_seats],
        "booking_showtimes": [s.pk for s in booking_shows],
        # One showtime after the other: consecutive requests fight for one showtime lock.
        "booking_lines": [
            (show.pk, seat.pk, k % len(customers))
            for k, (show, seat) in enumerate((sh, se) for sh in booking_shows for se in seats)
        ],
        "spread_showtimes": [s.pk for s in spread_shows],
        # Round robin over 20 showtimes at a time: consecutive requests never share a
        # lock. When their seats run out, the next 20 (so the scenario never runs dry at
        # today's rates). The customer follows the seat, so nobody passes the
        # per-showtime seat limit.
        "spread_lines": [
            (show.pk, seat.pk, j % len(customers))
            for block in range(0, len(spread_shows), SPREAD_WIDTH)
            for j, seat in enumerate(seats)
            for show in spread_shows[block : block + SPREAD_WIDTH]
        ],
        "seat_ids": [s.pk for s in seats],
        "first_day": timezone.localtime(first).date().isoformat(),
    }


def seed(
    workdir: Path, *, customers: int = 400, booking_showtimes: int = 40, spread_showtimes: int = 60
) -> dict:
    """Reset and create the data; write tokens.txt, bookings.txt, spread.txt and hot.txt
    for wrk (booking lines: showtime id, seat id, index of the customer's token)."""
    reset()
    users = _customers(customers)
    data = _catalogue(booking_showtimes, spread_showtimes, users)
    workdir.mkdir(parents=True, exist_ok=True)
    tokens = [str(RefreshToken.for_user(user).access_token) for user in users]
    (workdir / "tokens.txt").write_text("\n".join(tokens) + "\n")
    for name, key in (("bookings.txt", "booking_lines"), ("spread.txt", "spread_lines")):
        lines = data.pop(key)
        (workdir / name).write_text("".join(f"{sh} {se} {tok}\n" for sh, se, tok in lines))
        data[f"{key}_count"] = len(lines)
    (workdir / "hot.txt").write_text(
        f"{data['hot_showtime']}\n" + "".join(f"{seat}\n" for seat in data["hot_seats"])
    )
    data["customers"] = len(users)
    return data


def claims_on(showtime_ids: list[int]) -> int:
    """Live seat claims on these showtimes: the count of seats really booked."""
    return ReservationSeat.objects.filter(showtime_id__in=showtime_ids, active=True).count()


def hot_show_invariants(showtime_id: int) -> dict:
    """What must hold after the fight, straight from the database."""
    claims = ReservationSeat.objects.filter(showtime_id=showtime_id)
    live = claims.filter(active=True)
    double_claims = list(
        live.values("seat_id").annotate(n=Count("id")).filter(n__gt=1).values_list("seat_id", "n")
    )
    seats_of_live_reservations = claims.filter(reservation__status__in=LIVE_STATUSES).count()
    live_reservations = Reservation.objects.filter(
        showtime_id=showtime_id, status__in=LIVE_STATUSES
    ).count()
    live_claims = live.count()
    counters = ShowtimeCounters.objects.filter(showtime_id=showtime_id).first()
    counters_agree = counters is not None and (counters.sold, counters.held) == (
        claims.booked().count(),
        claims.holds().count(),
    )
    return {
        "live_claims": live_claims,
        "seats_of_live_reservations": seats_of_live_reservations,
        "live_reservations": live_reservations,
        "double_claims": double_claims,
        "claims_of_dead_reservations": live.exclude(reservation__status__in=LIVE_STATUSES).count(),
        "counters_agree": counters_agree,
        "ok": not double_claims and live_claims == seats_of_live_reservations and counters_agree,
    }
