"""Reads of the outbox."""

from datetime import datetime

from django.db.models import Max

from notifications.models import OutboxEmail


def email_last_enqueued_at(*, kind: str, about: dict, since: datetime) -> datetime | None:
    """When the newest message of ``kind`` whose context holds ``about`` (e.g.
    ``{"reservation": 7}``) was written after ``since``; None if none was.

    The index on (kind, created_at) keeps this to the few rows of that kind written
    since ``since``; the context's keys are then matched on those rows alone."""
    filters = {f"context__{key}": value for key, value in about.items()}
    return (
        OutboxEmail.objects.filter(kind=kind, created_at__gt=since, **filters)
        .order_by()
        .aggregate(last=Max("created_at"))["last"]
    )
