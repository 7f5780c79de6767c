"""Payments: checkout, the box office, provider events, refunds. Every write to Payment
and to a reservation's payment state goes through here; the reservation's own
transitions (CONFIRMED, CANCELLED, EXPIRED) stay the booking engine's, which this module
calls (``bookings.services.reservation_settle``, ``reservation_cancel``).

Lock order, as in the booking engine: a provider event's row (if any), the showtime,
the reservation, then its payments (``bookings.services.reservation_lock``).

The provider is never called inside a transaction: a network call holding the showtime
lock would stall every booking of that showtime. So each change that involves Stripe is
recorded first and the call comes after the commit (docs/payments.md, "Order of
commits and provider calls"):

- checkout: the Payment (PENDING) is committed, then the PaymentIntent created (with an
  idempotency key), then its id stored;
- a refund: the Payment becomes REFUND_PENDING with the state change that makes it due
  (a cancel, seats lost), then the refund is asked for after the commit and its outcome
  recorded (REFUNDED, or REFUND_FAILED for staff and ``sync_payments`` to retry);
- a pending payment that is no longer wanted is cancelled at the provider after the
  commit; if it took the money meanwhile, its success is applied, which refunds it.
"""

import contextlib
import dataclasses
import logging
import math
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from bookings import services as booking_services
from bookings.exceptions import NotReservationOwner, ReservationCheckedIn
from bookings.models import PaymentState, Reservation, ReservationStatus
from cinema.models import Showtime
from core.locks import retry_on_lock_errors
from core.money import cents, from_minor, money_total, to_minor
from payments import gateway, rules
from payments.exceptions import (
    CheckoutInProgress,
    InvalidEvent,
    InvalidSignature,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
    ProviderDisabled,
    TotalMismatch,
)
from payments.models import (
    CAPTURED_STATUSES,
    DISPUTE_CLOSED,
    REFUND_DUE_STATUSES,
    Flag,
    Method,
    Payment,
    PaymentStatus,
    Provider,
    WebhookEvent,
)
from payments.shift_services import shift_open_for, shift_require_open
from pricing.exceptions import VoucherNotApplicable

logger = logging.getLogger(__name__)

# A checkout whose PaymentIntent was never stored (the process died between the two
# steps) blocks a new checkout only this long: the customer never got its secret, so
# it cannot have taken money.
CHECKOUT_STALE_AFTER = timedelta(minutes=2)
# sync_payments leaves a just-recorded refund to the request that recorded it this long.
REFUND_RETRY_AFTER = timedelta(minutes=1)

# A reservation's payment state from its payments' statuses: the first that any of
# them has, in this order, wins.
_STATE_OF = (
    (PaymentStatus.SUCCEEDED, PaymentState.PAID),
    (PaymentStatus.REFUND_FAILED, PaymentState.REFUND_FAILED),
    (PaymentStatus.REFUND_PENDING, PaymentState.REFUND_PENDING),
    (PaymentStatus.PENDING, PaymentState.PENDING),
    (PaymentStatus.REFUNDED, PaymentState.REFUNDED),
    (PaymentStatus.FAILED, PaymentState.FAILED),
)


def payment_state(statuses) -> PaymentState:
    """The reservation's payment state, given its payments' statuses."""
    statuses = set(statuses)
    for status, state in _STATE_OF:
        if status in statuses:
            return state
    return PaymentState.NONE


def _update_payment_state(reservation: Reservation) -> None:
    """Store the reservation's payment state as its payments now say. Caller holds the
    reservation's lock."""
    statuses = Payment.objects.filter(reservation_id=reservation.pk).values_list(
        "status", flat=True
    )
    state = payment_state(statuses)
    if reservation.payment_status != state:
        reservation.payment_status = state
        reservation.save(update_fields=["payment_status", "updated_at"])


def _amount_due(reservation: Reservation) -> Decimal:
    """What the reservation costs: its total, summed once from its seats' prices when it
    was booked (``bookings.services._persist``), never from a client, never summed
    again to charge it.

    The seats' prices are checked against it first, and a difference refused loudly
    (TotalMismatch, 409, logged as an error) rather than charged: the engine writes both
    from one list, but rows written around it (a data load, a hand-made fix) could
    disagree, and then neither figure is safe to take."""
    seats = cents(reservation.seats.aggregate(total=money_total("price"))["total"])
    if seats != reservation.total_price:
        logger.error(
            "reservation %s: total %s but its seats' prices add up to %s; not charged",
            reservation.pk,
            reservation.total_price,
            seats,
        )
        raise TotalMismatch()
    return reservation.total_price


def _locked(payment_id: int) -> tuple[Reservation, Payment]:
    """The payment's reservation and the payment, locked in the engine's order."""
    reservation_id = Payment.objects.values_list("reservation_id", flat=True).get(pk=payment_id)
    reservation = booking_services.reservation_lock(reservation_id=reservation_id)
    return reservation, Payment.objects.select_for_update().get(pk=payment_id)


def _key(payment: Payment, action: str) -> str:
    # The creation time keeps keys apart across databases that reuse ids (test runs).
    return f"marquee-payment-{payment.pk}-{int(payment.created_at.timestamp())}-{action}"


def _refund_key(payment: Payment) -> str:
    """The idempotency key of the payment's current refund attempt. Stripe answers a
    reused key with its first answer for a day, so after Stripe definitely refused, the
    next attempt needs a new key (``refund_attempt`` counts the refusals); a network
    retry of one attempt keeps its key, so a refund whose answer was lost is not made
    twice. The first attempt keeps the key it always had."""
    if payment.refund_attempt == 0:
        return _key(payment, "refund")
    return _key(payment, f"refund-{payment.refund_attempt}")


