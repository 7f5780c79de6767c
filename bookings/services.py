"""The booking engine: every write to reservations, seat claims and the showtime counters
goes through here.

Lock order, everywhere: the Showtime row first, then the Reservation row, then its
tickets (tickets' receiver of ``reservation_cancelling``, bookings/signals.py), the seat
claims and the showtime's counters, then its payments (payments' receiver of
``reservation_cancelled``). Every write that touches claims of a showtime holds that
showtime's row lock, so within the lock a plain read of the claims is the truth;
the unique key (showtime, seat, active) of ReservationSeat is the last line of defence
behind it. The counters (``ShowtimeCounters``) change in the same transaction as the
claims they count.

Each public service runs in its own ``transaction.atomic``. On MySQL/MariaDB a deadlock
(1213) or lock-wait timeout (1205) retries the whole block a bounded number of times
(``BOOKING_RETRY_ATTEMPTS``) within ``DB_LOCK_WAIT_BUDGET`` seconds, then answers 503
with Retry-After (ServiceBusy): ``core.locks``, which the other apps' services use too.
"""

import dataclasses
import hashlib
import json
import logging
import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, models, transaction
from django.db.models import Count, F, Min, Subquery
from django.utils import timezone

import audit
from bookings import queries, seat_picking, selectors, signals
from bookings.exceptions import (
    AlreadyCancelled,
    AlreadyConfirmed,
    ConfirmationSentRecently,
    DuplicateSeats,
    HoldExpired,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidSeats,
    NoBlockAvailable,
    NoEmailAddress,
    NoSeatsChosen,
    NotConfirmed,
    NotHeld,
    NotReservationOwner,
    SeatLimitExceeded,
    SeatsUnavailable,
    ShowtimeCancelled,
    ShowtimeClosed,
    ShowtimeNotFound,
    TooManySeats,
)
from bookings.models import (
    LIVE_STATUSES,
    IdempotencyKey,
    PaymentState,
    Reservation,
    ReservationSeat,
    ReservationStatus,
    SeatStatus,
    ShowtimeCounters,
    claim_status,
    counter_sales_open,
    idempotency_key_hash,
    sales_open,
)
from cinema.models import ADULT, Seat, Showtime
from core.errors import ServiceBusy
from core.locks import StuckLocks, retry_on_lock_errors
from core.money import money_sum
from core.queries import model_from_row
from notifications.selectors import email_last_enqueued_at
from notifications.services import email_enqueue
from pricing.exceptions import VoucherNotApplicable
from pricing.services import (
    Line,
    Override,
    PricedLine,
    Pricing,
    base_price,
    seats_price,
    voucher_apply,
    voucher_use_again,
)
from users import roles

logger = logging.getLogger(__name__)


# How this process remembers showtimes whose row lock outlasted a booking's whole budget
# (core.locks.StuckLocks; docs/booking.md, "A showtime locked for a long time").
_stuck_showtimes = StuckLocks()


# --- what a booking gives back ----------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class BookedSeat:
    """One seat of a new reservation, with the price paid and the claim's id (None
    where the database cannot return the ids of a multi-row insert: MySQL)."""

    seat_id: int
    row: str
    number: int
    seat_type: str
    price: Decimal
    claim_id: int | None = None
    ticket_type: str = ADULT
    list_price: Decimal | None = None  # None: the price

    @property
    def label(self) -> str:
        return f"{self.row}{self.number}"

    @property
    def discount(self) -> Decimal:
        return (self.list_price if self.list_price is not None else self.price) - self.price


@dataclasses.dataclass(frozen=True)
class SeatChoice:
    """What a booking asks of one of its seats beyond the seat: its ticket type (a code
    of the showtime's price list) and, at the counter, a price set by hand (None: the
    list price)."""

    seat_id: int
    ticket_type: str = ADULT
    price: Decimal | None = None


@dataclasses.dataclass(frozen=True)
class BookingResult:
    """What ``reservation_create`` did. ``seats`` are in hall order; a ``replayed``
    result (a repeated Idempotency-Key) carries only the earlier reservation."""

    reservation: Reservation
    seats: tuple[BookedSeat, ...] = ()
    movie_title: str | None = None
    hall_name: str | None = None
    replayed: bool = False
    voucher_code: str | None = None

    @property
    def complete(self) -> bool:
        """Everything the API shows of the reservation is here, so it need not be read
        back: a new booking whose claim ids and names are known."""
        return (
            not self.replayed
            and self.movie_title is not None
            and self.hall_name is not None
            and all(seat.claim_id is not None for seat in self.seats)
        )


class Unsettled(models.TextChoices):
    """Why a paid reservation could not be confirmed (``reservation_settle``): the
    payment's refund reason."""

    SEATS_TAKEN = (
        "seats_taken",
        "The hold lapsed and its seats were taken before the payment arrived.",
    )
    SHOWTIME_CLOSED = (
        "showtime_closed",
        "The hold lapsed and the showtime closed before the payment arrived.",
    )
    VOUCHER_EXHAUSTED = (
        "voucher_exhausted",
        "The hold lapsed and its voucher was used up before the payment arrived.",
    )
    CANCELLED = "cancelled", "The reservation was cancelled."
    SCREENING_CANCELLED = "screening_cancelled", "The screening was cancelled."


class _Seat(NamedTuple):
    """A requested seat as the booking reads it. ``position`` orders the hall's seats:
    the stored one for best available, the place in the cached layout (which is in
    position order) for named seats. Its hall's name and the movie's title are for the
    answer (None for best available, whose answer is read back)."""

    id: int
    row: str
    number: int
    seat_type: str
    position: int
    hall_id: int
    hall_name: str | None = None
    movie_title: str | None = None

    @property
    def label(self) -> str:
        return f"{self.row}{self.number}"


@dataclasses.dataclass(frozen=True)
class CounterSale:
    """Who sells at the counter, and to whom: the cashier, and the customer's name and
    email as given (a walk-in has no account; ``reservation_create``'s ``user`` names an
    account when there is one)."""

    cashier: object
    customer_name: str = ""
    customer_email: str = ""
    # Why a price was set by hand (for the audit trail).
    price_reason: str = ""


@dataclasses.dataclass(frozen=True)
class _Request:
    user: object  # None for a walk-in at the counter
    showtime_id: int
    seat_ids: tuple[int, ...]
    hold: bool
    now: datetime
    counter: CounterSale | None = None
    # Best available: this many adjacent seats (of ``seat_type``), chosen under the
    # lock; ``seat_ids`` are then the chosen ones.
    quantity: int | None = None
    seat_type: str | None = None
    # Ticket types and prices set by hand, for the seats that are not plain Adult at the
    # list price; a voucher code; who may set prices by hand (the counter).
    choices: tuple[SeatChoice, ...] = ()
    voucher: str | None = None
    override: Override | None = None

    @property
    def expires_at(self) -> datetime | None:
        return self.now + timedelta(minutes=settings.HOLD_MINUTES) if self.hold else None

    @property
    def key_owner(self):
        """Whose Idempotency-Key this is: the customer's online, the cashier's at the
        counter (a double click at the till)."""
        return self.counter.cashier if self.counter is not None else self.user

    @property
    def capped_user_id(self) -> int:
        """The account whose seats count against MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME:
        the customer online; nobody at the counter (0 matches no account), where the
        cap, a guard against one account emptying a hall online, does not apply."""
        return self.user.pk if self.counter is None else 0


