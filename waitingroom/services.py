"""The waiting room: joining a showtime's queue, asking where one is, the pass check the
booking routes run, and the staff's settings. The queue's state is in Redis
(waitingroom/store.py); the settings are the ``ShowtimeQueue`` row, copied to Redis
whenever they change.

Which showtimes are queued is kept in the shared cache (``QUEUED_CACHE_SECONDS``,
dropped whenever a queue's settings change), so booking a showtime without a queue
costs no query; with the cache down it is one query, and such a showtime still sells.
Each process also keeps the list it read for ``QUEUED_LOCAL_SECONDS`` (1 s), so a
booking does not ask Redis either: a waiting room switched on elsewhere applies in this
process up to that much later.
"""

import dataclasses
import datetime as dt
import logging
import math
import secrets
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.cache import CacheUnavailable
from waitingroom import passes, store
from waitingroom.exceptions import (
    NotQueued,
    QueueClosed,
    QueuePassRequired,
    QueueTokenInvalid,
    QueueUnavailable,
)
from waitingroom.models import ShowtimeQueue

logger = logging.getLogger(__name__)

_QUEUED_KEY = "waitingroom:queued"
# Redis keeps a queue's state until a day after its showtime ends.
_KEEP_AFTER_END = dt.timedelta(days=1)
# Poll at least this often, at most this rarely (seconds).
POLL_MIN_SECONDS = 2
POLL_MAX_SECONDS = 30

_random = secrets.SystemRandom()


@dataclasses.dataclass(frozen=True)
class QueueAnswer:
    """What a customer is told about their place."""

    status: str  # waiting | admitted | expired
    position: int
    ahead: int
    estimated_wait_seconds: int
    poll_after: int
    paused: bool
    token: str
    queue_pass: str | None = None
    pass_expires_at: dt.datetime | None = None


# --- which showtimes are queued -----------------------------------------------------------
def _queued_ids_from_db() -> frozenset[int]:
    return frozenset(
        ShowtimeQueue.objects.filter(enabled=True, showtime__end_time__gt=timezone.now())
        .values_list("showtime_id", flat=True)
        .order_by()
    )


class _LocalCopy(threading.local):
    """This thread's copy of the queued showtimes and when it was read (monotonic)."""

    ids: frozenset[int] = frozenset()
    read_at: float = float("-inf")
    generation: int = -1


_local = _LocalCopy()
_generation = 0  # bumped by _forget_queued: every thread's copy of this process is stale


def is_queued(showtime_id: int) -> bool:
    """Whether booking ``showtime_id`` online needs a pass: from this process's copy of
    the last QUEUED_LOCAL_SECONDS, else the shared cache (no query), else the database
    (one query; with the cache down, every time)."""
    now = time.monotonic()
    if _local.generation == _generation and now - _local.read_at < settings.QUEUED_LOCAL_SECONDS:
        return showtime_id in _local.ids
    try:
        generation = _generation
        queued = cache.get(_QUEUED_KEY)
        if queued is None:
            queued = _queued_ids_from_db()
            cache.set(_QUEUED_KEY, queued, settings.QUEUED_CACHE_SECONDS)
        _local.ids, _local.read_at, _local.generation = queued, now, generation
        return showtime_id in queued
    except CacheUnavailable:
        return ShowtimeQueue.objects.filter(
            showtime_id=showtime_id, enabled=True, showtime__end_time__gt=timezone.now()
        ).exists()


def forget_local_copies() -> None:
    """Every thread of this process reads the queued showtimes afresh next time."""
    global _generation
    _generation += 1


def _forget_queued() -> None:
    forget_local_copies()
    try:
        cache.delete(_QUEUED_KEY)
    except CacheUnavailable:
        logger.warning(
            "cache down: queued showtimes may be stale for %ss", settings.QUEUED_CACHE_SECONDS
        )


# --- Redis --------------------------------------------------------------------------------
def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _configure(queue: ShowtimeQueue) -> None:
    store.configure(
        showtime_id=queue.showtime_id,
        rate=queue.admit_per_minute,
        paused=queue.paused,
        opens_ms=_ms(queue.opens_at),
        closed=queue.closed,
        pass_ms=queue.pass_minutes * 60_000,
        expires_ms=_ms(queue.showtime.end_time + _KEEP_AFTER_END),
    )


def _with_state(showtime_id: int, call):
    """``call()``; when Redis has no settings for the queue (new, or Redis lost them),
    write them from the database first."""
    try:
        return call()
    except store.Uninitialised:
        queue = (
            ShowtimeQueue.objects.select_related("showtime").filter(showtime_id=showtime_id).first()
        )
        if queue is None:
            raise NotQueued() from None
        _configure(queue)
        return call()


