"""Dependency faults, through a TCP proxy the test controls (testsupport/faultproxy.py):
Redis and MariaDB refused, black-holed, and a showtime row locked for a long time. Each
answer must be fast and clear (a 503 with a code and Retry-After, or the request simply
works), and the app must recover at once when the dependency is back.

The shared servers are never stopped: only the proxy in front of them misbehaves. The
requests go through Django's real WSGI handler (werkzeug's test client), so the
per-request connection handling (health checks, closing broken connections) is the
production one; the lock storm runs on gunicorn itself (testsupport/liveserver.py).
"""

import contextlib
import logging
import os
import socket
import threading
import time
import uuid

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken
from werkzeug.test import Client as WSGIClient

from bookings.models import Reservation, ReservationSeat
from bookings.tests.factories import book
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from core import cache as resilient_cache
from payments.tests.factories import on_shift
from testsupport.faultproxy import BLACKHOLE, PASS, REFUSE, FaultProxy
from testsupport.liveserver import (
    LiveServer,
    StormResult,
    database_url,
    lock_storm,
    read_in_a_loop,
)
from testsupport.testing import requires_mysql_marks
from users.tests.factories import DEFAULT_PASSWORD, AdminFactory, CashierFactory, UserFactory

REDIS = ("127.0.0.1", 6379)
REDIS_DB = 9  # this suite's own Redis database; nothing here flushes it


def _token(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


def _wsgi_client() -> WSGIClient:
    return WSGIClient(WSGIHandler())


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _login(client, username, password=DEFAULT_PASSWORD, ip="10.7.0.1"):
    return client.post(
        "/api/auth/login/",
        json={"username": username, "password": password},
        environ_overrides={"REMOTE_ADDR": ip},
    )


def _book(client, token, showtime, seat_id):
    return client.post(
        "/api/reservations/",
        json={"showtime": showtime.pk, "seats": [seat_id]},
        headers={"Authorization": f"Bearer {token}"},
    )


# --- Redis ------------------------------------------------------------------------------


def _redis_reachable() -> bool:
    with contextlib.suppress(OSError), socket.create_connection(REDIS, timeout=1):
        return True
    return False


@pytest.fixture
def redis_through_proxy(settings):
    if not _redis_reachable():
        pytest.skip("needs Redis on 127.0.0.1:6379 (.ci/run starts it)")
    with FaultProxy(REDIS) as proxy:
        settings.CACHES = {
            "default": {
                "BACKEND": "core.cache.ResilientRedisCache",
                "LOCATION": f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}",
                # A prefix of its own: no counter from an earlier run is ever seen.
                "KEY_PREFIX": f"marquee-test-{uuid.uuid4().hex}",
                "OPTIONS": {
                    "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                    "socket_timeout": settings.REDIS_TIMEOUT,
                    "retry_seconds": 1,
                },
            }
        }
        resilient_cache._BREAKERS.clear()
        yield proxy
        # Before the proxy goes: the suite's own clean-up clears the cache afterwards.
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    resilient_cache._BREAKERS.clear()


@pytest.fixture
def world(transactional_db):
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 5}))
    seats = list(showtime.hall.seats.order_by("position").values_list("pk", flat=True))
    return {"showtime": showtime, "seats": seats, "customer": UserFactory()}