class _ClaimConflict(Exception):
    """The unique key refused a claim. Raised inside the atomic block so that it rolls
    back first; the taken seats are read afterwards (a failed statement may leave the
    transaction unusable on some databases)."""

    def __init__(self, *, showtime_id: int, seat_ids: tuple[int, ...]):
        super().__init__(showtime_id, seat_ids)
        self.showtime_id = showtime_id
        self.seat_ids = seat_ids


# --- the showtime lock ------------------------------------------------------------------
def _lock_showtime(showtime_id: int) -> Showtime:
    """The showtime row, locked (``SELECT ... FOR UPDATE`` of that row alone, on the
    primary), with the fields a booking needs; waiting for the lock at most the whole
    seconds left of the booking's budget, or not at all for a showtime whose lock is
    known to be stuck (``core.locks.StuckLocks``)."""
    return _showtime_of(_locked_row(queries.locked_showtime, showtime_id))


def _lock_showtime_to_book(showtime_id: int) -> tuple[Showtime, dict]:
    """``_lock_showtime``, with what a booking of named seats needs besides, in the same
    round trip: ``queries.LOCKED_TO_BOOK_EXTRAS`` by name."""
    row = _locked_row(queries.locked_showtime_to_book, showtime_id)
    fields = len(queries.LOCKED_SHOWTIME_FIELDS)
    return _showtime_of(row[:fields]), dict(
        zip(queries.LOCKED_TO_BOOK_EXTRAS, row[fields:], strict=True)
    )


def _locked_row(query, showtime_id: int) -> tuple:
    rows = _stuck_showtimes.take(
        showtime_id, lambda wait: query.rows(showtime_id=showtime_id, lock_wait=wait)
    )
    if not rows:
        raise ShowtimeNotFound()
    return tuple(rows[0])


def _showtime_of(row: tuple) -> Showtime:
    values = dict(zip(queries.LOCKED_SHOWTIME_FIELDS, row, strict=True))
    return model_from_row(Showtime, DEFAULT_DB_ALIAS, values)


def _check_open_for(showtime: Showtime, request: _Request) -> None:
    """Online sales close BOOKING_CUTOFF_MINUTES before the start; the counter sells
    until COUNTER_SALES_AFTER_START_MINUTES after it (``counter_sales_open``). A
    showtime the cinema cancelled sells nothing anywhere."""
    _check_not_cancelled(showtime)
    if request.counter is None:
        _check_open(showtime, request.now)
    elif not counter_sales_open(showtime.start_time, request.now):
        raise ShowtimeClosed(
            detail="The counter sells this showtime until "
            f"{settings.COUNTER_SALES_AFTER_START_MINUTES} minutes after it starts."
        )


def _check_not_cancelled(showtime: Showtime) -> None:
    if showtime.cancelled_at is not None:
        raise ShowtimeCancelled()


def _check_open(showtime: Showtime, now: datetime, *, detail: str | None = None) -> None:
    _check_not_cancelled(showtime)
    if not sales_open(showtime.start_time, now):
        raise ShowtimeClosed(detail=detail)


# --- the counters -----------------------------------------------------------------------
def _earliest_hold(showtime_id: int) -> Subquery:
    return Subquery(
        ReservationSeat.objects.filter(showtime_id=showtime_id)
        .holds()
        .order_by()
        .values("showtime_id")
        .annotate(earliest=Min("hold_expires_at"))
        .values("earliest")
    )


def _count(showtime_id: int, *, sold: int = 0, held: int = 0, holds_until=None) -> None:
    """Move the showtime's counters by what the caller just did to its claims: ``sold``
    and ``held`` seats more (or fewer); ``holds_until`` is the expiry of new holds.
    Caller holds the showtime lock.

    Announces ``seats_changed`` once the transaction commits.

    A booking (seats sold) and a hold (seats held) are prepared updates; when holds
    leave ``held`` the earliest expiry is recounted from the claims that remain."""
    if held < 0 or sold < 0:
        # Seats leave the counters: only while they hold that many. A row that has
        # drifted below its claims (rows written by something that bypassed the engine,
        # e.g. an older node during a deploy) is recounted instead of going negative.
        changes, enough = {}, {}
        if held:
            changes["held"] = F("held") + held
            changes["holds_lapse_at"] = _earliest_hold(showtime_id)
            enough["held__gte"] = max(-held, 0)
        if sold:
            changes["sold"] = F("sold") + sold
            enough["sold__gte"] = max(-sold, 0)
        updated = ShowtimeCounters.objects.filter(pk=showtime_id, **enough).update(**changes)
        if not updated and ShowtimeCounters.objects.filter(pk=showtime_id).exists():
            logger.warning("showtime %s: its counters had drifted; recounted", showtime_id)
    elif held > 0:
        assert not sold, "a claim is either held or sold"
        updated = queries.counters_hold.execute(
            showtime_id=showtime_id, seats=held, until=holds_until
        )
    elif sold:
        updated = queries.counters_sell.execute(showtime_id=showtime_id, seats=sold)
    else:
        return
    _announce(showtime_id)
    if not updated:
        # A showtime created without signals (bulk_create, loaddata) has no row until
        # its first claims: count them.
        _recount(showtime_id)


def _announce(showtime_id: int) -> None:
    transaction.on_commit(
        lambda: signals.seats_changed.send(sender=Showtime, showtime_id=showtime_id), robust=True
    )


def _recount(showtime_id: int) -> ShowtimeCounters:
    _announce(showtime_id)
    claims = ReservationSeat.objects.filter(showtime_id=showtime_id)
    holds = claims.holds().aggregate(count=Count("pk"), earliest=Min("hold_expires_at"))
    counters, _ = ShowtimeCounters.objects.update_or_create(
        showtime_id=showtime_id,
        defaults={
            "sold": claims.booked().count(),
            "held": holds["count"],
            "holds_lapse_at": holds["earliest"],
        },
    )
    return counters


