"""Reads of shifts: who sees which, and the close report (a till's Z report)."""

import dataclasses
from datetime import date, datetime
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery

from core.days import local_day_range
from core.money import cents, money_or_zero, money_sum, money_total
from payments.models import CAPTURED_STATUSES, Method, Payment, PaymentStatus, Shift


def _cash(till: str, statuses) -> Subquery:
    """The cash of the payments whose ``till`` (shift or refund_shift) is the outer
    shift, in ``statuses``: one sum."""
    rows = Payment.objects.filter(
        **{till: OuterRef("pk")}, method=Method.CASH, status__in=statuses
    ).order_by()
    return Subquery(rows.values(till).annotate(total=money_total("amount")).values("total")[:1])


def shift_queryset() -> QuerySet[Shift]:
    """Shifts with their people, and the cash taken in (``cash_in_total``) and handed
    back (``cash_out_total``) annotated, so a list shows every difference in one query
    (``shift_difference``); the report (``shift_report``) reads the rows themselves."""
    return Shift.objects.select_related("cashier", "closed_by").annotate(
        cash_in_total=money_or_zero(_cash("shift", CAPTURED_STATUSES)),
        cash_out_total=money_or_zero(_cash("refund_shift", [PaymentStatus.REFUNDED])),
    )


def shifts_visible_to(user) -> QuerySet[Shift]:
    """An ADMIN sees every shift; anyone else only their own."""
    shifts = shift_queryset()
    return shifts if user.is_admin_role else shifts.filter(cashier_id=user.pk)


def shifts_filter(
    shifts: QuerySet[Shift],
    *,
    cashier: int | None = None,
    is_open: bool | None = None,
    day: date | None = None,
) -> QuerySet[Shift]:
    """Narrowed by cashier, open or closed, and the cinema's day it was opened on."""
    if cashier is not None:
        shifts = shifts.filter(cashier_id=cashier)
    if is_open is True:
        shifts = shifts.filter(open=True)
    elif is_open is False:
        shifts = shifts.filter(open__isnull=True)
    if day is not None:
        start, end = local_day_range(day)
        shifts = shifts.filter(opened_at__gte=start, opened_at__lt=end)
    return shifts


@dataclasses.dataclass(frozen=True)
class ShiftLine:
    """A sale or a refund of the shift."""

    kind: str  # "sale" | "refund"
    payment_id: int
    reservation_id: int
    at: datetime
    method: str
    amount: Decimal  # positive for a sale, negative for a refund


@dataclasses.dataclass(frozen=True)
class ShiftReport:
    shift: Shift
    opening_float: Decimal
    cash_in: Decimal
    cash_out: Decimal
    expected: Decimal
    counted: Decimal | None
    difference: Decimal | None  # counted - expected: negative is cash missing
    card_terminal_in: Decimal
    card_terminal_out: Decimal
    lines: list[ShiftLine]


def _total(lines: list[ShiftLine], kind: str, method: str) -> Decimal:
    return money_sum(
        abs(line.amount) for line in lines if (line.kind, line.method) == (kind, method)
    )


def shift_report(*, shift: Shift) -> ShiftReport:
    """The close report: the float, the cash taken (sales) and handed back (refunds), what
    the drawer should hold (float + in - out), what was counted and the difference;
    card-terminal money apart (it never is in the drawer); and every sale and refund.

    A sale counts in the shift that took it even if it was refunded later (the refund
    is a line of the shift that handed the money back, maybe the same one)."""
    payments = Payment.objects.filter(Q(shift=shift) | Q(refund_shift=shift)).order_by("pk")
    lines: list[ShiftLine] = []
    for payment in payments:
        if payment.shift_id == shift.pk and payment.status in CAPTURED_STATUSES:
            lines.append(
                ShiftLine(
                    "sale",
                    payment.pk,
                    payment.reservation_id,
                    payment.succeeded_at,
                    payment.method,
                    payment.amount,
                )
            )
        if payment.refund_shift_id == shift.pk and payment.status == PaymentStatus.REFUNDED:
            lines.append(
                ShiftLine(
                    "refund",
                    payment.pk,
                    payment.reservation_id,
                    payment.refunded_at,
                    payment.method,
                    -payment.amount,
                )
            )
    lines.sort(key=lambda line: (line.at, line.payment_id, line.kind))
    cash_in = _total(lines, "sale", Method.CASH)
    cash_out = _total(lines, "refund", Method.CASH)
    expected = shift.opening_float + cash_in - cash_out
    counted = shift.counted
    return ShiftReport(
        shift=shift,
        opening_float=shift.opening_float,
        cash_in=cash_in,
        cash_out=cash_out,
        expected=expected,
        counted=counted,
        difference=None if counted is None else counted - expected,
        card_terminal_in=_total(lines, "sale", Method.CARD_TERMINAL),
        card_terminal_out=_total(lines, "refund", Method.CARD_TERMINAL),
        lines=lines,
    )


def shift_expected(shift: Shift) -> Decimal:
    """float + cash in - cash out, of a shift from ``shift_queryset`` (for lists)."""
    return shift.opening_float + cents(shift.cash_in_total) - cents(shift.cash_out_total)


def shift_difference(shift: Shift) -> Decimal | None:
    """counted - expected of a closed shift from ``shift_queryset`` (None while open)."""
    if shift.counted is None:
        return None
    return shift.counted - shift_expected(shift)


def shifts_opened(*, start: datetime, end: datetime) -> QuerySet[Shift]:
    """The shifts opened in [start, end), oldest first, with their cashier (exports)."""
    return (
        Shift.objects.filter(opened_at__gte=start, opened_at__lt=end)
        .select_related("cashier")
        .order_by("opened_at", "pk")
    )
