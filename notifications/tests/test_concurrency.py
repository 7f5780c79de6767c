"""Two (and three) outbox workers side by side on MariaDB: every message is sent once.
Skipped on SQLite (no row locks); .ci/run fails if they skip on MariaDB."""

from collections import Counter

import pytest

from bookings.tests.factories import book
from cinema.tests.factories import HallFactory, ShowtimeFactory
from notifications.delivery import deliver_due
from notifications.models import OutboxEmail, OutboxStatus
from testsupport.testing import requires_mysql_marks, run_concurrently
from users.tests.factories import UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("workers", [2, 3])
def test_concurrency_workers_side_by_side_send_every_message_once(smtp_server, workers):
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 4, "seats_per_row": 6}))
    for seat in show.hall.seats.order_by("position")[:24]:
        book(user=UserFactory(), showtime=show, seats=[seat])
    tokens = set(OutboxEmail.objects.values_list("token", flat=True))
    assert len(tokens) == 24
    smtp_server.sink.delay = 0.05  # long enough for the workers to overlap

    results = run_concurrently(lambda i: deliver_due(), workers)

    assert all(not isinstance(result, BaseException) for result in results), results
    assert sum(result.sent for result in results) == 24
    assert all(result.sent > 0 for result in results), [r.sent for r in results]
    received = Counter(message["Message-ID"] for message in smtp_server.messages)
    assert len(received) == 24
    assert set(received.values()) == {1}
    assert {mid.strip("<>").split("@")[0] for mid in received} == {str(t) for t in tokens}
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
