"""``GET /api/showtimes/{id}/seats/stream/``: the seat map as Server-Sent Events.

The view itself is short (a 404 check) and returns a streaming answer whose body is an
async generator: under ASGI (the stream process, deploy/) a stream costs a queue on the
event loop, not a worker thread. Under WSGI (a thread per connection) the answer is the
snapshot and at once the ``fallback`` event: the client polls ``/seats/`` instead.
"""

import asyncio

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.views import APIView

from bookings import selectors
from core.renderers import FastJSONRenderer
from live.hub import FALLBACK, RESYNC, LiveUnavailable, get_hub
from live.maps import seat_map_now
from users.authentication import PublicReadsMixin

_json = FastJSONRenderer()


class EventStreamRenderer(BaseRenderer):
    """Lets ``Accept: text/event-stream`` through content negotiation; errors before the
    stream starts are JSON all the same."""

    media_type = "text/event-stream"
    format = "sse"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return _json.render(data)


def _event(name: str, data: dict, event_id: str | None = None, retry: int | None = None):
    lines = []
    if retry is not None:
        lines.append(f"retry: {retry}")
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {name}")
    return ("\n".join(lines) + "\ndata: ").encode() + _json.render(data) + b"\n\n"


def _snapshot(data: dict, etag: str, event_id: str | None) -> bytes:
    return _event("snapshot", {"etag": etag, "map": data}, event_id)


def _watch_snapshot(watch) -> bytes:
    """The watch's map as a snapshot event, rendered once per change for all its streams
    (a 300-seat map is 30 KB of JSON)."""
    cached = getattr(watch, "snapshot_cache", None)
    if cached is None or cached[0] != watch.seq:
        cached = watch.snapshot_cache = (
            watch.seq,
            _snapshot(watch.data, watch.etag, watch.event_id(watch.seq)),
        )
    return cached[1]


def _fallback(showtime_id: int) -> bytes:
    return _event(
        "fallback",
        {
            "detail": "Live updates are unavailable: poll the seat map (ETag).",
            "code": "live_unavailable",
            "poll": f"/api/showtimes/{showtime_id}/seats/",
        },
        retry=settings.LIVE_RETRY_MS,
    )


HEARTBEAT = b": heartbeat\n\n"


async def _check(showtime_id: int) -> None:
    """Http404 for an unknown showtime, read through the hub's watch: a burst of streams
    for one showtime costs one read on the hub's few threads, not a database connection
    per request. When live updates are down the stream will only send ``fallback``: the
    check reads the database itself."""
    hub = get_hub()
    try:
        await hub.start()
    except LiveUnavailable:
        await sync_to_async(selectors.seat_map_state, thread_sensitive=False)(
            showtime_id=showtime_id
        )
        return
    watch = hub.watch(showtime_id)
    probe = asyncio.Queue(maxsize=1)
    watch.listeners.add(probe)
    try:
        await watch.load()
    finally:
        hub.leave(watch, probe)


async def _stream(showtime_id: int, last_event_id: str | None):
    hub = get_hub()
    try:
        await hub.start()
    except LiveUnavailable:
        yield _fallback(showtime_id)
        return
    watch = hub.watch(showtime_id)
    queue = asyncio.Queue(maxsize=settings.LIVE_REPLAY_EVENTS)
    watch.listeners.add(queue)
    try:
        await watch.load()
        async with watch.lock:
            missed = watch.since(last_event_id)
            if missed is None:
                first = _watch_snapshot(watch)
            else:
                first = b"".join(_change(watch, seq, event) for seq, event in missed)
            horizon = watch.seq
        yield first or HEARTBEAT
        while True:
            try:
                items = [await asyncio.wait_for(queue.get(), settings.LIVE_HEARTBEAT_SECONDS)]
            except TimeoutError:
                yield HEARTBEAT
                continue
            # What is already waiting goes out in the same write: a process with
            # thousands of streams wakes each once per batch, not once per seat.
            while not queue.empty():
                items.append(queue.get_nowait())
            out = []
            for seq, event in items:
                if event is FALLBACK:
                    yield b"".join(out) + _fallback(showtime_id)
                    return
                if seq is not None and seq <= horizon:
                    continue
                if event is RESYNC:  # the map as it is now replaces the events before
                    horizon = watch.seq
                    out = [_watch_snapshot(watch)]
                else:
                    out.append(_change(watch, seq, event))
            if out:
                yield b"".join(out)
    finally:
        hub.leave(watch, queue)


def _change(watch, seq: int, event: dict) -> bytes:
    """A seat event, rendered once for all the watch's streams."""
    rendered = watch.rendered.get(seq)
    if rendered is None:
        rendered = watch.rendered[seq] = _event("seat", event, watch.event_id(seq))
        while len(watch.rendered) > settings.LIVE_REPLAY_EVENTS:
            del watch.rendered[next(iter(watch.rendered))]
    return rendered


@extend_schema(
    tags=["showtimes"],
    auth=[],
    summary="The seat map, pushed live (Server-Sent Events)",
    description="A `text/event-stream`. The first event, `snapshot`, carries the whole map "
    "as `/seats/` answers it (`map`) and its `etag`; then one `seat` event per seat whose "
    "status changes (`seat`, `status`, `etag`: the map's new ETag), in order, each with an "
    "`id`. A client that reconnects with `Last-Event-ID` gets the events it missed, or a "
    "fresh `snapshot` when they are no longer known. A hold that lapses is pushed within "
    "a second or so of its expiry. Idle streams carry a comment line (`: heartbeat`) "
    "every LIVE_HEARTBEAT_SECONDS. When live updates are unavailable (Redis down, or a "
    "server without them) the stream sends a `retry:` hint and a `fallback` event "
    "(`code` `live_unavailable`, `poll`: the seat map's URL) and ends: poll `/seats/` "
    "with its ETag meanwhile.",
    parameters=[
        OpenApiParameter(
            "Last-Event-ID",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            description="The id of the last event received, to resume a stream.",
        ),
        OpenApiParameter("format", exclude=True),
    ],
    responses={
        (200, "text/event-stream"): OpenApiResponse(
            OpenApiTypes.STR, description="Server-Sent Events: snapshot, seat, fallback."
        )
    },
)
class SeatMapStreamView(PublicReadsMixin, APIView):
    permission_classes = [AllowAny]
    renderer_classes = [FastJSONRenderer, EventStreamRenderer]

    def get(self, request, showtime_id: int):
        if isinstance(request._request, ASGIRequest):
            # On the event loop: the request's thread (one per request under ASGI)
            # never opens a database connection (a thousand streams would open a
            # thousand); the maps are read by the hub, on a few shared threads.
            async_to_sync(_check)(showtime_id)
            connections.close_all()
            body = _stream(showtime_id, request.headers.get("Last-Event-ID"))
        else:
            data, etag, _ = seat_map_now(showtime_id)
            body = iter([_snapshot(data, etag, None), _fallback(showtime_id)])
        response = StreamingHttpResponse(body, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response
