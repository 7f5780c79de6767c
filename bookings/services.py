"""The booking engine: every write to reservations and seat claims goes through here.

Lock order, everywhere: the Showtime row first, then the Reservation row, then the seat
claims. Every write that touches claims of a showtime holds that showtime's row lock, so
within the lock a plain read of the claims is the truth; the unique key
(showtime, seat, active) of ReservationSeat is the last line of defence behind it.

Each public service runs in its own ``transaction.atomic``. On MySQL/MariaDB a deadlock
(1213) or lock-wait timeout (1205) retries the whole block a bounded number of times
(``BOOKING_RETRY_ATTEMPTS``) within ``DB_LOCK_WAIT_BUDGET`` seconds, then answers 503
with Retry-After (ServiceBusy).
"""

import functools
import hashlib
import json
import logging
import math
import random
import threading
import time
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    OperationalError,
    connections,
    transaction,
)
from django.utils import timezone

from bookings.exceptions import (
    AlreadyCancelled,
    AlreadyConfirmed,
    DuplicateSeats,
    HoldExpired,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidSeats,
    NoSeatsChosen,
    NotHeld,
    NotReservationOwner,
    SeatLimitExceeded,
    SeatsUnavailable,
    ShowtimeClosed,
    ShowtimeNotFound,
    TooManySeats,
)
from bookings.models import (
    IdempotencyKey,
    Reservation,
    ReservationSeat,
    ReservationStatus,
    idempotency_key_hash,
)
from cinema.models import Hall, Movie, Seat, Showtime
from config.exceptions import ServiceBusy, is_lock_error
from users.permissions import is_admin

logger = logging.getLogger(__name__)


# --- plumbing ---------------------------------------------------------------------------
# The deadline (time.monotonic()) by which the current booking must have its showtime
# lock: set by retry_on_lock_errors for the whole series of attempts.
_lock_deadline: ContextVar[float | None] = ContextVar("marquee_lock_deadline", default=None)


def _lock_wait_left() -> float | None:
    deadline = _lock_deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def retry_on_lock_errors(func):
    """Run ``func`` (an atomic block) again when the database reports a deadlock or a
    lock-wait timeout, at most BOOKING_RETRY_ATTEMPTS times and within
    DB_LOCK_WAIT_BUDGET seconds in all; then raise ServiceBusy (503) with that budget
    as its Retry-After.

    The budget bounds the wait for the showtime lock: each attempt waits at most the
    whole seconds left of it (``FOR UPDATE WAIT n`` on MariaDB), so a showtime locked
    for a long time costs a booking about DB_LOCK_WAIT_BUDGET seconds, not attempts x
    innodb_lock_wait_timeout. A deadlock fails fast and is worth another try. Once a
    showtime's lock outlasted a whole budget, the process stops waiting for it for a
    while (``_StuckLocks``).

    Retrying only makes sense for a whole transaction: inside an outer atomic block the
    transaction is already doomed, so there the error propagates untouched.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if transaction.get_connection().in_atomic_block:
            return func(*args, **kwargs)
        retries = max(0, settings.BOOKING_RETRY_ATTEMPTS)
        budget = max(0, settings.DB_LOCK_WAIT_BUDGET)
        token = _lock_deadline.set(time.monotonic() + budget)
        try:
            for attempt in range(retries + 1):
                try:
                    return func(*args, **kwargs)
                except OperationalError as exc:
                    if not is_lock_error(exc):
                        raise
                    if attempt == retries or _lock_wait_left() < 1:
                        logger.warning(
                            "%s gave up after %d tries: %s",
                            getattr(func, "__name__", "booking"),
                            attempt + 1,
                            exc,
                        )
                        raise ServiceBusy(retry_after=max(1, budget)) from exc
                    # Jitter so the losers of a deadlock do not collide again in step.
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311
        finally:
            _lock_deadline.reset(token)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


class _StuckLocks:
    """Showtimes whose row lock outlasted a booking's whole budget: a stuck transaction
    or a slow admin operation, not the milliseconds another booking holds it.

    While a showtime is marked, this process's bookings of it take the lock only if it
    is free at once (NOWAIT) and otherwise answer 503 ``busy`` at once, instead of each
    holding a worker thread for the whole budget. Every STUCK_RETRY_SECONDS one booking
    (a probe) waits the budget again; the first booking that gets the lock, probe or
    not, clears the mark. A hot showtime, whose lock is only ever held briefly, is never
    marked: its bookings queue for the lock as before.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._retry_at: dict[int, float] = {}  # showtime id -> when a booking may wait

    def may_wait(self, showtime_id: int) -> bool:
        with self._lock:
            retry_at = self._retry_at.get(showtime_id)
            if retry_at is None:
                return True
            now = time.monotonic()
            if now < retry_at:
                return False
            # This booking is the probe; the next one waits a window later.
            self._retry_at[showtime_id] = now + STUCK_RETRY_SECONDS
            return True

    def timed_out(self, showtime_id: int) -> None:
        with self._lock:
            self._retry_at[showtime_id] = time.monotonic() + STUCK_RETRY_SECONDS

    def locked(self, showtime_id: int) -> None:
        if showtime_id in self._retry_at:
            with self._lock:
                self._retry_at.pop(showtime_id, None)


