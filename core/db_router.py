"""Send catalogue and seat-map reads to a replica; keep everything about bookings on the
primary.

Enabled by setting DATABASE_REPLICA_URL (see docs/scaling.md). The rules, in order:

1. Writes, and reads that lock (``select_for_update`` reads go through db_for_write), go
   to the primary.
2. A read made while the primary has a transaction open goes to the primary: inside a
   booking (or any other write) transaction a read decides a write, so it must see the
   primary's current rows, never a lagging copy.
3. A read that follows an object read from the primary (a related object, a prefetch)
   stays on the primary: a reservation just booked may point at a showtime the replica
   has not received yet.
4. Catalogue reads (the ``cinema`` app: movies, halls, seats, showtimes) go to the
   replica.
5. Code that wraps a read in ``read_from_replica()`` (the seat map) reads from the
   replica for every app: the seat map is advisory, the booking itself decides under a
   lock on the primary, so a claim that is a few milliseconds stale costs at worst a 409.
6. Everything else - reservations, seat claims, idempotency keys, users and tokens -
   reads from the primary, so a customer always sees the booking they just made.

Rules 4 and 5 only apply while the replica is usable: it answers within
REPLICA_CONNECT_TIMEOUT (a new connection) or REPLICA_READ_TIMEOUT (a reused one) and its
heartbeat row is at most REPLICA_MAX_LAG_SECONDS old.
Otherwise those reads go to the primary too: slower, never wrong and never a 500.
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA_ALIAS = "replica"
REPLICA_READ_APPS = {"cinema"}
# Written once a second on the primary by its event scheduler (deploy/mariadb/heartbeat.sql)
# and read on the replica: its age is how far the replica is behind.
HEARTBEAT_TABLE = "marquee_replica_heartbeat"

_replica_reads: ContextVar[bool] = ContextVar("marquee_replica_reads", default=False)


@contextmanager
def read_from_replica() -> Iterator[None]:
    """Let the reads in this block use the replica, whatever their app (rule 5).

    Harmless without a replica: no router is installed then, and every read goes to the
    primary as before. Querysets are lazy: evaluate them inside the block.
    """
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def _primary_in_transaction() -> bool:
    return connections[DEFAULT_DB_ALIAS].in_atomic_block


class ReplicaHealth:
    """What this process knows about the replica: shared by its threads, so a dead
    replica costs one failed connect per REPLICA_RETRY_SECONDS and the lag is read once
    per REPLICA_CHECK_SECONDS, not once a request."""

    def __init__(self, alias: str = REPLICA_ALIAS):
        self.alias = alias
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.down_until = 0.0
        self.lag_checked_at: float | None = None
        self.lag: float | None = None
        self.state = "unknown"

    def usable(self) -> bool:
        now = time.monotonic()
        if now < self.down_until:
            return False
        connection = connections[self.alias]
        try:
            # Django's own per-request health check (a ping on a reused connection),
            # made here so a replica that went away is noticed before the read is
            # routed to it, not when the query fails.
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except DatabaseError as exc:
            with suppress(DatabaseError):
                connection.close()
            self.down_until = now + settings.REPLICA_RETRY_SECONDS
            self._report("down", "replica unreachable (%s): reads go to the primary", exc)
            return False
        with self._lock:
            due = (
                self.lag_checked_at is None
                or now - self.lag_checked_at >= settings.REPLICA_CHECK_SECONDS
            )
            if due:
                self.lag_checked_at = now
        if due:
            self.lag = self._read_lag(connection)
        if self.lag is None:
            return False
        if self.lag > settings.REPLICA_MAX_LAG_SECONDS:
            self._report(
                "lagging",
                "replica %.1f s behind (limit %s s): reads go to the primary",
                self.lag,
                settings.REPLICA_MAX_LAG_SECONDS,
            )
            return False
        self._report("ok", "replica in use (%.1f s behind)", self.lag)
        return True

    def _read_lag(self, connection) -> float | None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT ts FROM {connection.ops.quote_name(HEARTBEAT_TABLE)} "  # noqa: S608
                    "WHERE id = 1"
                )
                row = cursor.fetchone()
        except DatabaseError as exc:
            # No heartbeat table, or the replica died between the ping and this read:
            # its lag is unknown, so it is not trusted until the next check.
            self._report(
                "no heartbeat",
                "replica heartbeat unreadable (%s): reads go to the primary "
                "(deploy/mariadb/heartbeat.sql installs it on the primary)",
                exc,
            )
            return None
        if row is None:
            self._report("no heartbeat", "replica heartbeat row missing: reads go to the primary")
            return None
        return max(0.0, time.time() - float(row[0]))

    def _report(self, state: str, message: str, *args) -> None:
        """Log each change of state once, not once a request."""
        if state != self.state:
            self.state = state
            (logger.info if state == "ok" else logger.warning)(message, *args)


replica_health = ReplicaHealth()


class PrimaryReplicaRouter:
    replica_alias = REPLICA_ALIAS

    def db_for_read(self, model, **hints):
        if _primary_in_transaction():
            return DEFAULT_DB_ALIAS
        instance = hints.get("instance")
        if instance is not None and instance._state.db == DEFAULT_DB_ALIAS:
            return DEFAULT_DB_ALIAS
        if not (_replica_reads.get() or model._meta.app_label in REPLICA_READ_APPS):
            return DEFAULT_DB_ALIAS
        return self.replica_alias if replica_health.usable() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data: relations between their objects are fine.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica gets its schema by replication, never by migrate.
        return db == DEFAULT_DB_ALIAS
