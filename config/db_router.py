"""Send catalogue reads to a replica; keep everything about bookings on the primary.

Enabled by setting DATABASE_REPLICA_URL (see docs/scaling.md). Seat maps read from the
replica too: they are advisory, and the booking itself decides under a lock on the
primary.
"""

REPLICA_READ_APPS = {"cinema"}


class PrimaryReplicaRouter:
    replica_alias = "replica"

    def db_for_read(self, model, **hints):
        if model._meta.app_label in REPLICA_READ_APPS:
            return self.replica_alias
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