def _release_lapsed_holds(*, showtime_id: int, now: datetime) -> tuple[int, int]:
    """Mark the showtime's lapsed holds EXPIRED, free their seats and count them out.
    Caller holds the showtime lock. Returns (reservations expired, claims released).

    The claims of a hold carry the hold's expiry and are released in the same
    transaction as the hold, so when no reservation lapsed no claim did either: the
    common case costs one UPDATE.
    """
    expired = (
        Reservation.objects.filter(showtime_id=showtime_id)
        .lapsed_holds(now)
        .update(status=ReservationStatus.EXPIRED, updated_at=timezone.now())
    )
    if not expired:
        return 0, 0
    released = (
        ReservationSeat.objects.filter(showtime_id=showtime_id).lapsed(now).update(active=None)
    )
    _count(showtime_id, held=-released)
    return expired, released


# --- the booking, step by step ----------------------------------------------------------
def _fingerprint(request: _Request) -> str:
    body = json.dumps(
        {
            "showtime": request.showtime_id,
            "seats": sorted(request.seat_ids),
            "hold": bool(request.hold),
            # A sale at the counter is never the replay of an online booking (nor of a
            # sale to another customer) with the same key.
            "counter": None
            if request.counter is None
            else [
                request.user.pk if request.user is not None else None,
                request.counter.customer_name,
                request.counter.customer_email,
            ],
            # Only for best available, so the fingerprints of seat-id bookings (keys
            # remembered across a deploy) stay as they were.
            **(
                {}
                if request.quantity is None
                else {"quantity": request.quantity, "seat_type": request.seat_type}
            ),
            # Likewise only for ticket types, prices set by hand and vouchers.
            **(
                {}
                if not request.choices
                else {
                    "choices": sorted(
                        [c.seat_id, c.ticket_type, "" if c.price is None else str(c.price)]
                        for c in request.choices
                    )
                }
            ),
            **({} if not request.voucher else {"voucher": request.voucher.strip().upper()}),
        },
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _idempotency_begin(
    request: _Request, key: str
) -> tuple[Reservation | None, IdempotencyKey | None]:
    """Step 1, idempotency: insert the key row in a savepoint. Returns
    ``(earlier_reservation, None)`` when the key was already used for the same request,
    else ``(None, new_key_row)``.

    A concurrent request with the same key blocks on the unique index until the first
    one commits (then this insert fails and, under READ COMMITTED, the committed row is
    visible) or rolls back (then this insert goes through and books).
    """
    if not key or len(key) > 255 or not key.isprintable():
        raise InvalidIdempotencyKey()
    fingerprint = _fingerprint(request)
    stale_before = request.now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    # Keys are compared byte for byte, by their hash: under the database's collation
    # "Order-7f3a" and "order-7F3A" (or "clé" and "cle") would be one key.
    key_hash = idempotency_key_hash(key)
    for _ in range(3):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=request.key_owner,
                    key=key,
                    key_hash=key_hash,
                    request_fingerprint=fingerprint,
                )
            return None, row
        except IntegrityError:
            existing = (
                IdempotencyKey.objects.select_related("reservation")
                .filter(user=request.key_owner, key_hash=key_hash)
                .first()
            )
            if existing is None:
                continue  # removed meanwhile: try to insert again
            if existing.created_at <= stale_before:
                existing.delete()  # an old key is free for a new request
                continue
            if existing.request_fingerprint != fingerprint:
                raise IdempotencyKeyReused() from None
            if existing.reservation is None:
                raise ServiceBusy() from None  # cannot be committed so; be safe
            return existing.reservation, None
    raise ServiceBusy()


def _validate_seat_list(seat_ids: tuple[int, ...]) -> None:
    """Step 2, validation of the list itself: not empty, not too long, no repeats."""
    if not seat_ids:
        raise NoSeatsChosen()
    # The length first: it bounds the cost of the rest (the request's list is unbounded).
    limit = settings.MAX_SEATS_PER_RESERVATION
    if len(seat_ids) > limit:
        raise TooManySeats(
            detail=f"A reservation covers at most {limit} seats; {len(seat_ids)} were asked.",
            limit=limit,
        )
    duplicates = sorted({seat_id for seat_id in seat_ids if seat_ids.count(seat_id) > 1})
    if duplicates:
        raise DuplicateSeats(
            detail=f"These seats appear more than once: {', '.join(map(str, duplicates))}.",
            seats=duplicates,
        )


def _validate_quantity(quantity: int) -> None:
    """Step 2 for best available: 1 to MAX_SEATS_PER_RESERVATION seats."""
    if quantity < 1:
        raise NoSeatsChosen()
    limit = settings.MAX_SEATS_PER_RESERVATION
    if quantity > limit:
        raise TooManySeats(
            detail=f"A reservation covers at most {limit} seats; {quantity} were asked.",
            limit=limit,
        )


def _pick_best(showtime: Showtime, request: _Request) -> tuple[_Request, list[_Seat]]:
    """Best available, under the lock: the hall's seats and the showtime's live claims
    (a lapsed hold's seat is free), read once, and the best block of ``quantity``
    adjacent free seats among them (``seat_picking.best_block``). Returns the request
    with those seats as its ``seat_ids``; NoBlockAvailable (409) with the largest block
    there is when none is free. The normal claim check follows."""
    seats = [
        _Seat(*row)
        for row in Seat.objects.filter(hall_id=showtime.hall_id)
        .order_by("position")
        .values_list(*queries.SEAT_FIELDS)
    ]
    taken = [
        seat_id
        for seat_id, hold_expires_at in ReservationSeat.objects.filter(showtime_id=showtime.pk)
        .active()
        .order_by()
        .values_list("seat_id", "hold_expires_at")
        if claim_status(active=True, hold_expires_at=hold_expires_at, now=request.now)
        != SeatStatus.AVAILABLE
    ]
    pick = seat_picking.best_block(seats, taken, request.quantity, request.seat_type)
    if not pick.seat_ids:
        raise NoBlockAvailable(
            detail=f"No {request.quantity} adjacent free seats"
            f"{f' of type {request.seat_type}' if request.seat_type else ''} in one row; "
            f"the largest block free has {pick.largest}.",
            largest=pick.largest,
        )
    chosen = set(pick.seat_ids)
    return (
        dataclasses.replace(request, seat_ids=pick.seat_ids),
        [seat for seat in seats if seat.id in chosen],
    )


def _seats_to_book(showtime: Showtime, request: _Request, hall: dict) -> list[_Seat]:
    """Step 3b, under the lock: the requested seats, in hall order, every one of them of
    the showtime's hall as it is now (400 ``invalid_seats`` naming the others). They
    come from the process's copy of the hall's layout (``selectors.hall_seats``): a
    hall's seats cannot change while it has showtimes, and the layout's marker, read
    with the locked showtime, tells a copy of a replaced layout apart."""
    layout, index = selectors.hall_seats(
        hall_id=showtime.hall_id,
        marker=(hall["hall_created_at"], hall["hall_capacity"], hall["seat_1"]),
    )
    invalid = [seat_id for seat_id in request.seat_ids if seat_id not in index]
    if invalid:
        raise InvalidSeats(
            detail="These seats do not exist in this showtime's hall: "
            f"{', '.join(map(str, invalid))}.",
            seats=invalid,
        )
    hall_name, movie_title = hall["hall_name"], hall["movie_title"]
    seats = []
    for place in sorted(index[seat_id] for seat_id in request.seat_ids):
        seat_id, row, number, _, seat_type = layout[place]
        seats.append(
            _Seat(
                seat_id, row, number, seat_type, place + 1, showtime.hall_id, hall_name, movie_title
            )
        )
    return seats


