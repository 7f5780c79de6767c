"""What each seat of a booking costs (docs/pricing.md).

The booking engine calls ``seats_price`` under the showtime lock, inside its
transaction, with the seats asked for and their ticket types, the voucher code if any
and a price set by hand at the counter. Money arithmetic is core.money's: the list
price of each seat, a voucher's discount per seat (a percentage of each seat,
``percent_of``; a fixed amount split over the seats it applies to, ``allocate``), the
price charged = list price - discount. The reservation's total is the sum of the prices
charged (the engine's ``money_sum``), and that is what the provider charges.

Lock order: the booking's showtime row (the caller's), then the voucher's row, so two
bookings using the last use of one voucher for different showtimes are serialised on
the voucher and exactly one gets it.
"""

import dataclasses
import time
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

import audit
from cinema.models import ADULT, Movie, Showtime, TicketType
from core.money import allocate, money_sum, percent_of
from pricing.exceptions import (
    AgeRestricted,
    PriceOverrideRefused,
    UnknownTicketType,
    VoucherExhausted,
    VoucherExpired,
    VoucherInUse,
    VoucherInvalid,
    VoucherNotApplicable,
)
from pricing.models import DiscountKind, Voucher


def base_price(showtime: Showtime, seat_type: str) -> Decimal:
    """The base type's (Adult's) price of a seat type: the showtime's own."""
    return showtime.price_for(seat_type)


@dataclasses.dataclass(frozen=True)
class TicketTypeInfo:
    """A ticket type as a showtime sells it: its own prices per seat type (the rest are
    the showtime's own)."""

    code: str
    name: str
    max_age: int | None
    prices: dict[str, Decimal]

    def price(self, showtime: Showtime, seat_type: str) -> Decimal:
        own = self.prices.get(seat_type)
        return own if own is not None else base_price(showtime, seat_type)


@dataclasses.dataclass(frozen=True)
class Line:
    """One seat asked for: its type, and a price set by hand at the counter (None:
    the list price)."""

    seat_id: int
    seat_type: str
    ticket_type: str = ADULT
    price: Decimal | None = None


@dataclasses.dataclass(frozen=True)
class PricedLine:
    seat_id: int
    ticket_type: str
    list_price: Decimal
    price: Decimal  # what is charged

    @property
    def discount(self) -> Decimal:
        return self.list_price - self.price


@dataclasses.dataclass(frozen=True)
class Pricing:
    """Each seat's prices, in the order asked, and the voucher used (its row locked)."""

    lines: tuple[PricedLine, ...]
    voucher: Voucher | None = None


@dataclasses.dataclass(frozen=True)
class Override:
    """Who may set prices by hand, and how far: anyone selling at the counter down to
    PRICE_OVERRIDE_FLOOR_PERCENT of the list price and up to it; an ADMIN above it too."""

    above_list: bool


BASE_NAME = "Adult"


def ticket_types(price_list_id: int | None, *, fresh: bool = True) -> tuple[TicketTypeInfo, ...]:
    """The ticket types of a price list (None: the default list), in its order, with
    their own prices (one query). The base type is always there, even in a list that
    lost it. ``fresh=False`` may answer from this process' copy of the last
    TICKET_TYPES_CACHE_SECONDS (the seat map); a booking always reads."""
    key = price_list_id or 0
    if not fresh:
        cached = _types_cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
    rows = (
        TicketType.objects.filter(
            **(
                {"price_list_id": price_list_id}
                if price_list_id is not None
                else {"price_list__is_default": True}
            )
        )
        .order_by("position", "id", "prices__seat_type")
        .values_list("code", "name", "max_age", "prices__seat_type", "prices__amount")
    )
    types: dict[str, TicketTypeInfo] = {}
    for code, name, max_age, seat_type, amount in rows:
        info = types.setdefault(code, TicketTypeInfo(code, name, max_age, {}))
        if seat_type is not None and code != ADULT:
            info.prices[seat_type] = amount
    if ADULT not in types:
        types = {ADULT: TicketTypeInfo(ADULT, BASE_NAME, None, {}), **types}
    found = tuple(types.values())
    _types_cache[key] = (time.monotonic() + settings.TICKET_TYPES_CACHE_SECONDS, found)
    return found


