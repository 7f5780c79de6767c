"""Many accounts joining at once, each through its own thread and database connection:
every one gets a place of its own, and the places are 1..N without a gap."""

import datetime as dt

import pytest
from django.utils import timezone

from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from users.tests.factories import UserFactory
from waitingroom.tests.conftest import make_queue

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]

ACCOUNTS = 40


@pytest.mark.parametrize("before_opening", [True, False], ids=["before", "after"])
def test_queue_many_accounts_joining_at_once_get_distinct_places(
    redis_queue, premiere, before_opening
):
    opens = timezone.now() + dt.timedelta(minutes=10 if before_opening else -10)
    make_queue(premiere, opens_at=opens, rate=1)
    clients = [client_for(user) for user in UserFactory.create_batch(ACCOUNTS)]
    # One request first, so the suite's contract checker (testsupport/contract.py) has
    # built its schema before forty threads ask it at once.
    assert clients[0].get(f"/api/showtimes/{premiere.pk}/queue/").status_code == 400

    def join(i):
        # Twice each, as an impatient customer would: still one place.
        first = clients[i].post(f"/api/showtimes/{premiere.pk}/queue/")
        again = clients[i].post(f"/api/showtimes/{premiere.pk}/queue/")
        return first.status_code, again.status_code, first.json(), again.json()

    results = run_concurrently(join, ACCOUNTS)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert {(r[0], r[1]) for r in results} == {(200, 200)}
    # Where everyone stands once all have joined (before the opening a place is drawn
    # among those there, so it may move until the opening).
    final = [
        clients[i].get(f"/api/showtimes/{premiere.pk}/queue/", {"token": r[3]["token"]}).json()
        for i, r in enumerate(results)
    ]
    positions = [answer["position"] for answer in final]
    assert sorted(positions) == list(range(1, ACCOUNTS + 1))
    if not before_opening:  # first come, first served: a place never moves
        assert [r[2]["position"] for r in results] == positions
        assert [r[3]["position"] for r in results] == positions
