"""The demo cinema's sales (``manage.py seed_demo``): bookings, holds and cancellations
made through the booking services, so every invariant holds (one live claim per seat,
counters equal to the claims, prices from the showtime).

Past showtimes get their sales as they would have happened: each reservation is made
with ``now=`` a moment before the showtime started (the services refuse a showtime that
has started), some were cancelled before the start, some began as holds that were
confirmed or lapsed. Upcoming showtimes have sold part of their seats so far, less the
further away they are, and the next few carry live holds.

Every sale is paid, with or without PAYMENT_REQUIRED: online by card (Stripe, written as
its webhook would leave it: ``demo.payments``, for the demo has no Stripe), or at the
counter (a walk-in or an account, sold by the demo cashier, cash or card terminal,
through the engine and ``payments.services.payment_take_at_box_office`` as the Sell
screen does). A cancelled sale was refunded when it was cancelled: by Stripe, or handed
back at the counter. With PAYMENT_REQUIRED on, the payment is what confirms the hold.

Played showtimes have had their doors: most tickets were checked in by the demo usher
between the doors opening and the start (as ``tickets.services.ticket_check_in`` records
it), the rest are no-shows.

Deterministic: the figures of a showtime depend only on its hall and start, so a
second run finds every showtime sold and adds nothing (apart from fresh holds, below).
"""

import dataclasses
import datetime as dt
import random
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bookings import services
from bookings.models import Reservation, ReservationSeat, ReservationStatus
from cinema.models import Seat, SeatType, Showtime
from core.days import local_day_range, local_zone
from demo.catalogue import DEMO_VOUCHER, PUBLISHED_AHEAD, popularity
from demo.payments import demo_cards_paid, demo_pay_online, demo_refunds_paid_out
from payments.models import Method, Payment, Shift
from payments.services import payment_take_at_box_office
from payments.shift_selectors import shift_expected, shift_queryset
from payments.shift_services import shift_close, shift_open, shift_open_for
from tickets.models import Ticket, TicketStatus
from tickets.services import doors_open_at
from users.models import Role, User

# Group sizes a cinema sees, most often couples.
GROUP_SIZES = [1, 2, 2, 2, 2, 3, 3, 4, 4, 5, 6]
CANCEL_SHARE = 0.07  # of past and upcoming bookings
HOLD_SHARE = 0.06  # bookings that began as a hold (half confirmed, half lapsed)
VIP_SHARE = 0.18  # groups that want the VIP rows
LIVE_HOLD_SHOWTIMES = 6  # the next showtimes that carry live holds
COUNTER_SHARE = 0.12  # groups that buy at the counter rather than online
WALK_IN_SHARE = 0.5  # of counter sales: to someone without an account
CASH_SHARE = 0.55  # of counter sales: cash (the rest on the card terminal)
COUNTER_CANCEL_SHARE = 0.04  # counter sales handed back before the start
# Groups of three or more at a film children may see bring this many children at most;
# a share of the other seats are students or seniors; some groups bring the voucher.
CHILDREN_MAX = 2
CONCESSION_SHARE = 0.15
VOUCHER_SHARE = 0.05
ATTENDANCE = 0.9  # groups of a played showtime that came (the rest are no-shows)


DEMO_FLOAT = Decimal("150.00")


def at_the_till(staff: User) -> User:
    """``staff`` with an open shift at the till (opened with DEMO_FLOAT if they have
    none), which taking and handing back money at the counter needs."""
    if shift_open_for(staff=staff) is None:
        shift_open(cashier=staff, opening_float=DEMO_FLOAT)
    return staff


def demo_staff() -> User:
    """The first admin, at the counter, on shift."""
    return at_the_till(User.objects.filter(role=Role.ADMIN).order_by("pk").first())


def pay_demo_sale(*, reservation_id: int, now: dt.datetime | None = None) -> None:
    """Pay a demo hold and confirm it (with PAYMENT_REQUIRED on; ``demo_ticket`` too): at
    the box office, on the card terminal, taken by the first admin in their open shift,
    as of ``now`` (the moment the sale was made)."""
    payment_take_at_box_office(
        reservation_id=reservation_id,
        method=Method.CARD_TERMINAL,
        staff=demo_staff(),
        now=now or timezone.now(),
    )


