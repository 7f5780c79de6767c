"""Re-sending a confirmation, many staff members at once (threads, a barrier, a
connection each, as on several nodes): one email is written, every other request is
told to wait. MariaDB/MySQL only (SQLite serialises every writer)."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from bookings.tests.factories import book
from cinema.tests.factories import ShowtimeFactory
from notifications.models import OutboxEmail
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from users.models import Role
from users.tests.factories import UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]


def test_concurrency_ten_resends_at_once_write_one_email():
    reservation = book(user=UserFactory(), showtime=ShowtimeFactory())
    OutboxEmail.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    clients = [client_for(UserFactory(role=Role.CASHIER)) for _ in range(10)]
    url = f"/api/reservations/{reservation.pk}/resend-confirmation/"

    def resend(i):
        response = clients[i].post(url)
        return response.status_code, response.json()["code"] if response.status_code != 202 else ""

    results = run_concurrently(resend, 10)

    assert Counter(results) == {(202, ""): 1, (429, "confirmation_sent_recently"): 9}, results
    written = OutboxEmail.objects.filter(
        kind="reservation_confirmed", context__reservation=reservation.pk
    )
    assert written.count() == 2  # the first, on confirmation, and the one re-sent
