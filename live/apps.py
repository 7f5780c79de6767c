from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live seat maps"

    def ready(self):
        from bookings.signals import seats_changed
        from live import receivers

        seats_changed.connect(receivers.publish_seats_changed, dispatch_uid="live.publish")
