"""Shifts at the till: opening one with a float, closing it with the cash counted, and
the open shift that every box-office payment and counter refund belongs to.

Lock order: a sale or a refund locks its staff member's open shift last (after the
showtime, the reservation and its payments: ``payments.services``); a close locks the
shift alone. So a close and a sale of the same till are serialized on the shift's row:
a sale that commits first is in the close report, one that comes after finds no open
shift (409 ``no_open_shift``), and no payment ever joins a closed shift.
"""

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.locks import retry_on_lock_errors
from core.money import cents
from payments.exceptions import NoOpenShift, NotYourShift, ShiftAlreadyOpen, ShiftClosed
from payments.models import Shift


def shift_open_for(*, staff, lock: bool = False) -> Shift | None:
    """``staff``'s open shift, or None. ``lock`` (inside the caller's transaction):
    locked, so that a close waits for the payment being recorded in it."""
    if staff is None or not staff.pk:
        return None
    shifts = Shift.objects.filter(cashier_id=staff.pk, open=True)
    if lock:
        shifts = shifts.select_for_update()
    return shifts.first()


def shift_require_open(*, staff) -> Shift:
    """``staff``'s open shift, locked, for a payment or a refund at the counter.
    Errors: NoOpenShift (409)."""
    shift = shift_open_for(staff=staff, lock=True)
    if shift is None:
        raise NoOpenShift()
    return shift


@retry_on_lock_errors
def shift_open(*, cashier, opening_float: Decimal, now: datetime | None = None) -> Shift:
    """Open a shift for ``cashier`` with ``opening_float`` in the drawer (>= 0, cents).
    One open shift per cashier, decided by the unique key (cashier, open): of two opens
    at once exactly one wins, the other is refused.
    Errors: ShiftAlreadyOpen (409)."""
    opening_float = Decimal(opening_float)
    if opening_float < 0 or cents(opening_float) != opening_float:
        raise ValueError("a float is a non-negative amount in cents")
    shift = Shift(cashier=cashier, opening_float=opening_float, opened_at=now or timezone.now())
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError:
        if shift_open_for(staff=cashier) is not None:
            raise ShiftAlreadyOpen() from None
        raise
    return shift


@retry_on_lock_errors
@transaction.atomic
def shift_close(
    *, shift_id: int, by, counted: Decimal, note: str = "", now: datetime | None = None
) -> Shift:
    """Close a shift with the cash ``counted`` in the drawer (>= 0, cents): only its
    cashier or an ADMIN. A closed shift never changes.

    Locks: the shift row (a sale recording a payment in it finishes first).
    Errors: Shift.DoesNotExist, NotYourShift (403), ShiftClosed (409)."""
    counted = Decimal(counted)
    if counted < 0 or cents(counted) != counted:
        raise ValueError("a count is a non-negative amount in cents")
    shift = Shift.objects.select_for_update().get(pk=shift_id)
    if shift.cashier_id != by.pk and not by.is_admin_role:
        raise NotYourShift()
    if not shift.is_open:
        raise ShiftClosed()
    shift.open = None
    shift.closed_at = now or timezone.now()
    shift.closed_by = by
    shift.counted = counted
    shift.note = note[:500]
    shift.save()
    return shift