def test_fault_redis_down_login_register_and_booking_work(redis_through_proxy, world, caplog):
    client = _wsgi_client()
    customer = world["customer"]
    first = _login(client, customer.username)
    assert first.status_code == 200, first.get_data()  # through Redis

    redis_through_proxy.set_mode(REFUSE)
    with caplog.at_level(logging.WARNING):
        login, login_time = _timed(lambda: _login(client, customer.username))
        register, register_time = _timed(
            lambda: client.post(
                "/api/auth/register/",
                json={"username": "newbie", "email": "n@example.com", "password": DEFAULT_PASSWORD},
                environ_overrides={"REMOTE_ADDR": "10.7.0.2"},
            )
        )
        booking = _book(client, _token(customer), world["showtime"], world["seats"][0])
        sale = client.post(
            "/api/box-office/sales/",
            json={"showtime": world["showtime"].pk, "seats": [world["seats"][1]], "method": "cash"},
            headers={"Authorization": f"Bearer {_token(on_shift(CashierFactory()))}"},
        )

    assert sale.status_code == 201, sale.get_data()
    assert login.status_code == 200, login.get_data()
    assert "access" in login.json
    assert register.status_code == 201, register.get_data()
    assert booking.status_code == 201, booking.get_data()
    assert login_time < 1 and register_time < 1
    assert any("failed open" in record.getMessage() for record in caplog.records)
    assert ReservationSeat.objects.filter(active=True).count() == 2

    # Back: after the breaker's window the throttles count again.
    redis_through_proxy.set_mode(PASS)
    time.sleep(1.1)
    statuses = [_login(client, "nobody", "x", ip="10.7.0.9").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_fault_redis_hung_login_answers_in_under_a_second(redis_through_proxy, world, settings):
    settings.REDIS_RETRY_SECONDS = 5
    client = _wsgi_client()
    customer = world["customer"]
    assert _login(client, customer.username).status_code == 200  # pooled connection open

    redis_through_proxy.set_mode(BLACKHOLE)
    timings = []
    for attempt in range(3):
        response, elapsed = _timed(lambda: _login(client, customer.username))
        assert response.status_code == 200, response.get_data()
        timings.append(elapsed)
        if attempt == 0:
            time.sleep(1.1)  # the breaker's window ends: the next login asks Redis again

    assert max(timings) < 1, timings
    booking, booking_time = _timed(
        lambda: _book(client, _token(customer), world["showtime"], world["seats"][1])
    )
    assert booking.status_code == 201
    assert booking_time < 1


# --- MariaDB ----------------------------------------------------------------------------


@pytest.fixture
def db_through_proxy(transactional_db):
    """The default connection goes through a proxy; persistent (CONN_MAX_AGE) with
    health checks, as in production."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    target = (saved["HOST"] or "127.0.0.1", int(saved["PORT"] or 3306))
    with FaultProxy(target) as proxy:
        connection.close()
        connection.settings_dict.update(
            HOST="127.0.0.1", PORT=proxy.port, CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True
        )
        try:
            yield proxy
        finally:
            proxy.set_mode(PASS)
            with contextlib.suppress(Exception):
                connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


def _assert_unavailable(response, elapsed, bound):
    assert response.status_code == 503, response.get_data()[:300]
    assert response.json["code"] == "database_unavailable"
    assert response.json["detail"]
    assert int(response.headers["Retry-After"]) > 0
    assert elapsed < bound, elapsed


@requires_mysql_marks[0]
@requires_mysql_marks[1]
def test_fault_database_refused_answers_503_and_recovers_at_once(db_through_proxy, caplog):
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 5}))
    seat = showtime.hall.seats.order_by("position").first()
    customer = UserFactory()
    token = _token(customer)  # signing a token writes a row: before the outage
    admin = AdminFactory()
    django_client = Client(raise_request_exception=False)
    django_client.force_login(admin)
    client = _wsgi_client()
    assert client.get("/api/movies/").status_code == 200

    cashier_token = _token(on_shift(CashierFactory()))
    db_through_proxy.set_mode(REFUSE)
    requests = {
        "list": lambda: client.get("/api/movies/"),
        "seat map": lambda: client.get(f"/api/showtimes/{showtime.pk}/seats/"),
        "login": lambda: _login(client, customer.username),
        "booking": lambda: _book(client, token, showtime, seat.pk),
        "counter sale": lambda: client.post(
            "/api/box-office/sales/",
            json={"showtime": showtime.pk, "seats": [seat.pk], "method": "cash"},
            headers={"Authorization": f"Bearer {cashier_token}"},
        ),
    }
    with caplog.at_level(logging.WARNING):
        for _name, call in requests.items():
            response, elapsed = _timed(call)
            _assert_unavailable(response, elapsed, 1.0)
        health, health_time = _timed(lambda: client.get("/api/health/"))
        admin_page, admin_time = _timed(lambda: django_client.get("/admin/"))

    assert health.status_code == 503 and health_time < 1
    assert health.json == {"status": "unavailable", "database": "unreachable"}
    # Outside DRF (the admin's session read) it is a 503 too, as plain text.
    assert admin_page.status_code == 503 and admin_time < 1
    assert "Retry-After" in admin_page
    # One line per request, no traceback.
    outage_lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(outage_lines) == len(requests) + 1
    assert not [r for r in caplog.records if r.exc_info]

    db_through_proxy.set_mode(PASS)
    assert client.get("/api/movies/").status_code == 200
    assert client.get("/api/health/").status_code == 200
    assert _book(client, token, showtime, seat.pk).status_code == 201
    assert Reservation.objects.count() == 1


@requires_mysql_marks[0]
@requires_mysql_marks[1]
def test_fault_database_black_holed_answers_503_within_the_timeouts(db_through_proxy, settings):
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 5}))
    seat = showtime.hall.seats.order_by("position").first()
    token = _token(UserFactory())
    client = _wsgi_client()
    assert client.get("/api/movies/").status_code == 200  # a live, pooled connection

    db_through_proxy.set_mode(BLACKHOLE)
    health, health_time = _timed(lambda: client.get("/api/health/"))
    # The pooled connection's health check waits DB_READ_TIMEOUT, its replacement
    # DB_CONNECT_TIMEOUT; then 503.
    first, first_time = _timed(lambda: client.get("/api/movies/"))
    booking, booking_time = _timed(lambda: _book(client, token, showtime, seat.pk))

    assert health.status_code == 503
    assert health_time < 2, health_time
    bound = settings.DB_READ_TIMEOUT + settings.DB_CONNECT_TIMEOUT + 1.5
    _assert_unavailable(first, first_time, bound)
    _assert_unavailable(booking, booking_time, bound)

    db_through_proxy.set_mode(PASS)
    recovered, recovered_time = _timed(lambda: client.get("/api/movies/"))
    assert recovered.status_code == 200
    assert recovered_time < 1
    assert _book(client, token, showtime, seat.pk).status_code == 201


@requires_mysql_marks[0]
@requires_mysql_marks[1]
def test_fault_database_hung_on_a_reused_connection_answers_within_the_read_timeout(
    db_through_proxy, settings
):
    """The reused connection's health check waits DB_READ_TIMEOUT and then the request
    answers, instead of also waiting DB_CONNECT_TIMEOUT for a new connection to a server
    that hangs (core/db/mysql)."""
    client = _wsgi_client()
    assert client.get("/api/movies/").status_code == 200  # a live, pooled connection

    db_through_proxy.set_mode(BLACKHOLE)
    first, first_time = _timed(lambda: client.get("/api/movies/"))
    second, second_time = _timed(lambda: client.get("/api/movies/"))

    _assert_unavailable(first, first_time, settings.DB_READ_TIMEOUT + 1)
    assert first_time >= settings.DB_READ_TIMEOUT - 0.5  # it did wait for the ping
    # The next request has no connection left to check: it waits DB_CONNECT_TIMEOUT.
    _assert_unavailable(second, second_time, settings.DB_CONNECT_TIMEOUT + 1)

    db_through_proxy.set_mode(PASS)
    assert client.get("/api/movies/").status_code == 200


# --- a showtime locked for a long time --------------------------------------------------

# The scenario is 8 clients booking a showtime locked for 40 s; 8 s shows the
# same within the suite's time. STORM_CLIENTS / STORM_SECONDS measure other loads (with
# GUNICORN_THREADS, WEB_CONCURRENCY and the other settings in the environment).
STORM_SECONDS = float(os.environ.get("STORM_SECONDS", 8))
STORM_CLIENTS = int(os.environ.get("STORM_CLIENTS", 8))


@contextlib.contextmanager
def _showtime_locked(showtime_id: int):
    """Another session holds the showtime's row lock (a stuck transaction)."""
    connection = connections["default"]
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        cursor = raw.cursor()
        cursor.execute("START TRANSACTION")
        cursor.execute("SELECT id FROM cinema_showtime WHERE id = %s FOR UPDATE", [showtime_id])
        yield
    finally:
        with contextlib.suppress(Exception):
            raw.rollback()
        raw.close()


@requires_mysql_marks[0]
@requires_mysql_marks[1]
@pytest.mark.django_db(transaction=True)
def test_fault_locked_showtime_is_busy_within_the_budget_and_reads_stay_fast(settings):
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 4, "seats_per_row": 5}))
    MovieFactory.create_batch(5)
    customers = [UserFactory() for _ in range(STORM_CLIENTS)]
    seats = list(showtime.hall.seats.order_by("position").values_list("pk", flat=True))
    budget = settings.DB_LOCK_WAIT_BUDGET
    server = LiveServer(
        database=database_url(connections["default"].settings_dict),
        signing_key=settings.SIMPLE_JWT["SIGNING_KEY"],
    )

    with server, _showtime_locked(showtime.pk):
        result = lock_storm(
            server,
            showtime_id=showtime.pk,
            seat_ids=seats[:STORM_CLIENTS],
            tokens=[_token(customer) for customer in customers],
            seconds=STORM_SECONDS,
        )
    with server:
        after = server.request(
            "POST",
            "/api/reservations/",
            {"showtime": showtime.pk, "seats": [seats[-1]]},
            token=_token(customers[0]),
        )

    print(  # the measurement, for docs/booking.md (pytest -s)
        f"\nbookings: {len(result.bookings)}, longest {max(b[1] for b in result.bookings):.2f}s;"
        f" reads: {len(result.reads)}, p50 {result.read_p(0.5):.3f}s,"
        f" p99 {result.read_p(0.99):.3f}s, max {max(result.reads):.3f}s"
        f"\n{sorted({(b[0], b[2], round(b[1])) for b in result.bookings})}"
    )
    assert result.bookings
    for status, elapsed, code, retry_after in result.bookings:
        assert (status, code) == (503, "busy")
        assert retry_after == str(budget)
        assert elapsed < budget + 1.5, elapsed
    assert not result.read_errors, result.read_errors[:5]
    assert len(result.reads) > 20
    assert result.read_p(0.99) < 1.0
    assert after[0] == 201, after
    assert ReservationSeat.objects.filter(showtime=showtime, active=True).count() == 1


