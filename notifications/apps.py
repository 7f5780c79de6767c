from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The email outbox: messages written in the transaction that decides them, sent
    after commit by ``manage.py send_emails`` (docs/outbox.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
