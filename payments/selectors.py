"""Reads of payments: a customer's own list, and the money for the staff report."""

import datetime as dt

from django.conf import settings
from django.db.models import Case, Count, Q, QuerySet, Value, When

from core.money import ZERO, cents, money_sum, money_total
from payments.models import (
    CAPTURED_STATUSES,
    REFUND_DUE_STATUSES,
    Payment,
    PaymentStatus,
    Provider,
)
from users import roles


def payment_list(*, user) -> QuerySet[Payment]:
    """The payments ``user`` may see: those of their own reservations; counter staff
    (ADMIN, CASHIER: ``users.roles``) see all."""
    queryset = Payment.objects.select_related("reservation")
    if user is None or not user.is_authenticated:
        return queryset.none()
    if user.has_perm(roles.VIEW_PAYMENTS):
        return queryset
    return queryset.filter(reservation__user=user)


def _sum(condition: Q):
    return money_total(Case(When(condition, then="amount"), default=Value(ZERO)))


def money_figures(*, start: dt.datetime, end: dt.datetime, movie_id=None, hall_id=None) -> dict:
    """Money for the reservations of the showtimes starting in [start, end), in
    CURRENCY: ``taken`` (captured, whether refunded since or not), ``refunded`` and
    ``net`` = taken - refunded, in total and per provider and method. One query.

    A payment counts once it captured money: SUCCEEDED, or refunded / to be refunded
    since (REFUND_PENDING, REFUNDED, REFUND_FAILED). Only REFUNDED counts as refunded:
    a refund that is due or failed is money the cinema still holds."""
    payments = Payment.objects.filter(
        reservation__showtime__start_time__gte=start,
        reservation__showtime__start_time__lt=end,
        currency=settings.CURRENCY,
        status__in=CAPTURED_STATUSES,
    )
    if movie_id is not None:
        payments = payments.filter(reservation__showtime__movie_id=movie_id)
    if hall_id is not None:
        payments = payments.filter(reservation__showtime__hall_id=hall_id)
    rows = (
        payments.order_by()
        .values("provider", "method")
        .annotate(
            taken=_sum(Q(pk__isnull=False)),
            refunded=_sum(Q(status=PaymentStatus.REFUNDED)),
            payments=Count("pk"),
        )
        .order_by("provider", "method")
    )
    per_method = []
    taken = refunded = ZERO
    for row in rows:
        row_taken = cents(row["taken"])
        row_refunded = cents(row["refunded"])
        per_method.append(
            {
                "provider": row["provider"],
                "method": row["method"],
                "payments": row["payments"],
                "taken": row_taken,
                "refunded": row_refunded,
                "net": row_taken - row_refunded,
            }
        )
        taken += row_taken
        refunded += row_refunded
    return {
        "currency": settings.CURRENCY,
        "taken": taken,
        "refunded": refunded,
        "net": taken - refunded,
        "per_method": per_method,
    }


def refund_plan(payments) -> dict:
    """What refunding ``payments`` (each SUCCEEDED, or with its refund due) gives back,
    for staff to see before they confirm: the money to hand over at the counter (taken
    there, in cash or on the card terminal) and the money Stripe returns to a card.
    Others (nothing to refund) are left out. Amounts are Decimals in CURRENCY."""
    refundable = {PaymentStatus.SUCCEEDED, *REFUND_DUE_STATUSES}
    counter, card = [], []
    for payment in payments:
        if payment.status in refundable:
            (counter if payment.provider == Provider.BOX_OFFICE else card).append(payment)
    return {
        "counter": counter,
        "hand_back": money_sum(p.amount for p in counter),
        "card": card,
        "to_card": money_sum(p.amount for p in card),
        "currency": settings.CURRENCY,
    }


def refund_line(*, reservation) -> dict:
    """The cancellation email's ``refund`` line (``tickets.emails``, rendered at
    delivery): how each of the reservation's captured payments goes back, as things
    stand then. Nothing when no money was taken."""
    payments = Payment.objects.filter(
        reservation_id=reservation.pk,
        status__in=[*REFUND_DUE_STATUSES, PaymentStatus.REFUNDED],
    ).order_by("created_at", "pk")
    lines = []
    for payment in payments:
        at_counter = payment.provider == Provider.BOX_OFFICE
        if payment.status == PaymentStatus.REFUNDED:
            how = "paid back at the box office" if at_counter else "refunded to your card"
        else:
            how = "to collect at the box office" if at_counter else "being refunded to your card"
        lines.append(f"{payment.amount} {payment.currency} {how}")
    return {"refund": "; ".join(lines)} if lines else {}