# How long a process leaves a stuck showtime lock alone before a booking waits for it
# again (docs/booking.md, "A showtime locked for a long time").
STUCK_RETRY_SECONDS = 10
_stuck_locks = _StuckLocks()


# The fields of the locked showtime a booking needs. Only the showtime row is locked:
# a select_related join would lock the movie and hall rows too (FOR UPDATE locks every
# joined row on MySQL/MariaDB), serialising bookings of every showtime of that hall.
_LOCKED_SHOWTIME_FIELDS = ("id", "movie_id", "hall_id", "start_time", "price", "vip_price")


# The hot queries of a booking, written out: building them with the ORM was about a
# third of a booking's time (docs/performance.md). Identifiers come from the models'
# metadata (quoted per database, the SQL kept per database alias); every value is a
# parameter. Each function states the ORM query it stands for.
_SQL: dict[tuple[str, str], tuple] = {}


def _prepared(connection, name: str, build) -> tuple:
    key = (connection.alias, name)
    prepared = _SQL.get(key)
    if prepared is None:
        prepared = _SQL[key] = build(connection.ops.quote_name, connection)
    return prepared


def _converters(model, names: tuple[str, ...], connection) -> list[tuple]:
    """Django's own converters for the columns ``names`` of ``model``, as the ORM
    applies them to a row: ``[(position, converters, column), ...]``."""
    table = model._meta.db_table
    found = []
    for position, name in enumerate(names):
        column = model._meta.get_field(name).get_col(table)
        functions = connection.ops.get_db_converters(
            column
        ) + column.output_field.get_db_converters(connection)
        if functions:
            found.append((position, functions, column))
    return found


def _convert(row, converters, connection) -> list:
    values = list(row)
    for position, functions, column in converters:
        value = values[position]
        for convert in functions:
            value = convert(value, column, connection)
        values[position] = value
    return values


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


_RESERVATION_INSERT = (
    "user_id",
    "showtime_id",
    "status",
    "total_price",
    "expires_at",
    "cancelled_at",
    "created_at",
    "updated_at",
)
_CLAIM_INSERT = ("reservation_id", "showtime_id", "seat_id", "price", "active", "hold_expires_at")


