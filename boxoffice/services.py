"""Selling at the counter: the booking engine and the box-office payment, in one
transaction."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

import audit
from bookings import services as booking_services
from bookings.services import BookingResult, CounterSale, SeatChoice
from core.locks import retry_on_lock_errors
from payments import services as payment_services
from payments.exceptions import NoOpenShift
from payments.shift_services import shift_open_for


@retry_on_lock_errors
@transaction.atomic
def counter_sale_create(
    *,
    cashier,
    showtime_id: int,
    seat_ids: list[int] | None = None,
    method: str,
    customer=None,
    customer_name: str = "",
    customer_email: str = "",
    idempotency_key: str | None = None,
    now: datetime | None = None,
    quantity: int | None = None,
    seat_type: str | None = None,
    choices: list[SeatChoice] | None = None,
    voucher: str | None = None,
    price_reason: str = "",
) -> BookingResult:
    """Sell ``seat_ids`` of a showtime at the counter, paid (``method``: cash or card
    terminal) and CONFIRMED, with its tickets: all or nothing.

    The engine claims the seats as an online booking would (same lock, same unique key,
    so a seat is never sold twice whichever channel wins), as a hold of the counter's,
    open until COUNTER_SALES_AFTER_START_MINUTES after the start; the box-office payment
    then confirms it (``payments.services.payment_take_at_box_office``). Both run in
    this one transaction: a refusal or a fault in either leaves nothing written. The sale
    is for ``customer`` (an account) or a walk-in (no account is created), known by
    ``customer_name`` and ``customer_email`` where given; its emails go there.

    ``quantity`` (and ``seat_type``) instead of ``seat_ids`` sells the best block of
    that many adjacent free seats (the engine's best available; 409 no_block_available
    when there is none).

    ``choices`` name ticket types and, for a seller allowed to (CASHIER: up to the list
    price; ADMIN: above it too), prices set by hand, recorded in the audit trail with
    ``price_reason``; ``voucher`` is a voucher code, as online.

    A repeat with the same ``idempotency_key`` (the cashier's) returns the first sale
    (``replayed``) and sells nothing more.

    The money goes into the cashier's open shift: without one, nothing is sold (409
    ``no_open_shift``, asked first so a cashier without a till never claims a seat; the
    payment asks again under its lock, in case the shift closed meanwhile).

    Locks: the showtime row, then the reservation, its payments (the engine's order),
    then the cashier's shift.
    Errors: NoOpenShift (409); those of ``bookings.services.reservation_create`` (400
    showtime_closed, invalid_seats, ...; 409 seats_unavailable, no_block_available; 422
    idempotency_key_reused; 503 busy).
    """
    now = now or timezone.now()
    if shift_open_for(staff=cashier) is None:
        raise NoOpenShift()
    result = booking_services.reservation_create(
        user=customer,
        showtime_id=showtime_id,
        seat_ids=seat_ids,
        quantity=quantity,
        seat_type=seat_type,
        choices=choices,
        voucher=voucher,
        hold=True,
        idempotency_key=idempotency_key,
        now=now,
        counter=CounterSale(
            cashier=cashier,
            customer_name=customer_name,
            customer_email=customer_email,
            price_reason=price_reason,
        ),
    )
    if result.replayed:
        return result
    payment = payment_services.payment_take_at_box_office(
        reservation_id=result.reservation.pk, method=method, staff=cashier, now=now
    )
    audit.record(
        audit.Action.SELL,
        result.reservation,
        actor=cashier,
        after={
            "status": payment.reservation.status,
            "showtime": showtime_id,
            "seats": sorted(seat.seat_id for seat in result.seats),
            "total": payment.amount,
            "method": method,
        },
    )
    return BookingResult(reservation=result.reservation, replayed=False)
