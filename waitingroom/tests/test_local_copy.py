"""Each process keeps the queued showtimes it read for QUEUED_LOCAL_SECONDS: a booking
asks Redis nothing, and a waiting room switched on in another process applies here once
that copy is older than that (in the process that saved it, at once)."""

import datetime as dt

from django.core.cache import cache
from django.utils import timezone

from waitingroom import services
from waitingroom.models import ShowtimeQueue
from waitingroom.tests.conftest import make_queue


class _Clock:
    def __init__(self, monkeypatch):
        self.now = 1000.0
        monkeypatch.setattr(services.time, "monotonic", lambda: self.now)


def _switched_on_elsewhere(showtime) -> None:
    """What another process's queue_save leaves here: the row, and no shared list."""
    ShowtimeQueue.objects.create(showtime=showtime, opens_at=timezone.now())
    cache.delete(services._QUEUED_KEY)


def test_a_copy_spares_the_cache_then_expires(premiere, settings, monkeypatch):
    settings.QUEUED_LOCAL_SECONDS = 1
    clock = _Clock(monkeypatch)
    assert services.is_queued(premiere.pk) is False
    _switched_on_elsewhere(premiere)

    reads = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda *a, **k: reads.append(a) or real_get(*a, **k))
    clock.now += 0.9
    assert services.is_queued(premiere.pk) is False  # this process's copy, still young
    assert reads == []
    clock.now += 0.2
    assert services.is_queued(premiere.pk) is True  # older than a second: read again
    assert len(reads) == 1


def test_the_process_that_saves_a_queue_drops_its_copy_at_once(
    premiere, redis_queue, settings, monkeypatch
):
    settings.QUEUED_LOCAL_SECONDS = 60
    _Clock(monkeypatch)
    assert services.is_queued(premiere.pk) is False
    make_queue(premiere, opens_at=timezone.now() + dt.timedelta(minutes=5))
    assert services.is_queued(premiere.pk) is True


def test_zero_seconds_asks_every_time(premiere, settings, monkeypatch):
    settings.QUEUED_LOCAL_SECONDS = 0
    _Clock(monkeypatch)
    assert services.is_queued(premiere.pk) is False
    _switched_on_elsewhere(premiere)
    assert services.is_queued(premiere.pk) is True
