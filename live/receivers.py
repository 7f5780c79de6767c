"""The engine's ``seats_changed`` published on Redis, for every node's streams.

One message per committed change, the showtime's id on one channel (``LIVE_CHANNEL``);
each ASGI process re-reads the maps it streams (live/hub.py). The receiver only notes
the showtime; what is noted goes out in one round trip at most every
``_GATHER_SECONDS`` (50 ms) per process: several changes of one showtime become one
message, and a burst of bookings one round trip (a round trip per booking cost the
worker 6-22 % more CPU per booking).

Who sends it: the end of a request (Django's ``request_finished``, after the response
went out, so no client waits for Redis) when the last round trip is 50 ms old, else a
later request's end; and, for what no request's end sent (the tail of a burst, changes
made by commands), a sweeper thread that looks every ``_SWEEP_SECONDS``. While requests
keep coming the sweeper finds nothing to send and never talks to Redis. A thread of the
worker that did (a redis-py pipeline every 50 ms under load) takes the GIL back at each
of its socket calls; in process that slowed a busy thread of the same process by 28-55
%, and in the bench the bookings gained about 5 % without it (docs/performance.md). A
change so reaches the streams within about 150 ms.

A Redis fault never fails the booking that caused it: the message is lost, logged once
per outage, and the streams of every node end with a hint to poll ``/seats/`` (their
own subscription broke too, or breaks soon). After a failure Redis is not asked again
for REDIS_RETRY_SECONDS, as core/cache.py does, so a dead Redis costs a request's end at
most its timeout (REDIS_CONNECT_TIMEOUT / REDIS_TIMEOUT) once in that time, after its
response went out.
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
_pending: set[tuple[str, str, int]] = set()  # (Redis URL, channel, showtime id)
_pending_since = 0.0  # when the oldest change still pending was noted (monotonic)
_sent_at = 0.0  # when what was pending was last taken to be sent (monotonic)
_sweeper: tuple[int, threading.Thread] | None = None  # (its process, the thread)
_clients: dict[str, redis.Redis] = {}
_GATHER_SECONDS = 0.05  # the least time between two round trips from requests' ends
_SWEEP_SECONDS = 0.1  # how often the sweeper looks
_SWEEP_AGE_SECONDS = 0.05  # how long a change waits for a request's end before it sweeps


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
    """``seats_changed``: note the showtime; a request's end or the sweeper sends it."""
    global _pending_since, _sweeper
    if not settings.LIVE_REDIS_URL or time.monotonic() < _down_until:
        return
    with _lock:
        if not _pending:
            _pending_since = time.monotonic()
        _pending.add((settings.LIVE_REDIS_URL, settings.LIVE_CHANNEL, showtime_id))
        # One sweeper a process (a forked worker starts its own).
        if _sweeper is None or _sweeper[0] != os.getpid() or not _sweeper[1].is_alive():
            thread = threading.Thread(target=_sweep_forever, name="live-sweep", daemon=True)
            _sweeper = (os.getpid(), thread)
            thread.start()


def send_after_request(sender, **kwargs) -> None:
    """``request_finished``: send what is pending unless a round trip went out in the
    last ``_GATHER_SECONDS``."""
    if _pending and time.monotonic() - _sent_at >= _GATHER_SECONDS:
        _send()


def _sweep_forever() -> None:
    while True:
        time.sleep(_SWEEP_SECONDS)
        if _pending and time.monotonic() - _pending_since >= _SWEEP_AGE_SECONDS:
            _send()


def _send() -> None:
    global _sent_at
    with _lock:
        noted = sorted(_pending)
        _pending.clear()
        _sent_at = time.monotonic()
    if noted:
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