# --- checkout -----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Checkout:
    payment: Payment
    created: bool
    expires_at: datetime | None


def payment_checkout(
    *,
    reservation_id: int,
    user,
    provider: str,
    now: datetime | None = None,
    voucher: str | None = None,
) -> Checkout:
    """Start paying a hold online: a Payment for the reservation's price and a Stripe
    PaymentIntent for it, whose ``client_secret`` the customer's browser confirms. A
    checkout while one is pending returns that one (``created`` False) and asks Stripe
    for nothing. The first checkout of a reservation extends its hold to
    PAYMENT_WINDOW_MINUTES from now; later ones do not.

    Whether the reservation may be paid online is ``rules.payable`` (channel ONLINE: a
    live, unpaid hold before the showtime's cutoff).

    ``voucher``, a code, discounts the hold first (``reservation_voucher_apply``), so
    the payment is for the discounted total; only before a payment is under way (else
    VoucherNotApplicable), and the same code again is no change.

    Steps: the Payment is committed (PENDING), then the PaymentIntent created outside
    any transaction, then its id stored (docs/payments.md).
    Errors: ProviderDisabled (400), NotReservationOwner (403), AlreadyPaid,
    AlreadyConfirmed, AlreadyCancelled, HoldExpired, CheckoutInProgress (409),
    ShowtimeClosed (400), PaymentProviderRefused (422: the provider refused, e.g. an amount
    below its minimum), PaymentProviderUnavailable (503); after either, nothing changed
    but a FAILED payment and the hold's extension (while Stripe is paused after an
    outage, a FAILED payment only, recorded without the showtime's lock, and once per
    reservation and pause in each process: the customer's retries record nothing).
    """
    if provider != Provider.STRIPE or not gateway.enabled():
        raise ProviderDisabled()
    now = now or timezone.now()
    # Stripe did not answer a moment ago (the guard's pause): a new checkout is recorded
    # as failed at once, under the reservation's lock alone. Through the usual path each
    # refusal took its showtime's lock twice, and 40 clients retrying checkouts of one
    # showtime queued on it and took the node's threads from every other route.
    # A customer's retries in one pause are recorded once: the first refusal's FAILED
    # payment says what happened, and the retries then cost no query at all.
    refused = gateway.guard.refusal(gateway.CREATE_INTENT, settings.STRIPE_API_BASE)
    if refused is not None and not voucher:
        asked = (reservation_id, user.pk)
        if _refusals_recorded.get(asked) == refused.pause or _checkout_refused(
            reservation_id=reservation_id, user=user, now=now, refused=refused
        ):
            _remember_refusal(asked, refused.pause)
            raise PaymentProviderUnavailable(
                retry_after=max(
                    math.ceil(gateway.guard.paused_for(settings.STRIPE_API_BASE)),
                    PaymentProviderUnavailable.retry_after,
                )
            )
    payment, created = _checkout_begin(
        reservation_id=reservation_id, user=user, now=now, voucher=voucher
    )
    if created:
        try:
            intent = gateway.create_intent(
                amount=payment.amount,
                currency=payment.currency,
                metadata={
                    "marquee_payment": str(payment.pk),
                    "marquee_reservation": str(payment.reservation_id),
                },
                idempotency_key=_key(payment, "intent"),
            )
        except gateway.ProviderRefused as exc:
            # Stripe's own words stay on the payment and in the log, for staff.
            logger.warning("checkout of payment %s refused by Stripe: %s", payment.pk, exc.message)
            _checkout_failed(payment_id=payment.pk, detail=exc.message, reason="provider_refused")
            raise PaymentProviderRefused() from exc
        except gateway.ProviderError as exc:
            _checkout_failed(payment_id=payment.pk, detail=exc.message)
            # Refused without asking Stripe (paused): say when it will be asked again.
            paused = 0
            if exc.code in gateway.NOT_ASKED:
                paused = math.ceil(gateway.guard.paused_for(settings.STRIPE_API_BASE))
            raise PaymentProviderUnavailable(
                retry_after=max(paused, PaymentProviderUnavailable.retry_after)
            ) from exc
        payment = _checkout_attach(payment_id=payment.pk, intent=intent)
        if payment.status != PaymentStatus.PENDING:
            # Cancelled, or paid at the counter, while the intent was being created: its
            # secret is never handed out, and the intent is stopped.
            _cancel_quietly(payment.reference)
            raise _why_not_payable(reservation_id, now)
    expires_at = (
        Reservation.objects.filter(pk=reservation_id).values_list("expires_at", flat=True).first()
    )
    return Checkout(payment=payment, created=created, expires_at=expires_at)


def _cancel_quietly(intent_id: str) -> None:
    # Best effort: without its secret nobody can pay it, and Stripe drops it in time.
    with contextlib.suppress(gateway.ProviderError):
        gateway.cancel_intent(intent_id)


def _why_not_payable(reservation_id: int, now: datetime) -> Exception:
    """Why a checkout's payment was stopped while its PaymentIntent was being created:
    what the rule says of the reservation now (paid at the counter, cancelled...), or, if
    it says nothing (the payment was failed as abandoned meanwhile), try again."""
    reservation = Reservation.objects.select_related("showtime").get(pk=reservation_id)
    return rules.refusal(reservation, now=now, channel=rules.Channel.ONLINE) or (
        CheckoutInProgress()
    )