_types_cache: dict[int, tuple[float, tuple[TicketTypeInfo, ...]]] = {}


def forget_ticket_types() -> None:
    _types_cache.clear()


def ticket_type_name(price_list_id: int | None, code: str) -> str:
    """How people read a ticket type: its name in the price list (None: the default
    one), from this process' copy of a few seconds; a type the list no longer has, by
    its code."""
    for info in ticket_types(price_list_id, fresh=False):
        if info.code == code:
            return info.name
    return code.replace("-", " ").replace("_", " ").capitalize()


def _check_types(showtime: Showtime, lines: list[Line]) -> dict[str, TicketTypeInfo]:
    asked = {line.ticket_type for line in lines}
    if asked == {ADULT}:
        return {ADULT: TicketTypeInfo(ADULT, BASE_NAME, None, {})}
    known = {info.code: info for info in ticket_types(showtime.price_list_id)}
    unknown = sorted(asked - known.keys())
    if unknown:
        raise UnknownTicketType(
            detail=f"This showtime sells no ticket of type {', '.join(unknown)}; it sells "
            f"{', '.join(known)}.",
            ticket_types=list(known),
        )
    limited = [known[code] for code in asked if known[code].max_age is not None]
    if limited:
        rating = int(
            Movie.objects.filter(showtimes=showtime.pk).values_list("age_rating", flat=True)[0]
        )
        for info in limited:
            # Its holders are all under max_age: if that is no older than the rating,
            # none of them may see the movie.
            if info.max_age <= rating:
                raise AgeRestricted(
                    detail=f"{info.name} tickets are for people under {info.max_age}; "
                    f"this movie is rated {rating}+.",
                    age_rating=rating,
                )
    return known


def _override(line: Line, list_price: Decimal, override: Override | None) -> Decimal:
    if line.price is None:
        return list_price
    floor = percent_of(list_price, Decimal(settings.PRICE_OVERRIDE_FLOOR_PERCENT))
    highest = None if override is not None and override.above_list else list_price
    if override is None or line.price < floor or (highest is not None and line.price > highest):
        raise PriceOverrideRefused(
            detail="A price set by hand is for the counter, between "
            f"{floor} and {highest if highest is not None else 'any amount'}.",
            lowest=str(floor),
            highest=str(highest) if highest is not None else "",
        )
    return line.price


def seats_price(
    *,
    showtime: Showtime,
    lines: list[Line],
    voucher_code: str | None = None,
    user_id: int | None = None,
    now: datetime,
    override: Override | None = None,
) -> Pricing:
    """Each seat's list price for its ticket type, a price set by hand where the seller
    may (``override``), and the voucher's discount. Adult seats and no voucher cost no
    query. Caller holds the showtime lock; the voucher's row is locked here.

    Errors: UnknownTicketType, AgeRestricted, VoucherInvalid (400);
    PriceOverrideRefused (403); VoucherExhausted, VoucherExpired, VoucherNotApplicable
    (409)."""
    types = _check_types(showtime, lines)
    priced = []
    for line in lines:
        list_price = types[line.ticket_type].price(showtime, line.seat_type)
        priced.append(
            PricedLine(
                line.seat_id, line.ticket_type, list_price, _override(line, list_price, override)
            )
        )
    if not voucher_code:
        return Pricing(tuple(priced))
    voucher = voucher_claim(code=voucher_code, showtime=showtime, user_id=user_id, now=now)
    eligible = [
        i
        for i, line in enumerate(lines)
        if line.price is None
        and (not voucher.ticket_type or line.ticket_type == voucher.ticket_type)
    ]
    if not eligible:
        raise VoucherNotApplicable(
            detail=f"Voucher {voucher.code} is for {voucher.ticket_type} tickets only."
            if voucher.ticket_type
            else f"Voucher {voucher.code} does not apply to seats priced by hand."
        )
    return Pricing(_discounted(priced, eligible, voucher), voucher=voucher)


