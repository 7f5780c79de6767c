from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for development (``manage.py seed_demo``, ``manage.py demo_ticket``,
    both run by ``make run``): a believable cinema, its sales, a ticket to look at. At the
    top of the layers, it may use every app's services; no app imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
