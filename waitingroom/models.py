"""A showtime's waiting room: its settings. The queue itself (places, the serving
counter, admissions) lives in Redis (waitingroom/store.py), shared by every app node."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

MAX_ADMIT_PER_MINUTE = 100_000
MAX_PASS_MINUTES = 24 * 60


class ShowtimeQueue(models.Model):
    """While ``enabled``, an online booking of the showtime needs a pass from its
    waiting room. Arrivals before ``opens_at`` are put in random order; later ones
    queue first come, first served. From ``opens_at`` the serving counter admits
    ``admit_per_minute`` people a minute (not while ``paused``); an admitted customer's
    pass is good for ``pass_minutes``. ``closed`` (sold out) takes nobody more and
    refuses every booking of the showtime online."""

    showtime = models.OneToOneField(
        "cinema.Showtime", on_delete=models.CASCADE, related_name="waiting_room"
    )
    enabled = models.BooleanField(
        "queue enabled",
        default=True,
        help_text="While on, booking this showtime online needs a pass from its queue.",
    )
    admit_per_minute = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ADMIT_PER_MINUTE)],
        help_text="How many people the queue lets through a minute.",
    )
    opens_at = models.DateTimeField(
        help_text="Sales open: everyone who joined before is put in random order."
    )
    pass_minutes = models.PositiveIntegerField(
        "pass lifetime (minutes)",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PASS_MINUTES)],
        help_text="How long an admitted customer may book with their pass.",
    )
    paused = models.BooleanField(default=False, help_text="Admit nobody more for now.")
    closed = models.BooleanField(
        default=False, help_text="Sold out: the queue takes nobody and sells nothing more."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["opens_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(admit_per_minute__gte=1), name="waitingroom_showtimequeue_rate_positive"
            ),
            models.CheckConstraint(
                condition=Q(pass_minutes__gte=1),
                name="waitingroom_showtimequeue_pass_minutes_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Waiting room of showtime {self.showtime_id}"
