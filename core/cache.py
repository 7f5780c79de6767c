"""Django's Redis cache with short timeouts and a circuit breaker.

A dead Redis (connection refused) or a hung one (the process stopped, connections open)
must not hold a request for seconds. The socket timeouts (REDIS_CONNECT_TIMEOUT,
REDIS_TIMEOUT, a quarter of a second by default) bound one operation; after a failure
the breaker stays open for REDIS_RETRY_SECONDS, during which every operation fails at
once, without touching the network, so a login that asks the cache four times pays
for one timeout, not four. The first operation after that window tries Redis again.

A failed operation raises ``CacheUnavailable``. Throttles catch it and let the request
through (users/throttles.py); anything else that needs the cache answers 503
``cache_unavailable`` (core/exceptions.py).
"""

import functools
import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError, TryAgainError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Redis unreachable or too slow, and Redis answering that it cannot serve now: a replica
# left read-only after a failover, out of memory, still loading its data (a
# ConnectionError subclass), or asking to try again. A command Redis refuses for being
# wrong (any other ResponseError) is a bug, and stays one.
_OUTAGES = (
    RedisConnectionError,
    RedisTimeoutError,
    ReadOnlyError,
    OutOfMemoryError,
    TryAgainError,
    OSError,
)
# For code that talks to Redis itself through the cache's connection pool (the waiting
# room's scripts): the same outages, the same breaker.
REDIS_OUTAGES = _OUTAGES


class CacheUnavailable(Exception):
    """The cache could not be reached. ``fresh`` is True for the failure that opened the
    breaker, False while it stays open (so callers can log once per outage)."""

    def __init__(self, message: str, *, fresh: bool, retry_after: float):
        super().__init__(message)
        self.fresh = fresh
        self.retry_after = retry_after


class _Breaker:
    """Per process and per Redis location: Django builds one cache object per thread,
    but an outage is the same for all of them."""

    def __init__(self, retry_seconds: float):
        self.retry_seconds = retry_seconds
        self._open_until = 0.0
        self._lock = threading.Lock()

    def check(self) -> None:
        if time.monotonic() < self._open_until:
            raise CacheUnavailable(
                "the cache is unavailable (recent failure)",
                fresh=False,
                retry_after=self.retry_seconds,
            )

    def trip(self, exc: BaseException) -> CacheUnavailable:
        with self._lock:
            fresh = time.monotonic() >= self._open_until
            self._open_until = time.monotonic() + self.retry_seconds
        if fresh:
            logger.warning(
                "cache unavailable, not asked again for %ss: %s", self.retry_seconds, exc
            )
        return CacheUnavailable(
            f"the cache is unavailable: {exc}", fresh=fresh, retry_after=self.retry_seconds
        )

    def reset(self) -> None:
        self._open_until = 0.0


_BREAKERS: dict[tuple, _Breaker] = {}
_BREAKERS_LOCK = threading.Lock()


def breaker_for(servers, retry_seconds: float) -> _Breaker:
    key = tuple(servers)
    with _BREAKERS_LOCK:
        breaker = _BREAKERS.get(key)
        if breaker is None:
            breaker = _BREAKERS[key] = _Breaker(retry_seconds)
        breaker.retry_seconds = retry_seconds
        return breaker


class ResilientRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, *, retry_seconds: float = 5, **options):
        super().__init__(servers, **options)
        self.breaker = breaker_for(servers, retry_seconds)


def _guarded(name: str):
    method = getattr(RedisCacheClient, name)

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        self.breaker.check()
        try:
            return method(self, *args, **kwargs)
        except _OUTAGES as exc:
            raise self.breaker.trip(exc) from exc

    return guarded


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(ResilientRedisCacheClient, _name, _guarded(_name))


class ResilientRedisCache(RedisCache):
    """``RedisCache`` whose operations raise ``CacheUnavailable`` quickly when Redis is
    down or hung. OPTIONS: ``socket_connect_timeout`` and ``socket_timeout`` (seconds,
    passed to redis-py) and ``retry_seconds`` (how long the breaker stays open)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