def _live_claims_in_the_way(showtime: Showtime, request: _Request) -> list[tuple[int, int]]:
    """Step 4a: ``(seat_id, owner_id)`` of the showtime's live claims that are on a
    requested seat or belong to the customer.

    A requested seat may still be claimed by a hold that has lapsed: then the showtime's
    lapsed holds are released first, so the new claim does not meet the old one in the
    unique key. Lapsed holds elsewhere cost nothing here: every read already treats them
    as free, and ``expire_holds`` tidies them.
    """
    requested = set(request.seat_ids)
    claims = queries.claims_in_the_way.rows(
        showtime_id=showtime.pk, seat_ids=list(request.seat_ids), user_id=request.capped_user_id
    )
    live, lapsed = [], set()
    for seat_id, owner_id, hold_expires_at in claims:
        status = claim_status(active=True, hold_expires_at=hold_expires_at, now=request.now)
        if status == SeatStatus.AVAILABLE:
            lapsed.add(seat_id)
        else:
            live.append((seat_id, owner_id))
    if lapsed & requested:
        _release_lapsed_holds(showtime_id=showtime.pk, now=request.now)
    return live


def _check_claims(showtime: Showtime, request: _Request, seats: list[_Seat]) -> None:
    """Step 4, the claim check: the customer stays within the per-customer cap
    (race-free: counted under the lock), and no requested seat has a live claim (409
    naming every taken seat)."""
    live = _live_claims_in_the_way(showtime, request)
    owned = sum(1 for _, owner_id in live if owner_id == request.capped_user_id)
    cap = settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME
    if request.counter is None and owned + len(seats) > cap:
        raise SeatLimitExceeded(
            detail=f"You may hold or own at most {cap} seats for this showtime; you have "
            f"{owned} and asked for {len(seats)} more.",
            limit=cap,
            owned=owned,
        )
    taken = {seat_id for seat_id, _ in live} & set(request.seat_ids)
    if taken:
        raise SeatsUnavailable(
            seats=[{"id": seat.id, "label": seat.label} for seat in seats if seat.id in taken]
        )


_LIST_PRICES = Pricing(lines=())  # no voucher, no price set by hand


def _price(
    showtime: Showtime, request: _Request, seats: list[_Seat]
) -> tuple[list[BookedSeat], Pricing]:
    """Step 5: each seat's price for its ticket type, a price set by hand at the counter,
    a voucher's discount (``pricing.services.seats_price``, which locks the voucher)."""
    if not request.choices and request.voucher is None:
        # Every seat Adult at its list price, no voucher: the showtime's own prices, with
        # no pricing work (the booking benchmark's path).
        return [
            BookedSeat(
                seat_id=seat.id,
                row=seat.row,
                number=seat.number,
                seat_type=seat.seat_type,
                price=(price := base_price(showtime, seat.seat_type)),
                list_price=price,
            )
            for seat in seats
        ], _LIST_PRICES
    choices = {choice.seat_id: choice for choice in request.choices}
    plain = SeatChoice(0)
    lines = [
        Line(
            seat_id=seat.id,
            seat_type=seat.seat_type,
            ticket_type=choices.get(seat.id, plain).ticket_type,
            price=choices.get(seat.id, plain).price,
        )
        for seat in seats
    ]
    pricing = seats_price(
        showtime=showtime,
        lines=lines,
        voucher_code=request.voucher,
        user_id=request.user.pk if request.user is not None else None,
        now=request.now,
        override=request.override,
    )
    booked = [
        BookedSeat(
            seat_id=seat.id,
            row=seat.row,
            number=seat.number,
            seat_type=seat.seat_type,
            price=line.price,
            ticket_type=line.ticket_type,
            list_price=line.list_price,
        )
        for seat, line in zip(seats, pricing.lines, strict=True)
    ]
    return booked, pricing


def _persist(
    showtime: Showtime, request: _Request, seats: list[BookedSeat], pricing: Pricing
) -> tuple[Reservation, tuple[BookedSeat, ...]]:
    """Step 6: the reservation, its claims and the counters, in the booking's
    transaction; then, for a booking (not a hold), step 7: ``_mark_confirmed``. No
    savepoint around the claims: the showtime lock already excludes a concurrent claim,
    and if the unique key still refuses one, the whole block rolls back (see
    ``reservation_create``)."""
    expires_at = request.expires_at
    created_at = request.now  # the moment of the request (a data load may set it)
    counter = request.counter
    row = {
        "user_id": request.user.pk if request.user is not None else None,
        "sold_by_id": counter.cashier.pk if counter is not None else None,
        "customer_name": counter.customer_name if counter is not None else "",
        "customer_email": counter.customer_email if counter is not None else "",
        "showtime_id": showtime.pk,
        "status": ReservationStatus.HELD if request.hold else ReservationStatus.CONFIRMED,
        # The one sum of the reservation's price: payments charge this total.
        "total_price": money_sum(seat.price for seat in seats),
        "expires_at": expires_at,
        "cancelled_at": None,
        "payment_status": PaymentState.NONE,
        "voucher_id": pricing.voucher.pk if pricing.voucher is not None else None,
        "created_at": created_at,
        "updated_at": created_at,
    }
    (reservation_id,) = queries.reservation_insert.execute([row])
    reservation = model_from_row(Reservation, DEFAULT_DB_ALIAS, {"id": reservation_id, **row})
    reservation.showtime = showtime
    try:
        claim_ids = queries.claims_insert.execute(
            [
                {
                    "reservation_id": reservation_id,
                    "showtime_id": showtime.pk,
                    "seat_id": seat.seat_id,
                    "price": seat.price,
                    "ticket_type": seat.ticket_type,
                    "list_price": seat.list_price,
                    "active": True,
                    "hold_expires_at": expires_at,
                }
                for seat in seats
            ]
        )
    except IntegrityError:
        raise _ClaimConflict(showtime_id=showtime.pk, seat_ids=request.seat_ids) from None
    if request.hold:
        _count(showtime.pk, held=len(seats), holds_until=expires_at)
    else:
        _count(showtime.pk, sold=len(seats))
        # Born CONFIRMED: the rules and what follows a confirmation (step 7).
        _mark_confirmed(reservation, now=request.now, seat_ids=[seat.seat_id for seat in seats])
    booked = tuple(
        dataclasses.replace(seat, claim_id=claim_id)
        for seat, claim_id in zip(seats, claim_ids, strict=True)
    )
    return reservation, booked


