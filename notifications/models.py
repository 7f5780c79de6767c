import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    # Failed EMAIL_MAX_ATTEMPTS times, or refused for good by the mail server: staff
    # look at it in the admin (and may send it again from there).
    DEAD = "dead", "Dead"
    # Nobody to send it to (a customer without an email address): nothing failed.
    SKIPPED = "skipped", "Skipped"


class OutboxEmail(models.Model):
    """One email to send, written in the transaction of the state change it reports
    (a rolled-back booking leaves no row, so it sends nothing) and delivered after
    commit by the worker (``notifications.delivery``).

    The row holds what the message is about, not its rendering: ``kind`` names the
    builder (``notifications.registry``) that renders it at delivery from ``context``
    (ids, and facts decided with the state change), so writing it costs the booking one
    INSERT and no template. ``token`` makes the Message-ID, the same on every attempt,
    so a message delivered twice (a worker that died between the mail server's "250 OK"
    and its commit) is recognisable as one message.
    """

    kind = models.CharField(max_length=64)
    context = models.JSONField(default=dict)
    token = models.UUIDField(default=uuid.uuid4, editable=False)
    status = models.CharField(
        max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    # Filled when the message is built for delivery.
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbox email"
        ordering = ["-id"]
        indexes = [
            # What the worker asks for: pending messages that are due, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="notif_outbox_due_idx"),
            # What a rate limit asks for: the messages of a kind written lately
            # (notifications.selectors.email_last_enqueued_at).
            models.Index(fields=["kind", "created_at"], name="notif_outbox_kind_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.SENT) | Q(sent_at__isnull=False),
                name="notifications_outboxemail_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"
