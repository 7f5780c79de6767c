from django.apps import AppConfig
from django.db.models.signals import post_save


class BookingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bookings"

    def ready(self):
        from bookings.selectors import seats_available
        from bookings.services import showtime_counters_create
        from cinema import signals as cinema_signals
        from cinema.models import Showtime

        # The catalogue shows availability; the booking engine, which owns the claims and
        # their counters, answers how to compute it (cinema/availability.py).
        cinema_signals.seats_available.connect(
            seats_available, sender=Showtime, dispatch_uid="bookings_seats_available"
        )
        # Every new showtime starts with its counters at zero, so a booking only ever
        # updates them (a showtime created without signals gets them at its first claim).
        post_save.connect(
            showtime_counters_create, sender=Showtime, dispatch_uid="bookings_showtime_counters"
        )