# --- customers ----------------------------------------------------------------------------
def _answer(place: store.Place, *, user_id: int, showtime_id: int) -> QueueAnswer:
    token = passes.token_make(user_id=user_id, showtime_id=showtime_id)
    if place.state == "closed":
        raise QueueClosed()
    if place.state == "admitted":
        expires_ms = place.admitted_at_ms + place.pass_ms
        if expires_ms <= place.now_ms:
            return QueueAnswer("expired", place.position, 0, 0, 0, place.paused, token)
        return QueueAnswer(
            "admitted",
            place.position,
            0,
            0,
            0,
            place.paused,
            token,
            queue_pass=passes.pass_make(
                user_id=user_id,
                showtime_id=showtime_id,
                admitted_ms=place.admitted_at_ms,
                expires_ms=expires_ms,
            ),
            pass_expires_at=dt.datetime.fromtimestamp(expires_ms / 1000, tz=dt.UTC),
        )
    until_open = max(0, place.opens_ms - place.now_ms) / 1000
    wait = math.ceil(until_open + (place.ahead + 1) * 60 / place.rate)
    poll = min(POLL_MAX_SECONDS, max(POLL_MIN_SECONDS, wait // 4))
    return QueueAnswer("waiting", place.position, place.ahead, wait, poll, place.paused, token)


def queue_join(*, user, showtime_id: int) -> QueueAnswer:
    """Take a place in the showtime's queue, or find the one the user has (one a user;
    after their pass expired, a new one at the back). Before the queue opens the place
    is drawn at random among everyone who came before the opening.

    Errors: NotQueued, QueueClosed (409); QueueUnavailable (503, Redis down)."""
    if not is_queued(showtime_id):
        raise NotQueued()
    place = _with_state(
        showtime_id,
        lambda: store.join(showtime_id=showtime_id, user_id=user.pk, score=_random.random()),
    )
    return _answer(place, user_id=user.pk, showtime_id=showtime_id)


def queue_status(*, user, showtime_id: int, token: str) -> QueueAnswer:
    """Where the token's place is now; once admitted, with a pass.

    Errors: QueueTokenInvalid (400: forged, or another user's or showtime's, or the
    user has no place); NotQueued, QueueClosed (409); QueueUnavailable (503)."""
    if not passes.token_matches(token, user_id=user.pk, showtime_id=showtime_id):
        raise QueueTokenInvalid()
    if not is_queued(showtime_id):
        raise NotQueued()
    place = _with_state(showtime_id, lambda: store.status(showtime_id=showtime_id, user_id=user.pk))
    if place.state == "absent":
        raise QueueTokenInvalid()
    return _answer(place, user_id=user.pk, showtime_id=showtime_id)


def queue_pass_check(*, user, showtime_id: int, queue_pass: str | None) -> None:
    """Called by the online booking routes before they book: a showtime with a waiting
    room sells only to the holder of a valid pass (signed, the user's, this showtime's,
    unexpired, of the user's current admission). Costs nothing for a showtime without
    a queue (see ``is_queued``). The counter does not call it.

    Errors: QueuePassRequired (403), QueueClosed (409), QueueUnavailable (503: Redis
    down, the showtime does not sell)."""
    if not is_queued(showtime_id):
        return
    admitted = passes.pass_admission(
        queue_pass or "", user_id=user.pk, showtime_id=showtime_id, now_ms=store.now_ms()
    )
    closed, current = _with_state(
        showtime_id, lambda: store.admission(showtime_id=showtime_id, user_id=user.pk)
    )
    if closed:
        raise QueueClosed()
    if admitted is None or admitted != current:
        raise QueuePassRequired()


# --- staff --------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class QueueFigures:
    """A queue as staff watch it."""

    waiting: int
    admitted: int
    rate: int
    paused: bool
    closed: bool


def queue_figures(*, queue: ShowtimeQueue) -> QueueFigures:
    """Live figures of a queue from Redis. Errors: QueueUnavailable (503)."""
    place = _with_state(
        queue.showtime_id, lambda: store.status(showtime_id=queue.showtime_id, user_id=0)
    )
    return QueueFigures(
        waiting=place.total - place.served,
        admitted=place.served,
        rate=place.rate,
        paused=place.paused,
        closed=place.state == "closed",
    )


QUEUE_SETTINGS = ("enabled", "admit_per_minute", "opens_at", "pass_minutes", "paused", "closed")


@transaction.atomic
def queue_save(*, queue: ShowtimeQueue) -> ShowtimeQueue:
    """Save a queue's settings (new or changed) and apply them in Redis at once: the
    serving counter is brought up to now under the old rate before the new one counts,
    so pausing stops it where it stands and a new rate applies from now.

    Errors: ValidationError (bad settings); QueueUnavailable (503: Redis down; nothing
    is saved, staff try again)."""
    queue.full_clean()
    queue.save()
    _configure(queue)
    _forget_queued()
    # Again once committed: a node may have cached the old list meanwhile.
    transaction.on_commit(_forget_queued)
    return queue


def queue_update(*, queue: ShowtimeQueue, **changes) -> ShowtimeQueue:
    """Change some settings of a queue (``QUEUE_SETTINGS``): pause, resume, a new rate,
    close (sold out), reopen."""
    unknown = changes.keys() - set(QUEUE_SETTINGS)
    if unknown:
        raise TypeError(f"not a queue setting: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(queue, name, value)
    return queue_save(queue=queue)


def queue_delete(*, queue: ShowtimeQueue) -> None:
    """Remove a showtime's waiting room: it sells without passes again, and its places
    are gone (a waiting room made for it later starts empty). With Redis down the
    places stay until they expire, a day after the showtime."""
    showtime_id = queue.showtime_id
    queue.delete()
    _forget_queued()
    transaction.on_commit(_forget_queued)
    try:
        store.forget(showtime_id=showtime_id)
    except QueueUnavailable:
        logger.warning(
            "waiting room of showtime %s: Redis down, places left to expire", showtime_id
        )
