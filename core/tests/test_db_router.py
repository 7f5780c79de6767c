"""The primary/replica router, proven with a second database alias: "replica" is a
mirror of the test database (same data, its own connection), so every query can be
attributed to the alias that ran it. Real replication (a MariaDB replica, its lag, a
stopped replica) is proven through nginx by the cluster test (scripts/cluster test)."""

import copy
import socket
import time

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from bookings.models import Reservation, ReservationSeat, ReservationStatus
from cinema.models import Movie, Seat, Showtime
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from core.db_router import HEARTBEAT_TABLE, REPLICA_ALIAS, read_from_replica, replica_health
from users.models import User
from users.tests.factories import UserFactory

ROUTER = "core.db_router.PrimaryReplicaRouter"


def _set_heartbeat(age_seconds: float | None) -> None:
    """Write the heartbeat row as the primary's event scheduler would, ``age_seconds``
    ago (None: no row at all)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"DELETE FROM {HEARTBEAT_TABLE}")  # noqa: S608
        if age_seconds is not None:
            cursor.execute(
                f"INSERT INTO {HEARTBEAT_TABLE} (id, ts) VALUES (1, %s)",  # noqa: S608
                [time.time() - age_seconds],
            )


@pytest.fixture
def make_replica(transactional_db, settings):
    """Open a "replica" connection (by default a mirror of the test database) and install
    the router.

    Transactional tests commit, so the replica's own connection sees what the primary
    wrote - as a real replica would, a moment later. The connection is registered under
    the alias without adding it to settings.DATABASES, so the test runner neither
    creates a database for it nor forbids it as an undeclared one. The heartbeat table
    (installed on a real primary by deploy/mariadb/heartbeat.sql) starts fresh.
    """
    settings.DATABASE_ROUTERS = [ROUTER]
    # Read the heartbeat on every routing decision, so a test sees its change at once.
    settings.REPLICA_CHECK_SECONDS = 0
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {HEARTBEAT_TABLE} "
            "(id INTEGER NOT NULL PRIMARY KEY, ts DECIMAL(16, 6) NOT NULL)"
        )
    _set_heartbeat(0)
    replica_health.reset()
    opened = []

    def make(**overrides):
        mirror = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
        mirror.update(overrides)
        wrapper = load_backend(mirror["ENGINE"]).DatabaseWrapper(mirror, REPLICA_ALIAS)
        connections[REPLICA_ALIAS] = wrapper
        opened.append(wrapper)
        return wrapper

    try:
        yield make
    finally:
        for wrapper in opened:
            wrapper.close()
        if opened:
            del connections[REPLICA_ALIAS]
        replica_health.reset()
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(f"DROP TABLE {HEARTBEAT_TABLE}")


@pytest.fixture
def replica(make_replica):
    return make_replica()


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


def test_router_related_reads_of_a_primary_object_stay_on_the_primary(booked):
    # The reservation is read from the primary (rule 6); its showtime and seats follow it
    # there, even though the catalogue would otherwise come from the replica.
    def detail():
        reservation = Reservation.objects.prefetch_related("seats__seat").get(pk=booked.pk)
        return reservation.showtime.movie.title, [c.seat.label for c in reservation.seats.all()]

    (title, labels), used = _aliases_used(detail)
    assert used == {DEFAULT_DB_ALIAS}
    assert title == booked.showtime.movie.title
    assert len(labels) == 1


def test_router_lagging_replica_sends_replica_reads_to_the_primary(booked, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 5
    _set_heartbeat(30)  # the replica's copy of the heartbeat is 30 s old

    titles, used = _aliases_used(lambda: list(Movie.objects.values_list("title", flat=True)))
    # The replica answered the heartbeat read only; the movies came from the primary.
    assert DEFAULT_DB_ALIAS in used
    assert titles == [booked.showtime.movie.title]

    def seat_map_claims():
        with read_from_replica():
            return ReservationSeat.objects.filter(showtime_id=booked.showtime_id).count()

    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary:
        assert seat_map_claims() == 1
    assert len(on_primary.captured_queries) == 1

    # Caught up again: back to the replica.
    _set_heartbeat(1)
    _, used = _aliases_used(lambda: list(Movie.objects.all()))
    assert used == {REPLICA_ALIAS}


def test_router_lag_limit_is_the_setting(booked, settings):
    _set_heartbeat(8)
    settings.REPLICA_MAX_LAG_SECONDS = 10
    _, used = _aliases_used(lambda: list(Movie.objects.all()))
    assert used == {REPLICA_ALIAS}
    settings.REPLICA_MAX_LAG_SECONDS = 5
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary:
        list(Movie.objects.all())
    assert len(on_primary.captured_queries) == 1


def test_router_replica_without_heartbeat_is_not_trusted(booked):
    _set_heartbeat(None)
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary:
        titles = list(Movie.objects.values_list("title", flat=True))
    assert titles == [booked.showtime.movie.title]
    assert len(on_primary.captured_queries) == 1


def test_router_lag_is_read_once_per_check_interval(booked, settings):
    settings.REPLICA_CHECK_SECONDS = 60
    list(Movie.objects.all())  # reads the heartbeat: fresh
    _set_heartbeat(600)
    # Within the interval the process keeps its last reading: one query, on the replica.
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as on_replica:
        list(Movie.objects.all())
    assert len(on_replica.captured_queries) == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unreachable_replica(make_replica):
    primary = connections[DEFAULT_DB_ALIAS]
    if primary.vendor == "mysql":
        # Nothing listens on the port: the connection is refused.
        return make_replica(HOST="127.0.0.1", PORT=_closed_port())
    # SQLite: a database file that cannot be opened.
    return make_replica(NAME="/nonexistent-dir/replica.sqlite3")


def test_router_unreachable_replica_falls_back_to_the_primary(make_replica, settings):
    settings.REPLICA_RETRY_SECONDS = 60
    _unreachable_replica(make_replica)
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 1, "seats_per_row": 2}))

    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary:
        assert list(Showtime.objects.values_list("pk", flat=True)) == [showtime.pk]
        with read_from_replica():
            assert Seat.objects.filter(hall_id=showtime.hall_id).count() == 2
    assert len(on_primary.captured_queries) == 2
    assert replica_health.state == "down"

    # The process remembers: the next read does not try the replica again.
    def refuse(*args, **kwargs):
        raise AssertionError("tried to connect to a replica known to be down")

    connections[REPLICA_ALIAS].connect = refuse
    assert Movie.objects.count() == 1


def test_router_api_answers_from_the_primary_when_the_replica_is_down(make_replica, anon_client):
    _unreachable_replica(make_replica)
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 3}))

    movies = anon_client.get("/api/movies/")
    seat_map = anon_client.get(f"/api/showtimes/{showtime.pk}/seats/")

    assert movies.status_code == 200
    assert [m["id"] for m in movies.json()["results"]] == [showtime.movie_id]
    assert seat_map.status_code == 200
    assert seat_map.json()["counts"]["available"] == 6


@pytest.mark.mysql
@pytest.mark.skipif(
    connection.vendor != "mysql",
    reason="needs MariaDB/MySQL: a replica reached over TCP, with a connect timeout",
)
def test_router_hung_replica_is_given_up_within_the_connect_timeout(make_replica):
    # A server that accepts the connection and never says a word: the client waits for
    # the greeting until its connect timeout, then the read goes to the primary.
    MovieFactory(title="On the primary")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        replica = make_replica(HOST="127.0.0.1", PORT=silent.getsockname()[1])
        replica.settings_dict["OPTIONS"] = {
            **replica.settings_dict["OPTIONS"],
            "connect_timeout": 1,
        }
        started = time.monotonic()
        titles = list(Movie.objects.values_list("title", flat=True))
        elapsed = time.monotonic() - started
    assert titles == ["On the primary"]
    assert replica_health.state == "down"
    assert elapsed < 3, f"falling back took {elapsed:.1f} s"
