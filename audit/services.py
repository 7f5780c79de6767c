"""Writing the audit trail. Every app's services call ``audit.record`` (this module's
``entry_record``) once per staff action, inside the action's transaction, so an action
that rolls back leaves no entry and one that commits always has its entry."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from audit import context
from audit.models import AuditEntry
from audit.values import plain

_UNSET: Any = object()
LABEL_MAX_LENGTH = AuditEntry._meta.get_field("object_label").max_length


def entry_record(
    *,
    action: str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    actor=_UNSET,
    label: str | None = None,
) -> AuditEntry:
    """Append one entry: ``action`` (an ``audit.models.Action``) done to ``obj``.

    ``actor`` is who did it; by default the request's authenticated user
    (audit/context.py), or nobody ("system") outside a request; pass ``actor=None`` to
    record the system explicitly. The address is the request's client address, if any.
    ``label`` defaults to ``str(obj)``; pass it when ``obj`` is about to lose its row.
    """
    request = context.current()
    if actor is _UNSET:
        actor = request.user() if request is not None else None
    return AuditEntry.objects.create(
        actor_id=actor.pk if actor is not None else None,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_label=(label if label is not None else str(obj))[:LABEL_MAX_LENGTH],
        ip=(request.ip or "") if request is not None else "",
        before={key: plain(value) for key, value in (before or {}).items()},
        after={key: plain(value) for key, value in (after or {}).items()},
    )
