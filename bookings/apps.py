from django.apps import AppConfig
from django.db.models.signals import post_save


class BookingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bookings"

    def ready(self):
        from bookings.selectors import available_seats
        from bookings.services import showtime_counters_create
        from cinema.availability import provide_available_seats
        from cinema.models import Showtime

        # The catalogue shows availability; the booking engine, which owns the claims and
        # their counters, says how to compute it.
        provide_available_seats(available_seats)
        # Every new showtime starts with its counters at zero, so a booking only ever
        # updates them (a showtime created without signals gets them at its first claim).
        post_save.connect(
            showtime_counters_create, sender=Showtime, dispatch_uid="bookings_showtime_counters"
        )