def _insert_sql(model, names: tuple[str, ...], count: int, q, connection) -> tuple:
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(q(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = model._meta.db_table
    # Identifiers only, from the model's metadata; every value is a parameter.
    sql = f"INSERT INTO {q(table)} ({columns}) VALUES " + ", ".join([row] * count)  # noqa: S608
    features = connection.features
    returning = (
        features.can_return_rows_from_bulk_insert
        if count > 1
        else features.can_return_columns_from_insert
    )
    if returning:
        sql += f" RETURNING {q(model._meta.pk.column)}"
    return sql, fields, returning, table


def _insert(model, names: tuple[str, ...], rows: list[tuple]) -> list[int | None]:
    """``model.objects.bulk_create`` of ``rows`` (values of the fields ``names``) as one
    INSERT on the primary, each value prepared by its model field as Django prepares it.
    Returns the new ids in row order; ``None`` for each when the database cannot return
    the ids of a multi-row insert (MySQL; MariaDB and SQLite can)."""
    connection = transaction.get_connection()
    sql, fields, returning, table = _prepared(
        connection,
        f"insert:{model._meta.label}:{','.join(names)}:{len(rows)}",
        functools.partial(_insert_sql, model, names, len(rows)),
    )
    params = [
        field.get_db_prep_save(value, connection)
        for values in rows
        for field, value in zip(fields, values, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            return [row[0] for row in cursor.fetchall()]
        if len(rows) == 1:
            return [connection.ops.last_insert_id(cursor, table, model._meta.pk.column)]
    return [None] * len(rows)


def _lock_showtime_sql(q, connection) -> tuple:
    columns = ", ".join(
        q(Showtime._meta.get_field(name).column) for name in _LOCKED_SHOWTIME_FIELDS
    )
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        f"SELECT {columns} FROM {q(Showtime._meta.db_table)} "  # noqa: S608
        f"WHERE {q('id')} = %s{lock}"
    )
    # On MySQL/MariaDB this one lock wait is bounded by the booking's budget: MariaDB
    # takes WAIT n (whole seconds; 0 is NOWAIT); MySQL only NOWAIT, otherwise its
    # innodb_lock_wait_timeout applies and the budget is checked between attempts.
    bounded = None
    if lock and connection.vendor == "mysql":
        bounded = "mariadb" if connection.mysql_is_mariadb else "mysql"
    return sql, _converters(Showtime, _LOCKED_SHOWTIME_FIELDS, connection), bounded


def _lock_showtime(showtime_id: int) -> Showtime:
    """``Showtime.objects.select_for_update().only(*_LOCKED_SHOWTIME_FIELDS)
    .get(pk=showtime_id)`` on the primary (the connection of the open transaction),
    waiting for the lock at most the whole seconds left of the booking's budget."""
    connection = transaction.get_connection()
    sql, converters, bounded = _prepared(connection, "lock_showtime", _lock_showtime_sql)
    left = _lock_wait_left()
    wait = None
    if bounded and left is not None:
        # Whole seconds, rounded so that a fresh 2 s budget waits 2 s, not 1.
        wait = max(0, math.ceil(left - 0.25)) if _stuck_locks.may_wait(showtime_id) else 0
        if bounded == "mariadb":
            sql = f"{sql} WAIT {wait}"
        elif wait == 0:
            sql = f"{sql} NOWAIT"
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql, [showtime_id])
        except OperationalError as exc:
            if wait and is_lock_error(exc) and _lock_wait_left() < 1:
                _stuck_locks.timed_out(showtime_id)  # held for a whole budget
            raise
        row = cursor.fetchone()
    if wait is not None:
        _stuck_locks.locked(showtime_id)
    if row is None:
        raise ShowtimeNotFound()
    return Showtime.from_db(
        connection.alias, _LOCKED_SHOWTIME_FIELDS, _convert(row, converters, connection)
    )


def _hold_lapsed(reservation: Reservation, now: datetime) -> bool:
    """Expired, whether or not the clean-up has marked it so yet."""
    return reservation.status == ReservationStatus.EXPIRED or (
        reservation.status == ReservationStatus.HELD and reservation.expires_at <= now
    )


def _is_closed(showtime: Showtime, now: datetime) -> bool:
    cutoff = showtime.start_time - timedelta(minutes=settings.BOOKING_CUTOFF_MINUTES)
    return now >= cutoff


def _expire_holds_sql(q, connection) -> str:
    return (
        f"UPDATE {q(Reservation._meta.db_table)} SET {q('status')} = %s, "  # noqa: S608
        f"{q('updated_at')} = %s WHERE {q('showtime_id')} = %s AND {q('status')} = %s "
        f"AND {q('expires_at')} <= %s"
    )


def _release_expired_holds(*, showtime_id: int, now: datetime) -> tuple[int, int]:
    """Mark the showtime's lapsed holds EXPIRED and free their seats. Caller holds the
    showtime lock. Returns (reservations expired, claims released).

    The claims of a hold carry the hold's expiry and are released in the same
    transaction as the hold, so when no reservation lapsed no claim did either: the
    common case costs one UPDATE.
    """
    # Reservation.objects.filter(showtime_id=showtime_id, status=HELD,
    # expires_at__lte=now).update(status=EXPIRED, updated_at=timezone.now())
    connection = transaction.get_connection()
    sql = _prepared(connection, "expire_holds", _expire_holds_sql)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                ReservationStatus.EXPIRED.value,
                adapt(timezone.now()),
                showtime_id,
                ReservationStatus.HELD.value,
                adapt(now),
            ],
        )
        expired = cursor.rowcount
    if not expired:
        return 0, 0
    released = ReservationSeat.objects.filter(
        showtime_id=showtime_id, active=True, hold_expires_at__lte=now
    ).update(active=None)
    return expired, released