STRIPE_STORM_CLIENTS = 40
STRIPE_STORM_SECONDS = 8


def _checkout_storm(server, holds: list[tuple[str, int]], seconds: float) -> dict:
    """Each (token, reservation id) checks out in a loop, and one more client reads the
    movie list in a loop, for ``seconds``; every client keeps its connection alive."""
    reader = StormResult()
    outcome: dict = {"checkouts": [], "reads": reader.reads, "read_errors": reader.read_errors}
    stop = time.monotonic() + seconds

    def checkout(token: str, reservation_id: int) -> None:
        conn = server.connection()
        try:
            while time.monotonic() < stop:
                started = time.monotonic()
                status, _, data = server.request(
                    "POST",
                    f"/api/reservations/{reservation_id}/checkout/",
                    {"provider": "stripe"},
                    token,
                    conn=conn,
                )
                code = data.get("code") if isinstance(data, dict) else None
                outcome["checkouts"].append((status, code, time.monotonic() - started))
                time.sleep(0.1)  # a client trying again, not a loop as fast as the CPU
        finally:
            conn.close()

    threads = [threading.Thread(target=checkout, args=hold) for hold in holds]
    threads.append(
        threading.Thread(target=read_in_a_loop, args=(server, "/api/movies/", stop, reader))
    )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return outcome


