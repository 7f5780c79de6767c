"""The live seat map: a stream's events against /seats/ after bookings, holds, cancels
and a lapsed hold; resuming with Last-Event-ID; heartbeats; Redis down."""

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from bookings import services
from bookings.tests.factories import book
from cinema.tests.factories import HallFactory, ShowtimeFactory
from live.tests.asgi import Stream
from testsupport.faultproxy import REFUSE, FaultProxy
from users.tests.factories import UserFactory

REDIS = ("127.0.0.1", 6379)
REDIS_DB = 5


@pytest.fixture
def live(settings):
    """The streams on the shared Redis (.ci/run starts it), on a channel of their own."""
    settings.LIVE_REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
    # Pub/sub ignores database numbers: a channel of this test's own.
    settings.LIVE_CHANNEL = f"test:seats:{uuid.uuid4().hex}"
    settings.LIVE_HEARTBEAT_SECONDS = 0.3
    return settings


@pytest.fixture
def world(transactional_db):
    hall = HallFactory(layout={"rows": 2, "seats_per_row": 5})
    showtime = ShowtimeFactory(hall=hall, price=Decimal("10.00"), vip_price=Decimal("15.00"))
    seats = list(showtime.hall.seats.order_by("position"))
    return {"showtime": showtime, "seats": seats, "customer": UserFactory()}


def _seats_now(showtime_id: int) -> tuple[dict, str]:
    response = Client().get(f"/api/showtimes/{showtime_id}/seats/")
    assert response.status_code == 200
    return response.json(), response["ETag"]


class MapMirror:
    """What a client keeps: the snapshot's map, changed by each seat event."""

    def __init__(self, snapshot: dict):
        self.statuses = {seat["id"]: seat["status"] for seat in snapshot["data"]["map"]["seats"]}
        self.etag = snapshot["data"]["etag"]
        self.last_id = snapshot["id"]

    def apply(self, event: dict) -> None:
        assert event["event"] == "seat", event
        self.statuses[event["data"]["seat"]] = event["data"]["status"]
        self.etag = event["data"]["etag"]
        self.last_id = event["id"]

    async def matches_seats(self, showtime_id: int) -> bool:
        body, etag = await sync_to_async(_seats_now)(showtime_id)
        return self.etag == etag and self.statuses == {
            seat["id"]: seat["status"] for seat in body["seats"]
        }


async def _until_matches(stream: Stream, mirror: MapMirror, showtime_id: int, timeout=10):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await mirror.matches_seats(showtime_id):
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, "the stream's map never came to equal /seats/"
        mirror.apply(await stream.event(timeout=remaining))


def _path(showtime) -> str:
    return f"/api/showtimes/{showtime.pk}/seats/stream/"


def test_the_first_event_is_the_map_as_seats_gives_it(live, world):
    showtime = world["showtime"]
    book(user=world["customer"], showtime=showtime, seats=world["seats"][:2])

    async def scenario():
        async with Stream(_path(showtime)) as stream:
            assert stream.status == 200
            assert stream.response_headers["content-type"] == "text/event-stream"
            assert stream.response_headers["x-accel-buffering"] == "no"
            first = await stream.event()
        body, etag = await sync_to_async(_seats_now)(showtime.pk)
        assert first["event"] == "snapshot"
        assert first["id"]
        assert first["data"] == {"etag": etag, "map": body}

    asyncio.run(scenario())


