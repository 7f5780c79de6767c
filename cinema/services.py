"""Writes of the catalogue and the schedule.

Every function here is safe to call from the API, the admin, management commands and
tests: each opens its own ``transaction.atomic`` and validates everything itself.
Field errors are Django ``ValidationError``s keyed by field (the API answers them as
DRF field errors, the admin shows them on the form); business-rule errors are the
``DomainError``s of ``cinema.exceptions``.
"""

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

import audit
from cinema.exceptions import (
    HallInUse,
    HallLayoutLocked,
    MovieDurationLocked,
    MovieInUse,
    PriceListInUse,
    PriceListIsDefault,
    ShowtimeHasReservations,
    ShowtimeInUse,
    ShowtimeOverlap,
)
from cinema.models import (
    ADULT,
    MOVIE_EDITABLE_FIELDS,
    Hall,
    Movie,
    PriceList,
    Seat,
    SeatType,
    Showtime,
    TicketPrice,
    TicketType,
)
from cinema.signals import price_list_changed

MAX_ROWS = 100
# How far ahead a showtime may be scheduled (two years).
SCHEDULE_DAYS_AHEAD = 731
MAX_SEATS_PER_ROW = 100

_UNSET = object()
# What the audit trail keeps of a showtime, and which of it is a price.
SCHEDULE_FIELDS = (
    "movie",
    "hall",
    "start_time",
    "end_time",
    "price",
    "vip_price",
    "price_list",
)
PRICE_FIELDS = frozenset({"price", "vip_price", "price_list"})


# --- Movies ---------------------------------------------------------------------------

MOVIE_FIELDS = MOVIE_EDITABLE_FIELDS


def _full_clean(instance) -> None:
    # Model validators (poster URL schemes, positive duration, choices) and constraints.
    instance.full_clean(exclude=["created_at", "updated_at"])


@transaction.atomic
def movie_create(**fields) -> Movie:
    movie = Movie(**{name: value for name, value in fields.items() if name in MOVIE_FIELDS})
    _full_clean(movie)
    movie.save()
    return movie


@transaction.atomic
def movie_update(*, movie: Movie, **fields) -> Movie:
    """Change a movie. Its duration is locked once it has showtimes (409
    ``duration_locked``): their end times, and so the hall schedule, derive from it."""
    movie = Movie.objects.select_for_update().get(pk=movie.pk)
    duration = fields.get("duration_minutes")
    if duration is not None and duration != movie.duration_minutes and movie.showtimes.exists():
        raise MovieDurationLocked()
    for name, value in fields.items():
        if name in MOVIE_FIELDS:
            setattr(movie, name, value)
    _full_clean(movie)
    movie.save()
    return movie


@transaction.atomic
def movie_delete(*, movie: Movie) -> None:
    """Refused (409 ``protected``) while the movie has any showtime, even one without
    reservations: deleting a film must not silently wipe a published schedule.

    Locks the movie row first, the lock scheduling takes (after the hall's) before it
    inserts a showtime: a showtime scheduled meanwhile is seen here, and a scheduling
    that waited for this delete finds the movie gone (400), never a foreign key error.
    A movie already deleted by someone else is simply gone."""
    movie = Movie.objects.select_for_update().filter(pk=movie.pk).first()
    if movie is None:
        return
    if movie.showtimes.exists():
        raise MovieInUse()
    try:
        with transaction.atomic():
            movie.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise MovieInUse() from exc


# --- Halls ----------------------------------------------------------------------------


