from django.urls import path
from rest_framework.routers import SimpleRouter

from payments import views

router = SimpleRouter()
router.register("payments", views.PaymentViewSet, basename="payment")

urlpatterns = [
    path(
        "reservations/<int:pk>/checkout/", views.CheckoutView.as_view(), name="reservation-checkout"
    ),
    path(
        "reservations/<int:pk>/pay/", views.BoxOfficePaymentView.as_view(), name="reservation-pay"
    ),
    path(
        "reservations/<int:pk>/tickets.pdf",
        views.ReservationTicketsPDFView.as_view(),
        name="reservation-tickets-pdf",
    ),
    path("payments/stripe/webhook/", views.StripeWebhookView.as_view(), name="stripe-webhook"),
    *router.urls,
]
