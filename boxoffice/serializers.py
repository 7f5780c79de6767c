from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.serializers import (
    BestAvailableMixin,
    CounterSeatChoicesField,
    ReservationSerializer,
)
from core.limits import MAX_ID
from core.serializers import MoneyField, StrictCharField, StrictEmailField
from payments import shift_selectors
from payments.models import COUNTER_METHODS, Method, Shift
from tickets.serializers import TicketSerializer
from users.models import User


# --- input ------------------------------------------------------------------------------
class CounterCustomerSerializer(serializers.Serializer):
    """Who the seats are for. All optional: a walk-in may give nothing; no account is
    created for one."""

    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text="An existing account to sell to (its reservations list shows the sale).",
    )
    # No defaults: an empty string is no email address, and the schema's default must
    # be a valid value (a validating client checks it). Left out means none given.
    name = StrictCharField(max_length=150, required=False, allow_blank=True)
    email = StrictEmailField(
        required=False,
        allow_blank=True,
        help_text="Where the confirmation and its tickets go (else the account's email).",
    )


class CounterSaleCreateSerializer(BestAvailableMixin):
    """``seats`` (seat ids) or ``quantity`` with an optional ``seat_type`` ("4 seats,
    best"): exactly one of the two."""

    showtime = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    method = serializers.ChoiceField(
        choices=COUNTER_METHODS,
        help_text="How the money is taken at the counter.",
    )
    customer = CounterCustomerSerializer(required=False)
    seats = CounterSeatChoicesField(required=False)
    price_reason = StrictCharField(
        max_length=200,
        required=False,
        help_text="Why a seat's `price` was set by hand: required with one, and kept in "
        "the audit trail.",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        by_hand = any(choice.price is not None for choice in attrs.get("seats") or ())
        if by_hand and not attrs.get("price_reason", "").strip():
            raise serializers.ValidationError({"price_reason": ["Say why a price is set by hand."]})
        return attrs


# --- output -----------------------------------------------------------------------------
class CounterSaleSerializer(ReservationSerializer):
    """The sale: a CONFIRMED, paid reservation with its tickets."""

    tickets = TicketSerializer(many=True, read_only=True)

    class Meta(ReservationSerializer.Meta):
        fields = [*ReservationSerializer.Meta.fields, "tickets"]
        read_only_fields = fields


# --- shifts at the till -------------------------------------------------------------------
class ShiftOpenSerializer(serializers.Serializer):
    float = MoneyField(
        min_value=0, help_text="The cash in the drawer at the start (two decimals, >= 0)."
    )


class ShiftCloseSerializer(serializers.Serializer):
    counted = MoneyField(
        min_value=0, help_text="The cash counted in the drawer at the end (two decimals, >= 0)."
    )
    note = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class ShiftSerializer(serializers.ModelSerializer):
    """A shift at the till. ``expected`` is float + cash in - cash out; ``difference``
    is counted - expected once closed (negative: cash missing), null while open."""

    float = serializers.DecimalField(
        source="opening_float", max_digits=10, decimal_places=2, read_only=True
    )
    cashier_name = serializers.CharField(source="cashier.username", read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    expected = serializers.SerializerMethodField()
    difference = serializers.SerializerMethodField()

    class Meta:
        model = Shift
        fields = [
            "id",
            "cashier",
            "cashier_name",
            "opened_at",
            "float",
            "is_open",
            "closed_at",
            "closed_by",
            "counted",
            "expected",
            "difference",
            "note",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_expected(self, shift):
        return _money(shift_selectors.shift_expected(shift))

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True))
    def get_difference(self, shift):
        return _money(shift_selectors.shift_difference(shift))


def _money(value):
    return None if value is None else f"{value:.2f}"


class ShiftLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["sale", "refund"])
    payment = serializers.IntegerField(source="payment_id")
    reservation = serializers.IntegerField(source="reservation_id")
    at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=Method.choices)
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="Negative for a refund."
    )


class ShiftReportSerializer(ShiftSerializer):
    """A shift with its close report (a till's Z report): the cash taken and handed
    back, card-terminal money apart (never in the drawer), and every sale and refund."""

    cash_in = serializers.SerializerMethodField()
    cash_out = serializers.SerializerMethodField()
    card_terminal_in = serializers.SerializerMethodField()
    card_terminal_out = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()

    class Meta(ShiftSerializer.Meta):
        fields = [
            *ShiftSerializer.Meta.fields,
            "cash_in",
            "cash_out",
            "card_terminal_in",
            "card_terminal_out",
            "lines",
        ]
        read_only_fields = fields

    def _report(self, shift):
        if getattr(shift, "_report", None) is None:
            shift._report = shift_selectors.shift_report(shift=shift)
        return shift._report

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_cash_in(self, shift):
        return _money(self._report(shift).cash_in)

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_cash_out(self, shift):
        return _money(self._report(shift).cash_out)

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_card_terminal_in(self, shift):
        return _money(self._report(shift).card_terminal_in)

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_card_terminal_out(self, shift):
        return _money(self._report(shift).card_terminal_out)

    @extend_schema_field(ShiftLineSerializer(many=True))
    def get_lines(self, shift):
        return ShiftLineSerializer(self._report(shift).lines, many=True).data