@retry_on_lock_errors
@transaction.atomic
def _checkout_begin(
    *, reservation_id: int, user, now: datetime, voucher: str | None = None
) -> tuple[Payment, bool]:
    reservation = booking_services.reservation_lock(reservation_id=reservation_id)
    online = _online_payments(reservation, user=user, now=now)
    pending = online.select_for_update().filter(status=PaymentStatus.PENDING).first()
    if voucher and voucher.strip():
        _checkout_voucher(reservation, voucher, pending=pending, now=now)
    if pending is not None:
        if pending.reference:
            return pending, False
        if pending.created_at > now - CHECKOUT_STALE_AFTER:
            raise CheckoutInProgress()
        pending.set_status(PaymentStatus.FAILED)
        pending.reason, pending.detail = "checkout_abandoned", "The checkout was never completed."
        pending.save()
    first_checkout = not online.exists()
    payment = _online_payment_record(reservation, PaymentStatus.PENDING)
    if first_checkout:
        booking_services.reservation_extend_hold(
            reservation=reservation,
            until=now + timedelta(minutes=settings.PAYMENT_WINDOW_MINUTES),
        )
    _update_payment_state(reservation)
    return payment, True


def _online_payments(reservation: Reservation, *, user, now: datetime):
    """The reservation's Stripe payments, once ``user`` may pay it online now (its owner,
    ``rules.payable`` channel ONLINE); the checks both ways into a checkout make."""
    if reservation.user_id != user.pk:
        raise NotReservationOwner()
    rules.payable(reservation, now=now, channel=rules.Channel.ONLINE)
    return Payment.objects.filter(reservation_id=reservation.pk, provider=Provider.STRIPE)


def _online_payment_record(
    reservation: Reservation, status: str, *, reason: str = "", detail: str = ""
) -> Payment:
    """A new card payment of the reservation's amount due, saved with ``status``."""
    payment = Payment(
        reservation=reservation,
        provider=Provider.STRIPE,
        method=Method.CARD,
        amount=_amount_due(reservation),
        currency=settings.CURRENCY,
    )
    payment.set_status(status)
    payment.reason, payment.detail = reason, detail[:500]
    payment.save()
    return payment


# (reservation id, user id) -> the pause (``ProviderUnavailable.pause``) in which a refused
# checkout of it was recorded. Per process, like the guard; a new pause is a new key.
_refusals_recorded: dict[tuple[int, int], float] = {}
_REFUSALS_KEPT = 10_000


def _remember_refusal(asked: tuple[int, int], pause: float) -> None:
    if len(_refusals_recorded) >= _REFUSALS_KEPT:
        _refusals_recorded.clear()
    _refusals_recorded[asked] = pause


@retry_on_lock_errors
@transaction.atomic
def _checkout_refused(
    *, reservation_id: int, user, now: datetime, refused: gateway.ProviderUnavailable
) -> bool:
    """A checkout while Stripe is paused: the same checks as ``_checkout_begin``, then a
    FAILED payment, as ``_checkout_failed`` records one; the hold is not extended (no
    payment is under way). False, and nothing done, when a payment is pending: the
    usual path answers that one. Locks the reservation and its payments only, in the
    engine's order without the showtime's row: nothing of its seats changes."""
    # Its own row (a join would lock the showtime's too), then the showtime, read.
    reservation = Reservation.objects.select_for_update().get(pk=reservation_id)
    reservation.showtime = Showtime.objects.get(pk=reservation.showtime_id)
    online = _online_payments(reservation, user=user, now=now)
    if online.select_for_update().filter(status=PaymentStatus.PENDING).exists():
        return False
    _online_payment_record(
        reservation, PaymentStatus.FAILED, reason="provider_unavailable", detail=refused.message
    )
    _update_payment_state(reservation)
    return True


def _checkout_voucher(reservation, code: str, *, pending, now: datetime) -> None:
    """A voucher given at checkout: on the hold before a payment is asked for (a pending
    payment's amount is fixed at Stripe); the same voucher again changes nothing."""
    if reservation.voucher_id is not None or pending is None:
        booking_services.reservation_voucher_apply(reservation=reservation, code=code, now=now)
        return
    raise VoucherNotApplicable(
        detail="A payment of this reservation is under way: a voucher goes with the first checkout."
    )


@retry_on_lock_errors
@transaction.atomic
def _checkout_attach(*, payment_id: int, intent: gateway.Intent) -> Payment:
    _, payment = _locked(payment_id)
    payment.reference = intent.id
    payment.client_secret = intent.client_secret
    payment.save(update_fields=["reference", "client_secret", "updated_at"])
    return payment


@retry_on_lock_errors
@transaction.atomic
def _checkout_failed(*, payment_id: int, detail: str, reason: str = "provider_unavailable") -> None:
    reservation, payment = _locked(payment_id)
    if payment.status != PaymentStatus.PENDING or payment.reference:
        return
    payment.set_status(PaymentStatus.FAILED)
    payment.reason, payment.detail = reason, detail[:500]
    payment.save()
    _update_payment_state(reservation)


