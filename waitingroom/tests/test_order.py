"""Fairness: everyone who arrives before the opening is put in random order (arriving
first, or asking again and again, gains nothing); afterwards, first come, first served."""

import datetime as dt
import itertools

import pytest

from users.tests.factories import UserFactory
from waitingroom import services
from waitingroom.tests.conftest import make_queue

pytestmark = pytest.mark.django_db

EARLY = 40
LATE = 10


def _ascents(order: list[int]) -> int:
    return sum(1 for a, b in itertools.pairwise(order) if a < b)


def test_queue_random_before_the_opening_first_come_first_served_after(
    redis_queue, clock, premiere
):
    make_queue(premiere, opens_at=clock.moment + dt.timedelta(minutes=5), rate=60)
    early = UserFactory.create_batch(EARLY)
    for user in early:  # in this order, a second apart
        services.queue_join(user=user, showtime_id=premiere.pk)
        clock.advance(1)
    # A bot asking again and again keeps its one place.
    bot = early[-1]
    before = services.queue_join(user=bot, showtime_id=premiere.pk).position
    for _ in range(20):
        assert services.queue_join(user=bot, showtime_id=premiere.pk).position == before

    clock.advance(5 * 60)  # the queue opens
    late = UserFactory.create_batch(LATE)
    late_positions = [services.queue_join(user=u, showtime_id=premiere.pk).position for u in late]
    early_positions = [services.queue_join(user=u, showtime_id=premiere.pk).position for u in early]

    assert sorted(early_positions) == list(range(1, EARLY + 1))
    assert late_positions == list(range(EARLY + 1, EARLY + LATE + 1))
    # Not the arrival order: in a random order of 40, about half the neighbours are in
    # order (19.5 +- 1.9); arrival order would have all 39. Failing by chance: < 1e-9.
    assert early_positions != sorted(early_positions)
    assert 8 <= _ascents(early_positions) <= 31


def test_queue_waiting_before_the_opening_counts_the_time_to_it(redis_queue, clock, premiere):
    make_queue(premiere, opens_at=clock.moment + dt.timedelta(minutes=2), rate=60)
    answer = services.queue_join(user=UserFactory(), showtime_id=premiere.pk)
    assert answer.status == "waiting"
    assert 120 <= answer.estimated_wait_seconds <= 122
    assert answer.poll_after == 30
    clock.advance(119)
    assert services.queue_join(user=UserFactory(), showtime_id=premiere.pk).status == "waiting"
