"""seed_demo with PAYMENT_REQUIRED on: the engine confirms only a paid hold, so every
demo sale is paid (online by card or at the counter) as of the moment it was made, and
money and seats agree in the demo too."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from bookings.models import Reservation, ReservationStatus
from payments.models import Method, Payment, PaymentStatus, Provider
from users.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_with_payment_required_pays_every_sale(settings):
    settings.DEBUG = True
    settings.PAYMENT_REQUIRED = True

    call_command("seed_demo", "--days-back", "2", "--days-ahead", "1", stdout=io.StringIO())

    confirmed = Reservation.objects.filter(status=ReservationStatus.CONFIRMED)
    assert confirmed.count() > 20
    paid = Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
    assert set(paid.values_list("reservation_id", flat=True)) == set(
        confirmed.values_list("pk", flat=True)
    )
    assert (
        paid.aggregate(total=Sum("amount"))["total"]
        == confirmed.aggregate(total=Sum("total_price"))["total"]
    )
    # Online by card (as Stripe's webhook would record it), or at the counter by the
    # demo cashier.
    assert set(paid.values_list("provider", "method", "taken_by__username")) == {
        (Provider.STRIPE, Method.CARD, None),
        (Provider.BOX_OFFICE, Method.CASH, "cashier"),
        (Provider.BOX_OFFICE, Method.CARD_TERMINAL, "cashier"),
    }
    for payment in paid.select_related("reservation")[:50]:
        assert payment.succeeded_at >= payment.reservation.created_at
    cancelled = Reservation.objects.filter(
        status=ReservationStatus.CANCELLED, payments__isnull=False
    ).distinct()
    assert cancelled.exists()
    # Their money went back (to the card, or handed back at the counter): no demo sale
    # leaves money owed.
    assert set(
        Payment.objects.filter(reservation__in=cancelled).values_list("status", flat=True)
    ) == {PaymentStatus.REFUNDED}
    assert Reservation.objects.filter(user=User.objects.get(username="customer")).exists()