def _record_prices_by_hand(
    reservation: Reservation, request: _Request, booked: tuple[BookedSeat, ...]
) -> None:
    """Prices set by hand at the counter go to the audit trail: each seat's list price
    and the price given, and the seller's reason."""
    by_hand = {choice.seat_id for choice in request.choices if choice.price is not None}
    if not by_hand:
        return
    seats = [seat for seat in booked if seat.seat_id in by_hand]
    audit.record(
        audit.Action.OVERRIDE,
        reservation,
        before={seat.label: str(seat.list_price) for seat in seats},
        after={
            **{seat.label: str(seat.price) for seat in seats},
            "reason": request.counter.price_reason if request.counter is not None else "",
        },
    )


@transaction.atomic
def _book(request: _Request, idempotency_key: str | None) -> BookingResult:
    key_row = None
    if idempotency_key is not None:
        earlier, key_row = _idempotency_begin(request, idempotency_key)
        if earlier is not None:
            return BookingResult(reservation=earlier, replayed=True)
    if request.quantity is not None:
        _validate_quantity(request.quantity)
        showtime = _lock_showtime(request.showtime_id)  # step 3, the lock
        _check_open_for(showtime, request)
        request, seats = _pick_best(showtime, request)
    else:
        _validate_seat_list(request.seat_ids)
        showtime, hall = _lock_showtime_to_book(request.showtime_id)  # step 3, the lock
        _check_open_for(showtime, request)
        seats = _seats_to_book(showtime, request, hall)
    _check_claims(showtime, request, seats)
    priced, pricing = _price(showtime, request, seats)
    reservation, booked = _persist(showtime, request, priced, pricing)
    _record_prices_by_hand(reservation, request, booked)
    if key_row is not None:
        key_row.reservation = reservation
        key_row.save(update_fields=["reservation"])
    return BookingResult(
        reservation=reservation,
        seats=booked,
        movie_title=seats[0].movie_title,
        hall_name=seats[0].hall_name,
        voucher_code=pricing.voucher.code if pricing.voucher is not None else None,
    )


# --- the transitions --------------------------------------------------------------------
# Every path that makes a reservation CONFIRMED (a direct booking, confirming a hold, a
# payment online or at the box office) ends in ``_mark_confirmed``; every path that
# cancels one in ``_mark_cancelled``. What follows a transition in other apps hangs
# there, on the engine's signals (bookings/signals.py): payments (a confirmation needs a
# payment when PAYMENT_REQUIRED is on; a cancel refunds), tickets and the emails. All
# run inside the caller's transaction, under the showtime lock it holds, after its
# checks, in the order of the signals' phases.
def _mark_confirmed(
    reservation: Reservation, *, now: datetime, seat_ids: list[int] | None = None
) -> None:
    """The reservation becomes CONFIRMED. A hold's status and claims move (its seats
    from held to sold); a direct booking was written CONFIRMED with its seats sold
    (``_persist``, which passes their ``seat_ids``). Announced before
    (``reservation_confirming``: payments may refuse) and after
    (``reservation_confirmed``: a ticket per seat and the confirmation email in the
    outbox).

    Locks (caller's): the showtime row, then the reservation row (a hold's).
    Errors: PaymentRequired (409, raised by payments' receiver) with PAYMENT_REQUIRED on
    and no SUCCEEDED payment.
    """
    signals.reservation_confirming.send(Reservation, reservation=reservation, now=now)
    if reservation.status == ReservationStatus.HELD:
        reservation.status = ReservationStatus.CONFIRMED
        reservation.expires_at = None
        reservation.save(update_fields=["status", "expires_at", "updated_at"])
        confirmed = reservation.seats.active().update(hold_expires_at=None)
        _count(reservation.showtime_id, sold=confirmed, held=-confirmed)
    signals.reservation_confirmed.send(
        Reservation, reservation=reservation, now=now, seat_ids=seat_ids
    )


def _mark_cancelled(
    reservation: Reservation,
    *,
    now: datetime,
    at_counter: bool,
    screening_cancelled: str | None = None,
    by=None,
) -> None:
    """The reservation (HELD or CONFIRMED) becomes CANCELLED: its seats are free at
    once, it keeps them and their prices as history. First ``reservation_cancelling``:
    its tickets are voided (or the cancel refused, 409 ``checked_in``, if one was used
    at the door) and the cancellation email is written to the outbox; last
    ``reservation_cancelled``: a paid reservation's refund is recorded as due (and asked
    of the provider after the commit; money taken at the box office is handed back
    there: at once ``at_counter``, else owed until staff record handing it over).

    ``screening_cancelled`` is the cinema's reason when it cancelled the whole screening
    (``showtime_cancel``): both signals carry it, so the tickets app voids the tickets
    even of guests already inside and tells the customer why.

    Locks (caller's): the showtime row, then the reservation row; then its tickets, its
    claims and the counters, then its payments."""
    signals.reservation_cancelling.send(
        Reservation, reservation=reservation, now=now, screening_cancelled=screening_cancelled
    )
    was_held = reservation.status == ReservationStatus.HELD
    reservation.status = ReservationStatus.CANCELLED
    reservation.cancelled_at = now
    reservation.save(update_fields=["status", "cancelled_at", "updated_at"])
    released = reservation.seats.active().update(active=None)
    if was_held:
        _count(reservation.showtime_id, held=-released)
    else:
        _count(reservation.showtime_id, sold=-released)
    signals.reservation_cancelled.send(
        Reservation,
        reservation=reservation,
        now=now,
        at_counter=at_counter,
        screening_cancelled=screening_cancelled,
        by=by,
    )


# --- for the payments app: steps inside its own transaction -----------------------------
def reservation_lock(*, reservation_id: int) -> Reservation:
    """The reservation, locked in the engine's order (its showtime's row, then its own),
    for a service of another app that changes it inside its own ``transaction.atomic``
    (wrapped in ``retry_on_lock_errors``), with ``showtime`` the locked showtime (its
    booking fields only). Raises Reservation.DoesNotExist."""
    showtime_id = (
        Reservation.objects.filter(pk=reservation_id).values_list("showtime_id", flat=True).first()
    )
    if showtime_id is None:
        raise Reservation.DoesNotExist()
    showtime = _lock_showtime(showtime_id)
    reservation = _lock_reservation(Reservation(pk=reservation_id))
    reservation.showtime = showtime
    return reservation


def reservation_cancel_refunded(*, reservation: Reservation, now: datetime) -> bool:
    """Cancel a live reservation whose money was given back outside Marquee (a refund
    made in the payment provider's own dashboard), at any time, even after the start:
    it is no longer paid. Its tickets are voided and the customer emailed as on any
    cancel; ReservationCheckedIn (and nothing changed) if a ticket was used at the
    door. Caller holds the locks (``reservation_lock``) and has recorded the payment as
    refunded, so the cancel asks for no refund. Returns whether it was cancelled."""
    if reservation.status not in (ReservationStatus.HELD, ReservationStatus.CONFIRMED):
        return False
    _mark_cancelled(reservation, now=now, at_counter=False)
    return True


