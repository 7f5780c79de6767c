from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from notifications import registry
from notifications.models import OutboxEmail, OutboxStatus


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    """The outbox as staff see it: what is pending, sent, skipped or dead, and why. The
    only write is "send again", which hands dead messages back to the worker."""

    list_display = [
        "id",
        "kind",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "subject"]
    fields = [
        "kind",
        "status",
        "recipient",
        "subject",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "created_at",
        "last_error",
        "context",
        "token",
        "preview",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description="Text part (as it would be sent now)")
    def preview(self, obj):
        try:
            email = registry.builder_for(obj.kind)(obj)
        except Exception as exc:  # the same error the worker meets
            return f"Cannot build it: {type(exc).__name__}: {exc}"
        if email is None:
            return "Nobody to send it to."
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", email.body)

    @admin.action(description="Send again (dead or pending messages, now)")
    def send_again(self, request, queryset):
        queued = queryset.filter(status__in=[OutboxStatus.DEAD, OutboxStatus.PENDING]).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        self.message_user(
            request, f"{queued} message(s) handed back to the worker.", messages.SUCCESS
        )
