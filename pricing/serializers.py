from django.utils import timezone
from rest_framework import serializers

from cinema.models import Movie, Showtime
from cinema.serializers import AwareDateTimeField, PriceField
from core.serializers import (
    StrictCharField,
    StrictChoiceField,
    StrictModelSerializer,
)
from pricing.models import DiscountKind, Voucher
from pricing.selectors import voucher_uses


class VoucherSerializer(StrictModelSerializer):
    """A voucher with its ``uses``: its live reservations now (CONFIRMED, or a hold not
    lapsed); a cancelled or expired reservation gives its use back."""

    uses = serializers.SerializerMethodField()
    ticket_type = serializers.CharField(
        read_only=True, help_text="Only seats of this ticket type are discounted; empty: all."
    )

    class Meta:
        model = Voucher
        fields = [
            "id",
            "code",
            "description",
            "kind",
            "value",
            "valid_from",
            "valid_until",
            "movie",
            "showtime",
            "ticket_type",
            "max_uses",
            "max_uses_per_customer",
            "active",
            "uses",
            "created_at",
        ]
        read_only_fields = fields

    def get_uses(self, voucher) -> int:
        return voucher_uses(voucher, now=self.context.get("now") or timezone.now())


class VoucherWriteSerializer(serializers.Serializer):
    code = StrictCharField(max_length=40)
    description = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    kind = StrictChoiceField(choices=DiscountKind.choices)
    value = PriceField(
        help_text="The amount off (AMOUNT) or the percentage, at most 100 (PERCENT)."
    )
    valid_from = AwareDateTimeField(required=False, allow_null=True, default=None)
    valid_until = AwareDateTimeField(required=False, allow_null=True, default=None)
    movie = serializers.PrimaryKeyRelatedField(
        queryset=Movie.objects.all(), required=False, allow_null=True, default=None
    )
    showtime = serializers.PrimaryKeyRelatedField(
        queryset=Showtime.objects.all(), required=False, allow_null=True, default=None
    )
    ticket_type = serializers.RegexField(
        r"^[-a-zA-Z0-9_]*$",
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="Only seats of this ticket type (e.g. child) are discounted; empty: all.",
    )
    max_uses = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    max_uses_per_customer = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None
    )
    active = serializers.BooleanField(required=False, default=True)
