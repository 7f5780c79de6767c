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


def _confirmation_parts(smtp_server) -> tuple[str, str]:
    (confirmation,) = [m for m in smtp_server.messages if m["Subject"].startswith("Your tickets")]
    return (
        confirmation.get_body(("plain",)).get_content(),
        confirmation.get_body(("html",)).get_content(),
    )


def test_a_confirmation_paid_at_the_counter_says_total_paid_with_the_currency(
    smtp_server, admin_client, hold, settings
):
    settings.LANGUAGE_CODE = "de-de"  # the cinema's locale writes the amount
    assert admin_client.post(pay_url(hold), {"method": "cash"}, format="json").status_code == 200

    deliver_due()

    text, html = _confirmation_parts(smtp_server)
    assert "Total paid: 30,00\xa0€" in text
    assert "Total paid" in html and "30,00\xa0€" in html
    assert "to pay at the box office" not in text


def test_a_confirmation_nobody_paid_for_says_what_is_to_pay_and_where(smtp_server, customer, show):
    book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "A2")])

    deliver_due()

    text, html = _confirmation_parts(smtp_server)
    assert "Total: €24.00, to pay at the box office" in text
    assert "Total paid" not in text and "Total paid" not in html
    assert "Total, to pay at the box office" in html and "€24.00" in html
