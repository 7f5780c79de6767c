"""Best available racing on MariaDB/MySQL: threads released together by a barrier, each
with its own connection (skipped on SQLite, which serialises every writer)."""

from collections import Counter

import pytest

from bookings.models import Reservation, ReservationSeat
from cinema.tests.factories import HallFactory, ShowtimeFactory
from payments.tests.factories import on_shift
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from users.tests.factories import CashierFactory, UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]


def _assert_blocks(show, winners: int):
    """Every winner holds 4 adjacent seats of one row; no seat is claimed twice."""
    live = list(
        ReservationSeat.objects.filter(showtime=show, active=True).values_list("seat_id", flat=True)
    )
    assert len(live) == len(set(live)) == 4 * winners
    for reservation in Reservation.objects.filter(showtime=show):
        seats = sorted(
            reservation.seats.filter(active=True).values_list("seat__row", "seat__number")
        )
        assert len(seats) == 4
        assert len({row for row, _ in seats}) == 1
        numbers = [number for _, number in seats]
        assert numbers == list(range(numbers[0], numbers[0] + 4))


def test_concurrency_eight_buyers_of_four_in_four_rows_of_four():
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 4, "seats_per_row": 4}))
    clients = [client_for(UserFactory()) for _ in range(8)]

    def attempt(i):
        response = clients[i].post(
            "/api/reservations/", {"showtime": show.pk, "quantity": 4}, format="json"
        )
        return response.status_code, response.json()

    results = run_concurrently(attempt, 8)

    assert Counter(code for code, _ in results) == {201: 4, 409: 4}, results
    losers = [body for code, body in results if code == 409]
    assert all(body["code"] == "no_block_available" for body in losers), losers
    assert all(body["largest"] == 0 for body in losers)
    _assert_blocks(show, 4)


def test_concurrency_eight_buyers_of_four_in_two_rows_of_eight_get_the_centres():
    # The centre of a row of eight (3-6) leaves a pair at each end: one block a row.
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 8}))
    clients = [client_for(UserFactory()) for _ in range(8)]

    def attempt(i):
        response = clients[i].post(
            "/api/reservations/", {"showtime": show.pk, "quantity": 4}, format="json"
        )
        return response.status_code, response.json()

    results = run_concurrently(attempt, 8)

    assert Counter(code for code, _ in results) == {201: 2, 409: 6}, results
    assert {(body["code"], body["largest"]) for code, body in results if code == 409} == {
        ("no_block_available", 2)
    }
    _assert_blocks(show, 2)
    sold = ReservationSeat.objects.filter(showtime=show, active=True)
    assert sorted(sold.values_list("seat__number", flat=True)) == [3, 3, 4, 4, 5, 5, 6, 6]


def test_concurrency_counter_and_online_share_the_best_blocks():
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 4, "seats_per_row": 4}))
    cashiers = [client_for(on_shift(CashierFactory())) for _ in range(3)]
    customers = [client_for(UserFactory()) for _ in range(3)]

    def attempt(i):
        if i % 2:
            body = {"showtime": show.pk, "quantity": 4, "method": "cash"}
            response = cashiers[i // 2].post("/api/box-office/sales/", body, format="json")
        else:
            body = {"showtime": show.pk, "quantity": 4}
            response = customers[i // 2].post("/api/reservations/", body, format="json")
        return response.status_code, response.json()

    results = run_concurrently(attempt, 6)

    assert Counter(code for code, _ in results) == {201: 4, 409: 2}, results
    assert {body["code"] for code, body in results if code == 409} == {"no_block_available"}
    _assert_blocks(show, 4)