class _CardPayments:
    """The card payments of one showtime's online sales, written together at the end
    (``demo_cards_paid``: a few queries per showtime rather than a few per sale), and
    the cancellations, which need the money to have been taken first. A hold that only
    its payment confirms (PAYMENT_REQUIRED) is paid at once."""

    def __init__(self):
        self.paid: list[tuple[Reservation, dt.datetime]] = []
        self.cancels: list[tuple[Reservation, object, dt.datetime]] = []

    def pay(self, reservation, customer, now: dt.datetime) -> None:
        if reservation.status == ReservationStatus.HELD and settings.PAYMENT_REQUIRED:
            demo_pay_online(reservation_id=reservation.pk, now=now)
            return
        if reservation.status == ReservationStatus.HELD:
            services.reservation_confirm(reservation=reservation, user=customer, now=now)
        self.paid.append((reservation, now))

    def cancel_later(self, reservation, customer, now: dt.datetime) -> None:
        self.cancels.append((reservation, customer, now))

    def flush(self) -> None:
        demo_cards_paid(sales=self.paid)
        for reservation, customer, cancel_at in self.cancels:
            _cancel(reservation, by=customer, now=cancel_at, at_counter=False)
        self.paid, self.cancels = [], []


@transaction.atomic
def _cancel(reservation, *, by, now: dt.datetime, at_counter: bool) -> None:
    """Cancel at ``now`` and pay the refunds out then (in one transaction, so the card
    refund the cancel asks Stripe for after the commit finds nothing left to do)."""
    services.reservation_cancel(reservation=reservation, by=by, now=now, at_counter=at_counter)
    demo_refunds_paid_out(reservation_id=reservation.pk, now=now)


@dataclasses.dataclass
class SalesTally:
    showtimes: int = 0
    reservations: int = 0
    seats: int = 0
    cancelled: int = 0
    holds: int = 0
    paid_online: int = 0
    paid_at_counter: int = 0
    refunded: int = 0

    def add(self, other: "SalesTally") -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def demand(showtime: Showtime, rng: random.Random) -> float:
    """The share of seats this showtime sells in the end: the movie's popularity, the
    time of day and the day of the week, with some noise."""
    start = timezone.localtime(showtime.start_time)
    hour = start.hour
    time_of_day = 0.4 if hour < 14 else 0.6 if hour < 17 else 1.0 if hour < 21 else 0.8
    weekday = {4: 1.2, 5: 1.25, 6: 1.0}.get(start.weekday(), 0.8)
    share = popularity(showtime.movie) * time_of_day * weekday * rng.uniform(0.6, 1.25)
    return min(0.98, max(0.02, share))


class _Seats:
    """The free seats of one showtime while its sales are made (this command is the
    only writer), by row."""

    def __init__(self, seats: list[Seat]):
        self.rows: dict[str, list[Seat]] = {}
        for seat in seats:
            self.rows.setdefault(seat.row, []).append(seat)
        self.free = {seat.pk for seat in seats}

    def pick(self, size: int, *, vip: bool, rng: random.Random) -> list[Seat]:
        """``size`` free seats side by side in one row (VIP rows or the others), the
        middle rows first; failing that, any free seats of that kind."""
        rows = [
            row for row, seats in self.rows.items() if (seats[0].seat_type == SeatType.VIP) == vip
        ]
        middle = len(rows) / 2
        order = {row: abs(index - middle) + rng.uniform(0, 4) for index, row in enumerate(rows)}
        rows.sort(key=order.__getitem__)
        for row in rows:
            seats = self.rows[row]
            starts = list(range(len(seats) - size + 1))
            rng.shuffle(starts)
            for first in starts:
                block = seats[first : first + size]
                if all(seat.pk in self.free for seat in block):
                    return self.take(block)
        loose = [seat for row in rows for seat in self.rows[row] if seat.pk in self.free]
        return self.take(loose[:size]) if len(loose) >= size else []

    def take(self, seats: list[Seat]) -> list[Seat]:
        self.free -= {seat.pk for seat in seats}
        return seats


