"""The waiting room through the API: join, poll, the pass, the booking that needs it."""

import datetime as dt

import pytest

from bookings.models import Reservation
from bookings.tests.factories import seat_ids
from cinema.tests.factories import ShowtimeFactory
from payments.tests.factories import on_shift
from testsupport.testing import client_for
from users.tests.factories import CashierFactory, UserFactory
from waitingroom import services
from waitingroom.tests.conftest import make_queue

pytestmark = pytest.mark.django_db

RESERVATIONS = "/api/reservations/"


def _queue_url(showtime) -> str:
    return f"/api/showtimes/{showtime.pk}/queue/"


def _join(client, showtime):
    return client.post(_queue_url(showtime))


def _poll(client, showtime, token):
    return client.get(_queue_url(showtime), {"token": token})


def _book(client, showtime, label="A1", queue_pass=None):
    headers = {"HTTP_QUEUE_PASS": queue_pass} if queue_pass is not None else {}
    return client.post(
        RESERVATIONS,
        {"showtime": showtime.pk, "seats": seat_ids(showtime, label)},
        format="json",
        **headers,
    )


@pytest.fixture
def open_queue(redis_queue, clock, premiere):
    """``premiere`` queued, open since a minute ago, admitting 60 a minute."""
    return make_queue(premiere, opens_at=clock.moment - dt.timedelta(minutes=1), rate=60)


def _admitted_pass(client, showtime, clock) -> str:
    token = _join(client, showtime).json()["token"]
    clock.advance(60)  # plenty for anyone near the front
    body = _poll(client, showtime, token).json()
    assert body["status"] == "admitted", body
    return body["pass"]


def test_queue_join_poll_admit_and_book_end_to_end(open_queue, premiere, clock):
    client = client_for(UserFactory())

    joined = _join(client, premiere)
    assert joined.status_code == 200, joined.content
    body = joined.json()
    assert body["status"] == "waiting"
    assert (body["position"], body["ahead"]) == (1, 0)
    assert body["estimated_wait_seconds"] == 1  # 60 a minute: one a second
    assert body["poll_after"] >= 2
    assert body["pass"] is None and body["pass_expires_at"] is None

    refused = _book(client, premiere)
    assert refused.status_code == 403
    assert refused.json()["code"] == "queue_pass_required"

    clock.advance(1.5)
    polled = _poll(client, premiere, body["token"])
    assert polled.status_code == 200
    admitted = polled.json()
    assert admitted["status"] == "admitted"
    assert admitted["pass"]
    expires = dt.datetime.fromisoformat(admitted["pass_expires_at"])
    assert abs((expires - clock.moment).total_seconds() - 600) < 2  # ten minutes

    booked = _book(client, premiere, queue_pass=admitted["pass"])
    assert booked.status_code == 201, booked.content
    assert Reservation.objects.filter(showtime=premiere).count() == 1


def test_queue_positions_grow_first_come_first_served_after_the_opening(
    open_queue, premiere, clock
):
    clients = [client_for(UserFactory()) for _ in range(5)]
    positions = [_join(c, premiere).json()["position"] for c in clients]
    assert positions == [1, 2, 3, 4, 5]
    last = _join(clients[-1], premiere).json()
    assert (last["ahead"], last["estimated_wait_seconds"]) == (4, 5)

    clock.advance(3.5)  # three admitted
    statuses = [_join(c, premiere).json()["status"] for c in clients]
    assert statuses == ["admitted"] * 3 + ["waiting"] * 2
    assert _join(clients[3], premiere).json()["ahead"] == 0


def test_queue_one_place_per_account_a_new_token_names_the_same_place(open_queue, premiere, clock):
    client = client_for(UserFactory())
    _join(client_for(UserFactory()), premiere)
    first = _join(client, premiere).json()
    again = _join(client, premiere).json()
    assert first["position"] == again["position"] == 2
    assert _poll(client, premiere, first["token"]).json()["position"] == 2
    assert _poll(client, premiere, again["token"]).json()["position"] == 2


def test_queue_token_of_another_user_or_showtime_or_forged_is_refused(open_queue, premiere, clock):
    ann, bob = client_for(UserFactory()), client_for(UserFactory())
    token = _join(ann, premiere).json()["token"]
    other = ShowtimeFactory()
    make_queue(other, opens_at=clock.moment)
    for client, showtime, sent in [
        (bob, premiere, token),
        (ann, other, token),
        (ann, premiere, token[:-2] + "xx"),
        (ann, premiere, ""),
    ]:
        response = _poll(client, showtime, sent)
        assert response.status_code == 400
        assert response.json()["code"] == "queue_token_invalid"
    # Bob never joined: his own (valid) token names no place.
    bob_token = services.passes.token_make(user_id=_user_id(bob), showtime_id=premiere.pk)
    assert _poll(bob, premiere, bob_token).json()["code"] == "queue_token_invalid"


def _user_id(client) -> int:
    return client_me(client)["id"]


def client_me(client) -> dict:
    return client.get("/api/users/me/").json()


