"""The door never waits on a booking's lock (MariaDB): while a transaction holds the
showtime's row lock, as a booking does, a check-in through the API is answered before
that lock is let go. Skipped on SQLite, where one writer locks the whole database."""

import threading

import pytest
from django.db import connections, transaction

from bookings.tests.factories import book, seat
from cinema.models import Showtime
from testsupport.testing import client_for, requires_mysql_marks
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


def test_check_in_is_answered_while_a_booking_holds_the_showtime_lock():
    show = showtime_starting_in(10)
    reservation = book(user=UserFactory(), showtime=show, seats=[seat(show, "A1")])
    code = Ticket.objects.get(reservation=reservation).code
    usher = UserFactory(role=Role.USHER)
    door = client_for(usher)
    locked, release, log = threading.Event(), threading.Event(), []
    holder = threading.Thread(target=_hold_showtime_lock, args=(show.pk, locked, release, log))
    holder.start()
    try:
        assert locked.wait(timeout=10)
        answered = {}

        def scan():
            try:
                answered["response"] = door.post(
                    "/api/check-ins/", {"code": code, "showtime": show.pk}, format="json"
                )
                log.append("check-in answered")
            finally:
                connections.close_all()

        scanner = threading.Thread(target=scan)
        scanner.start()
        # Far longer than a check-in takes; a check-in waiting on the lock stays blocked
        # until the holder lets go (or its lock wait times out with 503 busy).
        scanner.join(timeout=10)
        still_waiting = scanner.is_alive()
    finally:
        release.set()
        holder.join(timeout=30)
    scanner.join(timeout=30)

    assert not still_waiting, "the check-in waited for the showtime's lock"
    assert log == ["check-in answered", "lock released"]
    assert answered["response"].status_code == 200, answered["response"].json()
    ticket = Ticket.objects.get(code=code)
    assert (ticket.status, ticket.checked_in_by_id) == (TicketStatus.USED, usher.pk)
