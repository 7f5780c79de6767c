from django.urls import path

from tickets import views

urlpatterns = [
    path(
        "reservations/<int:pk>/tickets/",
        views.ReservationTicketsView.as_view(),
        name="reservation-tickets",
    ),
    path("tickets/<str:code>/qr.svg", views.TicketQRSVGView.as_view(), name="ticket-qr-svg"),
    path("tickets/<str:code>/qr.png", views.TicketQRPNGView.as_view(), name="ticket-qr-png"),
    path("check-ins/", views.CheckInView.as_view(), name="check-in"),
]
