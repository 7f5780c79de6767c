from django.apps import AppConfig


class WaitingRoomConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "waitingroom"
    verbose_name = "Waiting rooms"