def test_bookings_holds_cancels_and_a_lapsed_hold_reach_the_stream(live, world):
    showtime, seats, customer = world["showtime"], world["seats"], world["customer"]

    async def scenario():
        async with Stream(_path(showtime)) as stream:
            mirror = MapMirror(await stream.event())
            assert all(status == "available" for status in mirror.statuses.values())

            booked = await sync_to_async(book)(user=customer, showtime=showtime, seats=seats[:2])
            await _until_matches(stream, mirror, showtime.pk)
            assert mirror.statuses[seats[0].pk] == "booked"

            held = await sync_to_async(book)(
                user=customer, showtime=showtime, seats=seats[2:4], hold=True
            )
            await _until_matches(stream, mirror, showtime.pk)
            assert mirror.statuses[seats[2].pk] == "held"

            await sync_to_async(services.reservation_cancel)(reservation=booked, by=customer)
            await sync_to_async(services.reservation_cancel)(reservation=held, by=customer)
            await _until_matches(stream, mirror, showtime.pk)
            assert all(status == "available" for status in mirror.statuses.values())

            # A hold that lapses with no write: pushed soon after its expiry.
            lapse_in = dt.timedelta(seconds=1.5)
            await sync_to_async(services.reservation_create)(
                user=customer,
                showtime_id=showtime.pk,
                seat_ids=[seats[4].pk],
                hold=True,
                now=timezone.now() - dt.timedelta(minutes=live.HOLD_MINUTES) + lapse_in,
            )
            event = await stream.event()
            mirror.apply(event)
            assert event["data"]["status"] == "held"
            event = await stream.event(timeout=5)
            lapsed_at = timezone.now()
            mirror.apply(event)
            assert (event["data"]["seat"], event["data"]["status"]) == (seats[4].pk, "available")
            assert await mirror.matches_seats(showtime.pk)
        return lapsed_at

    started = timezone.now()
    lapsed_at = asyncio.run(scenario())
    assert lapsed_at - started < dt.timedelta(seconds=30)


def test_a_client_resuming_with_last_event_id_gets_what_it_missed(live, world):
    showtime, seats, customer = world["showtime"], world["seats"], world["customer"]

    async def scenario():
        async with Stream(_path(showtime)) as watcher:  # keeps the showtime watched
            mirror = MapMirror(await watcher.event())
            async with Stream(_path(showtime)) as first:
                left = MapMirror(await first.event())
            await sync_to_async(book)(user=customer, showtime=showtime, seats=seats[:3])
            await _until_matches(watcher, mirror, showtime.pk)

            async with Stream(_path(showtime), {"Last-Event-ID": left.last_id}) as again:
                for _ in range(3):
                    left.apply(await again.event())
                assert await left.matches_seats(showtime.pk)

            async with Stream(_path(showtime), {"Last-Event-ID": "unknown-7"}) as stranger:
                assert (await stranger.event())["event"] == "snapshot"

    asyncio.run(scenario())


def test_an_idle_stream_carries_heartbeats(live, world):
    async def scenario():
        async with Stream(_path(world["showtime"])) as stream:
            await stream.event()
            assert await stream.raw(timeout=3) == ": heartbeat"
            assert await stream.raw(timeout=3) == ": heartbeat"

    asyncio.run(scenario())


def test_an_unknown_showtime_is_404(live, transactional_db):
    async def scenario():
        async with Stream("/api/showtimes/999999/seats/stream/") as stream:
            assert stream.status == 404

    asyncio.run(scenario())


def test_redis_down_ends_the_stream_with_a_retry_hint_and_bookings_go_on(live, world):
    showtime, seats, customer = world["showtime"], world["seats"], world["customer"]
    with FaultProxy(REDIS) as proxy:
        live.LIVE_REDIS_URL = f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}"

        async def scenario():
            async with Stream(_path(showtime)) as stream:
                await stream.event()
                proxy.set_mode(REFUSE)
                fallback = await stream.event(timeout=5)
                assert fallback["event"] == "fallback"
                assert fallback["retry"] == str(live.LIVE_RETRY_MS)
                assert fallback["data"]["code"] == "live_unavailable"
                assert fallback["data"]["poll"] == f"/api/showtimes/{showtime.pk}/seats/"
                assert await stream.event() is None  # the stream ended
            # A new stream while Redis is down: the hint at once.
            async with Stream(_path(showtime)) as stream:
                assert (await stream.event(timeout=5))["event"] == "fallback"
                assert await stream.event() is None
            started = asyncio.get_running_loop().time()
            reservation = await sync_to_async(book)(
                user=customer, showtime=showtime, seats=seats[:1]
            )
            assert asyncio.get_running_loop().time() - started < 2
            return reservation

        reservation = asyncio.run(scenario())
        assert reservation.status == "CONFIRMED"
    body, _ = _seats_now(showtime.pk)
    assert body["counts"]["booked"] == 1


def test_without_asgi_the_stream_is_the_map_and_the_hint_to_poll(live, world):
    response = Client().get(_path(world["showtime"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("event: snapshot\n")
    assert "event: fallback\n" in text