@requires_mysql_marks[0]
@requires_mysql_marks[1]
@pytest.mark.django_db(transaction=True)
def test_fault_stripe_hung_checkouts_fail_fast_and_every_other_route_stays_fast(settings):
    """Stripe accepts connections and never answers: checkouts answer 503 within the
    timeouts and then at once (the pause), only a few threads per process ever wait on
    Stripe (the bulkhead), and the movie list, on the same two workers of eight threads
    that 40 checking-out clients hammer, stays under a second."""
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 5, "seats_per_row": 10}))
    MovieFactory.create_batch(5)
    seats = list(showtime.hall.seats.order_by("position"))
    holds = []
    for seat in seats[:STRIPE_STORM_CLIENTS]:
        customer = UserFactory()
        reservation = book(user=customer, showtime=showtime, seats=[seat], hold=True)
        holds.append((_token(customer), reservation.pk))
    with FaultProxy(("127.0.0.1", 9)) as stripe:  # never forwards: nothing upstream
        stripe.set_mode(BLACKHOLE)
        server = LiveServer(
            database=database_url(connections["default"].settings_dict),
            signing_key=settings.SIMPLE_JWT["SIGNING_KEY"],
            env={
                "WEB_CONCURRENCY": "2",
                "GUNICORN_THREADS": "8",
                "STRIPE_SECRET_KEY": "sk_test_hung",
                "STRIPE_WEBHOOK_SECRET": "whsec_hung",
                "STRIPE_API_BASE": f"http://127.0.0.1:{stripe.port}",
                "STRIPE_CONNECT_TIMEOUT": "1",
                "STRIPE_TIMEOUT": "2",
                "STRIPE_MAX_NETWORK_RETRIES": "0",
                "STRIPE_MAX_CONCURRENT_CALLS": "3",
                "STRIPE_RETRY_SECONDS": "30",
            },
        )
        with server:
            outcome = _checkout_storm(server, holds, STRIPE_STORM_SECONDS)
        asked = stripe.accepted

    reads = sorted(outcome["reads"])
    p99 = reads[min(len(reads) - 1, int(0.99 * len(reads)))]
    print(  # the measurement, for the README's faults section (pytest -s)
        f"\ncheckouts: {len(outcome['checkouts'])}, longest "
        f"{max(c[2] for c in outcome['checkouts']):.2f}s; Stripe asked {asked} times; "
        f"reads: {len(reads)}, p50 {reads[len(reads) // 2]:.3f}s, p99 {p99:.3f}s"
    )
    assert {(status, code) for status, code, _ in outcome["checkouts"]} == {
        (503, "payment_provider_unavailable")
    }
    assert max(took for _, _, took in outcome["checkouts"]) < 2 + 1 + 1.5
    assert asked <= 2 * 3  # two processes, three calls each at most, then the pause
    assert not outcome["read_errors"]
    assert len(reads) >= 10
    assert p99 < 1.0, p99


