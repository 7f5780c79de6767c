"""The demo's card payments: what Stripe's webhook would leave behind, written directly,
because the demo has no Stripe to talk to.

A demo card payment is a SUCCEEDED Payment of provider ``stripe`` with a fake
PaymentIntent id (``pi_demo_<reservation>``), and its refund a REFUNDED one with a fake
refund id (``re_demo_<payment>``). They are written under the booking engine's locks,
in its order, and the reservation's payment state follows them (``payment_state``), as
``payments.services`` keeps it; a paid hold gets its seats through the engine
(``reservation_settle``). Nothing here runs outside the demo.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F

from bookings import services as booking_services
from bookings.models import Reservation
from payments.models import Method, Payment, PaymentStatus, Provider
from payments.services import payment_state


def _store_state(reservation) -> None:
    statuses = Payment.objects.filter(reservation_id=reservation.pk).values_list(
        "status", flat=True
    )
    state = payment_state(statuses)
    if reservation.payment_status != state:
        reservation.payment_status = state
        reservation.save(update_fields=["payment_status", "updated_at"])


def _card_payment(reservation, now: dt.datetime) -> Payment:
    payment = Payment(
        reservation_id=reservation.pk,
        provider=Provider.STRIPE,
        method=Method.CARD,
        amount=reservation.total_price,
        currency=settings.CURRENCY,
        reference=f"pi_demo_{reservation.pk}",
        succeeded_at=now,
    )
    payment.set_status(PaymentStatus.SUCCEEDED)
    payment.save()
    # Created when the customer paid, not when the demo was loaded.
    Payment.objects.filter(pk=payment.pk).update(created_at=now, updated_at=now)
    return payment


@transaction.atomic
def demo_pay_online(*, reservation_id: int, now: dt.datetime) -> Payment:
    """A card payment at ``now`` for a hold's total, as the success webhook records it,
    and the hold confirmed by it (PAYMENT_REQUIRED). The demo pays each reservation
    once: this is its only payment, so the reservation is PAID.
    Locks: the showtime, the reservation (the engine's order)."""
    reservation = booking_services.reservation_lock(reservation_id=reservation_id)
    payment = Payment(
        reservation=reservation,
        provider=Provider.STRIPE,
        method=Method.CARD,
        amount=reservation.total_price,
        currency=settings.CURRENCY,
        reference=f"pi_demo_{reservation.pk}",
        succeeded_at=now,
    )
    payment.set_status(PaymentStatus.SUCCEEDED)
    payment.save()
    Payment.objects.filter(pk=payment.pk).update(created_at=now, updated_at=now)
    reservation.payment_status = payment_state([PaymentStatus.SUCCEEDED])
    reservation.save(update_fields=["payment_status", "updated_at"])
    booking_services.reservation_settle(reservation=reservation, now=now)
    return payment


@transaction.atomic
def demo_cards_paid(*, sales: list[tuple[Reservation, dt.datetime]]) -> int:
    """Card payments for reservations the engine has already confirmed (without
    PAYMENT_REQUIRED), each at its moment, in three queries however many: the demo
    pays each reservation once, just after making it, so each becomes PAID. No lock:
    nothing but this command writes the demo's rows while it runs. Returns how many."""
    if not sales:
        return 0
    payments = []
    for reservation, now in sales:
        payment = Payment(
            reservation_id=reservation.pk,
            provider=Provider.STRIPE,
            method=Method.CARD,
            amount=reservation.total_price,
            currency=settings.CURRENCY,
            reference=f"pi_demo_{reservation.pk}",
            succeeded_at=now,
        )
        payment.set_status(PaymentStatus.SUCCEEDED)
        payments.append(payment)
    Payment.objects.bulk_create(payments)
    ids = [reservation.pk for reservation, _ in sales]
    # Created when the customer paid, not when the demo was loaded.
    Payment.objects.filter(reservation_id__in=ids, provider=Provider.STRIPE).update(
        created_at=F("succeeded_at"), updated_at=F("succeeded_at")
    )
    Reservation.objects.filter(pk__in=ids).update(
        payment_status=payment_state([PaymentStatus.SUCCEEDED])
    )
    return len(payments)


@transaction.atomic
def demo_refunds_paid_out(*, reservation_id: int, now: dt.datetime) -> int:
    """The reservation was cancelled at ``now``: its card refunds (due after the
    cancel) were paid out by Stripe then, and its box-office refunds handed back then
    (``payments.services`` stamps them with the moment the demo ran). Returns how many
    card refunds were recorded. Locks: the showtime, the reservation."""
    reservation = booking_services.reservation_lock(reservation_id=reservation_id)
    card = 0
    for payment in Payment.objects.select_for_update().filter(reservation_id=reservation.pk):
        if payment.provider == Provider.STRIPE and payment.status == PaymentStatus.REFUND_PENDING:
            payment.set_status(PaymentStatus.REFUNDED)
            payment.refund_reference = f"re_demo_{payment.pk}"
            payment.save()
            card += 1
        if payment.status == PaymentStatus.REFUNDED:
            Payment.objects.filter(pk=payment.pk).update(refunded_at=now, updated_at=now)
    _store_state(reservation)
    return card
