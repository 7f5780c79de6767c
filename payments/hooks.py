"""What the booking engine asks of payments, from its transition steps
(``bookings.services._mark_confirmed`` and ``_mark_cancelled``), under the showtime and
reservation locks it holds. Imported by the booking engine when first called, so that
bookings never imports payments at module level (payments imports bookings)."""

from django.conf import settings

from bookings.models import PaymentState, Reservation
from payments.exceptions import PaymentRequired
from payments.rules import is_paid
from payments.services import payments_reservation_cancelled

# Payment states in which a cancel has nothing to give back nor to stop.
_NOTHING_OPEN = (PaymentState.NONE, PaymentState.FAILED, PaymentState.REFUNDED)


def reservation_confirming(reservation: Reservation) -> None:
    """With PAYMENT_REQUIRED on, only a paid reservation becomes CONFIRMED: the one
    check that every path to CONFIRMED passes (no query: the state is on the row)."""
    if settings.PAYMENT_REQUIRED and not is_paid(reservation):
        raise PaymentRequired()


def reservation_cancelled(reservation: Reservation, *, at_counter: bool) -> None:
    """A cancelled reservation gets its money back and its pending payment stopped."""
    if reservation.payment_status in _NOTHING_OPEN:
        return
    payments_reservation_cancelled(reservation, at_counter=at_counter)
