"""One hub per ASGI process (per event loop): one Redis subscription for every stream,
and per showtime with listeners a watch that re-reads the seat map once per change.

A message on ``LIVE_CHANNEL`` names a showtime whose seats changed (live/receivers.py).
The watch re-reads the map through the selector ``/seats/`` answers with
(live/maps.py), so a stream's map equals ``/seats/`` by construction; it diffs the seats'
statuses against the map it had and sends one event per seat that changed, each with
the map's new ETag, to every stream's queue. Reads are coalesced: messages that arrive
during a read cause one more read, not one each. A timer at the next hold's expiry
re-reads the map, so a hold that lapses with no write reaches the clients too.

Event ids are ``<process epoch>-<sequence>``; the watch keeps the last
LIVE_REPLAY_EVENTS events, so a client that resumes on the same process with
Last-Event-ID gets what it missed; any other id (another node, an older event, a
restarted process) gets a fresh snapshot.

When the subscription fails (Redis down), every stream gets ``FALLBACK`` and ends
(with a retry hint; the client polls ``/seats/``), and the hub tries Redis again for
the next stream after REDIS_RETRY_SECONDS.
"""

import asyncio
import collections
import contextlib
import logging
import secrets
import time

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone
from redis.exceptions import RedisError

from live.maps import seat_map_now

logger = logging.getLogger(__name__)

FALLBACK = "fallback"  # the stream must end: Redis is unavailable
RESYNC = "resync"  # the stream fell behind: send it a fresh snapshot


class LiveUnavailable(Exception):
    pass


class Watch:
    def __init__(self, hub: "Hub", showtime_id: int):
        self.hub = hub
        self.showtime_id = showtime_id
        self.listeners: set[asyncio.Queue] = set()
        self.seq = 0
        self.data: dict | None = None
        self.etag = ""
        self.statuses: dict[int, str] = {}
        self.recent: collections.deque = collections.deque(maxlen=settings.LIVE_REPLAY_EVENTS)
        self.rendered: dict[int, bytes] = {}  # seat events as sent, by sequence (views)
        self.lock = asyncio.Lock()
        self._pending = False
        self._task: asyncio.Task | None = None
        self._timer: asyncio.TimerHandle | None = None

    def event_id(self, seq: int) -> str:
        return f"{self.hub.epoch}-{seq}"

    async def load(self) -> None:
        """The first read (under the lock): raises Http404 for an unknown showtime."""
        async with self.lock:
            if self.data is None:
                await self._read()

    async def _read(self) -> list[tuple[int, dict]]:
        # On the executor's few threads, not the stream's request thread (each of which
        # would keep a database connection for as long as its stream lasts).
        data, etag, next_lapse = await sync_to_async(seat_map_now, thread_sensitive=False)(
            self.showtime_id
        )
        statuses = {seat["id"]: seat["status"] for seat in data["seats"]}
        events = []
        if self.data is not None and etag != self.etag:
            changed = [
                (seat_id, status)
                for seat_id, status in statuses.items()
                if self.statuses.get(seat_id) != status
            ]
            if changed and statuses.keys() == self.statuses.keys():
                for seat_id, status in changed:
                    self.seq += 1
                    events.append((self.seq, {"seat": seat_id, "status": status, "etag": etag}))
            else:  # a change that is not a seat's status (a price, the hall): the map
                self.seq += 1
                events.append((self.seq, RESYNC))
        self.data, self.etag, self.statuses = data, etag, statuses
        self._schedule(next_lapse)
        return events

    def _schedule(self, next_lapse) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if next_lapse is not None:
            delay = max((next_lapse - timezone.now()).total_seconds(), 0) + 0.05
            self._timer = asyncio.get_running_loop().call_later(delay, self.changed)

    def changed(self) -> None:
        """The seats may have changed: read once more (coalesced)."""
        if self._task is not None and not self._task.done():
            self._pending = True
            return
        self._task = asyncio.ensure_future(self._refresh())

    async def _refresh(self) -> None:
        self._pending = True
        while self._pending and self.listeners:
            self._pending = False
            async with self.lock:
                try:
                    events = await self._read()
                except Exception:  # a database fault: the next change reads again
                    logger.exception("live seat map %s: cannot read", self.showtime_id)
                    continue
                for seq, event in events:
                    if event is not RESYNC:
                        self.recent.append((seq, event))
                    else:
                        self.recent.clear()
                    for queue in self.listeners:
                        _offer(queue, (seq, event))

    def since(self, last_event_id: str | None) -> list[tuple[int, dict]] | None:
        """The events after ``last_event_id``, or None when a snapshot is needed."""
        epoch, _, seq = (last_event_id or "").rpartition("-")
        if epoch != self.hub.epoch or not seq.isdigit() or int(seq) > self.seq:
            return None
        seq = int(seq)
        if seq == self.seq:
            return []
        if not self.recent or self.recent[0][0] > seq + 1:
            return None
        return [item for item in self.recent if item[0] > seq]

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None:
            self._task.cancel()


