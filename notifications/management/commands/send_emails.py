"""Deliver the email outbox (docs/outbox.md): long-running, or one pass from cron."""

import signal
import threading

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from core.exceptions import is_database_unavailable
from notifications.delivery import DeliveryPass, deliver_due

# Longest pause between passes while the mail server or the database is failing.
MAX_BACKOFF_SECONDS = 60


class Command(BaseCommand):
    help = (
        "Send the emails waiting in the outbox. Runs until stopped (SIGTERM or Ctrl-C), "
        "polling every --interval seconds; --once makes one pass, for cron. Any number "
        "of workers may run side by side on MariaDB/MySQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=2.0,
            help="Seconds between passes when the outbox is empty (default 2).",
        )
        parser.add_argument("--limit", type=int, default=None, help="At most N per pass.")

    def handle(self, *args, once=False, interval=2.0, limit=None, **options):
        if once:
            self._pass(limit=limit, should_stop=lambda: False)
            return
        stop = threading.Event()
        # SIGTERM or Ctrl-C: finish the message in hand, then leave.
        previous = {
            signum: signal.signal(signum, lambda *_: stop.set())
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        self.stdout.write(f"send_emails: delivering the outbox every {interval:g} s")
        try:
            self._loop(stop, interval=interval, limit=limit)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _loop(self, stop: threading.Event, *, interval: float, limit: int | None) -> None:
        pause = interval
        while not stop.is_set():
            result = self._pass(limit=limit, should_stop=stop.is_set)
            # While the mail server or the database fails, wait longer and longer.
            failing = result is None or result.mail_server_failed
            pause = min(pause * 2, MAX_BACKOFF_SECONDS) if failing else interval
            stop.wait(pause)

    def _pass(self, *, limit, should_stop) -> DeliveryPass | None:
        try:
            result = deliver_due(limit=limit, should_stop=should_stop)
        except DatabaseError as exc:
            if not is_database_unavailable(exc):
                raise
            self.stderr.write(f"send_emails: database unavailable, will retry: {exc}")
            return None
        finally:
            # A long-running worker must not keep a connection the server dropped.
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:  # (a test's transaction)
                    connection.close_if_unusable_or_obsolete()
        if result.handled or result.mail_server_failed:
            self.stdout.write(f"send_emails: {result}")
        return result
