from django.urls import path

from live import views

urlpatterns = [
    path(
        "showtimes/<int:showtime_id>/seats/stream/",
        views.SeatMapStreamView.as_view(),
        name="seat-map-stream",
    ),
]
