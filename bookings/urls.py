from django.urls import path
from rest_framework.routers import SimpleRouter

from bookings import views

router = SimpleRouter()
router.register("reservations", views.ReservationViewSet, basename="reservation")

urlpatterns = [
    # The reservations first: a booking's URL is resolved by trying the patterns in order.
    *router.urls,
    path("showtimes/<int:showtime_id>/seats/", views.SeatMapView.as_view(), name="seat-map"),
    path(
        "showtimes/<int:showtime_id>/reservations/",
        views.ShowtimeGuestListView.as_view(),
        name="showtime-guest-list",
    ),
    path(
        "showtimes/<int:showtime_id>/cancel/",
        views.ShowtimeCancelView.as_view(),
        name="showtime-cancel",
    ),
    # Compatibility routes of the API Marquee replaces.
    path("shows/<int:showtime_id>/book/", views.ShowBookView.as_view(), name="compat-book"),
    path("my-bookings/", views.MyBookingsView.as_view(), name="compat-my-bookings"),
    path("bookings/<int:pk>/cancel/", views.BookingCancelView.as_view(), name="compat-cancel"),
]