def row_label(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, 27 -> AB ... (spreadsheet columns)."""
    label = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        label = chr(ord("A") + remainder) + label
    return label


@dataclass(frozen=True)
class Layout:
    rows: int
    seats_per_row: int
    vip_rows: tuple[str, ...] = ()
    accessible_seats: tuple[str, ...] = ()


def _validate_layout(layout: Layout) -> Layout:
    errors = {}
    if not isinstance(layout.rows, int) or not 1 <= layout.rows <= MAX_ROWS:
        errors["rows"] = f"Give between 1 and {MAX_ROWS} rows."
    if not isinstance(layout.seats_per_row, int) or not (
        1 <= layout.seats_per_row <= MAX_SEATS_PER_ROW
    ):
        errors["seats_per_row"] = f"Give between 1 and {MAX_SEATS_PER_ROW} seats per row."
    if errors:
        raise ValidationError(errors)
    labels = [row_label(i) for i in range(layout.rows)]
    vip_rows = tuple(dict.fromkeys(str(row).strip().upper() for row in layout.vip_rows))
    unknown_rows = [row for row in vip_rows if row not in labels]
    if unknown_rows:
        errors["vip_rows"] = (
            f"Unknown row(s): {', '.join(unknown_rows)}. "
            f"This hall has rows {labels[0]}-{labels[-1]}."
        )
    accessible = tuple(
        dict.fromkeys(str(label).strip().upper() for label in layout.accessible_seats)
    )
    valid_seats = {f"{row}{n}" for row in labels for n in range(1, layout.seats_per_row + 1)}
    unknown_seats = [label for label in accessible if label not in valid_seats]
    if unknown_seats:
        errors["accessible_seats"] = f"Unknown seat(s): {', '.join(unknown_seats)}."
    if errors:
        raise ValidationError(errors)
    return Layout(layout.rows, layout.seats_per_row, vip_rows, accessible)


def build_seats(*, hall: Hall, layout: Layout) -> list[Seat]:
    """Unsaved seats for a (validated) layout: rows lettered from the screen, numbered
    from 1, ``position`` counting row by row. Accessible beats VIP for a seat in both."""
    vip_rows = set(layout.vip_rows)
    accessible = set(layout.accessible_seats)
    seats = []
    for row_index in range(layout.rows):
        row = row_label(row_index)
        for number in range(1, layout.seats_per_row + 1):
            if f"{row}{number}" in accessible:
                seat_type = SeatType.ACCESSIBLE
            elif row in vip_rows:
                seat_type = SeatType.VIP
            else:
                seat_type = SeatType.STANDARD
            seats.append(
                Seat(
                    hall=hall,
                    row=row,
                    number=number,
                    position=row_index * layout.seats_per_row + number,
                    seat_type=seat_type,
                )
            )
    return seats


def _create_seats(*, hall: Hall, layout: Layout) -> None:
    seats = build_seats(hall=hall, layout=layout)
    Seat.objects.bulk_create(seats, batch_size=1000)
    hall.capacity = len(seats)
    hall.save(update_fields=["capacity"])


def _check_hall_name(name: str, *, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A hall needs a name."})
    taken = Hall.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": "A hall with this name already exists."})
    return name


@transaction.atomic
def hall_create(
    *,
    name: str,
    rows: int,
    seats_per_row: int,
    vip_rows: Iterable[str] = (),
    accessible_seats: Iterable[str] = (),
) -> Hall:
    """Create a hall and all its seats in one transaction; ``capacity`` = seats."""
    layout = _validate_layout(Layout(rows, seats_per_row, tuple(vip_rows), tuple(accessible_seats)))
    name = _check_hall_name(name)
    try:
        with transaction.atomic():
            hall = Hall.objects.create(name=name)
    except IntegrityError as exc:  # the same name created at the same moment
        raise ValidationError({"name": "A hall with this name already exists."}) from exc
    _create_seats(hall=hall, layout=layout)
    return hall


@transaction.atomic
def hall_update(*, hall: Hall, name: str | None = None, layout: Layout | None = None) -> Hall:
    """Rename a hall and/or replace its layout. Lock order: the hall row (the same lock
    ``showtime_create`` takes), so no showtime can be scheduled while seats are rebuilt.
    A new layout is refused (409 ``layout_locked``) once the hall has any showtime."""
    hall = Hall.objects.select_for_update().get(pk=hall.pk)
    if layout is not None:
        layout = _validate_layout(layout)
        if hall.showtimes.exists():
            raise HallLayoutLocked()
    if name is not None:
        hall.name = _check_hall_name(name, exclude_pk=hall.pk)
        try:
            with transaction.atomic():
                hall.save(update_fields=["name"])
        except IntegrityError as exc:
            raise ValidationError({"name": "A hall with this name already exists."}) from exc
    if layout is not None:
        hall.seats.all().delete()
        _create_seats(hall=hall, layout=layout)
    return hall


@transaction.atomic
def hall_delete(*, hall: Hall) -> None:
    """Refused (409 ``protected``) while the hall has showtimes; its seats go with it.

    Locks the hall row first, the first lock scheduling takes: a showtime scheduled
    meanwhile is seen here, and a scheduling that waited for this delete finds the
    hall gone (400). A hall already deleted by someone else is simply gone."""
    hall = Hall.objects.select_for_update().filter(pk=hall.pk).first()
    if hall is None:
        return
    if hall.showtimes.exists():
        raise HallInUse()
    try:
        with transaction.atomic():
            hall.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise HallInUse() from exc


# --- Showtimes ------------------------------------------------------------------------


def showtime_end(*, movie: Movie, start_time: dt.datetime) -> dt.datetime:
    """When the hall is free again: start + duration + the cleaning buffer."""
    return start_time + dt.timedelta(
        minutes=movie.duration_minutes + settings.CLEANING_BUFFER_MINUTES
    )


def _check_start(start_time, *, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    if not isinstance(start_time, dt.datetime):
        raise ValidationError({"start_time": "Give a date and time."})
    if timezone.is_naive(start_time):
        raise ValidationError(
            {"start_time": "Give a time zone offset, e.g. 2026-05-01T20:00:00+02:00."}
        )
    if start_time <= now:
        raise ValidationError({"start_time": "The start time is in the past."})
    # A schedule is published weeks ahead; years ahead is a typo (or a probe: near year
    # 9999 the end time would not even fit in a datetime).
    if start_time > now + dt.timedelta(days=SCHEDULE_DAYS_AHEAD):
        raise ValidationError({"start_time": f"Schedule at most {SCHEDULE_DAYS_AHEAD} days ahead."})


def _check_prices(price, vip_price, *, changed: tuple[str, ...] = ("price", "vip_price")) -> None:
    """Both prices positive and sane, and a VIP seat never cheaper than a standard one
    (equal is fine: that is the default). A VIP price below the price is a slip of the
    keyboard (the two fields swapped), not a tariff: refused. Only the fields in
    ``changed`` are checked (the others are stored and valid), and the error names the
    field that was changed: a price raised above the VIP price names the price."""
    errors = {}
    values = {"price": price, "vip_price": vip_price}
    for field in changed:
        value = values[field]
        if not isinstance(value, Decimal | int) or value <= 0:
            errors[field] = "Give a price greater than 0."
        elif Decimal(value) >= Decimal("1000000"):
            errors[field] = "The price is too large."
    if changed and not errors and vip_price < price:
        if "vip_price" in changed:
            errors["vip_price"] = (
                f"The VIP price ({Decimal(vip_price):.2f}) cannot be below the price "
                f"({Decimal(price):.2f})."
            )
        else:
            errors["price"] = (
                f"The price ({Decimal(price):.2f}) cannot be above the VIP price "
                f"({Decimal(vip_price):.2f}); change both together."
            )
    if errors:
        raise ValidationError(errors)


def _lock_halls(*hall_ids) -> dict[int, Hall]:
    """Lock the halls' rows, in a fixed order (by id) so two updates moving showtimes
    between halls cannot deadlock. A hall deleted meanwhile (``hall_delete`` takes the
    same lock) is a field error, not a foreign key error at the insert."""
    halls = {
        hall.pk: hall
        for hall in Hall.objects.select_for_update().filter(pk__in=set(hall_ids)).order_by("pk")
    }
    if set(hall_ids) - halls.keys():
        raise ValidationError({"hall": "This hall no longer exists (it was just deleted)."})
    return halls


def _lock_movie(movie_id: int) -> Movie:
    movie = Movie.objects.select_for_update().filter(pk=movie_id).first()
    if movie is None:
        raise ValidationError({"movie": "This movie no longer exists (it was just deleted)."})
    return movie


def _lock_price_list(price_list: PriceList | None) -> PriceList | None:
    """Share-lock the list a showtime is to sell (``price_list_delete`` takes its row
    lock first): a list deleted meanwhile is a field error, not a foreign key error."""
    if price_list is None:
        return None
    locked = PriceList.objects.select_for_update().filter(pk=price_list.pk).first()
    if locked is None:
        raise ValidationError({"price_list": "This price list no longer exists."})
    return locked


def _check_no_overlap(*, hall: Hall, start: dt.datetime, end: dt.datetime, exclude_pk=None):
    """Half-open ranges [start, end): a show may begin exactly when the previous one
    (including its cleaning buffer) ends. Call with the hall row locked."""
    clashes = Showtime.objects.filter(hall=hall, start_time__lt=end, end_time__gt=start)
    if exclude_pk is not None:
        clashes = clashes.exclude(pk=exclude_pk)
    clash = clashes.select_related("movie").order_by("start_time").first()
    if clash is not None:
        local_start = timezone.localtime(clash.start_time)
        local_end = timezone.localtime(clash.end_time)
        raise ShowtimeOverlap(
            detail=(
                f"{hall.name} is busy then: showtime {clash.pk} ({clash.movie.title}) runs "
                f"from {local_start:%Y-%m-%d %H:%M} to {local_end:%H:%M} including the "
                f"{settings.CLEANING_BUFFER_MINUTES}-minute cleaning buffer."
            ),
            clash={
                "id": clash.pk,
                "movie": clash.movie.title,
                "start_time": local_start.isoformat(),
                "end_time": local_end.isoformat(),
            },
        )


@transaction.atomic
def showtime_create(
    *,
    movie: Movie,
    hall: Hall,
    start_time: dt.datetime,
    price: Decimal,
    vip_price: Decimal | None = None,
    price_list: PriceList | None = None,
    now: dt.datetime | None = None,
) -> Showtime:
    """Schedule a showtime. ``vip_price`` defaults to ``price``. ``now`` is the moment
    the schedule is made (the present unless given: the demo data schedules its past
    showtimes as of a day before they start).

    Lock order: the hall row (``SELECT ... FOR UPDATE``), then the movie row (so its
    duration cannot change under us: ``movie_update`` refuses a new duration once the
    movie is scheduled), then the overlap query, then the insert; two admins scheduling
    the same hall at once are serialised by the hall lock, so exactly one of two clashing
    showtimes is created.
    ``price_list``: the ticket types it sells (None: the default list).
    Errors: field ``ValidationError`` (naive or past start, price <= 0, a VIP price below
    the price, a price list just deleted) and ``ShowtimeOverlap`` (400, naming the
    clashing showtime).
    """
    _check_start(start_time, now=now)
    if vip_price is None:
        vip_price = price
        _check_prices(price, vip_price, changed=("price",))
    else:
        _check_prices(price, vip_price)
    hall = _lock_halls(hall.pk)[hall.pk]
    movie = _lock_movie(movie.pk)
    price_list = _lock_price_list(price_list)
    end_time = showtime_end(movie=movie, start_time=start_time)
    _check_no_overlap(hall=hall, start=start_time, end=end_time)
    showtime = Showtime.objects.create(
        movie=movie,
        hall=hall,
        start_time=start_time,
        end_time=end_time,
        price=price,
        vip_price=vip_price,
        price_list=price_list,
    )
    audit.record(
        audit.Action.SHOWTIME_CREATE, showtime, after=audit.snapshot(showtime, SCHEDULE_FIELDS)
    )
    return showtime


@transaction.atomic
def showtime_update(
    *,
    showtime: Showtime,
    movie: Movie = _UNSET,
    hall: Hall = _UNSET,
    start_time: dt.datetime = _UNSET,
    price: Decimal = _UNSET,
    vip_price: Decimal = _UNSET,
    price_list: PriceList | None = _UNSET,
) -> Showtime:
    """Change a showtime; only the arguments given change (``price_list=None``: the
    default list).

    Once a showtime has any reservation (even a cancelled one, whose seats still point
    to this hall) only its prices may change: moving it would break tickets already
    sold (409 ``showtime_has_reservations``). New prices apply to new bookings only.
    Lock order: the old and new hall rows by id, then the showtime row, then the movie
    row when the showtime moves.
    """
    halls = _lock_halls(showtime.hall_id, *([hall.pk] if hall is not _UNSET else []))
    current = (
        Showtime.objects.select_for_update()
        .select_related("movie", "hall")
        .filter(pk=showtime.pk)
        .first()
    )
    if current is None:
        raise Showtime.DoesNotExist("This showtime was just deleted.")
    before = audit.snapshot(current, SCHEDULE_FIELDS)
    new_movie = current.movie if movie is _UNSET else movie
    new_hall = current.hall if hall is _UNSET else halls[hall.pk]
    new_start = current.start_time if start_time is _UNSET else start_time
    moves = (
        new_movie.pk != current.movie_id
        or new_hall.pk != current.hall_id
        or new_start != current.start_time
    )
    if moves:
        if current.reservations.exists():
            raise ShowtimeHasReservations()
        _check_start(new_start)
    new_price = current.price if price is _UNSET else price
    new_vip_price = current.vip_price if vip_price is _UNSET else vip_price
    given = (("price", price), ("vip_price", vip_price))
    _check_prices(
        new_price,
        new_vip_price,
        changed=tuple(name for name, value in given if value is not _UNSET),
    )
    if moves:
        new_movie = _lock_movie(new_movie.pk)
        new_end = showtime_end(movie=new_movie, start_time=new_start)
        _check_no_overlap(hall=new_hall, start=new_start, end=new_end, exclude_pk=current.pk)
        current.end_time = new_end
    current.movie = new_movie
    current.hall = new_hall
    current.start_time = new_start
    current.price = new_price
    current.vip_price = new_vip_price
    if price_list is not _UNSET:
        current.price_list = _lock_price_list(price_list)
    current.save()
    _audit_update(current, before)
    return current


def _audit_update(showtime: Showtime, before: dict) -> None:
    """A price change and a move are told apart in the trail (a price is money); one
    call that does both writes both."""
    old, new = audit.changed(before, audit.snapshot(showtime, SCHEDULE_FIELDS))
    prices = {name for name in new if name in PRICE_FIELDS}
    if prices:
        audit.record(
            audit.Action.PRICE_CHANGE,
            showtime,
            before={name: old[name] for name in prices},
            after={name: new[name] for name in prices},
        )
    if new.keys() - prices:
        audit.record(
            audit.Action.SHOWTIME_UPDATE,
            showtime,
            before={name: old[name] for name in new.keys() - prices},
            after={name: new[name] for name in new.keys() - prices},
        )


@transaction.atomic
def showtime_delete(*, showtime: Showtime) -> None:
    """Refused (409 ``protected``) once the showtime has reservations (PROTECT).

    Takes the showtime's row lock first, the lock every booking takes, so no reservation
    can appear between the check and the delete."""
    try:
        locked = Showtime.objects.select_for_update().get(pk=showtime.pk)
    except Showtime.DoesNotExist:
        return
    if locked.reservations.exists():
        raise ShowtimeInUse()
    # Written first (while the row has its id), in the same transaction: a refused
    # delete rolls the entry back with it.
    audit.record(
        audit.Action.SHOWTIME_DELETE, locked, before=audit.snapshot(locked, SCHEDULE_FIELDS)
    )
    try:
        with transaction.atomic():
            locked.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise ShowtimeInUse() from exc


# --- Price lists ----------------------------------------------------------------------


@dataclass(frozen=True)
class TicketTypeSpec:
    """A ticket type as staff give it: its prices per seat type (``SeatType`` values);
    the base type ``adult`` takes none (it sells at each showtime's own prices)."""

    code: str
    name: str
    max_age: int | None = None
    prices: Mapping[str, Decimal] = dataclasses.field(default_factory=dict)


def check_ticket_types(specs: list[TicketTypeSpec]) -> list[TicketTypeSpec]:
    """The rules of a list's ticket types, for the API and the admin alike: the base type
    ``adult`` is there and has no prices, codes are unique, prices are per known seat
    type and not negative. Field errors under ``ticket_types``."""
    problems = []
    codes = [spec.code.strip().lower() for spec in specs]
    if ADULT not in codes:
        problems.append(f'A price list always sells the base type "{ADULT}".')
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        problems.append(f"Each code once: {', '.join(duplicates)} repeated.")
    for spec, code in zip(specs, codes, strict=True):
        if code == ADULT and spec.prices:
            problems.append(f'"{ADULT}" takes no prices: it sells at each showtime\'s own prices.')
        unknown = sorted(set(spec.prices) - set(SeatType.values))
        if unknown:
            problems.append(
                f"{code}: unknown seat type(s) {', '.join(unknown)} "
                f"(give {', '.join(SeatType.values)})."
            )
        for amount in spec.prices.values():
            if not _valid_amount(amount):
                problems.append(f"{code}: give prices from 0 to 999999.99.")
                break
    if problems:
        raise ValidationError({"ticket_types": problems})
    return [
        TicketTypeSpec(code, spec.name.strip(), spec.max_age, dict(spec.prices))
        for spec, code in zip(specs, codes, strict=True)
    ]


def _valid_amount(amount) -> bool:
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return False
    return value.is_finite() and Decimal("0") <= value < Decimal("1000000")


def check_price_list_name(name: str, *, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A price list needs a name."})
    taken = PriceList.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": "A price list with this name already exists."})
    return name


def _write_ticket_types(price_list: PriceList, specs: list[TicketTypeSpec]) -> None:
    """Replace the list's ticket types with ``specs`` (checked), in their order: a type
    whose code stays keeps its row; the others go. Reservations name types by code."""
    existing = {kind.code: kind for kind in price_list.ticket_types.all()}
    price_list.ticket_types.exclude(code__in=[spec.code for spec in specs]).delete()
    errors = {}
    for position, spec in enumerate(specs):
        kind = existing.get(spec.code) or TicketType(price_list=price_list, code=spec.code)
        kind.name, kind.max_age, kind.position = spec.name, spec.max_age, position
        try:
            kind.full_clean(exclude=["price_list"], validate_unique=False)
        except ValidationError as exc:
            errors.update({f"{spec.code or '?'} {k}": v for k, v in exc.message_dict.items()})
            continue
        kind.save()
        kind.prices.all().delete()
        TicketPrice.objects.bulk_create(
            TicketPrice(ticket_type=kind, seat_type=seat_type, amount=Decimal(amount))
            for seat_type, amount in sorted(spec.prices.items())
        )
    if errors:
        raise ValidationError({"ticket_types": [f"{k}: {' '.join(v)}" for k, v in errors.items()]})


def price_list_default() -> PriceList:
    """The default price list, with its base type Adult: the one the schema's migration
    made, or made again where it is gone (a database emptied since, e.g. by a
    transactional test's flush)."""
    default, _ = PriceList.objects.get_or_create(is_default=True, defaults={"name": "Standard"})
    TicketType.objects.get_or_create(
        price_list=default, code=ADULT, defaults={"name": "Adult", "position": 0}
    )
    return default


def _lock_all_lists() -> None:
    """Making a list the default locks every list first, by id: two lists made the
    default at once are serialised (each sees the other's commit), and cannot deadlock."""
    list(PriceList.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def _make_default(price_list: PriceList) -> None:
    """Exactly one default: this one, the others no longer. Call with ``_lock_all_lists``
    held."""
    PriceList.objects.filter(is_default=True).exclude(pk=price_list.pk).update(is_default=False)
    if not price_list.is_default:
        price_list.is_default = True
        price_list.save(update_fields=["is_default"])


def _price_list_snapshot(price_list: PriceList) -> dict:
    """What the audit trail keeps of a list: its name, whether default, and each type
    with its prices."""
    return {
        "name": price_list.name,
        "is_default": price_list.is_default,
        "ticket_types": {
            kind.code: {
                "name": kind.name,
                "max_age": kind.max_age,
                "prices": {price.seat_type: str(price.amount) for price in kind.prices.all()},
            }
            for kind in price_list.ticket_types.prefetch_related("prices").order_by("position")
        },
    }


def _audit_price_list(price_list: PriceList, before: dict, *, deleted: bool = False) -> None:
    after = {} if deleted else _price_list_snapshot(price_list)
    old, new = audit.changed(before, after) if before and after else (before, after)
    if old or new:
        audit.record(audit.Action.PRICE_LIST_CHANGE, price_list, before=old, after=new)


def _changed_after_commit() -> None:
    transaction.on_commit(lambda: price_list_changed.send(sender=PriceList))


@transaction.atomic
def price_list_create(
    *, name: str, ticket_types: list[TicketTypeSpec], is_default: bool = False
) -> PriceList:
    """A new price list with its ticket types (which must include ``adult``). Made the
    default when ``is_default``: the previous default stops being one."""
    specs = check_ticket_types(ticket_types)
    if is_default:
        _lock_all_lists()
    name = check_price_list_name(name)
    try:
        with transaction.atomic():
            price_list = PriceList.objects.create(name=name)
    except IntegrityError as exc:  # the same name created at the same moment
        raise ValidationError({"name": "A price list with this name already exists."}) from exc
    _write_ticket_types(price_list, specs)
    if is_default:
        _make_default(price_list)
    _audit_price_list(price_list, {})
    _changed_after_commit()
    return price_list


@transaction.atomic
def price_list_update(
    *,
    price_list: PriceList,
    name: str = _UNSET,
    ticket_types: list[TicketTypeSpec] = _UNSET,
    is_default: bool = _UNSET,
) -> PriceList:
    """Rename a list, replace its ticket types (all of them, ``adult`` included), or make
    it the default. The default cannot stop being one by itself (400): make another
    list the default. New prices apply to new bookings only."""
    if is_default is True:
        _lock_all_lists()
    locked = PriceList.objects.select_for_update().filter(pk=price_list.pk).first()
    if locked is None:
        raise PriceList.DoesNotExist("This price list was just deleted.")
    if is_default is False and locked.is_default:
        raise ValidationError(
            {"is_default": "There is always one default list: make another list the default."}
        )
    before = _price_list_snapshot(locked)
    if ticket_types is not _UNSET:
        specs = check_ticket_types(ticket_types)
    if name is not _UNSET:
        locked.name = check_price_list_name(name, exclude_pk=locked.pk)
        try:
            with transaction.atomic():
                locked.save(update_fields=["name"])
        except IntegrityError as exc:
            raise ValidationError({"name": "A price list with this name already exists."}) from exc
    if ticket_types is not _UNSET:
        _write_ticket_types(locked, specs)
    if is_default is True:
        _make_default(locked)
    _audit_price_list(locked, before)
    _changed_after_commit()
    return locked


@transaction.atomic
def price_list_delete(*, price_list: PriceList) -> None:
    """Refused (409 ``protected``) for the default list and while a showtime sells the
    list. Locks its row first, the lock scheduling a showtime with it takes."""
    locked = PriceList.objects.select_for_update().filter(pk=price_list.pk).first()
    if locked is None:
        return
    if locked.is_default:
        raise PriceListIsDefault()
    if locked.showtimes.exists():
        raise PriceListInUse()
    # Written first (while the row has its id), in the same transaction.
    _audit_price_list(locked, _price_list_snapshot(locked), deleted=True)
    try:
        with transaction.atomic():
            locked.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise PriceListInUse() from exc
    _changed_after_commit()
