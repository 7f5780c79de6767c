"""The audit trail: one row per staff action, append-only.

Append-only in Django: ``save`` of an existing row, ``delete``, and a queryset's
``update``/``delete`` raise ``AuditTrailAppendOnly``; the admin grants no change or
delete permission to anyone, superusers included. A database administrator with SQL can
still delete rows: the guard is the application's, not the database's (a trigger would
also refuse the test suite's table flush, and MariaDB's binary log needs SUPER for it).

Who acted is kept as their id and username in plain columns, not a foreign key: the
entry must outlive the account (deleting a user neither deletes nor blanks its trail),
and the trail sits below the users app in the layers. The object is a content type, its
id as text and a readable label taken when the entry was written, so a deleted showtime's
entries still say which one it was.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from audit.exceptions import AuditTrailAppendOnly


class Action(models.TextChoices):
    SELL = "reservation.sell", "Counter sale"
    CANCEL = "reservation.cancel", "Reservation cancelled by staff"
    PAY = "payment.take", "Payment taken at the box office"
    REFUND = "payment.refund", "Refund by staff"
    CHECK_IN = "ticket.check_in", "Ticket checked in"
    # Staff overriding a rule (none exists yet): record with this code when one does.
    OVERRIDE = "override", "Override"
    SHOWTIME_CREATE = "showtime.create", "Showtime scheduled"
    SHOWTIME_UPDATE = "showtime.update", "Showtime changed"
    SHOWTIME_DELETE = "showtime.delete", "Showtime deleted"
    PRICE_CHANGE = "showtime.price_change", "Showtime price changed"
    ROLE_CHANGE = "user.role_change", "Role changed"
    # Price lists (their ticket types and prices) and vouchers: created, changed or
    # deleted (an empty before: created; an empty after: deleted).
    PRICE_LIST_CHANGE = "price_list.change", "Price list changed"
    VOUCHER_CHANGE = "voucher.change", "Voucher changed"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailAppendOnly()

    def delete(self):
        raise AuditTrailAppendOnly()

    def _raw_delete(self, using):  # the deletion collector's fast path
        raise AuditTrailAppendOnly()


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Null: the system (a command, a worker) acted, not a person.
    actor_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=200)
    # The client address as the throttles see it (NUM_PROXIES); text, so an odd
    # forwarded value never makes a staff action fail. Empty outside a request.
    ip = models.CharField(max_length=64, blank=True)
    before = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"], name="audit_entry_object_idx"),
        ]

    def __str__(self):
        who = self.actor_username or "system"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.object_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailAppendOnly()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailAppendOnly()

    @property
    def actor_label(self) -> str:
        return self.actor_username or "system"
