"""Django's MySQL/MariaDB backend, with a health check that fits the timeouts.

With ``CONN_HEALTH_CHECKS`` Django pings a reused connection before a request's first
query and, when the ping fails, opens a new connection. That is right for a connection
the server dropped (the ping fails at once) but not for a server that hangs: the ping
waits ``DB_READ_TIMEOUT``, then the new connection waits ``DB_CONNECT_TIMEOUT``, and the
request answers 503 after both (7 s, where the README promises 5). Here a ping that
timed out ends the request's wait: the connection is closed and the request answers 503
``database_unavailable`` at once, within ``DB_READ_TIMEOUT``; the next request connects
afresh. Used for the primary only (config/settings.py): the replica router has its own
rules for a replica that hangs.

And a connection that a request started using less than ``DB_HEALTH_CHECK_GRACE_SECONDS``
ago is not pinged again: under load every request would otherwise pay a round trip to
learn what the last one just showed (docs/performance.md).
"""

import time

from django.conf import settings
from django.db.backends.mysql import base
from django.db.utils import OperationalError

# MySQL client error: the server did not answer in time ("Lost connection to server
# during query"), as a read that hit read_timeout reports it.
_CR_SERVER_LOST = 2013


class DatabaseWrapper(base.DatabaseWrapper):
    # When a request last started using this connection after it was opened, pinged or
    # found busy (time.monotonic()).
    _proven_at = float("-inf")

    def connect(self):
        super().connect()
        self._proven_at = time.monotonic()

    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        started = time.monotonic()
        if started - self._proven_at < settings.DB_HEALTH_CHECK_GRACE_SECONDS:
            # A request used it a moment ago: a busy worker's connection is not pinged
            # before every request (a round trip each). A server that went away since
            # fails this request's first query (503); the connection is replaced after.
            self._proven_at = started
            self.health_check_done = True
            return
        try:
            self.connection.ping()
        except base.Database.Error as exc:
            waited = time.monotonic() - started
            self.close()
            code = exc.args[0] if exc.args else None
            read_timeout = self.settings_dict.get("OPTIONS", {}).get("read_timeout") or 0
            if code == _CR_SERVER_LOST and read_timeout and waited >= read_timeout * 0.8:
                raise OperationalError(
                    _CR_SERVER_LOST,
                    f"the database did not answer the health check within {read_timeout} s",
                ) from exc
        else:
            self._proven_at = started
        self.health_check_done = True
