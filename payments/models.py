"""Payments: money taken for a reservation, online (Stripe) or at the box office, and
given back. docs/payments.md has the state machine."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.money import money_field


class Provider(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    BOX_OFFICE = "box_office", "Box office"


class Method(models.TextChoices):
    CARD = "card", "Card (online)"
    CASH = "cash", "Cash"
    CARD_TERMINAL = "card_terminal", "Card terminal"


# The ways money is taken at the counter (the box-office payment and the counter sale).
COUNTER_METHODS = [(m.value, m.label) for m in (Method.CASH, Method.CARD_TERMINAL)]


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"
    REFUND_PENDING = "REFUND_PENDING", "Refund pending"
    REFUNDED = "REFUNDED", "Refunded"
    REFUND_FAILED = "REFUND_FAILED", "Refund failed"


# Statuses in which the provider holds (or held) the money: it was captured.
CAPTURED_STATUSES = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.REFUND_PENDING,
    PaymentStatus.REFUNDED,
    PaymentStatus.REFUND_FAILED,
)
# Captured money that is owed back to the customer.
REFUND_DUE_STATUSES = (PaymentStatus.REFUND_PENDING, PaymentStatus.REFUND_FAILED)


class Flag(models.TextChoices):
    """Why a payment needs staff's attention (the admin's "needs attention" filter)."""

    REFUNDED_AFTER_CHECK_IN = "refunded_after_check_in", "Refunded in Stripe after check-in"
    PARTIAL_REFUND = "partial_refund", "Partly refunded in Stripe"
    DISPUTED = "disputed", "Disputed"
    UNVERIFIED_SUCCESS = "unverified_success", "Success not backed by Stripe"
    REFUND_OF_UNPAID = "refund_of_unpaid", "Refund of a payment not taken"


# A dispute that is over: its money is back (won) or gone (lost).
DISPUTE_CLOSED = ("won", "lost", "warning_closed")


class Payment(models.Model):
    """One attempt to take the money for a reservation: a Stripe PaymentIntent, or cash
    or a card terminal at the counter. ``amount`` is the reservation's price, computed on
    the server from its seats.

    ``succeeded`` is True exactly while the payment is SUCCEEDED and NULL otherwise, so
    the unique key (reservation, succeeded) lets a reservation have at most one
    SUCCEEDED payment on every database (NULLs never collide; MySQL ignores conditional
    unique constraints). A second capture for the same reservation is refunded.
    """

    reservation = models.ForeignKey(
        "bookings.Reservation", on_delete=models.PROTECT, related_name="payments"
    )
    provider = models.CharField(max_length=16, choices=Provider.choices)
    method = models.CharField(max_length=16, choices=Method.choices)
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    succeeded = models.BooleanField(null=True, default=None, editable=False)
    amount = money_field()
    currency = models.CharField(max_length=3)
    # The provider's id (Stripe: the PaymentIntent), unique per provider. NULL, not "",
    # while there is none (box office, a checkout being started): NULLs never collide in
    # the unique key.
    reference = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    client_secret = models.CharField(max_length=255, blank=True, default="")
    refund_reference = models.CharField(max_length=255, blank=True, default="")
    # Why it failed, was stopped or is refunded (e.g. card_declined, amount_mismatch,
    # seats_taken, cancelled), and the details (the provider's message).
    reason = models.CharField(max_length=64, blank=True, default="")
    detail = models.CharField(max_length=500, blank=True, default="")
    # The staff member who took a box-office payment.
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments_taken",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # What went back so far when only part of it did (a refund made in Stripe's
    # Dashboard); a REFUNDED payment gave back its whole ``amount``.
    refunded_amount = money_field(default=Decimal("0.00"), db_default=Decimal("0.00"))
    # Refund attempts Stripe definitely refused: each new attempt gets a new idempotency
    # key (Stripe answers a reused key with its first answer for a day), while network
    # retries of one attempt keep theirs.
    refund_attempt = models.PositiveIntegerField(default=0, db_default=0)
    # Something staff must look at (Flag), and why; cleared by staff in the admin.
    flag = models.CharField(max_length=32, blank=True, default="", db_default="")
    flag_reason = models.CharField(max_length=500, blank=True, default="", db_default="")
    # A success Stripe's own copy of the PaymentIntent did not back (wrong amount,
    # currency or metadata): never counted as money taken.
    anomaly = models.BooleanField(default=False, db_default=False)
    # A card dispute (chargeback): the amount in question and Stripe's status of it
    # (needs_response, under_review, won, lost...).
    disputed_amount = money_field(default=Decimal("0.00"), db_default=Decimal("0.00"))
    dispute_status = models.CharField(max_length=32, blank=True, default="", db_default="")
    # The till: the open shift of the staff member who took a box-office payment, and
    # of the one who handed its money back (payments/shifts.py). NULL for Stripe.
    shift = models.ForeignKey(
        "payments.Shift",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    refund_shift = models.ForeignKey(
        "payments.Shift",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("take_at_counter", "Can take payment at the counter")]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payments_status_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reservation", "succeeded"],
                name="payments_payment_one_success_per_reservation",
            ),
            models.UniqueConstraint(
                fields=["provider", "reference"], name="payments_payment_unique_reference"
            ),
            models.CheckConstraint(
                condition=(Q(status=PaymentStatus.SUCCEEDED) & Q(succeeded=True))
                | (~Q(status=PaymentStatus.SUCCEEDED) & Q(succeeded__isnull=True)),
                name="payments_payment_succeeded_flag",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=Decimal("0")), name="payments_payment_amount_non_negative"
            ),
        ]

    def __str__(self):
        return f"Payment {self.pk} ({self.provider} {self.status} {self.amount} {self.currency})"

    def set_status(self, status: str) -> None:
        """Change the status and keep the ``succeeded`` flag in step with it."""
        self.status = status
        self.succeeded = True if status == PaymentStatus.SUCCEEDED else None


class WebhookEvent(models.Model):
    """A provider event handled once: Stripe retries deliveries, so the event id is
    unique and inserted in the transaction that handles the event."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    outcome = models.CharField(max_length=32)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="payments_webhookevent_unique_event"
            ),
        ]

    def __str__(self):
        return f"{self.provider} {self.type} {self.event_id} ({self.outcome})"