def test_queue_pass_of_another_user_showtime_expired_or_forged_is_refused(
    open_queue, premiere, clock
):
    ann, bob = client_for(UserFactory()), client_for(UserFactory())
    ann_pass = _admitted_pass(ann, premiere, clock)
    other = ShowtimeFactory(
        hall=premiere.hall, start_time=premiere.start_time + dt.timedelta(hours=5)
    )
    make_queue(other, opens_at=clock.moment - dt.timedelta(minutes=1))

    cases = {
        "another user's": (bob, premiere, ann_pass),
        "another showtime's": (ann, other, ann_pass),
        "forged": (ann, premiere, ann_pass[:-3] + "abc"),
        "garbage": (ann, premiere, "not-a-pass"),
    }
    for case, (client, showtime, sent) in cases.items():
        response = _book(client, showtime, queue_pass=sent)
        assert response.status_code == 403, case
        assert response.json()["code"] == "queue_pass_required", case

    clock.advance(10 * 60 + 1)  # the pass lived ten minutes
    expired = _book(ann, premiere, queue_pass=ann_pass)
    assert expired.status_code == 403
    assert expired.json()["code"] == "queue_pass_required"
    assert Reservation.objects.count() == 0

    # Expired: the poll says so; joining again is a new place at the back.
    token = _join(ann, premiere).json()
    assert token["status"] == "waiting"
    assert token["position"] == 2


def test_queue_compat_booking_route_needs_the_pass_too(open_queue, premiere, clock):
    client = client_for(UserFactory())
    refused = client.post(f"/api/shows/{premiere.pk}/book/", {"seat_number": 1}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "queue_pass_required"
    queue_pass = _admitted_pass(client, premiere, clock)
    booked = client.post(
        f"/api/shows/{premiere.pk}/book/",
        {"seat_number": 1},
        format="json",
        HTTP_QUEUE_PASS=queue_pass,
    )
    assert booked.status_code == 201, booked.content


def test_queue_counter_sales_need_no_pass(open_queue, premiere):
    cashier = client_for(on_shift(CashierFactory()))
    sale = cashier.post(
        "/api/box-office/sales/",
        {"showtime": premiere.pk, "seats": seat_ids(premiere, "B2"), "method": "cash"},
        format="json",
    )
    assert sale.status_code == 201, sale.content


def test_queue_unqueued_showtime_books_without_a_pass_and_has_no_queue(redis_queue, premiere):
    client = client_for(UserFactory())
    joined = _join(client, premiere)
    assert joined.status_code == 409
    assert joined.json()["code"] == "not_queued"
    assert _book(client, premiere).status_code == 201


def test_queue_closed_takes_nobody_and_sells_nothing(open_queue, premiere, clock):
    ann = client_for(UserFactory())
    ann_pass = _admitted_pass(ann, premiere, clock)
    services.queue_update(queue=open_queue, closed=True)

    for response in (
        _join(client_for(UserFactory()), premiere),
        _book(ann, premiere, queue_pass=ann_pass),
    ):
        assert response.status_code == 409
        assert response.json()["code"] == "queue_closed"

    services.queue_update(queue=open_queue, closed=False)
    assert _book(ann, premiere, queue_pass=ann_pass).status_code == 201


def test_queue_pause_stops_the_counter_and_a_new_rate_counts_from_now(open_queue, premiere, clock):
    clients = [client_for(UserFactory()) for _ in range(30)]
    for client in clients:
        _join(client, premiere)
    clock.advance(2)
    assert services.queue_figures(queue=open_queue).admitted == 2

    services.queue_update(queue=open_queue, paused=True)
    clock.advance(60)
    figures = services.queue_figures(queue=open_queue)
    assert (figures.admitted, figures.waiting, figures.paused) == (2, 28, True)
    assert _join(clients[5], premiere).json()["paused"] is True

    services.queue_update(queue=open_queue, paused=False, admit_per_minute=600)
    clock.advance(1)  # ten a second from now
    assert services.queue_figures(queue=open_queue).admitted == 12


def test_queue_capacity_nobody_waited_for_is_not_banked(open_queue, premiere, clock):
    clock.advance(600)  # ten quiet minutes at 60 a minute
    clients = [client_for(UserFactory()) for _ in range(5)]
    statuses = [_join(c, premiere).json()["status"] for c in clients]
    # The rush after a quiet spell still queues: at most the one who came first is in.
    assert statuses.count("admitted") <= 1
    clock.advance(2)
    assert services.queue_figures(queue=open_queue).admitted <= 3


def test_queue_state_survives_an_app_restart(open_queue, premiere, clock, redis_queue):
    """Everything is in Redis: an app node that restarts (a new process, no memory)
    finds every place where it was."""
    from django.core.cache import caches

    clients = [client_for(UserFactory()) for _ in range(3)]
    tokens = [_join(c, premiere).json()["token"] for c in clients]
    caches["default"].close()
    del caches["default"]  # a fresh cache object and connection pool, as after a restart
    positions = [
        _poll(c, premiere, t).json()["position"] for c, t in zip(clients, tokens, strict=True)
    ]
    assert positions == [1, 2, 3]


def test_queue_check_costs_no_query_for_an_unqueued_showtime(
    redis_queue, premiere, django_assert_num_queries
):
    customer = UserFactory()
    with django_assert_num_queries(1):  # the list of queued showtimes, then shared
        services.queue_pass_check(user=customer, showtime_id=premiere.pk, queue_pass=None)
    with django_assert_num_queries(0):
        services.queue_pass_check(user=customer, showtime_id=premiere.pk, queue_pass=None)


def test_queue_anonymous_may_not_join(open_queue, premiere):
    response = client_for().post(_queue_url(premiere))
    assert response.status_code == 401


def test_queue_deleted_sells_without_a_pass_and_a_new_one_starts_empty(open_queue, premiere, clock):
    ann, bob = client_for(UserFactory()), client_for(UserFactory())
    _join(ann, premiere)
    services.queue_delete(queue=open_queue)
    assert _book(bob, premiere, "B1").status_code == 201

    make_queue(premiere, opens_at=clock.moment)
    assert _join(bob, premiere).json()["position"] == 1
