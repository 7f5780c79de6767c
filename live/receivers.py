"""The engine's ``seats_changed`` published on Redis, for every node's streams.

One message per committed change, the showtime's id on one channel (``LIVE_CHANNEL``);
each ASGI process re-reads the maps it streams (live/hub.py). The booking never waits
for Redis: the receiver notes the showtime and a thread of the process publishes what
is noted, gathered for ``_GATHER_SECONDS`` (50 ms) after the first change: several
changes of one showtime become one message, and a burst of bookings one round trip
(measured in process: a round trip per booking cost the worker 6-22 % more CPU per
booking). A Redis fault never fails the booking that caused it: the message is lost,
logged once per outage, and the streams of every node end with a hint to poll
``/seats/`` (their own subscription broke too, or breaks soon). After a failure Redis
is not asked again for REDIS_RETRY_SECONDS, as core/cache.py does.
"""

import logging
import os
import threading
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_down_until = 0.0
_lock = threading.Lock()
_wake = threading.Event()
_pending: set[tuple[str, str, int]] = set()  # (Redis URL, channel, showtime id)
_publisher: tuple[int, threading.Thread] | None = None  # (its process, the thread)
_clients: dict[str, redis.Redis] = {}
_GATHER_SECONDS = 0.05


def _client(url: str) -> redis.Redis:
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
            socket_timeout=settings.REDIS_TIMEOUT,
        )
    return client


def publish_seats_changed(sender, *, showtime_id: int, **kwargs) -> None:
    global _publisher
    if not settings.LIVE_REDIS_URL or time.monotonic() < _down_until:
        return
    with _lock:
        _pending.add((settings.LIVE_REDIS_URL, settings.LIVE_CHANNEL, showtime_id))
        # One thread a process (a forked worker starts its own).
        if _publisher is None or _publisher[0] != os.getpid() or not _publisher[1].is_alive():
            thread = threading.Thread(target=_publish_forever, name="live-publish", daemon=True)
            _publisher = (os.getpid(), thread)
            thread.start()
    _wake.set()


def _publish_forever() -> None:
    while True:
        _wake.wait()
        # What the next moments change goes out with it: one round trip for a burst of
        # bookings, not one per booking, for a delay far below the streams' second.
        time.sleep(_GATHER_SECONDS)
        _wake.clear()
        with _lock:
            noted = sorted(_pending)
            _pending.clear()
        _publish(noted)


def _publish(noted: list[tuple[str, str, int]]) -> None:
    global _down_until
    by_url: dict[str, list[tuple[str, int]]] = {}
    for url, channel, showtime_id in noted:
        by_url.setdefault(url, []).append((channel, showtime_id))
    for url, messages in by_url.items():
        try:
            pipe = _client(url).pipeline(transaction=False)
            for channel, showtime_id in messages:
                pipe.publish(channel, str(showtime_id))
            pipe.execute()
        except (redis.RedisError, OSError) as exc:
            _down_until = time.monotonic() + settings.REDIS_RETRY_SECONDS
            logger.warning("live seat maps: cannot publish, Redis unavailable: %s", exc)
