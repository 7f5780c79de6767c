"""The per-showtime counters (ShowtimeCounters) against a recount of the claims, after a
random mix of everything that changes claims, with holds lapsing as time passes."""

import contextlib
import datetime as dt
import importlib
import random

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from bookings import services
from bookings.exceptions import HoldExpired, SeatLimitExceeded, SeatsUnavailable
from bookings.models import Reservation, ReservationSeat, ReservationStatus, ShowtimeCounters
from bookings.tests.factories import make_reservation
from cinema import selectors as cinema_selectors
from cinema.tests.factories import HallFactory, ShowtimeFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _recount(showtime, now) -> dict:
    claims = ReservationSeat.objects.filter(showtime=showtime)
    holds = list(claims.holds().values_list("hold_expires_at", flat=True))
    return {
        "sold": claims.booked().count(),
        "held": len(holds),
        "holds_lapse_at": min(holds, default=None),
        "available": showtime.hall.capacity - claims.live(now).count(),
    }


def _counters(showtime, now) -> dict:
    row = ShowtimeCounters.objects.get(showtime=showtime)
    listed = cinema_selectors.showtime_list(now=now).get(pk=showtime.pk)
    return {
        "sold": row.sold,
        "held": row.held,
        "holds_lapse_at": row.holds_lapse_at,
        "available": listed.available_seats,
    }


class _World:
    """Customers booking, holding, confirming and cancelling on two showtimes while the
    clock moves on, so holds lapse and get released along the way."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        hall = HallFactory(layout={"rows": 3, "seats_per_row": 4})
        start = timezone.now() + dt.timedelta(days=2)
        self.shows = [
            ShowtimeFactory(hall=hall, start_time=start),
            ShowtimeFactory(hall=hall, start_time=start + dt.timedelta(hours=5)),
        ]
        self.seats = list(hall.seats.order_by("position").values_list("pk", flat=True))
        self.users = [UserFactory() for _ in range(3)]
        self.now = timezone.now()

    def step(self) -> str:
        self.now += dt.timedelta(minutes=self.rng.choice([0, 0, 1, 3, 6]))
        action = self.rng.choice(["book", "book", "hold", "hold", "confirm", "cancel", "expire"])
        show = self.rng.choice(self.shows)
        # A refused request writes nothing; the counters must still agree.
        with contextlib.suppress(SeatsUnavailable, SeatLimitExceeded, HoldExpired):
            getattr(self, action)(show)
        return action

    def book(self, show, hold=False):
        seats = self.rng.sample(self.seats, self.rng.randint(1, 3))
        services.reservation_create(
            user=self.rng.choice(self.users),
            showtime_id=show.pk,
            seat_ids=seats,
            hold=hold,
            now=self.now,
        )

    def hold(self, show):
        self.book(show, hold=True)

    def _pick(self, show, *statuses):
        reservations = list(Reservation.objects.filter(showtime=show, status__in=statuses))
        return self.rng.choice(reservations) if reservations else None

    def confirm(self, show):
        reservation = self._pick(show, ReservationStatus.HELD)
        if reservation is not None:
            services.reservation_confirm(
                reservation=reservation, user=reservation.user, now=self.now
            )

    def cancel(self, show):
        reservation = self._pick(show, ReservationStatus.HELD, ReservationStatus.CONFIRMED)
        if reservation is not None:
            services.reservation_cancel(reservation=reservation, by=reservation.user, now=self.now)

    def expire(self, show):
        services.holds_expire(now=self.now)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_a_recount_after_a_random_mix(seed):
    world = _World(seed)
    done = []
    for _ in range(120):
        done.append(world.step())
        for show in world.shows:
            assert _counters(show, world.now) == _recount(show, world.now), (seed, done)
    # The mix really happened: every kind of change, and holds that lapsed.
    assert set(done) == {"book", "hold", "confirm", "cancel", "expire"}
    assert Reservation.objects.filter(status=ReservationStatus.EXPIRED).exists()
    assert Reservation.objects.filter(status=ReservationStatus.CANCELLED).exists()


def test_a_lapsed_hold_is_free_in_the_list_before_anything_releases_it(customer):
    show = ShowtimeFactory()  # 12 seats
    now = timezone.now()
    services.reservation_create(
        user=customer,
        showtime_id=show.pk,
        seat_ids=list(show.hall.seats.values_list("pk", flat=True)[:3]),
        hold=True,
        now=now,
    )
    counters = ShowtimeCounters.objects.get(showtime=show)
    assert (counters.held, counters.holds_lapse_at) == (3, now + dt.timedelta(minutes=10))

    def available(at):
        return cinema_selectors.showtime_list(now=at).get(pk=show.pk).available_seats

    assert available(now + dt.timedelta(minutes=9)) == 9
    # Lapsed, not released: the counters still say 3 held, the read counts claims.
    assert available(now + dt.timedelta(minutes=11)) == 12
    assert ShowtimeCounters.objects.get(showtime=show).held == 3


def test_counters_of_a_showtime_created_without_signals_start_at_its_first_claim(customer):
    show = ShowtimeFactory()
    ShowtimeCounters.objects.filter(showtime=show).delete()
    services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=[show.hall.seats.first().pk]
    )
    counters = ShowtimeCounters.objects.get(showtime=show)
    assert (counters.sold, counters.held, counters.holds_lapse_at) == (1, 0, None)


@pytest.mark.parametrize("hold", [False, True], ids=["booked", "held"])
def test_cancel_when_the_counters_had_drifted_below_the_claims_recounts(
    customer, customer_client, hold, caplog
):
    """Counters that undercount (claims written by something that bypassed the engine,
    e.g. an older node during a deploy) must not turn a cancel into a 500."""
    show = ShowtimeFactory()
    seats = list(show.hall.seats.values_list("pk", flat=True)[:2])
    mine = services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seats, hold=hold
    ).reservation
    ShowtimeCounters.objects.filter(showtime=show).update(sold=0, held=0)

    response = customer_client.delete(f"/api/reservations/{mine.pk}/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == ReservationStatus.CANCELLED
    now = timezone.now()
    assert _counters(show, now) == _recount(show, now)
    assert "counters had drifted" in caplog.text


def test_migration_fills_the_counters_from_existing_claims(customer):
    show = ShowtimeFactory()
    seats = list(show.hall.seats.order_by("position"))
    expiry = timezone.now() + dt.timedelta(minutes=4)
    make_reservation(showtime=show, seats=seats[:2], user=customer)
    make_reservation(
        showtime=show, seats=seats[2:5], user=customer, status="HELD", hold_expires_at=expiry
    )
    make_reservation(showtime=show, seats=seats[5:6], user=customer, status="CANCELLED")
    empty = ShowtimeFactory()
    ShowtimeCounters.objects.all().delete()

    migration = importlib.import_module("bookings.migrations.0004_showtime_counters")
    migration.fill_counters(apps, connection.schema_editor())

    counters = ShowtimeCounters.objects.get(showtime=show)
    assert (counters.sold, counters.held, counters.holds_lapse_at) == (2, 3, expiry)
    assert not ShowtimeCounters.objects.filter(showtime=empty).exists()
    assert cinema_selectors.showtime_list().get(pk=empty.pk).available_seats == 12
