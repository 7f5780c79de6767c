import hashlib
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When

from core.money import PRICE_DIGITS, money_field, money_sum


class ReservationStatus(models.TextChoices):
    HELD = "HELD", "Held"
    CONFIRMED = "CONFIRMED", "Confirmed"
    CANCELLED = "CANCELLED", "Cancelled"
    EXPIRED = "EXPIRED", "Expired"


LIVE_STATUSES = (ReservationStatus.HELD, ReservationStatus.CONFIRMED)


class PaymentState(models.TextChoices):
    """Where a reservation stands with its money, as its payments say (the payments app
    keeps it; ``payments.services`` is its only writer). ``paid``: a SUCCEEDED payment
    covers it; ``refund_pending`` / ``refund_failed``: money taken is owed back."""

    NONE = "none", "Not paid"
    PENDING = "pending", "Payment pending"
    FAILED = "failed", "Payment failed"
    PAID = "paid", "Paid"
    REFUND_PENDING = "refund_pending", "Refund pending"
    REFUNDED = "refunded", "Refunded"
    REFUND_FAILED = "refund_failed", "Refund failed"


class SeatStatus(models.TextChoices):
    """What a seat of a showtime is, as the seat map, the admin and the reports show it."""

    AVAILABLE = "available", "Available"
    HELD = "held", "Held"
    BOOKED = "booked", "Booked"


# --- the claim rules, in one place -----------------------------------------------------
# A claim (ReservationSeat) is *active* while it holds its seat in the unique key
# (active = True) and *released* (active = NULL) once its reservation is cancelled or its
# hold expired. An active claim is *booked* when it carries no hold expiry, *held* until
# its hold's expiry, and *lapsed* from then on. A lapsed hold is free on every read, with
# no job: it only keeps its row until a booking that wants the seat, or `expire_holds`,
# releases it. A *live* claim (booked or held) is one that blocks its seat.
#
# ``claim_status`` states the rule for one claim in Python; ``ReservationSeatQuerySet``
# states it in SQL (``with_status`` for the status itself, the filters for the sets).
# bookings/tests/test_models.py checks that they agree on every kind of claim. A new
# seat state or claim status is added here, and nowhere else.


def claim_status(*, active: bool | None, hold_expires_at: datetime | None, now: datetime):
    """The status a claim gives its seat at ``now``."""
    if not active:
        return SeatStatus.AVAILABLE
    if hold_expires_at is None:
        return SeatStatus.BOOKED
    return SeatStatus.HELD if hold_expires_at > now else SeatStatus.AVAILABLE


def sales_open(start_time: datetime, now: datetime) -> bool:
    """Whether a showtime starting at ``start_time`` still takes bookings, holds, payments
    of holds and cancels at ``now``: until BOOKING_CUTOFF_MINUTES before its start. The
    engine refuses after it (``ShowtimeClosed``); the seat map and the admin show the
    same. (A confirmed reservation not paid yet is paid at the counter even after it:
    ``payments.rules``.)"""
    return now < start_time - timedelta(minutes=settings.BOOKING_CUTOFF_MINUTES)


def counter_sales_open(start_time: datetime, now: datetime) -> bool:
    """Whether the counter still sells a showtime starting at ``start_time`` at ``now``:
    until COUNTER_SALES_AFTER_START_MINUTES after its start (a latecomer at the till
    still gets a seat; online sales closed at the cutoff)."""
    return now < start_time + timedelta(minutes=settings.COUNTER_SALES_AFTER_START_MINUTES)


class ReservationSeatQuerySet(models.QuerySet):
    def active(self):
        """Claims that hold their seat in the unique key: live ones and lapsed holds."""
        return self.filter(active=True)

    def live(self, now):
        """Claims that block their seat at ``now``: booked, or held and not lapsed."""
        return self.active().filter(Q(hold_expires_at__isnull=True) | Q(hold_expires_at__gt=now))

    def booked(self):
        """Sold seats: active claims without a hold expiry."""
        return self.active().filter(hold_expires_at__isnull=True)

    def holds(self):
        """Active claims of holds, lapsed or not (what ShowtimeCounters.held counts)."""
        return self.active().filter(hold_expires_at__isnull=False)

    def lapsed(self, now):
        """Active claims of holds that lapsed by ``now``: free, but not released yet."""
        return self.active().filter(hold_expires_at__lte=now)

    def with_status(self, now):
        """Annotate ``status``: what ``claim_status`` says of each claim at ``now``."""
        return self.annotate(
            status=Case(
                When(Q(active=True, hold_expires_at__isnull=True), then=Value(SeatStatus.BOOKED)),
                When(Q(active=True, hold_expires_at__gt=now), then=Value(SeatStatus.HELD)),
                default=Value(SeatStatus.AVAILABLE),
                output_field=models.CharField(),
            )
        )


class ReservationQuerySet(models.QuerySet):
    def live(self, now):
        """CONFIRMED, or HELD and not lapsed: what holds seats (and uses a voucher)."""
        return self.filter(
            Q(status=ReservationStatus.CONFIRMED)
            | Q(status=ReservationStatus.HELD, expires_at__gt=now)
        )

    def lapsed_holds(self, now):
        """HELD reservations whose hold lapsed by ``now`` (not marked EXPIRED yet)."""
        return self.filter(status=ReservationStatus.HELD, expires_at__lte=now)


