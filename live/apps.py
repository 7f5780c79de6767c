from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live seat maps"

    def ready(self):
        from django.core.signals import request_finished

        from bookings.signals import seats_changed
        from live import receivers

        seats_changed.connect(receivers.publish_seats_changed, dispatch_uid="live.publish")
        request_finished.connect(receivers.send_after_request, dispatch_uid="live.send")
