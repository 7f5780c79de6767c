"""The primary/replica router, proven with a second database alias: "replica" is a
mirror of the test database (same data, its own connection), so every query can be
attributed to the alias that ran it."""

import copy

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from bookings.models import Reservation, ReservationSeat, ReservationStatus
from cinema.models import Movie, Seat, Showtime
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from config.db_router import REPLICA_ALIAS, read_from_replica
from users.models import User
from users.tests.factories import UserFactory

ROUTER = "config.db_router.PrimaryReplicaRouter"


@pytest.fixture
def replica(transactional_db, settings):
    """Open a "replica" connection mirroring the test database and install the router.

    Transactional tests commit, so the replica's own connection sees what the primary
    wrote - as a real replica would, a moment later. The connection is registered under
    the alias without adding it to settings.DATABASES, so the test runner neither
    creates a database for it nor forbids it as an undeclared one.
    """
    mirror = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    wrapper = load_backend(mirror["ENGINE"]).DatabaseWrapper(mirror, REPLICA_ALIAS)
    connections[REPLICA_ALIAS] = wrapper
    settings.DATABASE_ROUTERS = [ROUTER]
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[REPLICA_ALIAS]


@pytest.fixture
def booked(replica):
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 3}))
    customer = UserFactory()
    seat = Seat.objects.using(DEFAULT_DB_ALIAS).filter(hall=showtime.hall).first()
    reservation = Reservation.objects.create(
        user=customer,
        showtime=showtime,
        status=ReservationStatus.CONFIRMED,
        total_price=showtime.price,
    )
    ReservationSeat.objects.create(
        reservation=reservation, showtime=showtime, seat=seat, price=showtime.price
    )
    return reservation


def _aliases_used(fn):
    """Run fn and return (its result, the aliases that ran queries)."""
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
        CaptureQueriesContext(connections[REPLICA_ALIAS]) as on_replica,
    ):
        result = fn()
    used = set()
    if on_primary.captured_queries:
        used.add(DEFAULT_DB_ALIAS)
    if on_replica.captured_queries:
        used.add(REPLICA_ALIAS)
    return result, used


def test_router_catalogue_reads_run_on_the_replica(booked):
    titles, used = _aliases_used(lambda: list(Movie.objects.values_list("title", flat=True)))
    assert used == {REPLICA_ALIAS}
    # The replica really answered, with the primary's committed rows.
    assert titles == [booked.showtime.movie.title]

    showtimes, used = _aliases_used(lambda: list(Showtime.objects.select_related("movie")))
    assert used == {REPLICA_ALIAS}
    assert [s.pk for s in showtimes] == [booked.showtime_id]


def test_router_booking_reads_stay_on_the_primary(booked):
    ids, used = _aliases_used(lambda: list(Reservation.objects.values_list("pk", flat=True)))
    assert used == {DEFAULT_DB_ALIAS}
    assert ids == [booked.pk]

    claims, used = _aliases_used(lambda: ReservationSeat.objects.filter(active=True).count())
    assert used == {DEFAULT_DB_ALIAS}
    assert claims == 1

    _, used = _aliases_used(lambda: User.objects.get(pk=booked.user_id))
    assert used == {DEFAULT_DB_ALIAS}


def test_router_seat_map_reads_in_read_from_replica_run_on_the_replica(booked):
    def seat_map():
        with read_from_replica():
            seats = list(Seat.objects.filter(hall_id=booked.showtime.hall_id))
            taken = set(
                ReservationSeat.objects.filter(
                    showtime_id=booked.showtime_id, active=True
                ).values_list("seat_id", flat=True)
            )
        return len(seats), taken

    (seat_count, taken), used = _aliases_used(seat_map)
    assert used == {REPLICA_ALIAS}
    assert seat_count == 6
    assert taken == {booked.seats.get().seat_id}


def test_router_reads_inside_a_transaction_run_on_the_primary(booked):
    def booking_transaction():
        with transaction.atomic():
            showtime = Showtime.objects.select_for_update().get(pk=booked.showtime_id)
            seats = list(Seat.objects.filter(hall_id=showtime.hall_id))
            with read_from_replica():
                taken = list(
                    ReservationSeat.objects.filter(showtime=showtime, active=True).values_list(
                        "seat_id", flat=True
                    )
                )
            return len(seats), taken

    (seat_count, taken), used = _aliases_used(booking_transaction)
    assert used == {DEFAULT_DB_ALIAS}
    assert seat_count == 6
    assert len(taken) == 1


def test_router_writes_go_to_the_primary(replica):
    movie, used = _aliases_used(lambda: MovieFactory(title="Written on the primary"))
    assert used == {DEFAULT_DB_ALIAS}
    assert movie._state.db == DEFAULT_DB_ALIAS
    # ...and a later catalogue read finds it through the replica.
    found, used = _aliases_used(lambda: Movie.objects.filter(pk=movie.pk).exists())
    assert found is True
    assert used == {REPLICA_ALIAS}


def test_router_is_only_installed_with_a_replica_url(settings):
    # The default configuration has no replica: every query goes to the one database.
    assert REPLICA_ALIAS not in settings.DATABASES
    assert not getattr(settings, "DATABASE_ROUTERS", [])
