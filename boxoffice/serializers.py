from rest_framework import serializers

from bookings.serializers import ReservationSerializer, SeatIdsField
from core.limits import MAX_ID
from core.serializers import StrictCharField, StrictEmailField
from payments.models import COUNTER_METHODS
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


class CounterSaleCreateSerializer(serializers.Serializer):
    showtime = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    seats = SeatIdsField()
    method = serializers.ChoiceField(
        choices=COUNTER_METHODS,
        help_text="How the money is taken at the counter.",
    )
    customer = CounterCustomerSerializer(required=False)


# --- output -----------------------------------------------------------------------------
class CounterSaleSerializer(ReservationSerializer):
    """The sale: a CONFIRMED, paid reservation with its tickets."""

    tickets = TicketSerializer(many=True, read_only=True)

    class Meta(ReservationSerializer.Meta):
        fields = [*ReservationSerializer.Meta.fields, "tickets"]
        read_only_fields = fields