def voucher_apply(
    *, code: str, showtime: Showtime, lines: list[PricedLine], user_id: int | None, now: datetime
) -> Pricing:
    """A voucher on seats already priced (a hold paid later: the checkout): the seats at
    their list price (none discounted or priced by hand before) of the voucher's ticket
    type get its discount. Locks the voucher; errors as ``seats_price``."""
    voucher = voucher_claim(code=code, showtime=showtime, user_id=user_id, now=now)
    eligible = [
        i
        for i, line in enumerate(lines)
        if line.price == line.list_price
        and (not voucher.ticket_type or line.ticket_type == voucher.ticket_type)
    ]
    if not eligible:
        raise VoucherNotApplicable(detail=f"Voucher {voucher.code} applies to none of these seats.")
    return Pricing(_discounted(list(lines), eligible, voucher), voucher=voucher)


def _discounted(
    priced: list[PricedLine], eligible: list[int], voucher: Voucher
) -> tuple[PricedLine, ...]:
    """``priced`` with the voucher's discount on the lines at ``eligible``."""
    discounts = _discounts(voucher, [priced[i].list_price for i in eligible])
    for i, discount in zip(eligible, discounts, strict=True):
        priced[i] = dataclasses.replace(priced[i], price=priced[i].list_price - discount)
    return tuple(priced)


def _discounts(voucher: Voucher, prices: list[Decimal]) -> list[Decimal]:
    if voucher.kind == DiscountKind.PERCENT:
        return [percent_of(price, voucher.value) for price in prices]
    return allocate(min(voucher.value, money_sum(prices)), prices)


def voucher_claim(*, code: str, showtime: Showtime, user_id: int | None, now: datetime) -> Voucher:
    """The voucher named ``code`` (any case), locked, if it may be used now for this
    showtime by this customer (``user_id``; None: a walk-in at the counter, who has no
    per-customer count). Uses are its live reservations, counted under the lock."""
    voucher = (
        Voucher.objects.select_for_update()
        .filter(code_key=code.strip().upper(), active=True)
        .first()
    )
    if voucher is None:
        raise VoucherInvalid(detail=f"There is no voucher {code.strip()!r}.")
    if voucher.valid_until is not None and now >= voucher.valid_until:
        raise VoucherExpired(
            detail=f"Voucher {voucher.code} expired on {voucher.valid_until:%Y-%m-%d %H:%M %Z}."
        )
    if voucher.valid_from is not None and now < voucher.valid_from:
        raise VoucherNotApplicable(
            detail=f"Voucher {voucher.code} is valid from {voucher.valid_from:%Y-%m-%d %H:%M %Z}."
        )
    if voucher.showtime_id is not None and voucher.showtime_id != showtime.pk:
        raise VoucherNotApplicable(detail=f"Voucher {voucher.code} is for another showtime.")
    if voucher.movie_id is not None and voucher.movie_id != showtime.movie_id:
        raise VoucherNotApplicable(detail=f"Voucher {voucher.code} is for another movie.")
    _check_uses(voucher, user_id=user_id, now=now)
    return voucher


def voucher_use_again(*, voucher_id: int, user_id: int | None, now: datetime) -> bool:
    """Whether a reservation whose hold lapsed, and so stopped being one of the voucher's
    uses, may be one again (it was paid late and takes its seats back): the voucher is
    locked and its live uses counted, as at booking. Its validity window is not asked
    again: the price was agreed while it was valid."""
    voucher = Voucher.objects.select_for_update().get(pk=voucher_id)
    try:
        _check_uses(voucher, user_id=user_id, now=now)
    except VoucherExhausted:
        return False
    return True


