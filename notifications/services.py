"""Writing to the outbox. Delivery is ``notifications.delivery`` (the worker)."""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from core.queries import PreparedInsert, model_from_row
from notifications import registry
from notifications.models import OutboxEmail, OutboxStatus

# A booking writes its confirmation's row in its own transaction: the INSERT is compiled
# once (core/queries.py), as the booking's own are.
_outbox_insert = PreparedInsert(
    OutboxEmail,
    (
        "kind",
        "context",
        "token",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "recipient",
        "subject",
        "created_at",
        "sent_at",
    ),
)

# Why the messages written now are not to be sent (a data load), or None.
_not_sent: ContextVar[str | None] = ContextVar("marquee_outbox_not_sent", default=None)


@contextmanager
def emails_not_sent(reason: str):
    """Messages enqueued inside the block are written SKIPPED with ``reason`` as their
    ``last_error``: the outbox keeps them, the worker sends none. For data loads whose
    state changes are history, not news (seed_demo's audience, at made-up addresses)."""
    token = _not_sent.set(reason)
    try:
        yield
    finally:
        _not_sent.reset(token)


def email_enqueue(*, kind: str, context: dict) -> OutboxEmail:
    """Write a message of ``kind`` to the outbox, in the caller's transaction: it is
    delivered after that transaction commits, and never if it rolls back. One INSERT
    (prepared);
    nothing here talks to a mail server.

    ``context`` must be JSON: the ids the builder needs and any facts decided with the
    state change. Raises LookupError for a kind nobody builds.
    """
    if not registry.is_registered(kind):
        raise LookupError(f"no builder registered for outbox messages of kind {kind!r}")
    reason = _not_sent.get()
    now = timezone.now()
    row = {
        "kind": kind,
        "context": context,
        "token": uuid.uuid4(),
        "status": OutboxStatus.PENDING if reason is None else OutboxStatus.SKIPPED,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": reason or "",
        "recipient": "",
        "subject": "",
        "created_at": now,
        "sent_at": None,
    }
    (pk,) = _outbox_insert.execute([row])
    return model_from_row(OutboxEmail, DEFAULT_DB_ALIAS, {"id": pk, **row})
