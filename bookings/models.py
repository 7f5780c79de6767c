import hashlib
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReservationStatus(models.TextChoices):
    HELD = "HELD", "Held"
    CONFIRMED = "CONFIRMED", "Confirmed"
    CANCELLED = "CANCELLED", "Cancelled"
    EXPIRED = "EXPIRED", "Expired"


LIVE_STATUSES = (ReservationStatus.HELD, ReservationStatus.CONFIRMED)


class Reservation(models.Model):
    """A customer's claim on 1..N seats of one showtime. Born HELD (with ``expires_at``)
    or CONFIRMED; a hold becomes CONFIRMED or EXPIRED; either may become CANCELLED."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reservations"
    )
    showtime = models.ForeignKey(
        "cinema.Showtime", on_delete=models.PROTECT, related_name="reservations"
    )
    status = models.CharField(max_length=16, choices=ReservationStatus.choices)
    total_price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="bookings_res_user_created_idx"),
            models.Index(fields=["showtime", "status"], name="bookings_res_show_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_price__gte=Decimal("0")),
                name="bookings_reservation_total_non_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReservationStatus.HELD) | Q(expires_at__isnull=False),
                name="bookings_reservation_hold_has_expiry",
            ),
        ]

    def __str__(self):
        return f"Reservation {self.pk} ({self.status})"


class ReservationSeat(models.Model):
    """One seat of a reservation, with the price paid, and the seat claim itself.

    ``active`` is True while the seat is held or booked and NULL once the reservation is
    cancelled or its hold expired. The unique key (showtime, seat, active) therefore
    allows exactly one live claim per seat and any number of released ones: NULLs never
    collide in a unique index on SQLite, MySQL/MariaDB and PostgreSQL alike, so this needs
    no conditional constraint (which MySQL would ignore). The released rows keep the
    history: a cancelled reservation still lists its seats and prices.
    """

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="seats")
    showtime = models.ForeignKey(
        "cinema.Showtime", on_delete=models.PROTECT, related_name="seat_claims"
    )
    seat = models.ForeignKey("cinema.Seat", on_delete=models.PROTECT, related_name="claims")
    price = models.DecimalField(max_digits=8, decimal_places=2)
    active = models.BooleanField(null=True, default=True)
    # The hold's expiry, copied here so the seat map needs no join; NULL once confirmed.
    hold_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["seat__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["showtime", "seat", "active"],
                name="bookings_reservationseat_one_live_claim",
            ),
            models.CheckConstraint(
                condition=Q(active=True) | Q(active__isnull=True),
                name="bookings_reservationseat_active_true_or_null",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=Decimal("0")),
                name="bookings_reservationseat_price_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.seat} for reservation {self.reservation_id}"


def idempotency_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class IdempotencyKey(models.Model):
    """Remembers the reservation a POST with an ``Idempotency-Key`` produced, so a retry
    returns it instead of booking again. The unique key makes simultaneous retries wait
    for the first one and then see its result."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    # SHA-256 of the key as sent, hex: the unique key compares it byte for byte. The
    # key column itself compares under the database's collation, where "Order-7f3a",
    # "order-7F3A", "clé", "cle" and "cle " are all one key (MariaDB unicode_ci).
    key_hash = models.CharField(max_length=64)
    request_fingerprint = models.CharField(max_length=64)
    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="idempotency_keys", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key_hash"], name="bookings_idempotencykey_unique_user_key_hash"
            ),
        ]

    def __str__(self):
        return f"{self.key} ({self.user_id})"
