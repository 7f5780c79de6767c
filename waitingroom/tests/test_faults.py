"""Redis down, through the fault proxy (testsupport/faultproxy.py; the shared Redis is
never stopped): the queued showtime stops selling with 503 and Retry-After, never
opening its gates; a showtime without a queue still sells; back at once after."""

import datetime as dt
import time

import pytest

from bookings.models import Reservation
from bookings.tests.factories import seat_ids
from cinema.tests.factories import HallFactory, ShowtimeFactory
from testsupport.faultproxy import BLACKHOLE, PASS, REFUSE, FaultProxy
from testsupport.testing import client_for
from users.tests.factories import UserFactory
from waitingroom.tests.conftest import REDIS, default_cache_on_redis, make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_through_proxy(settings):
    with FaultProxy(REDIS) as proxy, default_cache_on_redis(settings, proxy.port):
        yield proxy


def _book(client, showtime, label, queue_pass=None):
    headers = {"HTTP_QUEUE_PASS": queue_pass} if queue_pass else {}
    return client.post(
        "/api/reservations/",
        {"showtime": showtime.pk, "seats": seat_ids(showtime, label)},
        format="json",
        **headers,
    )


@pytest.mark.parametrize("fault", [REFUSE, BLACKHOLE])
def test_queue_redis_down_queued_showtime_503_other_showtime_books(
    redis_through_proxy, clock, fault
):
    queued = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 5}))
    plain = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 5}))
    make_queue(queued, opens_at=clock.moment - dt.timedelta(minutes=1), rate=60)
    client = client_for(UserFactory())
    token = client.post(f"/api/showtimes/{queued.pk}/queue/").json()["token"]
    clock.advance(5)
    queue_pass = client.get(f"/api/showtimes/{queued.pk}/queue/", {"token": token}).json()["pass"]
    assert queue_pass

    redis_through_proxy.set_mode(fault)
    started = time.monotonic()
    answers = [
        _book(client, queued, "A1", queue_pass),  # even with a good pass: fails closed
        _book(client, queued, "A2"),
        client.post(f"/api/showtimes/{queued.pk}/queue/"),
        client.get(f"/api/showtimes/{queued.pk}/queue/", {"token": token}),
    ]
    elapsed = time.monotonic() - started
    for response in answers:
        assert response.status_code == 503, response.content
        assert response.json()["code"] == "queue_unavailable"
        assert int(response["Retry-After"]) >= 1
    assert elapsed < 3  # the cache's timeouts and breaker, not a hung worker

    unrelated = _book(client, plain, "A1")
    assert unrelated.status_code == 201, unrelated.content
    assert list(Reservation.objects.values_list("showtime_id", flat=True)) == [plain.pk]

    redis_through_proxy.set_mode(PASS)
    time.sleep(1.1)  # the breaker's window
    assert _book(client, queued, "A1", queue_pass).status_code == 201