def _taken_seats(*, showtime_id: int, seat_ids: Iterable[int]) -> list[dict]:
    claims = (
        ReservationSeat.objects.filter(showtime_id=showtime_id, seat_id__in=list(seat_ids))
        .filter(active=True)
        .select_related("seat")
        .order_by("seat__position")
    )
    return [{"id": claim.seat_id, "label": claim.seat.label} for claim in claims]


def _live_claims_sql(q, connection) -> str:
    claims, reservations = (q(model._meta.db_table) for model in (ReservationSeat, Reservation))
    return (
        f"SELECT c.{q('seat_id')}, r.{q('user_id')}, "  # noqa: S608
        f"(c.{q('hold_expires_at')} IS NOT NULL AND c.{q('hold_expires_at')} <= %s) "
        f"FROM {claims} c "
        f"INNER JOIN {reservations} r ON r.{q('id')} = c.{q('reservation_id')} "
        f"WHERE c.{q('showtime_id')} = %s AND c.{q('active')} = %s "
        f"AND (c.{q('seat_id')} IN ({{seats}}) OR r.{q('user_id')} = %s)"
    )


def _live_claims(
    *, showtime_id: int, seat_ids: list[int], user, now: datetime
) -> list[tuple[int, int, bool]]:
    """``(seat_id, owner_id, lapsed)`` of the showtime's active claims that are on one of
    ``seat_ids`` or belong to ``user``: the taken check and the per-customer count in
    one query; ``lapsed`` marks a hold that expired by ``now`` but is not released yet.
    Caller holds the showtime lock.

    ``ReservationSeat.objects.filter(showtime_id=showtime_id, active=True).filter(
    Q(seat_id__in=seat_ids) | Q(reservation__user_id=user.pk))
    .values_list("seat_id", "reservation__user_id", <hold_expires_at <= now>)``"""
    connection = transaction.get_connection()
    sql = _prepared(connection, "live_claims", _live_claims_sql)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.format(seats=_placeholders(seat_ids)),
            [
                connection.ops.adapt_datetimefield_value(now),
                showtime_id,
                True,
                *seat_ids,
                user.pk,
            ],
        )
        return list(cursor.fetchall())


_SEAT_COLUMNS = ("id", "row", "number", "seat_type", "position", "hall_id")


