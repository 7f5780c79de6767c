from django.apps import AppConfig


class TicketsConfig(AppConfig):
    """E-tickets with QR codes, the check-in at the door, and the emails about a
    reservation (written to the outbox of ``notifications``)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "tickets"

    def ready(self):
        # Registers the builders of the confirmation and cancellation emails.
        from tickets import emails  # noqa: F401
