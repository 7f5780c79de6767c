"""The cancellation email of a paid reservation says how the money goes back, as things
stand when the email worker delivers it."""

import pytest

from bookings import services as booking_services
from bookings.tests.factories import book, seat
from notifications.delivery import deliver_due
from payments.tests.factories import deliver, paid_at_stripe, pay_url

pytestmark = pytest.mark.django_db

RESERVATIONS = "/api/reservations/"


def _cancellation_text(smtp_server) -> str:
    cancellation = smtp_server.messages[-1]
    assert cancellation["Subject"].startswith("Cancelled: ")
    return cancellation.get_body(("plain",)).get_content()


def test_cancelled_after_paying_online_says_the_card_is_refunded(
    smtp_server,
    customer_client,
    anon_client,
    hold,
    stripe_on,
    recorder,
    django_capture_on_commit_callbacks,
):
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    assert deliver(anon_client, delivery).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_client.delete(f"{RESERVATIONS}{hold.pk}/").status_code == 200

    deliver_due()

    assert "Refund: 30.00 EUR refunded to your card" in _cancellation_text(smtp_server)


def test_cancelled_online_after_paying_cash_says_where_to_collect_it(
    smtp_server, admin_client, customer_client, hold, stripe_on
):
    admin_client.post(pay_url(hold), {"method": "cash"}, format="json")
    customer_client.delete(f"{RESERVATIONS}{hold.pk}/")

    deliver_due()

    assert "Refund: 30.00 EUR to collect at the box office" in _cancellation_text(smtp_server)


def test_cancelled_booking_never_paid_says_nothing_of_refunds(smtp_server, customer, show):
    confirmed = book(user=customer, showtime=show, seats=[seat(show, "B1")])
    booking_services.reservation_cancel(reservation=confirmed, by=customer)

    deliver_due()

    assert "Refund" not in _cancellation_text(smtp_server)