def _seats_of_showtime_sql(q, connection) -> str:
    seat, hall, showtime, movie = (
        q(model._meta.db_table) for model in (Seat, Hall, Showtime, Movie)
    )
    columns = ", ".join(f"se.{q(name)}" for name in _SEAT_COLUMNS)
    return (
        f"SELECT {columns}, h.{q('name')}, m.{q('title')} FROM {seat} se "  # noqa: S608
        f"INNER JOIN {hall} h ON h.{q('id')} = se.{q('hall_id')} "
        f"INNER JOIN {showtime} st ON st.{q('hall_id')} = h.{q('id')} "
        f"INNER JOIN {movie} m ON m.{q('id')} = st.{q('movie_id')} "
        f"WHERE se.{q('id')} IN ({{seats}}) AND st.{q('id')} = %s "
        f"ORDER BY se.{q('position')}"
    )


def _seats_of_showtime(*, showtime_id: int, seat_ids: list[int]) -> list[dict]:
    """The requested seats that belong to the showtime's hall, in hall order, with the
    hall's name and the movie's title (for the response). Read before the showtime lock:
    a hall's seats cannot change while it has showtimes (its layout is locked), and the
    caller checks under the lock that the showtime is still in the same hall.

    ``Seat.objects.filter(pk__in=seat_ids, hall__showtimes__pk=showtime_id)
    .order_by("position").values(*_SEAT_COLUMNS, hall_name=F("hall__name"),
    movie_title=F("hall__showtimes__movie__title"))`` on the primary."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql = _prepared(connection, "seats_of_showtime", _seats_of_showtime_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(seats=_placeholders(seat_ids)), [*seat_ids, showtime_id])
        rows = cursor.fetchall()
    keys = (*_SEAT_COLUMNS, "hall_name", "movie_title")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _seats_in_hall(*, hall_id: int, seat_ids: list[int]) -> list[dict]:
    return list(
        Seat.objects.using(DEFAULT_DB_ALIAS)
        .filter(hall_id=hall_id, pk__in=seat_ids)
        .order_by("position")
        .values("id", "row", "number", "seat_type", "position", "hall_id")
    )


class _ClaimConflict(Exception):
    """The unique key refused a claim. Raised inside the atomic block so that it rolls
    back first; the taken seats are read afterwards (a failed statement may leave the
    transaction unusable on some databases)."""

    def __init__(self, *, showtime_id: int, seat_ids: list[int]):
        super().__init__(showtime_id, seat_ids)
        self.showtime_id = showtime_id
        self.seat_ids = seat_ids


def _fingerprint(*, showtime_id: int, seat_ids: list[int], hold: bool) -> str:
    body = json.dumps(
        {"showtime": showtime_id, "seats": sorted(seat_ids), "hold": bool(hold)},
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _idempotency_begin(
    *, user, key: str, fingerprint: str, now: datetime
) -> tuple[Reservation | None, IdempotencyKey | None]:
    """Insert the key row in a savepoint. Returns ``(earlier_reservation, None)`` when
    the key was already used for the same request, else ``(None, new_key_row)``.

    A concurrent request with the same key blocks on the unique index until the first
    one commits (then this insert fails and, under READ COMMITTED, the committed row is
    visible) or rolls back (then this insert goes through and books).
    """
    if not key or len(key) > 255 or not key.isprintable():
        raise InvalidIdempotencyKey()
    stale_before = now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    # Keys are compared byte for byte, by their hash: under the database's collation
    # "Order-7f3a" and "order-7F3A" (or "clé" and "cle") would be one key.
    key_hash = idempotency_key_hash(key)
    for _ in range(3):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=user, key=key, key_hash=key_hash, request_fingerprint=fingerprint
                )
            return None, row
        except IntegrityError:
            existing = (
                IdempotencyKey.objects.select_related("reservation")
                .filter(user=user, key_hash=key_hash)
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


def _validate_seat_list(seat_ids: list[int]) -> None:
    if not seat_ids:
        raise NoSeatsChosen()
    duplicates = sorted({seat_id for seat_id in seat_ids if seat_ids.count(seat_id) > 1})
    if duplicates:
        raise DuplicateSeats(
            detail=f"These seats appear more than once: {', '.join(map(str, duplicates))}.",
            seats=duplicates,
        )
    limit = settings.MAX_SEATS_PER_RESERVATION
    if len(seat_ids) > limit:
        raise TooManySeats(
            detail=f"A reservation covers at most {limit} seats; {len(seat_ids)} were asked.",
            limit=limit,
        )


# --- services ---------------------------------------------------------------------------
@retry_on_lock_errors
def reservation_create(
    *,
    user,
    showtime_id: int,
    seat_ids: list[int],
    hold: bool = False,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Reservation:
    """Book (or, with ``hold``, hold for HOLD_MINUTES) all of ``seat_ids`` or none.

    Locks: the showtime row, then inserts the claims. With an ``idempotency_key`` the key
    row is inserted first; a repeat of the same request returns the first reservation.

    Errors: ShowtimeNotFound, ShowtimeClosed, NoSeatsChosen, DuplicateSeats, TooManySeats,
    InvalidSeats, SeatLimitExceeded (400); SeatsUnavailable (409) naming every taken
    seat; IdempotencyKeyReused (422); ServiceBusy (503). Nothing is written on an error.

    The new reservation comes back with its showtime (movie title, hall name) and its
    seats already attached, so it can be rendered without reading it again
    (``reservation.prefilled``); a replayed one does not have them.
    """
    try:
        return _reservation_create(
            user=user,
            showtime_id=showtime_id,
            seat_ids=seat_ids,
            hold=hold,
            idempotency_key=idempotency_key,
            now=now,
        )
    except _ClaimConflict as conflict:
        # Only a writer that bypassed the showtime lock can get here; the unique key
        # stopped it. The atomic block has rolled back: name the seats as they are now.
        raise SeatsUnavailable(
            seats=_taken_seats(showtime_id=conflict.showtime_id, seat_ids=conflict.seat_ids)
        ) from None


@transaction.atomic
def _reservation_create(
    *,
    user,
    showtime_id: int,
    seat_ids: list[int],
    hold: bool,
    idempotency_key: str | None,
    now: datetime | None,
) -> Reservation:
    now = now or timezone.now()
    seat_ids = list(seat_ids)
    key_row = None
    if idempotency_key is not None:
        fingerprint = _fingerprint(showtime_id=showtime_id, seat_ids=seat_ids, hold=hold)
        earlier, key_row = _idempotency_begin(
            user=user, key=idempotency_key, fingerprint=fingerprint, now=now
        )
        if earlier is not None:
            earlier.replayed = True
            earlier.prefilled = False
            return earlier

    _validate_seat_list(seat_ids)
    # Seats come from the primary: the booking decides on fresh data, never a replica.
    # Read before the lock, which then stays shorter by one round trip.
    seats = _seats_of_showtime(showtime_id=showtime_id, seat_ids=seat_ids)
    showtime = _lock_showtime(showtime_id)
    if _is_closed(showtime, now):
        raise ShowtimeClosed()

    prefilled = True
    if len(seats) != len(seat_ids) or any(s["hall_id"] != showtime.hall_id for s in seats):
        # Unknown seats, or the showtime moved to another hall meanwhile: decide on the
        # hall as it is under the lock.
        seats = _seats_in_hall(hall_id=showtime.hall_id, seat_ids=seat_ids)
        prefilled = False
    if len(seats) != len(seat_ids):
        found = {seat["id"] for seat in seats}
        invalid = [seat_id for seat_id in seat_ids if seat_id not in found]
        raise InvalidSeats(
            detail="These seats do not exist in this showtime's hall: "
            f"{', '.join(map(str, invalid))}.",
            seats=invalid,
        )

    requested = set(seat_ids)
    claims = _live_claims(showtime_id=showtime.pk, seat_ids=seat_ids, user=user, now=now)
    if any(lapsed and seat_id in requested for seat_id, _, lapsed in claims):
        # A requested seat is still claimed by a hold that has lapsed: release the
        # showtime's lapsed holds now, so the new claim does not meet the old one in the
        # unique key. Lapsed holds elsewhere cost nothing here: every read already treats
        # them as free, and `expire_holds` tidies them.
        _release_expired_holds(showtime_id=showtime.pk, now=now)
    owned = 0
    taken_ids = set()
    for seat_id, owner_id, lapsed in claims:
        if lapsed:
            continue
        if owner_id == user.pk:
            owned += 1
        if seat_id in requested:
            taken_ids.add(seat_id)

    cap = settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME
    if owned + len(seats) > cap:
        raise SeatLimitExceeded(
            detail=f"You may hold or own at most {cap} seats for this showtime; you have "
            f"{owned} and asked for {len(seats)} more.",
            limit=cap,
            owned=owned,
        )
    if taken_ids:
        raise SeatsUnavailable(
            seats=[
                {"id": seat["id"], "label": f"{seat['row']}{seat['number']}"}
                for seat in seats
                if seat["id"] in taken_ids
            ]
        )

    expires_at = now + timedelta(minutes=settings.HOLD_MINUTES) if hold else None
    seat_objects = [
        Seat(
            pk=seat["id"],
            hall_id=seat["hall_id"],
            row=seat["row"],
            number=seat["number"],
            position=seat["position"],
            seat_type=seat["seat_type"],
        )
        for seat in seats
    ]
    prices = {seat.pk: showtime.price_for(seat.seat_type) for seat in seat_objects}
    status = ReservationStatus.HELD if hold else ReservationStatus.CONFIRMED
    total_price = sum(prices.values(), Decimal("0"))
    created_at = timezone.now()
    (reservation_id,) = _insert(
        Reservation,
        _RESERVATION_INSERT,
        [(user.pk, showtime.pk, status, total_price, expires_at, None, created_at, created_at)],
    )
    reservation = Reservation(
        pk=reservation_id,
        user=user,
        showtime=showtime,
        status=status,
        total_price=total_price,
        expires_at=expires_at,
        cancelled_at=None,
        created_at=created_at,
        updated_at=created_at,
    )
    reservation._state.adding = False
    reservation._state.db = DEFAULT_DB_ALIAS
    # No savepoint: the showtime lock already excludes a concurrent claim, and if the
    # unique key still refuses one, the whole block rolls back (see reservation_create).
    try:
        claim_ids = _insert(
            ReservationSeat,
            _CLAIM_INSERT,
            [
                (reservation_id, showtime.pk, seat.pk, prices[seat.pk], True, expires_at)
                for seat in seat_objects
            ],
        )
    except IntegrityError:
        raise _ClaimConflict(showtime_id=showtime.pk, seat_ids=seat_ids) from None
    claims = [
        ReservationSeat(
            pk=claim_id,
            reservation=reservation,
            showtime=showtime,
            seat=seat,
            price=prices[seat.pk],
            active=True,
            hold_expires_at=expires_at,
        )
        for claim_id, seat in zip(claim_ids, seat_objects, strict=True)
    ]

    if key_row is not None:
        key_row.reservation = reservation
        key_row.save(update_fields=["reservation"])
    reservation.replayed = False
    # Attach what the response shows, so the view need not read the reservation again.
    # Databases that cannot return the ids of bulk-inserted rows (MySQL, unlike MariaDB
    # and SQLite) leave the claims without ids: then the view reads it again.
    reservation.prefilled = prefilled and all(claim.pk is not None for claim in claims)
    if reservation.prefilled:
        showtime.movie = Movie(pk=showtime.movie_id, title=seats[0]["movie_title"])
        showtime.hall = Hall(pk=showtime.hall_id, name=seats[0]["hall_name"])
        # What prefetch_related("seats") would leave: a queryset with its rows loaded.
        seats_cache = ReservationSeat.objects.filter(reservation=reservation)
        seats_cache._result_cache = claims
        seats_cache._prefetch_done = True
        reservation._prefetched_objects_cache = {"seats": seats_cache}
    return reservation


@retry_on_lock_errors
@transaction.atomic
def reservation_confirm(*, reservation: Reservation, user, now: datetime | None = None):
    """HELD -> CONFIRMED, by the customer who holds it, while the hold is live.

    Locks: the showtime row, then the reservation row.
    Errors: NotReservationOwner (403), HoldExpired, AlreadyConfirmed, AlreadyCancelled,
    NotHeld (409), ShowtimeClosed (400).
    """
    now = now or timezone.now()
    showtime = _lock_showtime(reservation.showtime_id)
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if reservation.user_id != user.pk:
        raise NotReservationOwner()
    if reservation.status == ReservationStatus.CONFIRMED:
        raise AlreadyConfirmed()
    if reservation.status == ReservationStatus.CANCELLED:
        raise AlreadyCancelled()
    if _hold_lapsed(reservation, now):
        raise HoldExpired()
    if reservation.status != ReservationStatus.HELD:
        raise NotHeld()
    if _is_closed(showtime, now):
        raise ShowtimeClosed()

    reservation.status = ReservationStatus.CONFIRMED
    reservation.expires_at = None
    reservation.save(update_fields=["status", "expires_at", "updated_at"])
    reservation.seats.filter(active=True).update(hold_expires_at=None)
    return reservation


@retry_on_lock_errors
@transaction.atomic
def reservation_cancel(*, reservation: Reservation, by, now: datetime | None = None):
    """Cancel a live reservation (its owner or an ADMIN) before the showtime's cutoff.
    The seats are free at once; the reservation keeps its seats and prices as history.

    Locks: the showtime row, then the reservation row, then its claims.
    Errors: NotReservationOwner (403), AlreadyCancelled, HoldExpired (409),
    ShowtimeClosed (400).
    """
    now = now or timezone.now()
    showtime = _lock_showtime(reservation.showtime_id)
    reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if reservation.user_id != by.pk and not is_admin(by):
        raise NotReservationOwner()
    if reservation.status == ReservationStatus.CANCELLED:
        raise AlreadyCancelled()
    if _hold_lapsed(reservation, now):
        raise HoldExpired()
    if _is_closed(showtime, now):
        raise ShowtimeClosed(detail="This showtime has started; it can no longer be cancelled.")

    reservation.status = ReservationStatus.CANCELLED
    reservation.cancelled_at = now
    reservation.save(update_fields=["status", "cancelled_at", "updated_at"])
    reservation.seats.filter(active=True).update(active=None)
    return reservation


def holds_expire(*, now: datetime | None = None) -> tuple[int, int]:
    """Mark every lapsed hold EXPIRED and free its seats, one showtime (one short
    transaction under its lock) at a time. Returns (reservations, seats) released.

    Not needed for correctness: bookings and the seat map ignore lapsed holds anyway.
    """
    now = now or timezone.now()
    showtime_ids = sorted(
        set(
            Reservation.objects.filter(status=ReservationStatus.HELD, expires_at__lte=now)
            .order_by()
            .values_list("showtime_id", flat=True)
        )
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
    Showtime.objects.select_for_update().filter(pk=showtime_id).first()
    return _release_expired_holds(showtime_id=showtime_id, now=now)


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete keys older than IDEMPOTENCY_KEY_HOURS. Returns how many."""
    now = now or timezone.now()
    stale_before = now - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=stale_before).delete()
    return deleted
