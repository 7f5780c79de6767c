"""The outbox worker's pass: deliver every due message once, retry the failures later.

**Two workers side by side.** Each message is sent in its own short transaction that
first takes the message's row with ``SELECT ... FOR UPDATE SKIP LOCKED`` (MariaDB 10.6+,
MySQL 8, PostgreSQL): a row another worker is sending is skipped, not waited for, so
workers send different messages side by side and none twice. The row stays locked while
the mail server takes the message, and is marked sent in the same transaction. (SQLite
ignores row locks: there, run one worker.)

**A crash between "sent" and "marked".** If the worker dies after the mail server
accepted a message but before its transaction commits, the transaction rolls back, the
row is still pending, and the next pass sends it again: delivery is *at least once*. The
repeat carries the same Message-ID (``OutboxEmail.token``), so mail clients and the
server can tell it is one message. At most one message per worker can be repeated so,
because each message commits on its own.

**Failures.** A message the mail server refuses for good (5xx for every recipient, or
for the message itself) is dead at once. Anything else (server down, hung, 4xx, a
builder error) is retried after EMAIL_RETRY_SECONDS, doubling up to
EMAIL_RETRY_MAX_SECONDS, and dead after EMAIL_MAX_ATTEMPTS attempts. When the mail
server itself fails, the pass stops: the other messages keep their turn for the next
pass instead of each waiting EMAIL_TIMEOUT for a server that is down.
"""

import contextlib
import enum
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from notifications import registry
from notifications.models import OutboxEmail, OutboxStatus

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    SENT = "sent"
    SKIPPED = "skipped"
    RETRY = "retried"
    DEAD = "dead"


@dataclass
class DeliveryPass:
    """What one pass did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    # The pass stopped because the mail server failed (down, hung, refusing us).
    mail_server_failed: bool = False

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.dead + self.skipped

    def count(self, outcome: Outcome) -> None:
        name = outcome.value
        setattr(self, name, getattr(self, name) + 1)

    def __str__(self) -> str:
        text = f"sent {self.sent}, retried {self.retried}, dead {self.dead}, skipped {self.skipped}"
        return text + (" (mail server failed; pass stopped)" if self.mail_server_failed else "")


def retry_delay(attempts: int) -> timedelta:
    """How long a message waits after its ``attempts``-th failure."""
    seconds = settings.EMAIL_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.EMAIL_RETRY_MAX_SECONDS))


class _Mailer:
    """One connection to the mail server for a pass, opened for its first message and
    dropped after a failure (the next message connects again)."""

    def __init__(self):
        self._connection = None

    def send(self, email: EmailMessage) -> None:
        if self._connection is None:
            connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
            connection.open()
            self._connection = connection
        self._connection.send_messages([email])

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()


def _refused_for_good(exc: BaseException) -> bool:
    """The server will never take this message: every recipient refused with 5xx, or
    the message itself refused with 5xx (too large, rejected as spam)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _failed(message: OutboxEmail, now: datetime, error: str, *, permanent: bool) -> Outcome:
    message.attempts += 1
    message.last_error = error
    if permanent or message.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        message.status = OutboxStatus.DEAD
        logger.warning(
            "outbox email %s (%s) is dead after %d attempts: %s",
            message.pk,
            message.kind,
            message.attempts,
            error,
        )
        outcome = Outcome.DEAD
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)
        outcome = Outcome.RETRY
    message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
    return outcome


def _next_due(now: datetime) -> OutboxEmail | None:
    return (
        OutboxEmail.objects.select_for_update(skip_locked=True)
        .filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .first()
    )


def _address(message: OutboxEmail, email: EmailMessage) -> None:
    """The Message-ID (the same on every attempt) and what the admin lists."""
    domain = parseaddr(email.from_email or settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    email.extra_headers["Message-ID"] = f"<{message.token}@{domain or 'marquee'}>"
    message.recipient = ", ".join(email.to)[:254]
    message.subject = str(email.subject)[:255]


@transaction.atomic
def _deliver_next(mailer: _Mailer, now: datetime) -> tuple[Outcome | None, bool]:
    """Send the next due message, if any, in one transaction that holds its row.
    Returns (what happened, whether the mail server failed)."""
    message = _next_due(now)
    if message is None:
        return None, False
    try:
        email = registry.builder_for(message.kind)(message)
    except Exception as exc:  # a bug or missing data: keep the traceback, retry later
        logger.exception("building outbox email %s (%s) failed", message.pk, message.kind)
        return _failed(message, now, f"building failed: {_describe(exc)}", permanent=False), False
    if email is None:
        message.status = OutboxStatus.SKIPPED
        message.last_error = "nothing to send (no email address, or no longer true)"
        message.save(update_fields=["status", "last_error"])
        return Outcome.SKIPPED, False
    _address(message, email)
    try:
        mailer.send(email)
    except Exception as exc:  # smtplib errors, socket errors and timeouts, TLS errors
        permanent = _refused_for_good(exc)
        if not permanent:
            mailer.close()
        return _failed(message, now, _describe(exc), permanent=permanent), not permanent
    message.status = OutboxStatus.SENT
    message.attempts += 1
    message.sent_at = now
    message.last_error = ""
    message.save(
        update_fields=["status", "attempts", "sent_at", "last_error", "recipient", "subject"]
    )
    return Outcome.SENT, False


def deliver_due(
    *,
    now: datetime | None = None,
    limit: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> DeliveryPass:
    """One pass: send due messages one at a time until none is due, ``limit`` were
    handled, ``should_stop()`` says so, or the mail server fails. ``now`` is for tests
    (the clock otherwise)."""
    result = DeliveryPass()
    mailer = _Mailer()
    try:
        while (limit is None or result.handled < limit) and not should_stop():
            outcome, server_failed = _deliver_next(mailer, now or timezone.now())
            if outcome is None:
                break
            result.count(outcome)
            if server_failed:
                result.mail_server_failed = True
                break
    finally:
        mailer.close()
    return result