class _Customers:
    """Takes turns among the demo customers, each within the per-customer cap."""

    def __init__(self, customers: list, rng: random.Random):
        self.customers = customers[:]
        rng.shuffle(self.customers)
        self.index = 0
        self.seats: dict[int, int] = {}

    def next(self, size: int):
        cap = settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME
        for _ in range(len(self.customers)):
            customer = self.customers[self.index % len(self.customers)]
            self.index += 1
            if self.seats.get(customer.pk, 0) + size <= cap:
                self.seats[customer.pk] = self.seats.get(customer.pk, 0) + size
                return customer
        return None


def _booking_times(showtime: Showtime, count: int, now: dt.datetime, rng) -> list[dt.datetime]:
    """When the bookings were made: since the schedule was published (ten days before
    the start), more of them lately, never after ``now`` nor in the last 20 minutes
    before the start."""
    start = showtime.start_time
    first = start - PUBLISHED_AHEAD
    last = min(now, start - dt.timedelta(minutes=20))
    span = max(last - first, dt.timedelta(0))
    return sorted(last - span * (rng.random() ** 2) for _ in range(count))


def seed_showtime_sales(
    showtime: Showtime, *, customers: list, cashier, now: dt.datetime
) -> SalesTally:
    """Sell a share of the showtime's seats through the booking services: bookings
    made before the start (``now=`` that moment), some cancelled, some begun as holds.
    An upcoming showtime has sold less the further away it is."""
    rng = random.Random(f"{showtime.hall_id}|{showtime.start_time.isoformat()}")
    share = demand(showtime, rng)
    days_ahead = (showtime.start_time - now).total_seconds() / 86400
    if days_ahead > 0:
        share *= max(0.1, 1 - days_ahead / 8)
    hall_seats = list(Seat.objects.filter(hall_id=showtime.hall_id).order_by("position"))
    seats = _Seats(hall_seats)
    has_vip = any(seat.seat_type == SeatType.VIP for seat in hall_seats)
    target = int(len(seats.free) * share)
    groups = []
    while sum(groups) < target:
        groups.append(rng.choice(GROUP_SIZES))
    turns = _Customers(customers, rng)
    tally = SalesTally(showtimes=1)
    cards = _CardPayments()
    for size, booked_at in zip(
        groups, _booking_times(showtime, len(groups), now, rng), strict=True
    ):
        chosen = seats.pick(size, vip=has_vip and rng.random() < VIP_SHARE, rng=rng)
        customer = turns.next(len(chosen)) if chosen else None
        if customer is None:
            continue
        if rng.random() < COUNTER_SHARE:
            walk_in = rng.random() < WALK_IN_SHARE
            sale = _sell_at_counter(
                showtime,
                None if walk_in else customer,
                chosen,
                booked_at,
                cashier=cashier,
                now=now,
                rng=rng,
            )
        else:
            sale = _sell(showtime, customer, chosen, booked_at, now=now, rng=rng, cards=cards)
        tally.add(sale)
    cards.flush()
    return tally


def _sell_at_counter(showtime, customer, seats, booked_at, *, cashier, now, rng) -> SalesTally:
    """One group's sale at the counter (as ``boxoffice.services.counter_sale_create``):
    shortly before the start if that has passed, in advance otherwise; cash or card
    terminal; a few handed back before the start."""
    sold_at = showtime.start_time - dt.timedelta(minutes=rng.uniform(5, 75))
    if sold_at > now:
        sold_at = booked_at
    method = Method.CASH if rng.random() < CASH_SHARE else Method.CARD_TERMINAL
    with transaction.atomic():
        reservation = services.reservation_create(
            user=customer,
            showtime_id=showtime.pk,
            seat_ids=[seat.pk for seat in seats],
            hold=True,
            now=sold_at,
            counter=services.CounterSale(cashier=cashier),
        ).reservation
        payment = payment_take_at_box_office(
            reservation_id=reservation.pk, method=method, staff=cashier, now=sold_at
        )
    Payment.objects.filter(pk=payment.pk).update(created_at=sold_at, updated_at=sold_at)
    tally = SalesTally(reservations=1, seats=len(seats), paid_at_counter=1)
    cancel_at = sold_at + dt.timedelta(minutes=rng.uniform(2, 30))
    if rng.random() < COUNTER_CANCEL_SHARE and cancel_at < min(now, showtime.start_time):
        _cancel(reservation, by=cashier, now=cancel_at, at_counter=True)
        tally.cancelled += 1
        tally.refunded += 1
    return tally