class Shift(models.Model):
    """A cashier's shift at the till: opened with a float, closed with the cash counted.
    Every box-office payment and every refund handed back at the counter belongs to the
    open shift of the staff member who took it (``Payment.shift``, ``refund_shift``);
    the close report compares what the drawer should hold with what was counted
    (payments/shifts.py).

    ``open`` is True while the shift is open and NULL once closed, so the unique key
    (cashier, open) allows one open shift per cashier on every database (NULLs never
    collide; MySQL ignores conditional unique constraints), as ``ReservationSeat.active``
    does for seats. A closed shift never changes: the services refuse, the admin is
    read-only."""

    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts"
    )
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    # "float" is the word at the till; the attribute avoids Python's builtin.
    opening_float = money_field(validators=[MinValueValidator(Decimal("0"))], verbose_name="float")
    open = models.BooleanField(null=True, default=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    counted = money_field(null=True, blank=True, validators=[MinValueValidator(Decimal("0"))])
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shifts_closed",
    )
    note = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cashier", "open"], name="payments_shift_one_open_per_cashier"
            ),
            models.CheckConstraint(
                condition=(Q(open=True) & Q(closed_at__isnull=True) & Q(counted__isnull=True))
                | (Q(open__isnull=True) & Q(closed_at__isnull=False) & Q(counted__isnull=False)),
                name="payments_shift_open_or_closed",
            ),
            models.CheckConstraint(
                condition=Q(opening_float__gte=Decimal("0")),
                name="payments_shift_float_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(counted__isnull=True) | Q(counted__gte=Decimal("0")),
                name="payments_shift_counted_non_negative",
            ),
        ]

    def __str__(self):
        when = timezone.localtime(self.opened_at).strftime("%Y-%m-%d %H:%M")
        return f"Shift {self.pk} ({self.cashier}, {when})"

    @property
    def is_open(self) -> bool:
        return bool(self.open)