# --- the box office -----------------------------------------------------------------------
@retry_on_lock_errors
@transaction.atomic
def payment_take_at_box_office(
    *, reservation_id: int, method: str, staff, now: datetime | None = None
) -> Payment:
    """Record money taken at the counter (cash or a card terminal) for a live hold
    before the showtime's cutoff, or for a confirmed reservation not paid yet (at any
    time), and confirm it (``rules.payable``, channel COUNTER). A pending online payment
    of the reservation is stopped at the provider after the commit (if it takes the
    money anyway, that money is refunded).

    The payment belongs to ``staff``'s open shift (payments/shift_services.py): without
    one, nothing is taken.

    Locks: the showtime, the reservation, its payments, then ``staff``'s open shift.
    Errors: AlreadyPaid, AlreadyCancelled, HoldExpired, NoOpenShift (409),
    ShowtimeClosed (400).
    """
    now = now or timezone.now()
    reservation = booking_services.reservation_lock(reservation_id=reservation_id)
    rules.payable(reservation, now=now, channel=rules.Channel.COUNTER)
    shift = shift_require_open(staff=staff)

    for pending in Payment.objects.select_for_update().filter(
        reservation_id=reservation.pk, status=PaymentStatus.PENDING
    ):
        _stop_pending(pending)
    payment = Payment(
        reservation=reservation,
        provider=Provider.BOX_OFFICE,
        method=method,
        amount=_amount_due(reservation),
        currency=settings.CURRENCY,
        taken_by=staff,
        shift=shift,
        succeeded_at=now,
    )
    payment.set_status(PaymentStatus.SUCCEEDED)
    payment.save()
    _update_payment_state(reservation)
    booking_services.reservation_settle(reservation=reservation, now=now)
    audit.record(
        audit.Action.PAY,
        payment,
        actor=staff,
        after={
            "status": payment.status,
            "amount": payment.amount,
            "currency": payment.currency,
            "method": payment.method,
            "reservation": reservation.pk,
        },
    )
    return payment


# --- cancel and refund --------------------------------------------------------------------
def payments_reservation_cancelled(reservation: Reservation, *, at_counter: bool, by=None) -> None:
    """The reservation was just cancelled (``bookings.services._mark_cancelled``, under
    its locks): its SUCCEEDED payment is refunded, its pending one stopped. A Stripe
    payment becomes REFUND_PENDING and the refund is asked for after the commit. A
    box-office payment is handed back at the counter: REFUNDED at once when staff cancel
    there (``at_counter``: the Django admin's cancel and refund actions); any other cancel
    (the API, the customer's or an ADMIN's) leaves it REFUND_PENDING, owed, until staff
    record handing the money over (``payment_refund_by_staff``). Money handed back at
    the counter comes out of ``by``'s open shift; with none open it stays owed."""
    payments = Payment.objects.select_for_update().filter(
        reservation_id=reservation.pk,
        status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.PENDING],
    )
    for payment in payments:
        if payment.status == PaymentStatus.SUCCEEDED:
            _refund_due(
                payment,
                reason="cancelled",
                detail="The reservation was cancelled.",
                at_counter=at_counter,
                by=by,
            )
            if at_counter:  # staff cancelling in the admin: the refund is theirs
                _audit_refund(payment, before=PaymentStatus.SUCCEEDED)
        else:
            _stop_pending(payment)
    _update_payment_state(reservation)


def _refund_due(
    payment: Payment, *, reason: str, detail: str, at_counter: bool = False, by=None
) -> None:
    """Captured money goes back. Caller holds the locks and updates the state."""
    payment.reason, payment.detail = reason, detail[:500]
    # Cash leaves a till only from an open shift: without one it stays owed.
    till = shift_open_for(staff=by, lock=True) if at_counter else None
    if payment.provider == Provider.BOX_OFFICE and till is not None:
        payment.set_status(PaymentStatus.REFUNDED)  # handed back at the counter
        payment.refunded_at = timezone.now()
        payment.refund_shift = till
    elif payment.provider == Provider.BOX_OFFICE:
        payment.set_status(PaymentStatus.REFUND_PENDING)  # owed until staff hand it back
        payment.detail = f"{detail} To be paid back at the box office."[:500]
    else:
        payment.set_status(PaymentStatus.REFUND_PENDING)
        transaction.on_commit(partial(payment_refund, payment_id=payment.pk), robust=True)
    payment.save()


def _stop_pending(payment: Payment) -> None:
    """A pending payment that is no longer wanted: one without a PaymentIntent yet is
    CANCELLED now; one with a PaymentIntent is cancelled at the provider after the
    commit. Caller holds the locks and updates the state."""
    if payment.reference:
        transaction.on_commit(
            partial(payment_cancel_at_provider, payment_id=payment.pk), robust=True
        )
        return
    payment.set_status(PaymentStatus.CANCELLED)
    payment.save()