@requires_mysql_marks[0]
@requires_mysql_marks[1]
@pytest.mark.django_db(transaction=True)
def test_fault_locked_showtime_pay_and_cancel_wait_the_budget_once_then_answer_at_once(settings):
    """The stuck-lock memory serves every writer of a showtime, not only bookings: after
    one request waited the whole DB_LOCK_WAIT_BUDGET in vain, payments at the box office
    and cancels of that showtime answer 503 busy at once (until a probe)."""
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 4}))
    seats = list(showtime.hall.seats.order_by("position"))
    customer, admin = UserFactory(), on_shift(AdminFactory())
    holds = [book(user=customer, showtime=showtime, seats=[s], hold=True) for s in seats[:2]]
    sold = book(user=customer, showtime=showtime, seats=[seats[2]])
    budget = settings.DB_LOCK_WAIT_BUDGET
    staff, owner = Client(), Client()
    staff_auth = {"HTTP_AUTHORIZATION": f"Bearer {_token(admin)}"}
    owner_auth = {"HTTP_AUTHORIZATION": f"Bearer {_token(customer)}"}

    def pay(hold):
        return staff.post(
            f"/api/reservations/{hold.pk}/pay/",
            {"method": "cash"},
            content_type="application/json",
            **staff_auth,
        )

    with _showtime_locked(showtime.pk):
        first, first_took = _timed(lambda: pay(holds[0]))
        again, again_took = _timed(lambda: pay(holds[1]))
        cancel, cancel_took = _timed(
            lambda: owner.delete(f"/api/reservations/{sold.pk}/", **owner_auth)
        )

    for response in (first, again, cancel):
        assert response.status_code == 503, response.content
        assert response.json()["code"] == "busy"
        assert response["Retry-After"] == str(budget)
    assert budget - 0.5 <= first_took < budget + 1.5, first_took
    assert again_took < 0.5, again_took
    assert cancel_took < 0.5, cancel_took
    assert set(
        Reservation.objects.filter(pk__in=[h.pk for h in holds]).values_list("status", flat=True)
    ) == {"HELD"}
    assert Reservation.objects.get(pk=sold.pk).status == "CONFIRMED"


@requires_mysql_marks[0]
@requires_mysql_marks[1]
def test_a_busy_connection_is_not_pinged_before_every_request_an_idle_one_is(
    db_through_proxy, settings, monkeypatch
):
    """The health check costs a round trip: a connection that finished a request less
    than DB_HEALTH_CHECK_GRACE_SECONDS ago skips it, an older one is pinged."""
    settings.DB_HEALTH_CHECK_GRACE_SECONDS = 0.5
    connection = connections["default"]
    client = _wsgi_client()
    assert client.get("/api/movies/").status_code == 200
    pings = []
    real_ping = type(connection.connection).ping

    def counted_ping(self, *args):
        pings.append(1)
        return real_ping(self, *args)

    monkeypatch.setattr(type(connection.connection), "ping", counted_ping)

    for _ in range(3):
        assert client.get("/api/movies/").status_code == 200
    busy = len(pings)
    time.sleep(0.6)
    assert client.get("/api/movies/").status_code == 200

    assert busy == 0
    assert len(pings) == 1
