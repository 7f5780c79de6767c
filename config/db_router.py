"""Send catalogue and seat-map reads to a replica; keep everything about bookings on the
primary.

Enabled by setting DATABASE_REPLICA_URL (see docs/scaling.md). The rules, in order:

1. Writes, and reads that lock (``select_for_update`` reads go through db_for_write), go
   to the primary.
2. A read made while the primary has a transaction open goes to the primary: inside a
   booking (or any other write) transaction a read decides a write, so it must see the
   primary's current rows, never a lagging copy.
3. Catalogue reads (the ``cinema`` app: movies, halls, seats, showtimes) go to the
   replica.
4. Code that wraps a read in ``read_from_replica()`` (the seat map) reads from the
   replica for every app: the seat map is advisory, the booking itself decides under a
   lock on the primary, so a claim that is a few milliseconds stale costs at worst a 409.
5. Everything else - reservations, seat claims, idempotency keys, users and tokens -
   reads from the primary, so a customer always sees the booking they just made.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"
REPLICA_READ_APPS = {"cinema"}

_replica_reads: ContextVar[bool] = ContextVar("marquee_replica_reads", default=False)


@contextmanager
def read_from_replica() -> Iterator[None]:
    """Let the reads in this block use the replica, whatever their app (rule 4).

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


class PrimaryReplicaRouter:
    replica_alias = REPLICA_ALIAS

    def db_for_read(self, model, **hints):
        if _primary_in_transaction():
            return DEFAULT_DB_ALIAS
        if _replica_reads.get() or model._meta.app_label in REPLICA_READ_APPS:
            return self.replica_alias
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data: relations between their objects are fine.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica gets its schema by replication, never by migrate.
        return db == DEFAULT_DB_ALIAS
