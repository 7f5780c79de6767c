from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail: an append-only record of every staff action on money, seats,
    tickets, the schedule and roles (who, when, what, from where, before and after)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = "Audit trail"
