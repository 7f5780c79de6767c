"""Writing to the outbox. Delivery is ``notifications.delivery`` (the worker)."""

from notifications import registry
from notifications.models import OutboxEmail


def email_enqueue(*, kind: str, context: dict) -> OutboxEmail:
    """Write a message of ``kind`` to the outbox, in the caller's transaction: it is
    delivered after that transaction commits, and never if it rolls back. One INSERT;
    nothing here talks to a mail server.

    ``context`` must be JSON: the ids the builder needs and any facts decided with the
    state change. Raises LookupError for a kind nobody builds.
    """
    if not registry.is_registered(kind):
        raise LookupError(f"no builder registered for outbox messages of kind {kind!r}")
    return OutboxEmail.objects.create(kind=kind, context=context)
