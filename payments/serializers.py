from rest_framework import serializers

from core.serializers import StrictCharField, StrictModelSerializer
from payments.models import COUNTER_METHODS, Payment, Provider


# --- input --------------------------------------------------------------------------------
class CheckoutCreateSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(
        choices=[Provider.STRIPE], help_text="The online provider: `stripe`."
    )
    voucher = StrictCharField(
        required=False,
        max_length=40,
        help_text="A voucher code for the hold, applied before the payment is asked for "
        "(the payment is for the discounted total); with the first checkout only (409 "
        "`voucher_not_applicable` once a payment is under way). Errors as when booking.",
    )


class BoxOfficePaymentCreateSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=COUNTER_METHODS,
        help_text="How the money was taken at the counter.",
    )


# --- output -------------------------------------------------------------------------------
class PaymentSerializer(StrictModelSerializer):
    """One payment of a reservation. ``reason`` and ``detail`` say why it failed, was
    stopped or refunded (e.g. `card_declined`, `seats_taken`, `cancelled`)."""

    user = serializers.IntegerField(
        source="reservation.user_id",
        read_only=True,
        allow_null=True,
        help_text="The reservation's customer account; null for a walk-in at the counter.",
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "reservation",
            "user",
            "provider",
            "method",
            "status",
            "amount",
            "currency",
            "reason",
            "detail",
            "created_at",
            "updated_at",
            "succeeded_at",
            "refunded_at",
            "refunded_amount",
        ]
        # An answer, never an input: every field is always present (required in the
        # schema, so generated clients do not type them as optional).
        read_only_fields = fields


class CheckoutSerializer(StrictModelSerializer):
    """A pending online payment, with what the customer's browser needs to pay it:
    Stripe's ``client_secret`` for its PaymentIntent (confirm it with Stripe.js). The
    hold keeps its seats until ``expires_at``."""

    expires_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the hold lapses unless paid."
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "reservation",
            "status",
            "amount",
            "currency",
            "provider",
            "client_secret",
            "expires_at",
        ]
        read_only_fields = fields  # an answer: every field always present


class WebhookReceivedSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    outcome = serializers.CharField(
        help_text="What the event did: `confirmed`, `refunded`, `refused`, `unverified` "
        "(Stripe's copy of the PaymentIntent did not back the success), `failed`, "
        "`cancelled`, `partially_refunded`, `refunded_checked_in`, `disputed`, "
        "`dispute_won`, `dispute_lost`, `anomaly`, `duplicate` (already handled), "
        "`already_applied`, `stale`, `ignored`, `unknown_payment`."
    )
