"""Writing to the outbox. Delivery is ``notifications.delivery`` (the worker)."""

from contextlib import contextmanager
from contextvars import ContextVar

from notifications import registry
from notifications.models import OutboxEmail, OutboxStatus

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
    delivered after that transaction commits, and never if it rolls back. One INSERT;
    nothing here talks to a mail server.

    ``context`` must be JSON: the ids the builder needs and any facts decided with the
    state change. Raises LookupError for a kind nobody builds.
    """
    if not registry.is_registered(kind):
        raise LookupError(f"no builder registered for outbox messages of kind {kind!r}")
    reason = _not_sent.get()
    if reason is not None:
        return OutboxEmail.objects.create(
            kind=kind, context=context, status=OutboxStatus.SKIPPED, last_error=reason
        )
    return OutboxEmail.objects.create(kind=kind, context=context)
