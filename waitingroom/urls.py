from django.urls import path

from waitingroom import views

urlpatterns = [
    path(
        "showtimes/<int:showtime_id>/queue/",
        views.ShowtimeQueueView.as_view(),
        name="showtime-queue",
    ),
]
