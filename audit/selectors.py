from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from audit.models import AuditEntry


def entry_list() -> QuerySet[AuditEntry]:
    """The trail, newest first, with each entry's content type (one query per page)."""
    return AuditEntry.objects.select_related("content_type").order_by("-at", "-id")


def entries_of(obj) -> QuerySet[AuditEntry]:
    """The trail of one object, oldest first (as the admin's History reads)."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return AuditEntry.objects.filter(content_type=content_type, object_id=str(obj.pk)).order_by(
        "at", "id"
    )