def reservation_voucher_apply(*, reservation: Reservation, code: str, now: datetime) -> bool:
    """Discount an unpaid live hold with the voucher ``code`` (at its checkout): its
    claims' prices and its total change, and the hold becomes one of the voucher's uses.
    The same voucher again changes nothing (False); another one, when it has one, is
    VoucherNotApplicable. Caller holds the locks (``reservation_lock``) and has checked
    that no payment is under way. Errors: those of ``pricing.services.voucher_apply``."""
    if reservation.voucher_id is not None:
        if reservation.voucher.code_key == code.strip().upper():
            return False
        raise VoucherNotApplicable(
            detail=f"This reservation already has voucher {reservation.voucher.code}."
        )
    claims = list(reservation.seats.order_by("pk"))
    pricing = voucher_apply(
        code=code,
        showtime=reservation.showtime,
        lines=[
            PricedLine(claim.seat_id, claim.ticket_type, claim.list_price_or_price, claim.price)
            for claim in claims
        ],
        user_id=reservation.user_id,
        now=now,
    )
    for claim, line in zip(claims, pricing.lines, strict=True):
        if claim.price != line.price:
            claim.price, claim.list_price = line.price, line.list_price
            claim.save(update_fields=["price", "list_price"])
    reservation.voucher = pricing.voucher
    reservation.total_price = money_sum(claim.price for claim in claims)
    reservation.save(update_fields=["voucher", "total_price", "updated_at"])
    return True


def reservation_extend_hold(*, reservation: Reservation, until: datetime) -> bool:
    """Move a live hold's expiry (and its claims') to ``until`` if that is later; never
    shorten it. Caller holds the locks (``reservation_lock``). Returns whether it moved."""
    if reservation.status != ReservationStatus.HELD or reservation.expires_at >= until:
        return False
    reservation.expires_at = until
    reservation.save(update_fields=["expires_at", "updated_at"])
    reservation.seats.active().update(hold_expires_at=until)
    # The earliest expiry among the showtime's holds may have been this one.
    ShowtimeCounters.objects.filter(pk=reservation.showtime_id).update(
        holds_lapse_at=_earliest_hold(reservation.showtime_id)
    )
    return True


def _reclaim(reservation: Reservation, *, now: datetime) -> Unsettled | None:
    """A lapsed or expired hold takes its seats back, as a hold, if the showtime is still
    open, no one has taken any of them since, and its voucher (if any) has a use left:
    the lapse gave its use back. Returns None, or why not (``Unsettled``). Caller holds
    the locks; the voucher's is taken last, as at booking."""
    # Lapsed holds (this one too, if it was not marked yet) release their claims first,
    # so the claims taken back cannot meet one of them in the unique key.
    _release_lapsed_holds(showtime_id=reservation.showtime_id, now=now)
    reservation.refresh_from_db(fields=["status", "expires_at"])
    try:
        _check_open(reservation.showtime, now)
    except (ShowtimeClosed, ShowtimeCancelled):
        return Unsettled.SHOWTIME_CLOSED
    seat_ids = list(reservation.seats.values_list("seat_id", flat=True))
    taken = (
        ReservationSeat.objects.filter(showtime_id=reservation.showtime_id, seat_id__in=seat_ids)
        .live(now)
        .exclude(reservation_id=reservation.pk)
        .exists()
    )
    if taken:
        return Unsettled.SEATS_TAKEN
    if reservation.voucher_id is not None and not voucher_use_again(
        voucher_id=reservation.voucher_id, user_id=reservation.user_id, now=now
    ):
        return Unsettled.VOUCHER_EXHAUSTED
    until = now + timedelta(minutes=settings.HOLD_MINUTES)
    reclaimed = reservation.seats.update(active=True, hold_expires_at=until)
    _count(reservation.showtime_id, held=reclaimed, holds_until=until)
    reservation.status = ReservationStatus.HELD
    reservation.expires_at = until
    reservation.save(update_fields=["status", "expires_at", "updated_at"])
    return None


def reservation_settle(*, reservation: Reservation, now: datetime) -> Unsettled | None:
    """Give a reservation that has just been paid its seats: CONFIRMED, through
    ``_mark_confirmed``. Caller holds the locks (``reservation_lock``) and has recorded
    the payment on the reservation.

    A live hold is confirmed (even if the showtime's cutoff passed while the money was
    on its way: the seats were the customer's). A lapsed or expired hold is confirmed
    only if the showtime is still open, none of its seats has been taken since and its
    voucher has a use left (``_reclaim``). A confirmed reservation stays so. Returns
    None once it is CONFIRMED, else why not (``Unsettled``): its seats are gone, the
    showtime closed, its voucher used up, the reservation cancelled or its screening
    being cancelled (``showtime_cancel`` cancels it). The caller then gives the money
    back (the reservation is then EXPIRED, or stays CANCELLED)."""
    if reservation.status == ReservationStatus.CONFIRMED:
        return None
    if reservation.status == ReservationStatus.CANCELLED:
        return Unsettled.CANCELLED
    if reservation.showtime.cancelled_at is not None:
        # A screening being cancelled issues no tickets; the run cancels it.
        return Unsettled.SCREENING_CANCELLED
    if reservation.hold_lapsed(now):
        why_not = _reclaim(reservation, now=now)
        if why_not is not None:
            return why_not
    _mark_confirmed(reservation, now=now)
    return None