def payment_refund(*, payment_id: int, check_provider: bool = False) -> str:
    """Ask the provider to refund a payment whose refund is due (REFUND_PENDING or
    REFUND_FAILED), outside any transaction, and record the outcome: REFUNDED, or
    REFUND_FAILED with the provider's message. ``check_provider`` first asks whether the
    money already went back (a retry after an answer that was lost). The idempotency key
    makes a repeated refund the same refund at Stripe. Returns the new status."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.status not in REFUND_DUE_STATUSES:
        return "nothing_due"
    if payment.provider != Provider.STRIPE:
        return "nothing_due"  # money taken at the box office goes back there (staff)
    try:
        if check_provider:
            intent = gateway.retrieve_intent(payment.reference)
            if intent.amount_refunded and intent.amount_refunded >= intent.amount:
                return _refund_recorded(payment_id=payment_id, refund_reference="")
        refund_reference = gateway.refund(payment.reference, idempotency_key=_refund_key(payment))
    except gateway.ProviderError as exc:
        if exc.code == "charge_already_refunded":
            return _refund_recorded(payment_id=payment_id, refund_reference="")
        if exc.code in gateway.NOT_ASKED:
            # Stripe was not asked (paused after an outage, or every slot waiting on
            # it): nothing failed, the refund stays due and sync_payments asks later.
            logger.info("refund of payment %s deferred: %s", payment_id, exc.message)
            return "deferred"
        return _refund_recorded(
            payment_id=payment_id,
            error=exc.message,
            refused=isinstance(exc, gateway.ProviderRefused),
        )
    return _refund_recorded(payment_id=payment_id, refund_reference=refund_reference)


@retry_on_lock_errors
@transaction.atomic
def _refund_recorded(
    *,
    payment_id: int,
    refund_reference: str = "",
    error: str = "",
    detail: str = "",
    refused: bool = False,
    handed_back_by=None,
) -> str:
    reservation, payment = _locked(payment_id)
    if payment.status not in REFUND_DUE_STATUSES:
        return str(payment.status)
    if refused:
        payment.refund_attempt += 1  # the next attempt is a new one (_refund_key)
    if handed_back_by is not None:  # cash out of this staff member's till
        payment.refund_shift = shift_require_open(staff=handed_back_by)
    if error:
        payment.set_status(PaymentStatus.REFUND_FAILED)
        payment.detail = f"Refund failed: {error}"[:500]
        logger.error(
            "refund of payment %s (reservation %s, %s %s) failed: %s; sync_payments retries it",
            payment.pk,
            reservation.pk,
            payment.amount,
            payment.currency,
            error,
        )
    else:
        payment.set_status(PaymentStatus.REFUNDED)
        payment.refund_reference = refund_reference or payment.refund_reference
        payment.refunded_at = timezone.now()
        payment.detail = detail or payment.detail
    payment.save()
    _update_payment_state(reservation)
    return str(payment.status)


def _audit_refund(payment: Payment, *, before: str, **actor) -> None:
    """A refund by staff in the audit trail; ``actor=`` names them (by default the
    request's user)."""
    audit.record(
        audit.Action.REFUND,
        payment,
        **actor,
        before={"status": before},
        after={"status": payment.status, "amount": payment.amount, "currency": payment.currency},
    )


def payment_refund_by_staff(*, payment_id: int, staff, now: datetime | None = None) -> str:
    """The admin's refund action: a SUCCEEDED payment's reservation is cancelled, which
    refunds it (money and seats never disagree: no sold seat keeps a refunded payment);
    a refund that is due or failed is tried again. Returns what happened. Each refund
    is in the audit trail (the cancel's own, or here the one tried again)."""
    payment = Payment.objects.select_related("reservation").get(pk=payment_id)
    if payment.status == PaymentStatus.SUCCEEDED:
        booking_services.reservation_cancel(
            reservation=payment.reservation, by=staff, now=now, at_counter=True
        )
        return str(Payment.objects.values_list("status", flat=True).get(pk=payment_id))
    if payment.status in REFUND_DUE_STATUSES and payment.provider == Provider.BOX_OFFICE:
        outcome = _refund_recorded(  # handed back at the counter now, from staff's shift
            payment_id=payment_id, detail="Paid back at the box office.", handed_back_by=staff
        )
    elif payment.status in REFUND_DUE_STATUSES:
        outcome = payment_refund(payment_id=payment_id, check_provider=True)
    else:
        return "nothing_due"
    before = payment.status
    payment.refresh_from_db(fields=["status"])
    _audit_refund(payment, before=before, actor=staff)
    return outcome


def payment_cancel_at_provider(*, payment_id: int) -> str:
    """Cancel a pending payment's PaymentIntent, outside any transaction. If the
    provider refuses because the money was taken meanwhile, the intent's state is
    applied as its webhook would (a cancelled reservation gets the money back). Returns
    what happened."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.status != PaymentStatus.PENDING or not payment.reference:
        return "nothing_pending"
    try:
        intent = gateway.cancel_intent(payment.reference)
    except gateway.ProviderRefused:
        try:
            intent = gateway.retrieve_intent(payment.reference)
        except gateway.ProviderError:
            return "provider_unavailable"
    except gateway.ProviderUnavailable:
        return "provider_unavailable"  # sync_payments tries again
    return apply_intent(intent=intent)


# --- provider events ----------------------------------------------------------------------
def webhook_receive(*, payload: bytes, signature: str | None) -> str:
    """A Stripe webhook: verify its signature (stripe-python), then apply the event
    once. Returns the outcome (``confirmed``, ``refunded``, ``failed``, ``cancelled``,
    ``disputed``, ``duplicate``, ``ignored``, ``unknown_payment``...). A success is
    applied only as Stripe's own copy of the PaymentIntent says (``_read_back``).
    Errors: InvalidSignature, InvalidEvent (400), PaymentProviderUnavailable (503: the
    PaymentIntent of a success could not be read back; Stripe sends it again); after
    any of them nothing changed."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise InvalidSignature("Stripe webhooks are not configured on this server.")
    try:
        event = gateway.construct_event(payload, signature)
    except gateway.BadSignature:
        raise InvalidSignature() from None
    except gateway.BadPayload as exc:
        logger.warning("webhook refused: a signed body that is no event: %s", exc)
        raise InvalidEvent() from None
    try:
        event_id, event_type = str(event["id"]), str(event["type"])
        subject = _event_subject(event_type, event["data"]["object"])
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        logger.warning("webhook refused: an event of the wrong shape: %r", exc)
        raise InvalidEvent() from None
    if not event_id or len(event_id) > 255 or len(event_type) > 100:
        logger.warning("webhook refused: an event id or type out of bounds")
        raise InvalidEvent()
    if event_type == "payment_intent.succeeded":
        if WebhookEvent.objects.filter(provider=Provider.STRIPE, event_id=event_id).exists():
            return "duplicate"  # applied already: Stripe need not be asked again
        subject = _read_back(subject)
    return _event_apply(event_id=event_id, event_type=event_type, subject=subject)


_INTENT_EVENTS = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "canceled",
}
_DISPUTE_EVENTS = {"charge.dispute.created": False, "charge.dispute.closed": True}


