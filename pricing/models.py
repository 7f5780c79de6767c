from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from core.money import PRICE_DIGITS, money_field


class DiscountKind(models.TextChoices):
    AMOUNT = "AMOUNT", "Fixed amount off the reservation"
    PERCENT = "PERCENT", "Percentage off each seat"


class Voucher(models.Model):
    """A promotion code: a fixed amount off a reservation, or a percentage off each of
    its seats, within a validity window, for all showtimes or one movie, one showtime or
    one ticket type, at most ``max_uses`` times (and ``max_uses_per_customer`` per
    account). A use is a live reservation that carries it (CONFIRMED, or a hold not
    lapsed): a cancelled or expired one gives its use back by itself."""

    # Stored as entered; compared upper-cased (``code_key``, unique), so "school24" and
    # "SCHOOL24" are one code.
    code = models.CharField(max_length=40)
    code_key = models.CharField(max_length=40, unique=True, editable=False)
    description = models.CharField(max_length=200, blank=True, default="")
    kind = models.CharField(max_length=8, choices=DiscountKind.choices)
    value = money_field(
        max_digits=PRICE_DIGITS,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="The amount off (AMOUNT) or the percentage, 0.01 to 100 (PERCENT).",
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    movie = models.ForeignKey(
        "cinema.Movie", on_delete=models.PROTECT, null=True, blank=True, related_name="vouchers"
    )
    showtime = models.ForeignKey(
        "cinema.Showtime", on_delete=models.PROTECT, null=True, blank=True, related_name="vouchers"
    )
    ticket_type = models.SlugField(
        max_length=20,
        blank=True,
        default="",
        help_text="Only seats of this ticket type (e.g. child) are discounted. Empty: all.",
    )
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code_key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gt=Decimal("0"))
                & (~Q(kind=DiscountKind.PERCENT) | Q(value__lte=Decimal("100"))),
                name="pricing_voucher_value_in_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="pricing_voucher_window_ordered",
            ),
        ]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        self.code_key = self.code.strip().upper()
        super().save(*args, **kwargs)
