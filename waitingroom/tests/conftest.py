"""The waiting room lives in Redis: these tests talk to the shared Redis on
127.0.0.1:6379 (.ci/run starts it), in a database of their own, each test under a key
prefix of its own that it deletes afterwards. The clock of the queue is pinned
(``waitingroom.store.test_now_ms``) so a test moves time on instead of sleeping."""

import contextlib
import datetime as dt
import socket
import time
import uuid
from decimal import Decimal

import pytest
import redis as redis_lib

from cinema.tests.factories import HallFactory, ShowtimeFactory
from core import cache as resilient_cache
from waitingroom import services, store
from waitingroom.models import ShowtimeQueue

REDIS = ("127.0.0.1", 6379)
REDIS_DB = 6  # the waiting room tests' own Redis database


def redis_reachable() -> bool:
    with contextlib.suppress(OSError), socket.create_connection(REDIS, timeout=1):
        return True
    return False


@contextlib.contextmanager
def default_cache_on_redis(settings, port: int = REDIS[1]):
    """The default cache, and so the waiting room, on Redis at ``port`` (the shared
    Redis, or a fault proxy in front of it), under a key prefix deleted afterwards."""
    if not redis_reachable():
        pytest.fail("needs Redis on 127.0.0.1:6379 (.ci/run starts it)")
    prefix = f"marquee-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/{REDIS_DB}",
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25, "retry_seconds": 1},
        }
    }
    resilient_cache._BREAKERS.clear()
    try:
        yield prefix
    finally:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        resilient_cache._BREAKERS.clear()
        client = redis_lib.Redis(*REDIS, db=REDIS_DB)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def redis_queue(settings):
    with default_cache_on_redis(settings) as prefix:
        yield prefix


class Clock:
    """The queue's clock, in ms, moved by the test."""

    def __init__(self):
        self.now = int(time.time() * 1000)
        store.test_now_ms = self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)
        store.test_now_ms = self.now

    @property
    def moment(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now / 1000, tz=dt.UTC)


@pytest.fixture
def clock():
    yield Clock()
    store.test_now_ms = None


@pytest.fixture
def premiere(db):
    """A showtime of a hall of 3 rows of 4 seats, at 10.00 a seat, tomorrow."""
    hall = HallFactory(layout={"rows": 3, "seats_per_row": 4})
    return ShowtimeFactory(hall=hall, price=Decimal("10.00"))


def make_queue(showtime, *, opens_at, rate=60, pass_minutes=10, **extra) -> ShowtimeQueue:
    return services.queue_save(
        queue=ShowtimeQueue(
            showtime=showtime,
            opens_at=opens_at,
            admit_per_minute=rate,
            pass_minutes=pass_minutes,
            **extra,
        )
    )