def _event_subject(event_type: str, data):
    """What the event is about, read from its ``data.object``: a PaymentIntent, a
    Charge (refunded) or a Dispute; None for the types Marquee does not handle."""
    if event_type.startswith("payment_intent."):
        return gateway.Intent.from_data(data)
    if event_type == "charge.refunded":
        return gateway.Charge.from_data(data)
    if event_type in _DISPUTE_EVENTS:
        return gateway.Dispute.from_data(data)
    return None


def _read_back(intent: gateway.Intent) -> gateway.Intent:
    """A success event says money was taken; Stripe's own copy of the PaymentIntent,
    read back through the guard (its timeouts, bulkhead and pause), says whether it
    was, and how much, and is what gets applied. An event that could be replayed, or
    signed with a leaked secret, never confirms seats on its own word.

    Not asked: a PaymentIntent that is no payment of ours (recorded as
    ``unknown_payment``) or one already applied (``already_applied``). If Stripe cannot
    be reached the event is refused with 503 before anything is recorded: Stripe sends
    it again (for days), and ``sync_payments`` reads the payment back meanwhile. If
    Stripe answers that it has no such PaymentIntent, the success is applied as
    unbacked (an anomaly for staff)."""
    status = (
        Payment.objects.filter(provider=Provider.STRIPE, reference=intent.id)
        .values_list("status", flat=True)
        .first()
    )
    if status is None or status in CAPTURED_STATUSES:
        return intent
    try:
        return gateway.retrieve_intent(intent.id)
    except gateway.ProviderRefused as exc:
        logger.error("stripe does not know PaymentIntent %s of a success: %s", intent.id, exc)
        return dataclasses.replace(intent, status="unknown_at_stripe")
    except gateway.ProviderUnavailable as exc:
        paused = 0
        if exc.code in gateway.NOT_ASKED:
            paused = math.ceil(gateway.guard.paused_for(settings.STRIPE_API_BASE))
        logger.warning("success of %s not applied yet: Stripe unreachable: %s", intent.id, exc)
        raise PaymentProviderUnavailable(
            retry_after=max(paused, PaymentProviderUnavailable.retry_after)
        ) from exc


@retry_on_lock_errors
@transaction.atomic
def _event_apply(*, event_id: str, event_type: str, subject) -> str:
    """Record the event's id first: a second delivery (Stripe retries, or two at once)
    waits on the unique key until the first commits, then finds it and does nothing."""
    event = WebhookEvent(
        provider=Provider.STRIPE, event_id=event_id, type=event_type, outcome="received"
    )
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        return "duplicate"
    outcome, payment = _event_handle(event_type, subject, now=timezone.now())
    event.outcome, event.payment = outcome, payment
    event.save(update_fields=["outcome", "payment"])
    return outcome


def _event_handle(event_type: str, subject, *, now: datetime):
    kind = _INTENT_EVENTS.get(event_type)
    if subject is None:
        return "ignored", None
    if kind is not None:
        return _intent_apply(intent=subject, kind=kind, now=now)
    if event_type == "charge.refunded":
        return _charge_refunded(charge=subject, now=now)
    return _dispute_seen(dispute=subject, closed=_DISPUTE_EVENTS[event_type])


def _stripe_payment(intent_id: str, what: str) -> int | None:
    """The id of the Stripe payment of a PaymentIntent; None (logged) if it is none of
    ours: the event is recorded as ``unknown_payment`` and changes nothing."""
    payment_id = (
        Payment.objects.filter(provider=Provider.STRIPE, reference=intent_id)
        .values_list("pk", flat=True)
        .first()
        if intent_id
        else None
    )
    if payment_id is None:
        logger.warning("stripe %s for an unknown PaymentIntent %r ignored", what, intent_id)
    return payment_id


def _flag(payment: Payment, flag: str, reason: str) -> None:
    """For staff: the admin's payments, "needs attention". Caller saves."""
    payment.flag, payment.flag_reason = flag, reason[:500]


def apply_intent(*, intent: gateway.Intent, now: datetime | None = None) -> str:
    """Apply a PaymentIntent's state as read from the provider (no event): what
    ``sync_payments`` and a refused cancel do, exactly as the webhook would."""
    kind = {
        "succeeded": "succeeded",
        "canceled": "canceled",
    }.get(intent.status)
    if kind is None and intent.status == "requires_payment_method" and intent.error_code:
        kind = "failed"
    if kind is None:
        return "open"
    return _intent_apply_atomic(intent=intent, kind=kind, now=now or timezone.now())


@retry_on_lock_errors
@transaction.atomic
def _intent_apply_atomic(*, intent: gateway.Intent, kind: str, now: datetime) -> str:
    return _intent_apply(intent=intent, kind=kind, now=now)[0]


