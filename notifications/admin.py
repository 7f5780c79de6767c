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
        "what",
        "about",
        "to",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "subject"]
    # What staff need to read; the raw context (JSON) and the Message-ID token are the
    # worker's business.
    fields = [
        "what",
        "about",
        "status",
        "to",
        "subject_line",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "created_at",
        "last_error",
        "preview",
    ]
    readonly_fields = fields

    @admin.display(description="email", ordering="kind")
    def what(self, obj):
        """``reservation_confirmed`` as "Reservation confirmed"."""
        return obj.kind.replace("_", " ").capitalize()

    @admin.display(description="about")
    def about(self, obj):
        """The context as words: "reservation 42, re-sent"."""
        parts = []
        for key, value in obj.context.items():
            if value is True:
                parts.append(key.replace("_", " ").replace("resent", "re-sent"))
            elif isinstance(value, int | str) and not isinstance(value, bool):
                parts.append(f"{key.replace('_', ' ')} {value}")
        return ", ".join(parts) or "-"

    @admin.display(description="to", ordering="recipient")
    def to(self, obj):
        # Filled when the worker builds the message: its address as of sending.
        return obj.recipient or format_html('<span class="quiet">{}</span>', "when sent")

    @admin.display(description="subject")
    def subject_line(self, obj):
        return obj.subject or format_html('<span class="quiet">{}</span>', "when sent")

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