class Reservation(models.Model):
    """A customer's claim on 1..N seats of one showtime. Born HELD (with ``expires_at``)
    or CONFIRMED; a hold becomes CONFIRMED or EXPIRED; either may become CANCELLED.

    Online, ``user`` is the customer who booked. At the counter, ``sold_by`` is the
    cashier; the customer is an account named at the sale (``user``), or a walk-in with
    no account, known by the name and email given (``customer_name``,
    ``customer_email``), or by nothing at all."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reservations",
    )
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="counter_sales",
        help_text="The cashier who sold it at the counter; empty for an online booking.",
    )
    # Database defaults too: rows written by prepared inserts that do not name them, and
    # by nodes still on the previous release, are online bookings.
    customer_name = models.CharField(max_length=150, blank=True, default="", db_default="")
    customer_email = models.EmailField(blank=True, default="", db_default="")
    showtime = models.ForeignKey(
        "cinema.Showtime", on_delete=models.PROTECT, related_name="reservations"
    )
    status = models.CharField(max_length=16, choices=ReservationStatus.choices)
    total_price = money_field(default=Decimal("0"))
    expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # A database default too, so rows written without the ORM's defaults (prepared
    # inserts naming their columns, data loads) start unpaid.
    payment_status = models.CharField(
        max_length=16,
        choices=PaymentState.choices,
        default=PaymentState.NONE,
        db_default=PaymentState.NONE,
    )
    # The voucher its seats were discounted with (pricing); a live reservation is one
    # of the voucher's uses.
    voucher = models.ForeignKey(
        "pricing.Voucher",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reservations",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReservationQuerySet.as_manager()

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
            # Booked by a customer online, or sold by a cashier: never by nobody.
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(sold_by__isnull=False),
                name="bookings_reservation_has_customer_or_seller",
            ),
        ]
        permissions = [
            ("sell_at_counter", "Can sell seats at the counter"),
            ("cancel_counter_sale", "Can cancel and refund counter sales"),
            ("resend_confirmation", "Can re-send a confirmation email"),
            ("price_by_hand", "Can sell a seat at a price set by hand, up to its list price"),
            ("price_above_list", "Can sell a seat above its list price"),
        ]

    def __str__(self):
        return f"Reservation {self.pk} ({self.get_status_display().lower()})"

    @property
    def at_counter(self) -> bool:
        """Sold by a cashier at the counter."""
        return self.sold_by_id is not None

    @property
    def contact_email(self) -> str:
        """Where its emails go: the address given at the counter, else the account's."""
        if self.customer_email:
            return self.customer_email
        return (self.user.email or "") if self.user_id is not None else ""

    @property
    def customer_label(self) -> str:
        """Who it is for, as staff read it."""
        if self.customer_name:
            return self.customer_name
        if self.user_id is not None:
            return self.user.get_full_name() or self.user.username
        return self.customer_email or "walk-in"

    @property
    def discount(self) -> Decimal:
        """What came off its seats' list prices (read from its prefetched seats)."""
        return money_sum(seat.discount for seat in self.seats.all())

    def hold_lapsed(self, now: datetime) -> bool:
        """Expired, whether or not the clean-up has marked it so yet."""
        return self.status == ReservationStatus.EXPIRED or (
            self.status == ReservationStatus.HELD and self.expires_at <= now
        )


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
    price = money_field(max_digits=PRICE_DIGITS)  # what is charged for it
    # Its ticket type (a code of the showtime's price list) and the list price before a
    # voucher or a price set by hand; the discount is ``list_price - price``. Database
    # defaults: claims written by the previous release are Adult at the list price (a
    # NULL list price is the price). No index of its own (a SlugField has one unless
    # told): nothing looks claims up by type alone, and every booking would keep it.
    ticket_type = models.SlugField(
        max_length=20, default="adult", db_default="adult", db_index=False
    )
    list_price = money_field(max_digits=PRICE_DIGITS, null=True, blank=True)
    active = models.BooleanField(null=True, default=True)
    # The hold's expiry, copied here so the seat map needs no join; NULL once confirmed.
    hold_expires_at = models.DateTimeField(null=True, blank=True)

    objects = ReservationSeatQuerySet.as_manager()

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

    @property
    def list_price_or_price(self) -> Decimal:
        """Its list price (a claim of the previous release has none: its price)."""
        return self.list_price if self.list_price is not None else self.price

    @property
    def discount(self) -> Decimal:
        """What came off its list price (a voucher, a price set by hand)."""
        return self.list_price_or_price - self.price


class ShowtimeCounters(models.Model):
    """A showtime's seats in two numbers, so lists read availability without counting
    claims: ``sold`` (booked claims) and ``held`` (active claims of holds, lapsed or
    not), with ``holds_lapse_at``, the earliest expiry among those holds (NULL when
    there are none).

    Only the booking services change it, under the showtime lock they already hold, in
    the transaction that changes the claims. A showtime without a row has no claims.

    A lapsed hold is free on every read, but stays counted in ``held`` until it is
    released. So the counters answer only while ``holds_lapse_at`` is NULL or still
    ahead; after it a read counts the showtime's live claims instead (see
    ``bookings.selectors.available_seats``), until a booking or ``expire_holds``
    releases the lapsed holds and moves ``holds_lapse_at`` to the next expiry.
    """

    showtime = models.OneToOneField(
        "cinema.Showtime", on_delete=models.CASCADE, primary_key=True, related_name="counters"
    )
    sold = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    holds_lapse_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "showtime counters"

    def __str__(self):
        return f"Showtime {self.showtime_id}: {self.sold} sold, {self.held} held"


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