def _intent_apply(*, intent: gateway.Intent, kind: str, now: datetime):
    """Inside the caller's transaction: lock the intent's payment (and reservation)
    and apply what happened at the provider. Returns (outcome, payment or None)."""
    payment_id = _stripe_payment(intent.id, "event")
    if payment_id is None:
        return "unknown_payment", None
    reservation, payment = _locked(payment_id)
    if kind == "succeeded":
        outcome = _succeeded(reservation, payment, intent, now)
    elif payment.status != PaymentStatus.PENDING:
        outcome = "stale"  # e.g. a failure reported after the success: nothing to undo
    elif kind == "failed":
        payment.set_status(PaymentStatus.FAILED)
        payment.reason = intent.error_code or "payment_failed"
        payment.detail = (intent.error_message or "The payment failed.")[:500]
        payment.save()
        outcome = "failed"
    else:
        payment.set_status(PaymentStatus.CANCELLED)
        payment.save()
        outcome = "cancelled"
    _update_payment_state(reservation)
    return outcome, payment


def _mismatch(payment: Payment, intent: gateway.Intent) -> str:
    expected = to_minor(payment.amount, payment.currency)
    if intent.amount != expected:
        return f"amount {intent.amount} instead of {expected} (minor units)"
    if intent.currency != payment.currency.upper():
        return f"currency {intent.currency} instead of {payment.currency}"
    named = (intent.metadata.get("marquee_reservation"), intent.metadata.get("marquee_payment"))
    if named != (str(payment.reservation_id), str(payment.pk)):
        return f"metadata names reservation {named[0]} and payment {named[1]}"
    return ""


def _succeeded(reservation: Reservation, payment: Payment, intent, now: datetime) -> str:
    """The provider took the money. The reservation gets its seats if it still can;
    otherwise the money goes back. Never a captured payment without a seat, nor two
    payments for one reservation."""
    if payment.status in CAPTURED_STATUSES:
        return "already_applied"
    if intent.status != "succeeded":
        # Stripe's own copy (_read_back) says no money was taken: nothing is applied,
        # the payment keeps its state (sync_payments settles it as Stripe says).
        logger.error(
            "payment %s: a success event, but Stripe says PaymentIntent %s is %r",
            payment.pk,
            intent.id,
            intent.status,
        )
        _flag(
            payment,
            Flag.UNVERIFIED_SUCCESS,
            f"A success event arrived, but Stripe says the PaymentIntent is "
            f"{intent.status or 'unknown'}: nothing applied.",
        )
        payment.save()
        return "unverified"
    problem = _mismatch(payment, intent)
    if problem:
        logger.error(
            "payment %s for reservation %s refused: %s; the money goes back",
            payment.pk,
            reservation.pk,
            problem,
        )
        # Captured at Stripe, but not what this reservation was to be charged: never
        # counted as money taken (money_figures), given back, and shown to staff.
        payment.anomaly = True
        _flag(payment, Flag.UNVERIFIED_SUCCESS, f"Refused: {problem}.")
        _refund_due(payment, reason="amount_mismatch", detail=f"Refused: {problem}.")
        return "refused"
    if rules.is_paid(reservation):
        logger.warning(
            "payment %s: reservation %s was already paid; this one is refunded",
            payment.pk,
            reservation.pk,
        )
        _refund_due(payment, reason="duplicate", detail="The reservation was already paid.")
        return "refunded"
    if reservation.status == ReservationStatus.CANCELLED:
        _refund_due(payment, reason="cancelled", detail="The reservation was cancelled.")
        return "refunded"
    payment.set_status(PaymentStatus.SUCCEEDED)
    payment.succeeded_at = now
    payment.reason = payment.detail = ""
    payment.save()
    _update_payment_state(reservation)
    why_not = booking_services.reservation_settle(reservation=reservation, now=now)
    if why_not is None:
        return "confirmed"
    logger.warning(
        "payment %s for reservation %s cannot confirm it (%s); the money goes back",
        payment.pk,
        reservation.pk,
        why_not.label,
    )
    _refund_due(payment, reason=why_not.value, detail=why_not.label)
    return "refunded"


# --- Stripe's side: refunds and disputes made there -------------------------------------
def _charge_refunded(*, charge: gateway.Charge, now: datetime):
    """``charge.refunded``: money went back at Stripe, from Marquee's own refund or from
    Stripe's Dashboard. Inside the event's transaction. Returns (outcome, payment)."""
    payment_id = _stripe_payment(charge.payment_intent, "refund")
    if payment_id is None:
        return "unknown_payment", None
    reservation, payment = _locked(payment_id)
    outcome = _refund_seen(reservation, payment, charge, now)
    _update_payment_state(reservation)
    return outcome, payment


def _refund_seen(reservation: Reservation, payment: Payment, charge, now: datetime) -> str:
    if payment.status == PaymentStatus.REFUNDED:
        return "already_applied"  # our own refund, recorded already (or a repeat)
    if payment.status not in CAPTURED_STATUSES:
        _flag(
            payment,
            Flag.REFUND_OF_UNPAID,
            f"Stripe refunded charge {charge.id} of a payment never taken here.",
        )
        payment.save()
        return "anomaly"
    refunded = from_minor(charge.amount_refunded, payment.currency)
    if not charge.fully_refunded:
        if refunded <= payment.refunded_amount:
            return "already_applied"  # an older partial refund, out of order
        payment.refunded_amount = refunded
        _flag(
            payment,
            Flag.PARTIAL_REFUND,
            f"{refunded} of {payment.amount} {payment.currency} refunded in Stripe; "
            "the reservation stays.",
        )
        payment.save()
        return "partially_refunded"
    ours = payment.status in REFUND_DUE_STATUSES  # a refund Marquee asked for
    payment.set_status(PaymentStatus.REFUNDED)
    payment.refunded_amount = payment.amount
    payment.refund_reference = charge.refund_id or payment.refund_reference
    payment.refunded_at = now
    if ours:
        return _saved(payment, "refunded")
    payment.reason, payment.detail = "refunded_at_stripe", "Refunded in Stripe's Dashboard."
    payment.save()
    _update_payment_state(reservation)  # no longer paid: the cancel asks for no refund
    try:
        with transaction.atomic():
            cancelled = booking_services.reservation_cancel_refunded(
                reservation=reservation, now=now
            )
    except ReservationCheckedIn:
        _flag(
            payment,
            Flag.REFUNDED_AFTER_CHECK_IN,
            "Refunded in Stripe's Dashboard after a ticket was used at the door: "
            "the reservation stays.",
        )
        return _saved(payment, "refunded_checked_in")
    return "cancelled" if cancelled else "refunded"