def _check_uses(voucher: Voucher, *, user_id: int | None, now: datetime) -> None:
    if voucher.max_uses is None and (voucher.max_uses_per_customer is None or user_id is None):
        return
    # Its live reservations (the engine's rule, through the reverse relation).
    uses = voucher.reservations.live(now)
    if voucher.max_uses is not None and uses.count() >= voucher.max_uses:
        raise VoucherExhausted(
            detail=f"Voucher {voucher.code} has been used {voucher.max_uses} times, its limit."
        )
    per_customer = voucher.max_uses_per_customer
    if (
        per_customer is not None
        and user_id is not None
        and uses.filter(user_id=user_id).count() >= per_customer
    ):
        raise VoucherExhausted(
            detail=f"You have used voucher {voucher.code} {voucher.max_uses_per_customer} "
            "time(s), as often as one customer may."
        )


# --- staff write vouchers (the API and the admin) -----------------------------------------

VOUCHER_FIELDS = (
    "code",
    "description",
    "kind",
    "value",
    "valid_from",
    "valid_until",
    "movie",
    "showtime",
    "ticket_type",
    "max_uses",
    "max_uses_per_customer",
    "active",
)


def _check_voucher(voucher: Voucher) -> None:
    """Field errors for what the table's constraints would refuse without naming a
    field (a percentage above 100, a window ending before it starts), a code taken in
    any case, and the model's own validators."""
    errors: dict[str, list[str]] = {}
    voucher.code = (voucher.code or "").strip()
    if voucher.kind == DiscountKind.PERCENT and voucher.value is not None and voucher.value > 100:
        errors.setdefault("value", []).append("A percentage is at most 100.")
    if voucher.valid_from and voucher.valid_until and voucher.valid_until <= voucher.valid_from:
        errors.setdefault("valid_until", []).append("The window ends after it starts.")
    taken = Voucher.objects.filter(code_key=voucher.code.upper()).exclude(pk=voucher.pk)
    if voucher.code and taken.exists():
        errors.setdefault("code", []).append("A voucher with this code exists (in any case).")
    try:
        voucher.full_clean(exclude=["code_key", "created_at"], validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _save_voucher(voucher: Voucher, before: dict) -> Voucher:
    _check_voucher(voucher)
    try:
        with transaction.atomic():
            voucher.save()
    except IntegrityError as exc:  # the same code saved at the same moment
        raise ValidationError({"code": "A voucher with this code exists (in any case)."}) from exc
    after = audit.snapshot(voucher, VOUCHER_FIELDS)
    old, new = audit.changed(before, after) if before else ({}, after)
    if old or new:
        audit.record(audit.Action.VOUCHER_CHANGE, voucher, before=old, after=new)
    return voucher


@transaction.atomic
def voucher_create(**fields) -> Voucher:
    """A new voucher: ``VOUCHER_FIELDS``; field errors as ``ValidationError``."""
    return _save_voucher(
        Voucher(**{name: value for name, value in fields.items() if name in VOUCHER_FIELDS}), {}
    )


@transaction.atomic
def voucher_update(*, voucher: Voucher, **fields) -> Voucher:
    """Change the fields given. Uses already made stay; new limits count them."""
    locked = Voucher.objects.select_for_update().filter(pk=voucher.pk).first()
    if locked is None:
        raise Voucher.DoesNotExist("This voucher was just deleted.")
    before = audit.snapshot(locked, VOUCHER_FIELDS)
    for name, value in fields.items():
        if name in VOUCHER_FIELDS:
            setattr(locked, name, value)
    return _save_voucher(locked, before)


@transaction.atomic
def voucher_delete(*, voucher: Voucher) -> None:
    """Refused (409 ``protected``) once a reservation used it (even one cancelled since:
    it keeps its discount's history); deactivate it instead."""
    locked = Voucher.objects.select_for_update().filter(pk=voucher.pk).first()
    if locked is None:
        return
    if locked.reservations.exists():
        raise VoucherInUse()
    audit.record(audit.Action.VOUCHER_CHANGE, locked, before=audit.snapshot(locked, VOUCHER_FIELDS))
    try:
        with transaction.atomic():
            locked.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise VoucherInUse() from exc
