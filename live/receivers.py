"""The engine's ``seats_changed`` published on Redis, for every node's streams.

One message per committed change, the showtime's id on one channel (``LIVE_CHANNEL``);
each ASGI process re-reads the maps it streams (live/hub.py). A Redis fault never fails
the booking that caused it: the message is lost, logged once per outage, and the
streams of every node end with a hint to poll ``/seats/`` (their own subscription broke
too, or breaks soon). After a failure Redis is not asked again for REDIS_RETRY_SECONDS,
as core/cache.py does.
"""

import logging
import threading
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_state = threading.local()
_down_until = 0.0


def _client() -> redis.Redis:
    url = settings.LIVE_REDIS_URL
    client = getattr(_state, "client", None)
    if client is None or getattr(_state, "url", None) != url:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
            socket_timeout=settings.REDIS_TIMEOUT,
        )
        _state.client, _state.url = client, url
    return client


def publish_seats_changed(sender, *, showtime_id: int, **kwargs) -> None:
    global _down_until
    if not settings.LIVE_REDIS_URL or time.monotonic() < _down_until:
        return
    try:
        _client().publish(settings.LIVE_CHANNEL, str(showtime_id))
    except (redis.RedisError, OSError) as exc:
        _down_until = time.monotonic() + settings.REDIS_RETRY_SECONDS
        logger.warning("live seat maps: cannot publish, Redis unavailable: %s", exc)