# --- services ---------------------------------------------------------------------------
@retry_on_lock_errors
def reservation_create(
    *,
    user,
    showtime_id: int,
    seat_ids: list[int] | None = None,
    hold: bool = False,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    counter: CounterSale | None = None,
    quantity: int | None = None,
    seat_type: str | None = None,
    choices: list[SeatChoice] | None = None,
    voucher: str | None = None,
) -> BookingResult:
    """Book (or, with ``hold``, hold for HOLD_MINUTES) all of ``seat_ids`` or none. With
    PAYMENT_REQUIRED on, every booking is a hold, whatever ``hold`` says.

    Best available: ``quantity`` instead of ``seat_ids`` (one or the other) books the
    best block of that many adjacent free seats of one row (of ``seat_type`` if given),
    chosen under the showtime lock (``seat_picking.best_block``); none free is
    NoBlockAvailable (409, with the largest block there is).

    At the counter (``counter``): sold by its cashier to ``user`` (an account) or to a
    walk-in (``user`` None); open until COUNTER_SALES_AFTER_START_MINUTES after the
    start; no per-customer cap; the Idempotency-Key is the cashier's. The payment that
    confirms it is the caller's (``boxoffice.services.counter_sale_create``, in one
    transaction with this).

    Prices (``pricing.services.seats_price``): each seat Adult at the list price unless
    ``choices`` names its ticket type or, at the counter only and for a seller allowed
    to, a price set by hand (recorded in the audit trail with the counter's
    ``price_reason``); ``voucher``, a code, discounts the seats it applies to and uses
    one of its uses.

    Steps: idempotency (with an ``idempotency_key``, the key row first; a repeat of the
    same request returns the first reservation, ``replayed``), validation, the showtime
    lock, the claim check, pricing, persisting (reservation, claims, counters).

    Errors: ShowtimeNotFound, ShowtimeClosed, NoSeatsChosen, DuplicateSeats, TooManySeats,
    InvalidSeats, SeatLimitExceeded (400); SeatsUnavailable (409) naming every taken
    seat; NoBlockAvailable (409); IdempotencyKeyReused (422); ServiceBusy (503); the
    pricing errors (UnknownTicketType, AgeRestricted, VoucherInvalid 400;
    PriceOverrideRefused 403; VoucherExhausted, VoucherExpired, VoucherNotApplicable
    409). Nothing is written on an error.
    """
    request = _Request(
        user=user,
        showtime_id=showtime_id,
        seat_ids=tuple(seat_ids or ()),
        # With PAYMENT_REQUIRED every booking is a hold, confirmed by its payment.
        hold=hold or settings.PAYMENT_REQUIRED,
        now=now or timezone.now(),
        counter=counter,
        quantity=quantity,
        seat_type=seat_type or None,
        choices=tuple(choice for choice in choices or () if choice != SeatChoice(choice.seat_id)),
        voucher=(voucher or "").strip() or None,
        override=_override_for(counter),
    )
    try:
        return _book(request, idempotency_key)
    except _ClaimConflict as conflict:
        # Only a writer that bypassed the showtime lock can get here; the unique key
        # stopped it. The atomic block has rolled back: name the seats as they are now.
        claims = (
            ReservationSeat.objects.filter(
                showtime_id=conflict.showtime_id, seat_id__in=conflict.seat_ids
            )
            .active()
            .select_related("seat")
            .order_by("seat__position")
        )
        raise SeatsUnavailable(
            seats=[{"id": claim.seat_id, "label": claim.seat.label} for claim in claims]
        ) from None


def _override_for(counter: CounterSale | None) -> Override | None:
    """Who may set prices by hand: a seller at the counter with the right to."""
    role = getattr(counter.cashier, "role", None) if counter is not None else None
    if role is None or not roles.role_may(role, roles.PRICE_BY_HAND):
        return None
    return Override(above_list=roles.role_may(role, roles.PRICE_ABOVE_LIST))


def _lock_reservation(reservation: Reservation) -> Reservation:
    return Reservation.objects.select_for_update().get(pk=reservation.pk)


@retry_on_lock_errors
@transaction.atomic
def reservation_confirm(*, reservation: Reservation, user, now: datetime | None = None):
    """HELD -> CONFIRMED, by the customer who holds it, while the hold is live.

    Locks: the showtime row, then the reservation row.
    Errors: NotReservationOwner (403), HoldExpired, AlreadyConfirmed, AlreadyCancelled,
    NotHeld, PaymentRequired (with PAYMENT_REQUIRED on and no payment) (409),
    ShowtimeClosed (400).
    """
    now = now or timezone.now()
    showtime = _lock_showtime(reservation.showtime_id)
    reservation = _lock_reservation(reservation)
    if reservation.user_id != user.pk:
        raise NotReservationOwner()
    if reservation.status == ReservationStatus.CONFIRMED:
        raise AlreadyConfirmed()
    if reservation.status == ReservationStatus.CANCELLED:
        raise AlreadyCancelled()
    if reservation.hold_lapsed(now):
        raise HoldExpired()
    if reservation.status != ReservationStatus.HELD:
        raise NotHeld()
    _check_open(showtime, now)
    _mark_confirmed(reservation, now=now)
    return reservation


def may_cancel(reservation: Reservation, user) -> bool:
    """Whether ``user`` may cancel ``reservation``: the customer who booked it, an ADMIN,
    or counter staff (``users.roles.CANCEL_COUNTER_SALES``) a sale made at the counter."""
    if user.is_admin_role or (reservation.user_id is not None and reservation.user_id == user.pk):
        return True
    return reservation.at_counter and user.has_perm(roles.CANCEL_COUNTER_SALES)


@retry_on_lock_errors
@transaction.atomic
def reservation_cancel(
    *, reservation: Reservation, by, now: datetime | None = None, at_counter: bool = False
):
    """Cancel a live reservation (its owner, an ADMIN, or - for a counter sale - staff
    whose role cancels counter sales: ``may_cancel``) before the showtime's cutoff.
    The seats are free at once; the reservation keeps its seats and prices as history.
    A paid reservation is refunded through the provider that took the money, after the
    commit (payments, on ``reservation_cancelled``); money taken at the box office is recorded as handed
    back only ``at_counter`` (staff cancelling in the Django admin, where they hand it
    over), and is owed otherwise.

    Locks: the showtime row, then the reservation row, then its tickets and claims.
    Errors: NotReservationOwner (403), AlreadyCancelled, HoldExpired,
    ReservationCheckedIn (409, a ticket was used at the door), ShowtimeClosed (400).
    """
    now = now or timezone.now()
    showtime = _lock_showtime(reservation.showtime_id)
    reservation = _lock_reservation(reservation)
    if not may_cancel(reservation, by):
        raise NotReservationOwner()
    if reservation.status == ReservationStatus.CANCELLED:
        raise AlreadyCancelled()
    if reservation.hold_lapsed(now):
        raise HoldExpired()
    _check_open(showtime, now, detail="This showtime has started; it can no longer be cancelled.")
    before = {"status": reservation.status, "payment_status": reservation.payment_status}
    _mark_cancelled(reservation, now=now, at_counter=at_counter, by=by)
    if by.is_staff:  # a customer cancelling their own booking is not a staff action
        audit.record(
            audit.Action.CANCEL,
            reservation,
            actor=by,
            before=before,
            after={"status": reservation.status, "payment_status": reservation.payment_status},
        )
    return reservation


# --- the cinema cancels a screening ------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ShowtimeCancellation:
    """What ``showtime_cancel`` did: the showtime as cancelled, and how many of its
    reservations this run cancelled (a re-run counts only what it finished)."""

    showtime: Showtime
    reservations_cancelled: int
    newly_cancelled: bool