def _saved(payment: Payment, outcome: str) -> str:
    payment.save()
    return outcome


def _dispute_seen(*, dispute: gateway.Dispute, closed: bool):
    """``charge.dispute.created`` / ``.closed``: the customer's bank contests the
    charge. The payment is flagged for staff with the amount in question and Stripe's
    status of the dispute; its close records the outcome (won: the money stays; lost:
    it is gone, ``money_figures`` counts it). The reservation is left as it is: staff
    decide. Returns (outcome, payment)."""
    payment_id = _stripe_payment(dispute.payment_intent, "dispute")
    if payment_id is None:
        return "unknown_payment", None
    _, payment = _locked(payment_id)
    if not closed and payment.dispute_status in DISPUTE_CLOSED:
        return "stale", payment  # its close arrived first
    status = (dispute.status or ("closed" if closed else "needs_response"))[:32]
    payment.disputed_amount = from_minor(dispute.amount, payment.currency)
    payment.dispute_status = status
    what = f"Dispute {status}" if closed else "Disputed"
    _flag(
        payment,
        Flag.DISPUTED,
        f"{what} at Stripe ({dispute.reason or 'no reason given'}): "
        f"{payment.disputed_amount} {payment.currency}, dispute {dispute.id}.",
    )
    payment.save()
    logger.warning("payment %s: %s (%s)", payment.pk, what.lower(), dispute.id)
    return (f"dispute_{status}" if closed else "disputed"), payment


def payment_flag_clear(*, payment_id: int, staff) -> bool:
    """Staff have looked at what Stripe's side flagged (the admin's "Mark as reviewed"):
    the flag goes, the amounts and the dispute's status stay. Returns whether there was
    one."""
    cleared = Payment.objects.filter(pk=payment_id).exclude(flag="").update(flag="")
    if cleared:
        logger.info("payment %s: flag reviewed by %s", payment_id, staff)
    return bool(cleared)


# --- lost webhooks ------------------------------------------------------------------------
def payments_sync(*, older_than: timedelta, now: datetime | None = None) -> Counter:
    """Settle what webhooks should have: every Stripe payment still PENDING after
    ``older_than`` is read back from Stripe and its state applied as the webhook would;
    one that took no money and whose reservation may no longer be paid that way
    (``rules``, channel SYNC: a hold gone, a reservation cancelled, paid or confirmed
    otherwise) is cancelled there; a checkout that never got its PaymentIntent is FAILED. Then every refund that is due or failed is
    tried again. Returns a count per outcome."""
    now = now or timezone.now()
    tally: Counter = Counter()
    pending = Payment.objects.filter(
        provider=Provider.STRIPE, status=PaymentStatus.PENDING, created_at__lte=now - older_than
    )
    for payment_id in pending.order_by("pk").values_list("pk", flat=True):
        tally[_sync_one(payment_id=payment_id, now=now)] += 1
    due = Payment.objects.filter(provider=Provider.STRIPE, status__in=REFUND_DUE_STATUSES).exclude(
        status=PaymentStatus.REFUND_PENDING, updated_at__gt=now - REFUND_RETRY_AFTER
    )
    for payment_id in due.order_by("pk").values_list("pk", flat=True):
        tally["refund " + payment_refund(payment_id=payment_id, check_provider=True)] += 1
    return tally


def _sync_one(*, payment_id: int, now: datetime) -> str:
    payment = Payment.objects.select_related("reservation").get(pk=payment_id)
    if not payment.reference:
        return _abandon(payment_id=payment_id)
    try:
        intent = gateway.retrieve_intent(payment.reference)
    except gateway.ProviderError:
        return "provider_unavailable"
    outcome = apply_intent(intent=intent, now=now)
    if outcome == "open" and not _payable(payment.reservation, now):
        outcome = payment_cancel_at_provider(payment_id=payment_id)
    return outcome


def _payable(reservation: Reservation, now: datetime) -> bool:
    """Whether an open online payment of the reservation may still take its money
    (``rules``, channel SYNC); if not, sync_payments cancels it at the provider."""
    return rules.refusal(reservation, now=now, channel=rules.Channel.SYNC) is None


@retry_on_lock_errors
@transaction.atomic
def _abandon(*, payment_id: int) -> str:
    reservation, payment = _locked(payment_id)
    if payment.status != PaymentStatus.PENDING or payment.reference:
        return "stale"
    payment.set_status(PaymentStatus.FAILED)
    payment.reason, payment.detail = "checkout_abandoned", "The checkout was never completed."
    payment.save()
    _update_payment_state(reservation)
    return "abandoned"
