"""Row locks with a budget, and retries of the transactions that lose a lock race.

On MySQL/MariaDB a deadlock (1213) or lock-wait timeout (1205; 3572 for MySQL's NOWAIT)
is worth trying the whole transaction again: ``retry_on_lock_errors`` does so a bounded
number of times (``BOOKING_RETRY_ATTEMPTS``) within ``DB_LOCK_WAIT_BUDGET`` seconds in
all, then answers 503 ``busy`` with Retry-After (``ServiceBusy``).

Within that budget, a service that takes a hot row lock (the booking engine's showtime
lock) waits at most what is left of it (``lock_wait``), and ``StuckLocks`` remembers the
rows whose lock outlasted a whole budget, so that the next requests do not each hold a
worker thread for the whole budget again (docs/booking.md, "A showtime locked for a long
time").

Free of HTTP: the services of every app use it (bookings, payments); the API's exception
handler (core/exceptions.py) answers a lock error that escaped it.
"""

import functools
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, transaction

from core.errors import ServiceBusy

logger = logging.getLogger(__name__)

T = TypeVar("T")

# MySQL/MariaDB error numbers for a lost lock race. MariaDB answers NOWAIT and WAIT n
# with 1205 too; MySQL 8 answers NOWAIT with 3572.
MYSQL_LOCK_WAIT_TIMEOUT = 1205
MYSQL_DEADLOCK = 1213
MYSQL_LOCK_NOWAIT = 3572

# How long a process leaves a stuck row lock alone before a request waits for it again
# (docs/booking.md, "A showtime locked for a long time").
STUCK_RETRY_SECONDS = 10


def is_lock_error(exc: BaseException) -> bool:
    """True when a database error is a deadlock or lock-wait timeout worth retrying."""
    if not isinstance(exc, OperationalError):
        return False
    args = getattr(exc, "args", ())
    if args and args[0] in (MYSQL_LOCK_WAIT_TIMEOUT, MYSQL_DEADLOCK, MYSQL_LOCK_NOWAIT):
        return True
    # SQLite reports a busy database as "database is locked".
    return "database is locked" in str(exc)


# The deadline (time.monotonic()) by which the current transaction must have its hot row
# lock: set by retry_on_lock_errors for the whole series of attempts.
_lock_deadline: ContextVar[float | None] = ContextVar("marquee_lock_deadline", default=None)


def lock_wait_left() -> float | None:
    """Seconds left of the current budget; None outside ``retry_on_lock_errors``."""
    deadline = _lock_deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def lock_wait() -> int | None:
    """Whole seconds this attempt may wait for a row lock: what is left of the budget
    (rounded so that a fresh 2 s budget waits 2 s, not 1); None outside
    ``retry_on_lock_errors``."""
    left = lock_wait_left()
    return None if left is None else max(0, math.ceil(left - 0.25))


def retry_on_lock_errors(func):
    """Run ``func`` (an atomic block) again when the database reports a deadlock or a
    lock-wait timeout, at most BOOKING_RETRY_ATTEMPTS times and within
    DB_LOCK_WAIT_BUDGET seconds in all; then raise ServiceBusy (503) with that budget
    as its Retry-After.

    The budget bounds the wait for a hot row lock: each attempt waits at most the whole
    seconds left of it (``lock_wait``: ``FOR UPDATE WAIT n`` on MariaDB), so a row locked
    for a long time costs a request about DB_LOCK_WAIT_BUDGET seconds, not attempts x
    innodb_lock_wait_timeout. A deadlock fails fast and is worth another try. Once a
    row's lock outlasted a whole budget, the process stops waiting for it for a while
    (``StuckLocks``).

    Retrying only makes sense for a whole transaction: inside an outer atomic block the
    transaction is already doomed, so there the error propagates untouched.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if transaction.get_connection().in_atomic_block:
            return func(*args, **kwargs)
        retries = max(0, settings.BOOKING_RETRY_ATTEMPTS)
        budget = max(0, settings.DB_LOCK_WAIT_BUDGET)
        token = _lock_deadline.set(time.monotonic() + budget)
        try:
            for attempt in range(retries + 1):
                try:
                    return func(*args, **kwargs)
                except OperationalError as exc:
                    if not is_lock_error(exc):
                        raise
                    if attempt == retries or lock_wait_left() < 1:
                        logger.warning(
                            "%s gave up after %d tries: %s",
                            getattr(func, "__name__", "booking"),
                            attempt + 1,
                            exc,
                        )
                        raise ServiceBusy(retry_after=max(1, budget)) from exc
                    # Jitter so the losers of a deadlock do not collide again in step.
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311
        finally:
            _lock_deadline.reset(token)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


class StuckLocks:
    """Rows (by key, e.g. a showtime's id) whose lock outlasted a request's whole budget:
    a stuck transaction or a slow admin operation, not the milliseconds another request
    holds it.

    While a row is marked, this process's requests for it take the lock only if it is
    free at once (NOWAIT) and otherwise answer 503 ``busy`` at once, instead of each
    holding a worker thread for the whole budget. Every STUCK_RETRY_SECONDS one request
    (a probe) waits the budget again; the first request that gets the lock, probe or
    not, clears the mark. A hot row, whose lock is only ever held briefly, is never
    marked: its requests queue for the lock as before.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._retry_at: dict[Hashable, float] = {}  # key -> when a request may wait

    def may_wait(self, key: Hashable) -> bool:
        with self._lock:
            retry_at = self._retry_at.get(key)
            if retry_at is None:
                return True
            now = time.monotonic()
            if now < retry_at:
                return False
            # This request is the probe; the next one waits a window later.
            self._retry_at[key] = now + STUCK_RETRY_SECONDS
            return True

    def timed_out(self, key: Hashable) -> None:
        with self._lock:
            self._retry_at[key] = time.monotonic() + STUCK_RETRY_SECONDS

    def locked(self, key: Hashable) -> None:
        if key in self._retry_at:
            with self._lock:
                self._retry_at.pop(key, None)

    def take(self, key: Hashable, lock: Callable[[int | None], T]) -> T:
        """``lock(wait)``: take the row lock of ``key``, waiting at most ``wait`` whole
        seconds (None: the database's own timeout). Waits what is left of the budget
        (``lock_wait``), or not at all while ``key`` is marked stuck; marks it when the
        wait used the whole budget in vain, and clears the mark once it got the lock."""
        wait = lock_wait()
        if wait is not None and not self.may_wait(key):
            wait = 0
        try:
            result = lock(wait)
        except OperationalError as exc:
            if wait and is_lock_error(exc) and lock_wait_left() < 1:
                self.timed_out(key)  # held for a whole budget
            raise
        if wait is not None:
            self.locked(key)
        return result
