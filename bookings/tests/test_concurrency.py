"""Races on MariaDB/MySQL: threads released together by a barrier, each with its own
connection. On SQLite these skip (it serialises every writer, so they would prove
nothing); .ci/run fails if they skip on MariaDB."""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone

from bookings import services
from bookings.models import IdempotencyKey, Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book, seat
from cinema.tests.factories import HallFactory, ShowtimeFactory
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from users.tests.factories import UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]

RESERVATIONS = "/api/reservations/"


def _post(client, body, **extra):
    response = client.post(RESERVATIONS, body, format="json", **extra)
    return response.status_code, response.json()


def _live_claims(showtime):
    return ReservationSeat.objects.filter(showtime=showtime, active=True)


def test_concurrency_fifty_customers_one_seat_exactly_one_wins():
    show = ShowtimeFactory()
    target = seat(show, "B2").pk
    clients = [client_for(UserFactory()) for _ in range(50)]

    results = run_concurrently(
        lambda i: _post(clients[i], {"showtime": show.pk, "seats": [target]}), 50
    )

    statuses = Counter(result[0] for result in results)
    assert statuses == {201: 1, 409: 49}, results
    losers = [body for code, body in results if code == 409]
    assert all(body["code"] == "seats_unavailable" for body in losers)
    assert all(body["seats"] == [{"id": target, "label": "B2"}] for body in losers)
    assert ReservationSeat.objects.filter(showtime=show, seat_id=target).count() == 1
    assert _live_claims(show).count() == 1
    assert Reservation.objects.filter(showtime=show).count() == 1


def test_concurrency_overlapping_multi_seat_requests_are_all_or_nothing():
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 3, "seats_per_row": 3}))
    pairs = [("A1", "A2"), ("A2", "A3"), ("A3", "A1")]
    clients = [client_for(UserFactory()) for _ in range(12)]

    bodies = [{"showtime": show.pk, "seats": [seat(show, x).pk for x in pair]} for pair in pairs]

    def attempt(i):
        return _post(clients[i], bodies[i % 3])

    results = run_concurrently(attempt, 12)

    codes = Counter(result[0] for result in results)
    # Any two of the pairs overlap, so exactly one request can win.
    assert codes == {201: 1, 409: 11}, results
    claims = list(_live_claims(show).values_list("seat_id", flat=True))
    assert len(claims) == len(set(claims)) == 2
    for reservation in Reservation.objects.filter(showtime=show):
        assert reservation.seats.filter(active=True).count() == 2  # never half a booking
    assert ReservationSeat.objects.filter(showtime=show).count() == 2


def test_concurrency_cancel_racing_rebooking_never_gives_two_live_claims():
    for _ in range(4):
        show = ShowtimeFactory()
        target = seat(show, "A1")
        owner = UserFactory()
        reservation = book(user=owner, showtime=show, seats=[target])
        owner_client = client_for(owner)
        clients = [client_for(UserFactory()) for _ in range(6)]

        clients.insert(0, owner_client)
        cancel_url = f"{RESERVATIONS}{reservation.pk}/"
        body = {"showtime": show.pk, "seats": [target.pk]}

        def act(i, clients=clients, cancel_url=cancel_url, body=body):
            if i == 0:
                return clients[0].delete(cancel_url).status_code, None
            return _post(clients[i], body)

        results = run_concurrently(act, 7)

        assert results[0][0] == 200
        rebooked = [r for r in results[1:] if r[0] == 201]
        assert all(r[0] in (201, 409) for r in results[1:]), results
        assert len(rebooked) <= 1
        live = _live_claims(show).filter(seat=target)
        assert live.count() == len(rebooked)
        assert Reservation.objects.get(pk=reservation.pk).status == ReservationStatus.CANCELLED


def test_concurrency_retries_with_one_idempotency_key_book_once():
    show = ShowtimeFactory()
    client = client_for(UserFactory())
    body = {"showtime": show.pk, "seats": [seat(show, "A1").pk, seat(show, "A2").pk]}

    results = run_concurrently(lambda i: _post(client, body, HTTP_IDEMPOTENCY_KEY="retry-1"), 10)

    assert [code for code, _ in results] == [201] * 10, results
    assert len({payload["id"] for _, payload in results}) == 1
    assert Reservation.objects.filter(showtime=show).count() == 1
    assert IdempotencyKey.objects.count() == 1
    assert _live_claims(show).count() == 2


