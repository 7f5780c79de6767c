"""Payments' part in the booking engine's transitions: receivers of its signals
(bookings/signals.py), connected in ``PaymentsConfig.ready``, under the showtime and
reservation locks the engine holds."""

from django.conf import settings

from bookings.models import PaymentState, Reservation
from payments.exceptions import PaymentRequired
from payments.rules import is_paid
from payments.services import payments_reservation_cancelled

# Payment states in which a cancel has nothing to give back nor to stop.
_NOTHING_OPEN = (PaymentState.NONE, PaymentState.FAILED, PaymentState.REFUNDED)


def reservation_confirming(sender, *, reservation: Reservation, **kwargs) -> None:
    """With PAYMENT_REQUIRED on, only a paid reservation becomes CONFIRMED: the one
    check that every path to CONFIRMED passes (no query: the state is on the row)."""
    if settings.PAYMENT_REQUIRED and not is_paid(reservation):
        raise PaymentRequired()


def reservation_cancelled(
    sender, *, reservation: Reservation, at_counter: bool, by=None, **kwargs
) -> None:
    """A cancelled reservation gets its money back and its pending payment stopped."""
    if reservation.payment_status in _NOTHING_OPEN:
        return
    payments_reservation_cancelled(reservation, at_counter=at_counter, by=by)
