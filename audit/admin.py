"""The audit trail in the admin: read-only for everyone, superusers included (no add,
change or delete permission, so no Save button, no delete page and no delete action).
Who may read it is the role table's ``audit.view_auditentry``: ADMIN."""

from django.contrib import admin

from audit.models import AuditEntry

_FIELDS = [
    "at",
    "actor_id",
    "actor_username",
    "action",
    "content_type",
    "object_id",
    "object_label",
    "ip",
    "before",
    "after",
]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "content_type", "object_label", "ip"]
    list_filter = ["action", "content_type", "at"]
    search_fields = ["=actor_username", "=object_id", "object_label", "=ip"]
    list_select_related = ["content_type"]
    fields = _FIELDS
    readonly_fields = _FIELDS

    @admin.display(description="staff", ordering="actor_username")
    def actor(self, obj):
        return obj.actor_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
