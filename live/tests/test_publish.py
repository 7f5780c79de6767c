"""When the live maps' messages leave the worker: at the end of the request that changed
the seats (after its response), at most one round trip per ``_GATHER_SECONDS``; what no
request's end sent, the sweeper sends."""

import time
import uuid

import pytest
import redis

from bookings.tests.factories import book
from cinema.tests.factories import HallFactory, ShowtimeFactory
from live import receivers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def channel(settings):
    """A subscriber on a channel of the test's own, on the shared Redis."""
    settings.LIVE_REDIS_URL = "redis://127.0.0.1:6379/5"
    settings.LIVE_CHANNEL = f"test:seats:{uuid.uuid4().hex}"
    pubsub = redis.Redis.from_url(settings.LIVE_REDIS_URL).pubsub()
    pubsub.subscribe(settings.LIVE_CHANNEL)
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    yield pubsub
    pubsub.close()


@pytest.fixture
def showtime():
    return ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 5}))


@pytest.fixture
def no_sweeping(monkeypatch):
    """The sweeper leaves every change to the requests' ends."""
    monkeypatch.setattr(receivers, "_SWEEP_AGE_SECONDS", 3600)


def _received(pubsub, seconds: float) -> list[int]:
    got, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.05)
        if message and message["type"] == "message":
            got.append(int(message["data"]))
    return got


def _book_through_the_api(client, showtime, seat) -> None:
    response = client.post(
        "/api/reservations/", {"showtime": showtime.pk, "seats": [seat.pk]}, format="json"
    )
    assert response.status_code == 201, response.content


def test_a_booking_is_sent_at_the_end_of_its_request(
    channel, showtime, customer_client, no_sweeping, monkeypatch
):
    monkeypatch.setattr(receivers, "_sent_at", 0.0)  # the last round trip: long ago
    seat = showtime.hall.seats.order_by("position").first()

    _book_through_the_api(customer_client, showtime, seat)

    assert _received(channel, 1) == [showtime.pk]


def test_a_request_soon_after_a_round_trip_leaves_its_change_to_a_later_one(
    channel, showtime, customer_client, no_sweeping, monkeypatch
):
    first, second = showtime.hall.seats.order_by("position")[:2]
    monkeypatch.setattr(receivers, "_GATHER_SECONDS", 3600)
    monkeypatch.setattr(receivers, "_sent_at", time.monotonic())  # one just went out

    _book_through_the_api(customer_client, showtime, first)
    assert _received(channel, 0.5) == []

    monkeypatch.setattr(receivers, "_GATHER_SECONDS", 0.05)
    _book_through_the_api(customer_client, showtime, second)
    assert _received(channel, 1) == [showtime.pk]  # both changes, one message


def test_a_change_made_outside_a_request_is_swept(channel, showtime):
    book(showtime=showtime)  # the service, as a command or the admin's action would

    assert _received(channel, 2) == [showtime.pk]