def test_concurrency_per_customer_cap_holds_under_a_race(settings):
    settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME = 2
    show = ShowtimeFactory()
    customer = UserFactory()
    seats = list(show.hall.seats.order_by("position")[:8])

    client = client_for(customer)

    def attempt(i):
        return _post(client, {"showtime": show.pk, "seats": [seats[i].pk]})

    results = run_concurrently(attempt, 8)

    codes = Counter(code for code, _ in results)
    assert codes == {201: 2, 400: 6}, results
    assert all(body["code"] == "seat_limit_exceeded" for code, body in results if code == 400)
    assert _live_claims(show).filter(reservation__user=customer).count() == 2


def test_concurrency_hold_confirm_racing_expiry_job_is_consistent():
    """A confirm and the expire_holds job on a lapsing hold: either the hold is
    confirmed (seat booked) or it expired (seat free), never a mix."""
    for _ in range(3):
        show = ShowtimeFactory()
        owner = UserFactory()
        hold = book(user=owner, showtime=show, hold=True)
        # The hold lapses in a second: the confirm (now) still finds it live, the job
        # (run as of two seconds on) finds it lapsed; whichever locks first wins.
        lapses = timezone.now() + dt.timedelta(seconds=1)
        Reservation.objects.filter(pk=hold.pk).update(expires_at=lapses)
        ReservationSeat.objects.filter(reservation=hold).update(hold_expires_at=lapses)
        client = client_for(owner)
        soon = lapses + dt.timedelta(seconds=1)

        def act(i, hold=hold, client=client, soon=soon):
            if i == 0:
                return client.post(f"{RESERVATIONS}{hold.pk}/confirm/").status_code
            return services.holds_expire(now=soon)

        results = run_concurrently(act, 2)
        hold.refresh_from_db()
        claim = hold.seats.get()
        if results[0] == 200:
            assert hold.status == ReservationStatus.CONFIRMED
            assert claim.active is True and claim.hold_expires_at is None
        else:
            assert results[0] == 409
            assert hold.status == ReservationStatus.EXPIRED
            assert claim.active is None


@pytest.mark.parametrize("attempt", range(3))
def test_concurrency_idempotency_keys_differing_only_in_case_are_two_bookings(attempt):
    show = ShowtimeFactory()
    client = client_for(UserFactory())
    keys = ["Order-7f3a", "order-7F3A"]
    seats_ = [seat(show, "A1").pk, seat(show, "A2").pk]

    results = run_concurrently(
        lambda i: _post(
            client, {"showtime": show.pk, "seats": [seats_[i]]}, HTTP_IDEMPOTENCY_KEY=keys[i]
        ),
        2,
    )

    assert [code for code, _ in results] == [201, 201], results
    assert results[0][1]["id"] != results[1][1]["id"]
    assert _live_claims(show).count() == 2
    assert sorted(IdempotencyKey.objects.values_list("key", flat=True)) == sorted(keys)


def test_concurrency_a_locked_showtime_does_not_hold_up_another_of_its_hall_and_movie():
    """The lock a booking takes reads the hall's and the movie's rows through subqueries,
    which a locking read does not lock: while one booking of a showtime holds its lock,
    a booking of another showtime of the same hall and movie goes through at once."""
    first = ShowtimeFactory()
    second = ShowtimeFactory(hall=first.hall, movie=first.movie, start_time=first.end_time)
    other_seat = seat(second, "A1").pk
    locked, booked = threading.Event(), threading.Event()
    released_before_the_booking = []

    def hold_the_first_lock():
        with transaction.atomic():
            services._lock_showtime_to_book(first.pk)
            locked.set()
            booked.wait(timeout=10)  # only a lock on another row keeps the booking out
            released_before_the_booking.append(not booked.is_set())

    def book_the_second():
        locked.wait(timeout=10)
        try:
            return _post(client_for(UserFactory()), {"showtime": second.pk, "seats": [other_seat]})
        finally:
            booked.set()

    results = run_concurrently(lambda i: (hold_the_first_lock, book_the_second)[i](), 2)

    assert results[1][0] == 201, results
    assert released_before_the_booking == [False]
    assert _live_claims(second).count() == 1
