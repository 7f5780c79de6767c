"""The pieces behind the fault answers, unit by unit: the cache's breaker, fail-open
throttles, the database-outage answer outside DRF, the lock budget's retries."""

import contextlib
import logging
import time
from unittest import mock

import pytest
import redis
from django.db import OperationalError
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError, TryAgainError

from core import cache as resilient_cache
from core import locks
from core.exceptions import ServiceBusy, is_database_unavailable
from core.locks import is_lock_error
from core.parsers import json_depth_exceeds
from users.tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def breaker():
    resilient_cache._BREAKERS.clear()
    yield resilient_cache.breaker_for(["redis://127.0.0.1:1/0"], 0.5)
    resilient_cache._BREAKERS.clear()


def test_breaker_opens_after_a_failure_and_lets_the_next_try_through_later(breaker, caplog):
    with caplog.at_level(logging.WARNING):
        first = breaker.trip(RedisConnectionError("refused"))
        with pytest.raises(resilient_cache.CacheUnavailable) as second:
            breaker.check()
    assert first.fresh is True
    assert second.value.fresh is False
    assert len([r for r in caplog.records if "cache unavailable" in r.getMessage()]) == 1

    time.sleep(0.55)
    breaker.check()  # closed again: the next operation asks Redis


@contextlib.contextmanager
def _resilient_cache_at(settings, location: str):
    """The project's Redis cache at ``location`` for the block (a fresh breaker), then
    the tests' in-memory cache again."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    resilient_cache._BREAKERS.clear()
    try:
        yield
    finally:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        resilient_cache._BREAKERS.clear()


def test_resilient_cache_fails_fast_while_redis_is_down(settings, caplog):
    # Port 1 on localhost: nothing listens, the connection is refused.
    with _resilient_cache_at(settings, "redis://127.0.0.1:1/0"):
        from django.core.cache import cache

        started = time.monotonic()
        for _ in range(20):
            with pytest.raises(resilient_cache.CacheUnavailable):
                cache.get("anything")
        assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(
    "error",
    [
        ReadOnlyError("READONLY You can't write against a read only replica."),
        OutOfMemoryError("OOM command not allowed when used memory > 'maxmemory'."),
        TryAgainError("TRYAGAIN Multiple keys request during rehashing of slot"),
    ],
    ids=["read-only replica", "out of memory", "try again"],
)
@pytest.mark.django_db
def test_redis_that_answers_it_cannot_serve_is_an_outage_and_login_fails_open(
    settings, monkeypatch, customer, anon_client, error
):
    """Redis up, but refusing every command (as after a failover or at maxmemory): the
    login throttles fail open, as when Redis is down, and the login is 200, not 500."""

    def refuse(self, *args, **options):
        raise error

    monkeypatch.setattr(redis.Redis, "execute_command", refuse)
    with _resilient_cache_at(settings, "redis://127.0.0.1:6379/15"):
        response = anon_client.post(
            "/api/auth/login/",
            {"username": customer.username, "password": DEFAULT_PASSWORD},
            format="json",
        )

    assert response.status_code == 200, response.content
    assert "access" in response.json()


@pytest.mark.django_db
def test_api_answers_503_cache_unavailable_where_a_view_needs_the_cache(rf):
    from core.exceptions import api_exception_handler

    error = resilient_cache.CacheUnavailable("down", fresh=True, retry_after=5)
    response = api_exception_handler(error, {})

    assert response.status_code == 503
    assert response.data["code"] == "cache_unavailable"
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize(
    "exc, expected",
    [
        (OperationalError(2003, "Can't connect to MySQL server"), True),
        (OperationalError(2013, "Lost connection to server during query"), True),
        (OperationalError(2006, "Server has gone away"), True),
        (OperationalError(1205, "Lock wait timeout exceeded"), False),
        (OperationalError(1054, "Unknown column"), False),
        (OperationalError("unable to open database file"), True),
    ],
)
def test_is_database_unavailable_tells_outages_from_bad_queries(exc, expected):
    assert is_database_unavailable(exc) is expected


@pytest.mark.parametrize("number", [1205, 1213, 3572])
def test_lock_errors_include_nowait_on_mysql(number):
    assert is_lock_error(OperationalError(number, "lock"))
    assert not is_database_unavailable(OperationalError(number, "lock"))


@pytest.mark.django_db
def test_database_outage_outside_drf_is_a_plain_503_without_traceback(admin_user, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    with (
        mock.patch(
            "django.contrib.sessions.backends.db.SessionStore.load",
            side_effect=OperationalError(2003, "Can't connect to MySQL server"),
        ),
        caplog.at_level(logging.WARNING),
    ):
        response = client.get("/admin/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert not [record for record in caplog.records if record.exc_info]


def _lock_timeout():
    return OperationalError(1205, "Lock wait timeout exceeded; try restarting transaction")


def test_retry_stops_when_the_lock_budget_is_spent(settings):
    settings.BOOKING_RETRY_ATTEMPTS = 5
    settings.DB_LOCK_WAIT_BUDGET = 2

    def waits_the_whole_budget():
        time.sleep(0.05)
        locks._lock_deadline.set(time.monotonic())  # as if the wait used it all
        raise _lock_timeout()

    calls = mock.Mock(side_effect=waits_the_whole_budget, __name__="book")
    with (
        mock.patch("django.db.transaction.get_connection") as conn,
        pytest.raises(ServiceBusy) as busy,
    ):
        conn.return_value.in_atomic_block = False
        locks.retry_on_lock_errors(calls)()

    assert calls.call_count == 1  # no second wait: the budget is gone
    assert busy.value.retry_after == 2


def test_a_stuck_showtime_lock_is_not_waited_for_again_until_a_probe(monkeypatch):
    stuck = locks.StuckLocks()
    clock = [100.0]
    monkeypatch.setattr(locks.time, "monotonic", lambda: clock[0])

    assert stuck.may_wait(7)  # nothing known: wait as usual
    stuck.timed_out(7)  # a booking waited its whole budget in vain
    assert not stuck.may_wait(7)
    assert stuck.may_wait(8)  # other showtimes are not affected

    clock[0] += locks.STUCK_RETRY_SECONDS
    assert stuck.may_wait(7)  # one probe waits again...
    assert not stuck.may_wait(7)  # ...the others do not meanwhile
    stuck.locked(7)  # someone got the lock: back to normal
    assert stuck.may_wait(7)


def test_json_depth_check_is_iterative_and_exact():
    nested = current = []
    for _ in range(5000):
        child = []
        current.append(child)
        current = child

    assert json_depth_exceeds(nested, 32)
    four_levels = {"a": [1, {"b": [2]}]}
    assert not json_depth_exceeds(four_levels, 4)
    assert json_depth_exceeds(four_levels, 3)
