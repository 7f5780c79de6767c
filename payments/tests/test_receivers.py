"""How the apps hang on the booking engine's signals (bookings/signals.py), and why the
order matters: tickets may refuse a cancel (a ticket was used at the door) before
anything moves, payments refund only once the seats are released. Each app has its own
phase, so their order is the engine's, not the apps' order in INSTALLED_APPS."""

import datetime as dt

import pytest

from bookings import services as booking_services
from bookings import signals
from bookings.exceptions import ReservationCheckedIn
from bookings.models import PaymentState, Reservation, ReservationStatus
from bookings.tests.factories import seat
from payments import receivers as payment_receivers
from payments.exceptions import PaymentRequired
from payments.models import Payment, PaymentStatus
from payments.services import payment_take_at_box_office
from tickets import receivers as ticket_receivers
from tickets.models import Ticket, TicketStatus
from tickets.services import ticket_check_in

pytestmark = pytest.mark.django_db


def _receivers(signal) -> list:
    sync, _async = signal._live_receivers(Reservation)
    return sync


def test_each_phase_of_a_transition_has_one_app_listening():
    # A second app on one signal would run in the apps' order: give it its own phase
    # (bookings/signals.py) rather than depend on INSTALLED_APPS.
    assert _receivers(signals.reservation_confirming) == [payment_receivers.reservation_confirming]
    assert _receivers(signals.reservation_confirmed) == [ticket_receivers.reservation_confirmed]
    assert _receivers(signals.reservation_cancelling) == [ticket_receivers.reservation_cancelling]
    assert _receivers(signals.reservation_cancelled) == [payment_receivers.reservation_cancelled]


def test_a_cancel_refused_at_the_door_leaves_the_payment_alone(
    payment_required, hold, customer, admin_user
):
    payment = payment_take_at_box_office(reservation_id=hold.pk, method="cash", staff=admin_user)
    ticket = Ticket.objects.filter(reservation=hold).order_by("seat__position").first()
    ticket_check_in(
        code=ticket.code, by=admin_user, now=hold.showtime.start_time - dt.timedelta(minutes=5)
    )

    with pytest.raises(ReservationCheckedIn):
        booking_services.reservation_cancel(reservation=hold, by=admin_user, at_counter=True)

    hold.refresh_from_db()
    payment.refresh_from_db()
    assert hold.status == ReservationStatus.CONFIRMED
    assert hold.payment_status == PaymentState.PAID
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Ticket.objects.filter(reservation=hold, status=TicketStatus.VALID).count() == 1


def test_a_paid_cancel_voids_the_tickets_and_then_gives_the_money_back(
    payment_required, hold, customer, admin_user
):
    payment_take_at_box_office(reservation_id=hold.pk, method="cash", staff=admin_user)

    booking_services.reservation_cancel(reservation=hold, by=admin_user, at_counter=True)

    hold.refresh_from_db()
    assert hold.status == ReservationStatus.CANCELLED
    assert hold.payment_status == PaymentState.REFUNDED
    assert set(Ticket.objects.filter(reservation=hold).values_list("status", flat=True)) == {
        TicketStatus.VOID
    }
    assert Payment.objects.get(reservation=hold).status == PaymentStatus.REFUNDED
    assert not hold.seats.filter(active=True).exists()


def test_a_hold_confirmed_without_payment_is_refused_before_any_ticket(
    payment_required, hold, customer
):
    with pytest.raises(PaymentRequired):
        booking_services.reservation_confirm(reservation=hold, user=customer)

    hold.refresh_from_db()
    assert hold.status == ReservationStatus.HELD
    assert not Ticket.objects.filter(reservation=hold).exists()
    assert seat(hold.showtime, "A1").pk in hold.seats.values_list("seat_id", flat=True)
