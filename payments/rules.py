"""When a reservation may be paid: one rule for every way money is asked for.

``payable`` answers "may money be taken for this reservation now, this way?" for the
three channels that ask it:

- ``ONLINE``: a new online payment (checkout, ``payments.services.payment_checkout``);
- ``COUNTER``: money taken at the box office (``payment_take_at_box_office``: the API,
  the admin's actions, the demo);
- ``SYNC``: an online payment already started and still open at the provider, which
  ``sync_payments`` keeps open only while this says yes (else it is cancelled there).

Money that has already arrived (a webhook's success, or ``sync_payments`` applying one)
is not asked: it confirms the seats if they can still be given, or goes back
(``bookings.services.reservation_settle``; docs/payments.md, "The webhook").

The decisions, cell by cell, are the table in docs/payments.md ("When a reservation is
payable"); payments/tests/test_payable.py drives every cell through the API and
``sync_payments``. In short, in the order checked:

1. paid already: never again (409 ``already_paid``);
2. cancelled: never (409 ``already_cancelled``);
3. confirmed and not paid (PAYMENT_REQUIRED off: booked now, paid at the door): taken
   at the counter at any time, even after the cutoff, since its seats are already sold;
   never online (409 ``already_confirmed``: online checkout sells holds), and an online
   payment left open on it is closed by ``sync_payments`` (nothing else would ever
   close it);
4. a hold that lapsed (marked EXPIRED or not): never (409 ``hold_expired``);
5. a live hold: online and at the counter until the showtime's sales cutoff
   (``bookings.models.sales_open``; 400 ``showtime_closed`` after it); a hold made by a
   counter sale (``Reservation.at_counter``, paid in the sale's own transaction) at the
   counter until the counter's own closing, COUNTER_SALES_AFTER_START_MINUTES after the
   start (``bookings.models.counter_sales_open``). An online payment
   started before the cutoff stays open after it until the hold lapses: its payment
   window was granted at checkout, and its money is kept if it arrives (as the webhook
   does).
"""

from datetime import datetime
from enum import StrEnum

from bookings.exceptions import (
    AlreadyCancelled,
    AlreadyConfirmed,
    HoldExpired,
    ShowtimeCancelled,
    ShowtimeClosed,
)
from bookings.models import (
    PaymentState,
    Reservation,
    ReservationStatus,
    counter_sales_open,
    sales_open,
)
from core.errors import DomainError
from payments.exceptions import AlreadyPaid


class Channel(StrEnum):
    ONLINE = "online"
    COUNTER = "counter"
    SYNC = "sync"


def is_paid(reservation: Reservation) -> bool:
    """A SUCCEEDED payment covers the reservation (its stored payment state)."""
    return reservation.payment_status == PaymentState.PAID


def refusal(reservation: Reservation, *, now: datetime, channel: Channel) -> DomainError | None:
    """Why the reservation may not be paid through ``channel`` at ``now``, or None if it
    may. Reads the reservation as given (the caller's locked row for a decision that
    writes); the cutoff reads ``reservation.showtime`` (not for SYNC)."""
    if is_paid(reservation):
        return AlreadyPaid()
    if reservation.status == ReservationStatus.CANCELLED:
        return AlreadyCancelled()
    if channel != Channel.SYNC and reservation.showtime.cancelled_at is not None:
        # The cinema cancelled the screening; its reservations are being cancelled
        # (showtime_cancel), which stops their open payments too.
        return ShowtimeCancelled()
    if reservation.status == ReservationStatus.CONFIRMED:
        return None if channel == Channel.COUNTER else AlreadyConfirmed()
    if reservation.hold_lapsed(now):
        return HoldExpired()
    if channel != Channel.SYNC and not _selling(reservation, now=now, channel=channel):
        return ShowtimeClosed()
    return None


def _selling(reservation: Reservation, *, now: datetime, channel: Channel) -> bool:
    start = reservation.showtime.start_time
    if channel == Channel.COUNTER and reservation.at_counter:
        return counter_sales_open(start, now)
    return sales_open(start, now)


def payable(reservation: Reservation, *, now: datetime, channel: Channel) -> None:
    """Raise the domain error that ``refusal`` names, if any: AlreadyPaid,
    AlreadyCancelled, AlreadyConfirmed, HoldExpired (409), ShowtimeClosed (400)."""
    error = refusal(reservation, now=now, channel=channel)
    if error is not None:
        raise error
