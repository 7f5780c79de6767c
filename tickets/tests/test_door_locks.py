"""The door never waits on a booking's lock (MariaDB): while a transaction holds the
showtime's row lock, as a booking does, a check-in - through the API or the door
screen's endpoint - is answered before that lock is let go. And the door screen's scan
racing a cancel ends one way or the other, never both. Skipped on SQLite, where one
writer locks the whole database."""

import json
import threading
from collections import Counter

import pytest
from django.db import connections, transaction
from django.test import Client

from bookings.models import ReservationStatus
from bookings.tests.factories import book, seat
from cinema.models import Showtime
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from tickets.models import Ticket, TicketStatus
from tickets.tests.conftest import showtime_starting_in
from users.roles import Role
from users.tests.factories import UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]


def _hold_showtime_lock(showtime_id, locked, release, log):
    """As a booking does: the showtime's row locked in an open transaction until
    ``release`` is set."""
    try:
        with transaction.atomic():
            Showtime.objects.select_for_update().get(pk=showtime_id)
            locked.set()
            release.wait(timeout=30)
            log.append("lock released")
    finally:
        connections.close_all()


def _api_scanner(usher):
    client = client_for(usher)

    def scan(showtime_id, code):
        response = client.post(
            "/api/check-ins/", {"code": code, "showtime": showtime_id}, format="json"
        )
        return response.status_code, response.json()

    return scan


def _door_scanner(usher):
    """The door screen's endpoint, signed in beforehand (a session, as the page has)."""
    client = Client()
    client.force_login(usher)

    def scan(showtime_id, code):
        response = client.post(
            f"/door/{showtime_id}/scan/",
            json.dumps({"code": code}),
            content_type="application/json",
        )
        return response.status_code, response.json()

    return scan


@pytest.mark.parametrize("scanner", [_api_scanner, _door_scanner], ids=["api", "door-screen"])
def test_check_in_is_answered_while_a_booking_holds_the_showtime_lock(scanner):
    show = showtime_starting_in(10)
    reservation = book(user=UserFactory(), showtime=show, seats=[seat(show, "A1")])
    code = Ticket.objects.get(reservation=reservation).code
    usher = UserFactory(role=Role.USHER)
    scan = scanner(usher)
    locked, release, log, answered = threading.Event(), threading.Event(), [], {}

    def check_in():
        try:
            answered["answer"] = scan(show.pk, code)
            log.append("check-in answered")
        finally:
            connections.close_all()

    holder = threading.Thread(target=_hold_showtime_lock, args=(show.pk, locked, release, log))
    holder.start()
    try:
        assert locked.wait(timeout=10)
        scanner = threading.Thread(target=check_in)
        scanner.start()
        # Far longer than a check-in takes. A check-in that waits for the lock stays
        # blocked until the holder lets go, or until its lock wait times out (503 busy).
        scanner.join(timeout=10)
        waited = scanner.is_alive()
    finally:
        release.set()
        holder.join(timeout=30)
    scanner.join(timeout=30)

    assert not waited, "the check-in waited for the showtime's lock"
    assert log == ["check-in answered", "lock released"]
    status, body = answered["answer"]
    assert status == 200, body
    ticket = Ticket.objects.get(code=code)
    assert (ticket.status, ticket.checked_in_by_id) == (TicketStatus.USED, usher.pk)


def test_door_screen_scan_racing_a_cancel_ends_one_way():
    """Either the door admits (the cancel is refused, 409 checked_in) or the cancel wins
    (the door refuses, ticket_void); never an admitted ticket on a cancelled booking."""
    show = showtime_starting_in(10)
    door = _door_scanner(UserFactory(role=Role.USHER))
    outcomes = Counter()
    for round_ in range(8):
        owner = UserFactory()
        reservation = book(user=owner, showtime=show, seats=[show.hall.seats.all()[round_]])
        code = Ticket.objects.get(reservation=reservation).code
        customer = client_for(owner)

        def act(i, code=code, reservation=reservation, customer=customer):
            if i == 0:
                return door(show.pk, code)
            response = customer.delete(f"/api/reservations/{reservation.pk}/")
            return response.status_code, response.json()

        (_, scan), (cancel_status, cancel) = run_concurrently(act, 2)

        reservation.refresh_from_db()
        ticket = Ticket.objects.get(code=code)
        if scan["admitted"]:
            assert (cancel_status, cancel["code"]) == (409, "checked_in")
            assert (reservation.status, ticket.status) == (
                ReservationStatus.CONFIRMED,
                TicketStatus.USED,
            )
        else:
            assert scan["code"] == "ticket_void", scan
            assert cancel_status == 200
            assert (reservation.status, ticket.status) == (
                ReservationStatus.CANCELLED,
                TicketStatus.VOID,
            )
        outcomes["door" if scan["admitted"] else "cancel"] += 1
    assert sum(outcomes.values()) == 8, outcomes
    print(f"\nscan against cancel, 8 rounds: {dict(outcomes)}")