def _offer(queue: asyncio.Queue, item) -> None:
    try:
        queue.put_nowait(item)
    except asyncio.QueueFull:  # a slow client: drop what it has not read, resync it
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait((None, RESYNC))


class Hub:
    def __init__(self):
        self.epoch = secrets.token_hex(4)
        self.watches: dict[int, Watch] = {}
        self._task: asyncio.Task | None = None
        self._ready: asyncio.Future | None = None
        self._down_until = 0.0

    async def start(self) -> None:
        """Subscribe (once); raises LiveUnavailable when Redis cannot be reached."""
        if self._task is not None and not self._task.done():
            await asyncio.shield(self._ready)
            return
        if not settings.LIVE_REDIS_URL or time.monotonic() < self._down_until:
            raise LiveUnavailable
        self._ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.ensure_future(self._listen())
        await asyncio.shield(self._ready)

    async def _listen(self) -> None:
        client = aioredis.Redis.from_url(
            settings.LIVE_REDIS_URL,
            socket_connect_timeout=settings.LIVE_REDIS_CONNECT_TIMEOUT,
            health_check_interval=max(settings.LIVE_HEARTBEAT_SECONDS, 1),
        )
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(settings.LIVE_CHANNEL)
            self._ready.set_result(None)
            while True:
                message = await pubsub.get_message(timeout=settings.LIVE_HEARTBEAT_SECONDS)
                if message is None:
                    await asyncio.wait_for(pubsub.ping(), settings.LIVE_HEARTBEAT_SECONDS)
                    continue
                watch = self.watches.get(_showtime_id(message["data"]))
                if watch is not None:
                    watch.changed()
        except (TimeoutError, RedisError, OSError) as exc:
            logger.warning("live seat maps: Redis unavailable, streams end: %s", exc)
            self._down_until = time.monotonic() + settings.REDIS_RETRY_SECONDS
            if not self._ready.done():
                self._ready.set_exception(LiveUnavailable())
            for watch in self.watches.values():
                for queue in watch.listeners:
                    _offer(queue, (None, FALLBACK))
        finally:
            try:
                await pubsub.aclose()
                await client.aclose()
            except (RedisError, OSError):
                pass

    def watch(self, showtime_id: int) -> Watch:
        watch = self.watches.get(showtime_id)
        if watch is None:
            watch = self.watches[showtime_id] = Watch(self, showtime_id)
        return watch

    def leave(self, watch: Watch, queue: asyncio.Queue) -> None:
        watch.listeners.discard(queue)
        if not watch.listeners and self.watches.get(watch.showtime_id) is watch:
            del self.watches[watch.showtime_id]
            watch.close()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for watch in self.watches.values():
            watch.close()
        self.watches.clear()


def _showtime_id(data) -> int | None:
    try:
        return int(data)
    except (TypeError, ValueError):
        return None


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def get_hub() -> Hub:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        for old in [other for other in _hubs if other.is_closed()]:
            del _hubs[old]
        hub = _hubs[loop] = Hub()
    return hub
