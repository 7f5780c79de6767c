"""``manage.py demo_ticket`` (run by ``make run``): the demo customer gets one ticket and
keeps it across runs, with or without PAYMENT_REQUIRED."""

from io import StringIO

import pytest
from django.core.management import call_command

from bookings.models import Reservation, ReservationStatus
from payments.models import Payment, PaymentStatus, Provider
from tickets.models import Ticket, TicketStatus
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def _run(settings) -> str:
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_ticket", "--base-url", "http://127.0.0.1:8000", stdout=out)
    return out.getvalue()


def test_demo_ticket_books_once_and_then_shows_the_same_ticket(settings, later_show):
    customer = UserFactory(username="customer")

    first = _run(settings)
    second = _run(settings)

    (ticket,) = Ticket.objects.filter(reservation__user=customer)
    assert ticket.status == TicketStatus.VALID
    assert f"Demo ticket {ticket.display_code}" in first
    assert first == second
    assert f"/api/tickets/{ticket.code}/qr.svg" in first
    assert Reservation.objects.filter(user=customer).count() == 1


def test_demo_ticket_with_payment_required_is_paid_at_the_box_office(settings, later_show):
    settings.PAYMENT_REQUIRED = True
    customer = UserFactory(username="customer")
    staff = AdminFactory()

    first = _run(settings)
    second = _run(settings)

    (reservation,) = Reservation.objects.filter(user=customer)
    assert reservation.status == ReservationStatus.CONFIRMED
    (payment,) = Payment.objects.filter(reservation=reservation)
    assert (payment.provider, payment.status, payment.taken_by) == (
        Provider.BOX_OFFICE,
        PaymentStatus.SUCCEEDED,
        staff,
    )
    (ticket,) = Ticket.objects.filter(reservation=reservation)
    assert f"Demo ticket {ticket.display_code}" in first
    assert first == second


def test_demo_ticket_without_the_demo_customer_says_so(settings, later_show):
    assert "run seed_demo first" in _run(settings)
    assert not Reservation.objects.exists()
