"""The door under real concurrency (MariaDB): threads released together by a barrier,
each with its own connection. Skipped on SQLite; .ci/run fails if they skip on MariaDB."""

from collections import Counter

import pytest

from bookings.models import Reservation, ReservationStatus
from bookings.tests.factories import book, seat
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from tickets.models import Ticket, TicketStatus
from tickets.tests.conftest import showtime_starting_in
from users.tests.factories import AdminFactory, UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]


def _scan(client, code):
    response = client.post("/api/check-ins/", {"code": code}, format="json")
    return response.status_code, response.json()


def test_concurrency_two_scanners_one_code_admit_it_once():
    show = showtime_starting_in(10)
    for round_ in range(5):
        reservation = book(user=UserFactory(), showtime=show, seats=[show.hall.seats.all()[round_]])
        code = Ticket.objects.get(reservation=reservation).code
        scanners = [client_for(AdminFactory()) for _ in range(2)]

        results = run_concurrently(lambda i, code=code, s=scanners: _scan(s[i], code), 2)

        assert Counter(status for status, _ in results) == {200: 1, 409: 1}, results
        (refused,) = [body for status, body in results if status == 409]
        (admitted,) = [body for status, body in results if status == 200]
        assert refused["code"] == "already_checked_in"
        assert refused["checked_in_at"] == admitted["checked_in_at"]
        ticket = Ticket.objects.get(code=code)
        assert ticket.status == TicketStatus.USED


def test_concurrency_many_scanners_one_code_admit_it_once():
    show = showtime_starting_in(10)
    reservation = book(user=UserFactory(), showtime=show, seats=[seat(show, "B2")])
    code = Ticket.objects.get(reservation=reservation).code
    scanners = [client_for(AdminFactory()) for _ in range(8)]

    results = run_concurrently(lambda i: _scan(scanners[i], code), 8)

    assert Counter(status for status, _ in results) == {200: 1, 409: 7}, results


def test_concurrency_check_in_racing_cancel_never_admits_a_void_ticket():
    """Either the door wins (the cancel is refused, 409 checked_in) or the cancel wins
    (the door answers ticket_void); never an admitted ticket on a cancelled reservation."""
    show = showtime_starting_in(10)
    outcomes = Counter()
    for round_ in range(6):
        owner = UserFactory()
        reservation = book(user=owner, showtime=show, seats=[show.hall.seats.all()[round_]])
        code = Ticket.objects.get(reservation=reservation).code
        door, customer = client_for(AdminFactory()), client_for(owner)

        def act(i, code=code, reservation=reservation, door=door, customer=customer):
            if i == 0:
                return _scan(door, code)
            response = customer.delete(f"/api/reservations/{reservation.pk}/")
            return response.status_code, response.json()

        (scan_status, scan_body), (cancel_status, cancel_body) = run_concurrently(act, 2)

        reservation.refresh_from_db()
        ticket = Ticket.objects.get(code=code)
        if scan_status == 200:
            assert (cancel_status, cancel_body["code"]) == (409, "checked_in")
            assert reservation.status == ReservationStatus.CONFIRMED
            assert ticket.status == TicketStatus.USED
            outcomes["door"] += 1
        else:
            assert (scan_status, scan_body["code"]) == (409, "ticket_void")
            assert cancel_status == 200
            assert reservation.status == ReservationStatus.CANCELLED
            assert ticket.status == TicketStatus.VOID
            outcomes["cancel"] += 1
    assert sum(outcomes.values()) == 6
    assert not Ticket.objects.filter(
        status=TicketStatus.USED, reservation__in=Reservation.objects.filter(status="CANCELLED")
    ).exists()
