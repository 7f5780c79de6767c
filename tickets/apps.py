from django.apps import AppConfig


class TicketsConfig(AppConfig):
    """E-tickets with QR codes, the check-in at the door, and the emails about a
    reservation (written to the outbox of ``notifications``)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "tickets"

    def ready(self):
        from bookings import signals
        from bookings.models import Reservation
        from tickets import receivers

        # The booking engine's transitions (bookings/signals.py): a confirmation issues
        # the tickets and writes the email that carries them; a cancel voids them first,
        # or is refused once one of them was used at the door.
        signals.reservation_confirmed.connect(
            receivers.reservation_confirmed,
            sender=Reservation,
            dispatch_uid="tickets_reservation_confirmed",
        )
        signals.reservation_cancelling.connect(
            receivers.reservation_cancelling,
            sender=Reservation,
            dispatch_uid="tickets_reservation_cancelling",
        )

        # Registers the builders of the confirmation and cancellation emails.
        from tickets import emails  # noqa: F401