def showtime_cancel(*, showtime_id: int, reason: str, by, now: datetime | None = None):
    """The cinema cancels a screening, before or after its start (the projector broke):
    the showtime is marked cancelled (it sells nothing more: ``_check_open``), then each
    of its live reservations (HELD or CONFIRMED) is cancelled through ``_mark_cancelled``
    with ``reason``: tickets voided, one cancellation email per confirmed reservation
    saying why, card payments refunded through the provider after each commit, counter
    payments owed (REFUND_PENDING until staff hand the money back).

    Resumable and idempotent: the mark and each reservation are their own short
    transactions, so a crash or an error midway leaves the showtime cancelled and some
    reservations done; a re-run finishes the rest and touches nothing done (a cancelled
    reservation is never cancelled, nor refunded, twice). A refund that the provider
    could not make stays due (REFUND_PENDING / REFUND_FAILED) for ``sync_payments``. The
    first reason given stays the showtime's (the emails already sent gave it).

    Locks: the showtime row for the mark; then, per reservation, the showtime row, the
    reservation row and what ``_mark_cancelled`` locks.
    Errors: ShowtimeNotFound (400); ShowtimeCancelled (409) when the showtime was
    already cancelled and nothing was left to do; ServiceBusy (503).
    """
    now = now or timezone.now()
    showtime, newly = _showtime_mark_cancelled(showtime_id=showtime_id, reason=reason, now=now)
    done = 0
    live = Reservation.objects.filter(showtime_id=showtime_id, status__in=LIVE_STATUSES)
    for reservation_id in live.order_by("pk").values_list("pk", flat=True):
        done += _showtime_reservation_cancel(
            reservation_id=reservation_id, reason=showtime.cancel_reason, now=now
        )
    if not newly and not done:
        raise ShowtimeCancelled(
            detail="This showtime is already cancelled, and all its reservations with it."
        )
    logger.info(
        "showtime %s cancelled by %s (%s): %s reservation(s) cancelled by this run",
        showtime_id,
        by,
        showtime.cancel_reason,
        done,
    )
    return ShowtimeCancellation(
        showtime=showtime, reservations_cancelled=done, newly_cancelled=newly
    )


@retry_on_lock_errors
@transaction.atomic
def _showtime_mark_cancelled(*, showtime_id: int, reason: str, now: datetime):
    _lock_showtime(showtime_id)
    showtime = Showtime.objects.select_related("movie", "hall").get(pk=showtime_id)
    if showtime.cancelled_at is not None:
        return showtime, False
    showtime.cancelled_at, showtime.cancel_reason = now, reason[:500]
    showtime.save(update_fields=["cancelled_at", "cancel_reason"])
    return showtime, True


@retry_on_lock_errors
@transaction.atomic
def _showtime_reservation_cancel(*, reservation_id: int, reason: str, now: datetime) -> int:
    """One reservation of a cancelled screening, in its own transaction; 0 if another
    run (or its customer) got there first. No cutoff: the cinema cancels after the start
    too."""
    reservation = reservation_lock(reservation_id=reservation_id)
    if reservation.status not in LIVE_STATUSES:
        return 0
    _mark_cancelled(reservation, now=now, at_counter=False, screening_cancelled=reason)
    return 1


# --- the confirmation email, again ---------------------------------------------------------
# The outbox kind of the confirmation email. The tickets app builds it (tickets.emails,
# registered in notifications.registry) and writes the first one on confirmation; it is
# named here so that a re-send, which the booking admin offers, needs nothing from tickets.
CONFIRMATION_EMAIL = "reservation_confirmed"
# At most one confirmation a minute per reservation: a double click, or two members of
# staff asked by the same customer, must not fill the customer's inbox.
CONFIRMATION_RESEND_SECONDS = 60


@retry_on_lock_errors
@transaction.atomic
def reservation_resend_confirmation(*, reservation_id: int, now: datetime | None = None) -> str:
    """Write the confirmation email of a CONFIRMED reservation to the outbox again: the
    same message as on confirmation, with its tickets, built at delivery. Returns the
    address it goes to (``Reservation.contact_email``).

    At most one re-send per CONFIRMATION_RESEND_SECONDS per reservation, counted from
    the last re-send written to the outbox for it. The first confirmation does not
    count: a customer at the till who gave a wrong address, or got nothing, has it sent
    again at once. That is read
    under the reservation's row lock, so two requests at once, on any nodes, write one
    email and the other is refused.

    Locks: the reservation row.
    Errors: Reservation.DoesNotExist; NotConfirmed, NoEmailAddress (409);
    ConfirmationSentRecently (429, ``retry_after`` the seconds left).
    """
    now = now or timezone.now()
    reservation = Reservation.objects.select_for_update().get(pk=reservation_id)
    if reservation.status != ReservationStatus.CONFIRMED:
        raise NotConfirmed()
    to = reservation.contact_email
    if not to:
        raise NoEmailAddress()
    window = timedelta(seconds=CONFIRMATION_RESEND_SECONDS)
    last = email_last_enqueued_at(
        kind=CONFIRMATION_EMAIL,
        about={"reservation": reservation.pk, "resent": True},
        since=now - window,
    )
    if last is not None:
        left = (last + window - now).total_seconds()
        raise ConfirmationSentRecently(retry_after=max(1, math.ceil(left)))
    email_enqueue(kind=CONFIRMATION_EMAIL, context={"reservation": reservation.pk, "resent": True})
    return to


def holds_expire(*, now: datetime | None = None) -> tuple[int, int]:
    """Mark every lapsed hold EXPIRED and free its seats, one showtime (one short
    transaction under its lock) at a time. Returns (reservations, seats) released.

    Not needed for correctness: bookings and every read ignore lapsed holds anyway.
    """
    now = now or timezone.now()
    showtime_ids = sorted(
        set(Reservation.objects.lapsed_holds(now).order_by().values_list("showtime_id", flat=True))
    )
    reservations = seats = 0
    for showtime_id in showtime_ids:
        expired, released = _showtime_holds_expire(showtime_id=showtime_id, now=now)
        reservations += expired
        seats += released
    return reservations, seats


@retry_on_lock_errors
@transaction.atomic
def _showtime_holds_expire(*, showtime_id: int, now: datetime) -> tuple[int, int]:
    try:
        _lock_showtime(showtime_id)
    except ShowtimeNotFound:
        return 0, 0
    return _release_lapsed_holds(showtime_id=showtime_id, now=now)


def showtime_counters_create(sender, instance: Showtime, created: bool, raw=False, **kwargs):
    """A new showtime's counters, at zero (``post_save`` of Showtime, bookings.apps)."""
    if created and not raw:
        ShowtimeCounters.objects.create(showtime_id=instance.pk)


@retry_on_lock_errors
@transaction.atomic
def showtime_counters_refresh(*, showtime_id: int) -> ShowtimeCounters:
    """Count the showtime's claims again and store the counters, under the showtime
    lock. For code that writes claims without the booking services (data loads, test
    fixtures); the services keep the counters right by themselves."""
    _lock_showtime(showtime_id)
    return _recount(showtime_id)


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete keys older than IDEMPOTENCY_KEY_HOURS. Returns how many."""
    now = now or timezone.now()
    stale_before = now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=stale_before).delete()
    return deleted
