"""Tickets follow the reservation: issued on every path to CONFIRMED, voided on cancel,
and a cancel refused once a ticket was used at the door."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings import services as booking_services
from bookings.exceptions import AlreadyCancelled, ReservationCheckedIn
from bookings.models import Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book, make_reservation, seat
from notifications.models import OutboxEmail
from tickets import services
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db


def _tickets(reservation):
    return list(Ticket.objects.filter(reservation=reservation).order_by("seat__position"))


def test_tickets_direct_booking_gets_one_ticket_per_seat(show, customer):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "C4")])

    tickets = _tickets(reservation)
    assert [(t.seat.label, t.status, t.showtime_id) for t in tickets] == [
        ("A1", TicketStatus.VALID, show.pk),
        ("C4", TicketStatus.VALID, show.pk),
    ]
    assert len({t.code for t in tickets}) == 2
    assert all(t.checked_in_at is None for t in tickets)
    assert list(OutboxEmail.objects.values_list("kind", "context")) == [
        ("reservation_confirmed", {"reservation": reservation.pk})
    ]


def test_tickets_hold_has_none_until_confirmed(show, customer):
    hold = book(user=customer, showtime=show, seats=[seat(show, "B1"), seat(show, "B2")], hold=True)
    assert _tickets(hold) == []
    assert not OutboxEmail.objects.exists()

    booking_services.reservation_confirm(reservation=hold, user=customer)

    assert [t.seat.label for t in _tickets(hold)] == ["B1", "B2"]
    assert OutboxEmail.objects.get().context == {"reservation": hold.pk}


def test_tickets_cancel_voids_them_and_writes_the_cancellation_email(show, customer):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "A2")])

    booking_services.reservation_cancel(reservation=reservation, by=customer)

    assert {t.status for t in _tickets(reservation)} == {TicketStatus.VOID}
    assert all(t.voided_at is not None for t in _tickets(reservation))
    assert list(OutboxEmail.objects.order_by("id").values_list("kind", flat=True)) == [
        "reservation_confirmed",
        "reservation_cancelled",
    ]


def test_tickets_cancelled_hold_sends_no_cancellation_email(show, customer):
    hold = book(user=customer, showtime=show, seats=[seat(show, "A1")], hold=True)

    booking_services.reservation_cancel(reservation=hold, by=customer)

    assert not OutboxEmail.objects.exists()
    assert not Ticket.objects.exists()


def test_tickets_cancel_refused_once_a_ticket_was_checked_in(show, customer, admin_user):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "A2")])
    first = _tickets(reservation)[1]
    services.ticket_check_in(code=first.code, by=admin_user)

    with pytest.raises(ReservationCheckedIn) as refusal:
        booking_services.reservation_cancel(reservation=reservation, by=admin_user)

    assert refusal.value.code == "checked_in"
    assert refusal.value.extra["seats"] == [{"id": seat(show, "A2").pk, "label": "A2"}]
    # Nothing changed: still confirmed, seats still sold, tickets as they were, no email.
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert ReservationSeat.objects.filter(reservation=reservation, active=True).count() == 2
    assert [t.status for t in _tickets(reservation)] == [TicketStatus.VALID, TicketStatus.USED]
    assert OutboxEmail.objects.count() == 1
    assert show.counters.sold == 2


def test_tickets_check_in_then_cancel_twice_is_still_checked_in(show, customer, admin_user):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    services.ticket_check_in(code=_tickets(reservation)[0].code, by=admin_user)
    for _ in range(2):
        with pytest.raises(ReservationCheckedIn):
            booking_services.reservation_cancel(reservation=reservation, by=customer)


def test_tickets_cancelled_reservation_cannot_be_cancelled_again(show, customer):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    booking_services.reservation_cancel(reservation=reservation, by=customer)
    with pytest.raises(AlreadyCancelled):
        booking_services.reservation_cancel(reservation=reservation, by=customer)
    assert Ticket.objects.get().status == TicketStatus.VOID


def test_tickets_check_in_sets_who_and_when(show, customer, admin_user):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "B3")])
    code = _tickets(reservation)[0].code
    moment = show.start_time - dt.timedelta(minutes=5)

    ticket = services.ticket_check_in(
        code=code.lower(), by=admin_user, showtime_id=show.pk, now=moment
    )

    stored = Ticket.objects.get(code=code)
    assert (ticket.status, stored.status) == (TicketStatus.USED, TicketStatus.USED)
    assert stored.checked_in_at == moment
    assert stored.checked_in_by == admin_user


def test_tickets_doors_open_thirty_minutes_before_the_start(settings, show, customer, admin_user):
    from tickets.exceptions import TooEarly

    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    code = _tickets(reservation)[0].code
    opens = show.start_time - dt.timedelta(minutes=30)

    with pytest.raises(TooEarly) as early:
        services.ticket_check_in(code=code, by=admin_user, now=opens - dt.timedelta(seconds=1))
    assert early.value.extra["doors_open_at"] == opens

    settings.DOORS_OPEN_MINUTES = 45
    ticket = services.ticket_check_in(code=code, by=admin_user, now=opens - dt.timedelta(minutes=1))
    assert ticket.status == TicketStatus.USED


def test_tickets_migration_issues_them_for_earlier_confirmed_reservations(show, customer):
    """Reservations confirmed before tickets existed get theirs from the migration; the
    others (held, cancelled, already ticketed) are left alone."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("tickets.migrations.0002_tickets_for_confirmed_reservations")
    old = make_reservation(showtime=show, seats=[seat(show, "A1"), seat(show, "A2")], user=customer)
    make_reservation(showtime=show, seats=[seat(show, "B1")], user=customer, status="CANCELLED")
    make_reservation(
        showtime=show,
        seats=[seat(show, "B2")],
        user=customer,
        status="HELD",
        hold_expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    ticketed = book(user=customer, showtime=show, seats=[seat(show, "C1")])
    before = set(Ticket.objects.values_list("code", flat=True))

    migration.issue_missing_tickets(apps, None)

    assert sorted(t.seat.label for t in _tickets(old)) == ["A1", "A2"]
    assert Ticket.objects.count() == 3
    assert set(Ticket.objects.filter(reservation=ticketed).values_list("code", flat=True)) == before
    assert not Ticket.objects.exclude(reservation__in=[old, ticketed]).exists()
    assert Reservation.objects.filter(status="CONFIRMED").count() == 2