def _tickets(showtime: Showtime, seats, rng) -> tuple[list, str | None]:
    """A group's ticket types (children in families at films they may see, now and then
    a student or a senior; Adult otherwise) and, sometimes, the demo voucher."""
    children = 0
    if len(seats) >= 3 and int(showtime.movie.age_rating) < 12 and rng.random() < 0.5:
        children = rng.randint(1, CHILDREN_MAX)
    choices = []
    for index, seat in enumerate(seats):
        if index >= len(seats) - children:
            choices.append(services.SeatChoice(seat.pk, "child"))
        elif rng.random() < CONCESSION_SHARE:
            choices.append(services.SeatChoice(seat.pk, rng.choice(("student", "senior"))))
    voucher = DEMO_VOUCHER if rng.random() < VOUCHER_SHARE else None
    return choices, voucher


def _sell(showtime, customer, seats, booked_at, *, now, rng, cards: _CardPayments) -> SalesTally:
    """One group's reservation: booked, or held first (then confirmed a few minutes
    later, or left to lapse), and perhaps cancelled before the start."""
    seat_ids = [seat.pk for seat in seats]
    roll = rng.random()
    hold = roll < HOLD_SHARE
    choices, voucher = _tickets(showtime, seats, rng)
    result = services.reservation_create(
        user=customer,
        showtime_id=showtime.pk,
        seat_ids=seat_ids,
        choices=choices,
        voucher=voucher,
        hold=hold,
        now=booked_at,
    )
    reservation = result.reservation
    tally = SalesTally(reservations=1, seats=len(seat_ids), holds=int(hold))
    confirm_at = booked_at + dt.timedelta(minutes=rng.uniform(1, settings.HOLD_MINUTES - 1))
    if not hold:
        cards.pay(reservation, customer, booked_at)
    elif roll < HOLD_SHARE / 2 and confirm_at < now:
        cards.pay(reservation, customer, confirm_at)
    else:
        return tally  # left to lapse (expired by holds_expire, or live if just made)
    tally.paid_online += 1
    cancel_at = booked_at + dt.timedelta(hours=rng.uniform(0.2, 48))
    if rng.random() < CANCEL_SHARE and cancel_at < min(now, showtime.start_time):
        cards.cancel_later(reservation, customer, cancel_at)
        tally.cancelled += 1
        tally.refunded += 1
    return tally


@transaction.atomic
def seed_sales(*, showtimes: list[Showtime], customers: list, cashier, progress=None) -> SalesTally:
    """Sales for every showtime of the list that has none yet (a showtime with any
    reservation, the demo's or anyone's, is left as it is). One transaction: the
    services' own blocks become savepoints, and the load commits once (seconds, not a
    minute of commits on SQLite)."""
    now = timezone.now()
    sold = set(
        Reservation.objects.filter(showtime__in=[show.pk for show in showtimes])
        .values_list("showtime_id", flat=True)
        .distinct()
    )
    todo = [show for show in showtimes if show.pk not in sold]
    tally = SalesTally()
    # The counter's sales and refunds go to a shift of the cashier's while the demo
    # sells (the services need one open), then become one closed shift per day: the
    # cashier starts the demo with no shift open, as at the start of a day.
    shift = at_the_till(cashier) and shift_open_for(staff=cashier) if todo else None
    for index, showtime in enumerate(todo, start=1):
        tally.add(seed_showtime_sales(showtime, customers=customers, cashier=cashier, now=now))
        if progress:
            progress("Selling seats", index, len(todo))
    if shift is not None:
        shifts_per_day(shift)
    return tally


