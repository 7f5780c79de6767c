from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"

    def ready(self):
        from bookings import signals
        from bookings.models import Reservation
        from payments import receivers

        # The booking engine's transitions (bookings/signals.py): a confirmation needs a
        # payment when PAYMENT_REQUIRED is on, and a cancelled sale gets its money back
        # once its seats are released.
        signals.reservation_confirming.connect(
            receivers.reservation_confirming,
            sender=Reservation,
            dispatch_uid="payments_reservation_confirming",
        )
        signals.reservation_cancelled.connect(
            receivers.reservation_cancelled,
            sender=Reservation,
            dispatch_uid="payments_reservation_cancelled",
        )

        from notifications import registry
        from payments.selectors import refund_line
        from tickets.emails import CANCELLATION

        # The cancellation email (tickets.emails) says how the money goes back: the one
        # place payments reads tickets (tickets never imports payments).
        registry.add_context(CANCELLATION, refund_line)

        from core.schema import operation_errors
        from payments.exceptions import PaymentRequired

        # Payments' receiver of ``reservation_confirming`` may refuse: its refusal belongs
        # to the confirm operation's contract, which bookings, never importing payments,
        # cannot declare itself.
        operation_errors("reservations_confirm_create", PaymentRequired)