def shifts_per_day(selling: Shift) -> int:
    """Spread the money of the demo's selling shift over one shift per local day, as a
    cashier would have worked them: each opened with DEMO_FLOAT a little before its first
    sale, closed a little after its last with the cash expected counted (no difference).
    The selling shift, then empty, goes. Returns how many days' shifts were made."""
    zone = local_zone()
    cashier = selling.cashier
    taken = Payment.objects.filter(shift=selling)
    handed_back = Payment.objects.filter(refund_shift=selling)
    moments: dict[dt.date, list[dt.datetime]] = {}
    times_taken = taken.values_list("succeeded_at", flat=True)
    times_handed_back = handed_back.values_list("refunded_at", flat=True)
    for when in [*times_taken, *times_handed_back]:
        if when is not None:
            moments.setdefault(timezone.localtime(when, zone).date(), []).append(when)
    made = 0
    for day, times in sorted(moments.items()):
        start, end = local_day_range(day)
        # Written closed (the selling shift is still the cashier's open one), its count
        # set once its money is in: the history of a day that is over.
        shift = Shift.objects.create(
            cashier=cashier,
            # Within its day: a sale just after midnight opens the day's shift at midnight.
            opened_at=max(start, min(times) - dt.timedelta(minutes=20)),
            opening_float=DEMO_FLOAT,
            open=None,
            closed_at=max(times) + dt.timedelta(minutes=20),
            closed_by=cashier,
            counted=DEMO_FLOAT,
        )
        taken.filter(succeeded_at__gte=start, succeeded_at__lt=end).update(shift=shift)
        handed_back.filter(refunded_at__gte=start, refunded_at__lt=end).update(refund_shift=shift)
        expected = shift_expected(shift_queryset().get(pk=shift.pk))
        Shift.objects.filter(pk=shift.pk).update(counted=expected)
        made += 1
    if not Payment.objects.filter(shift=selling).exists() and not handed_back.exists():
        selling.delete()
    else:  # money without a time: left on the selling shift, closed as expected
        expected = shift_expected(shift_queryset().get(pk=selling.pk))
        shift_close(shift_id=selling.pk, by=cashier, counted=expected)
    return made


def _free_seats(showtime: Showtime, now: dt.datetime) -> tuple[_Seats, set[int]]:
    """The showtime's seats with those under an active claim taken, and the customers
    who hold or own seats of it (the per-customer cap counts those)."""
    claims = ReservationSeat.objects.filter(showtime=showtime).active()
    seats = _Seats(list(Seat.objects.filter(hall_id=showtime.hall_id).order_by("position")))
    seats.free -= set(claims.values_list("seat_id", flat=True))
    owners = set(claims.values_list("reservation__user_id", flat=True))
    return seats, owners


def seed_live_holds(*, showtimes: list[Showtime], customers: list) -> int:
    """Live holds (HOLD_MINUTES long, as any hold) on the next showtimes that have none,
    so the seat maps show held seats after a fresh ``make run``. Returns how many were
    placed. Run again later, it places new ones where the earlier ones lapsed."""
    now = timezone.now()
    upcoming = sorted(
        (show for show in showtimes if show.start_time > now + dt.timedelta(minutes=30)),
        key=lambda show: show.start_time,
    )[:LIVE_HOLD_SHOWTIMES]
    placed = 0
    for showtime in upcoming:
        if ReservationSeat.objects.filter(showtime=showtime).holds().live(now).exists():
            continue
        rng = random.Random(f"hold|{showtime.pk}|{now:%Y%m%d%H%M}")
        seats, owners = _free_seats(showtime, now)
        turns = _Customers([c for c in customers if c.pk not in owners], rng)
        for size in (rng.choice([2, 3, 4]), rng.choice([1, 2])):
            chosen = seats.pick(size, vip=False, rng=rng)
            customer = turns.next(len(chosen)) if chosen else None
            if customer is None:
                continue
            services.reservation_create(
                user=customer,
                showtime_id=showtime.pk,
                seat_ids=[seat.pk for seat in chosen],
                hold=True,
                now=now,
            )
            placed += 1
    return placed


def seed_customer_reservations(*, customer, showtimes: list[Showtime]) -> int:
    """The printed demo customer's own reservations, so that logging in as them shows
    some: seats at a showtime three days ago, VIP seats tomorrow evening, and a
    booking cancelled the day after. Made once (a customer with any reservation is
    left alone). Returns how many were made."""
    if Reservation.objects.filter(user=customer).exists():
        return 0
    now = timezone.now()
    today = timezone.localdate()

    def evening(days: int) -> Showtime | None:
        day = today + dt.timedelta(days=days)
        for show in showtimes:
            local = timezone.localtime(show.start_time)
            upcoming = show.start_time > now + dt.timedelta(hours=1)
            if local.date() == day and local.hour >= 18 and (days < 0 or upcoming):
                return show
        return None

    made = 0
    plans = [(-3, False, False), (1, True, False), (2, False, True)]
    for days, vip, cancel in plans:
        showtime = evening(days)
        if showtime is None:
            continue
        seats, owners = _free_seats(showtime, now)
        if customer.pk in owners:
            continue
        chosen = seats.pick(2, vip=vip, rng=random.Random(showtime.pk)) or seats.pick(
            2, vip=not vip, rng=random.Random(showtime.pk)
        )
        if not chosen:
            continue
        booked_at = min(now, showtime.start_time - dt.timedelta(days=2))
        reservation = services.reservation_create(
            user=customer,
            showtime_id=showtime.pk,
            seat_ids=[seat.pk for seat in chosen],
            now=booked_at,
        ).reservation
        cards = _CardPayments()
        cards.pay(reservation, customer, booked_at)
        if cancel:
            cards.cancel_later(reservation, customer, now)
        cards.flush()
        made += 1
    return made


@transaction.atomic
def seed_check_ins(*, showtimes: list[Showtime], usher, progress=None) -> int:
    """The doors of every showtime that has started and has no check-in yet: most
    groups came, each checked in together by the usher at a moment between the doors
    opening and the start (more of them late); the others are no-shows. Written as the
    door's service writes a check-in (``_doors``), so the door screen and the reports
    count them as any other.
    Deterministic per showtime, so a second run admits nobody twice. Returns how many
    tickets were checked in."""
    now = timezone.now()
    started = [show for show in showtimes if show.start_time <= now]
    seen = set(
        Ticket.objects.filter(showtime__in=[show.pk for show in started], status=TicketStatus.USED)
        .values_list("showtime_id", flat=True)
        .distinct()
    )
    todo = [show for show in started if show.pk not in seen]
    admitted = 0
    for index, show in enumerate(todo, start=1):
        admitted += _doors(show, usher=usher)
        if progress:
            progress("Opening the doors", index, len(todo))
    return admitted


def _doors(show: Showtime, *, usher) -> int:
    """One showtime's doors. A group is admitted in one UPDATE with the door's own
    condition (``ticket_check_in`` admits one scanned code at a time; a group of a
    thousand scans would be most of the demo's load time): VALID tickets become USED,
    at the moment the group arrived, by the usher."""
    rng = random.Random(f"door|{show.hall_id}|{show.start_time.isoformat()}")
    window = show.start_time - doors_open_at(show.start_time)
    groups: dict[int, list[int]] = {}
    valid = Ticket.objects.filter(showtime_id=show.pk, status=TicketStatus.VALID)
    for reservation_id, ticket_id in valid.order_by("reservation_id", "pk").values_list(
        "reservation_id", "pk"
    ):
        groups.setdefault(reservation_id, []).append(ticket_id)
    admitted = 0
    for ticket_ids in groups.values():
        if rng.random() >= ATTENDANCE:
            continue
        arrived = show.start_time - window * (rng.random() ** 1.6)  # most come late
        admitted += Ticket.objects.filter(pk__in=ticket_ids, status=TicketStatus.VALID).update(
            status=TicketStatus.USED, checked_in_at=arrived, checked_in_by=usher
        )
    return admitted
