"""Reads for the staff reports: revenue, tickets and occupancy over a range of days.

One query fetches every showtime in the range with its figures aggregated by the
database (correlated subqueries, so the seat and reservation joins never multiply each
other); the roll-ups per movie, per day and in total are sums over those rows in
Python. The day of a showtime is the local day of its start in ``TIME_ZONE``, computed
here rather than by the database, so MariaDB needs no time zone tables. Whatever the
range holds, the report costs one query.

At the top of the layers, reports reads what it needs where it lives: the claims and
reservations of bookings, the attendance of tickets (``tickets.selectors``), the money
of payments (``payments.selectors.money_figures``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from bookings.models import Reservation, ReservationSeat, ReservationStatus
from bookings.selectors import sold_seats
from cinema.models import Seat, Showtime
from core.days import local_day_range, local_zone
from core.money import ZERO, cents, money_or_zero, money_total
from payments.models import CAPTURED_STATUSES, Payment, PaymentStatus
from payments.selectors import money_figures
from tickets.models import TicketStatus
from tickets.selectors import ticket_count
from tickets.services import doors_open_at


@dataclass
class Figures:
    """The report's figures for one group of showtimes."""

    showtimes: int = 0
    revenue: Decimal = ZERO
    list_revenue: Decimal = ZERO
    tickets_sold: int = 0
    reservations: int = 0
    cancellations: int = 0
    capacity: int = 0
    checked_in: int = 0
    no_shows: int = 0

    @property
    def occupancy(self) -> float:
        return round(self.tickets_sold / self.capacity, 4) if self.capacity else 0.0

    def add(self, other: Figures) -> None:
        self.showtimes += other.showtimes
        self.revenue += other.revenue
        self.list_revenue += other.list_revenue
        self.tickets_sold += other.tickets_sold
        self.reservations += other.reservations
        self.cancellations += other.cancellations
        self.capacity += other.capacity
        self.checked_in += other.checked_in
        self.no_shows += other.no_shows

    def as_dict(self) -> dict:
        return {
            "showtimes": self.showtimes,
            "revenue": self.revenue,
            "tickets_sold": self.tickets_sold,
            "reservations": self.reservations,
            "cancellations": self.cancellations,
            "capacity": self.capacity,
            "occupancy": self.occupancy,
            "checked_in": self.checked_in,
            "no_shows": self.no_shows,
            "list_revenue": self.list_revenue,
            "discount": self.list_revenue - self.revenue,
        }


@dataclass
class StatsReport:
    date_from: dt.date
    date_to: dt.date
    time_zone: str
    totals: Figures = field(default_factory=Figures)
    per_movie: list[dict] = field(default_factory=list)
    per_showtime: list[dict] = field(default_factory=list)
    per_day: list[dict] = field(default_factory=list)
    money: dict = field(default_factory=dict)
    prices: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "time_zone": self.time_zone,
            "totals": self.totals.as_dict(),
            "per_movie": self.per_movie,
            "per_showtime": self.per_showtime,
            "per_day": self.per_day,
            "money": self.money,
            "prices": self.prices,
        }


def default_stats_range(*, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 30 days through the next 7, in the cinema's time zone."""
    today = today or timezone.localdate(timezone=local_zone())
    return today - dt.timedelta(days=30), today + dt.timedelta(days=7)


# A sold seat's list price; a claim from before ticket types has none: its price was it.
_LIST_PRICE = Coalesce(F("list_price"), F("price"))


def _count(expression):
    return Coalesce(expression, Value(0), output_field=IntegerField())


def _showtime_rows(*, start: dt.datetime, end: dt.datetime, movie_id=None, hall_id=None):
    sold_seats = ReservationSeat.objects.filter(showtime=OuterRef("pk")).booked().values("showtime")
    reservations = Reservation.objects.filter(showtime=OuterRef("pk")).values("showtime")
    # Capacity from the seats themselves, so the report is right even if the stored
    # Hall.capacity and the seats ever disagree.
    seats_in_hall = Seat.objects.filter(hall=OuterRef("hall_id")).values("hall")

    queryset = Showtime.objects.filter(start_time__gte=start, start_time__lt=end)
    if movie_id is not None:
        queryset = queryset.filter(movie_id=movie_id)
    if hall_id is not None:
        queryset = queryset.filter(hall_id=hall_id)
    return (
        queryset.annotate(
            revenue=money_or_zero(
                Subquery(sold_seats.annotate(v=money_total("price")).values("v")[:1])
            ),
            list_revenue=money_or_zero(
                Subquery(sold_seats.annotate(v=money_total(_LIST_PRICE)).values("v")[:1])
            ),
            tickets_sold=_count(Subquery(sold_seats.annotate(v=Count("pk")).values("v")[:1])),
            confirmed=_count(
                Subquery(
                    reservations.filter(status=ReservationStatus.CONFIRMED)
                    .annotate(v=Count("pk"))
                    .values("v")[:1]
                )
            ),
            cancelled=_count(
                Subquery(
                    reservations.filter(status=ReservationStatus.CANCELLED)
                    .annotate(v=Count("pk"))
                    .values("v")[:1]
                )
            ),
            seat_count=_count(Subquery(seats_in_hall.annotate(v=Count("pk")).values("v")[:1])),
            checked_in=ticket_count(TicketStatus.USED),
            unused_tickets=ticket_count(TicketStatus.VALID),
        )
        .order_by("start_time", "id")
        .values(
            "id",
            "start_time",
            "end_time",
            "movie_id",
            "movie__title",
            "hall_id",
            "hall__name",
            "revenue",
            "list_revenue",
            "tickets_sold",
            "confirmed",
            "cancelled",
            "seat_count",
            "checked_in",
            "unused_tickets",
            "cancelled_at",
        )
    )


def stats_report(
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    movie_id: int | None = None,
    hall_id: int | None = None,
) -> StatsReport:
    """Revenue (sold seats at the price paid), tickets sold, confirmed reservations,
    cancellations, occupancy (sold seats / capacity of the showtimes) and attendance
    (tickets checked in; no-shows: tickets never checked in of ended showtimes) for the
    showtimes that start on the local days ``date_from``..``date_to``: in total, per
    movie, per showtime and per day; and the money taken and refunded for them, per
    provider and method (``payments.selectors.money_figures``). One database query, and
    one for the money."""
    default_from, default_to = default_stats_range()
    date_from = date_from or default_from
    date_to = date_to or default_to
    start, end = local_day_range(date_from, date_to)
    zone = local_zone()
    now = timezone.now()

    report = StatsReport(date_from=date_from, date_to=date_to, time_zone=settings.TIME_ZONE)
    movies: dict[int, tuple[str, Figures]] = {}
    days: dict[dt.date, Figures] = {}
    day = date_from
    while day <= date_to:
        days[day] = Figures()
        day += dt.timedelta(days=1)

    rows = _showtime_rows(start=start, end=end, movie_id=movie_id, hall_id=hall_id)
    for row in rows:
        figures = Figures(
            showtimes=1,
            revenue=cents(row["revenue"]),
            list_revenue=cents(row["list_revenue"]),
            tickets_sold=row["tickets_sold"],
            reservations=row["confirmed"],
            cancellations=row["cancelled"],
            # A screening the cinema cancelled offered no seats: none count as empty.
            capacity=row["seat_count"] if row["cancelled_at"] is None else 0,
            checked_in=row["checked_in"],
            # A ticket never scanned is a no-show once its showtime has ended; until then
            # its holder may still come.
            no_shows=row["unused_tickets"] if row["end_time"] <= now else 0,
        )
        local_start = row["start_time"].astimezone(zone)
        report.per_showtime.append(
            {
                "showtime_id": row["id"],
                "start_time": local_start,
                "movie_id": row["movie_id"],
                "movie_title": row["movie__title"],
                "hall_id": row["hall_id"],
                "hall_name": row["hall__name"],
                **figures.as_dict(),
            }
        )
        report.totals.add(figures)
        movies.setdefault(row["movie_id"], (row["movie__title"], Figures()))[1].add(figures)
        days[local_start.date()].add(figures)

    report.per_movie = [
        {"movie_id": movie_id, "movie_title": title, **figures.as_dict()}
        for movie_id, (title, figures) in sorted(movies.items(), key=lambda i: (i[1][0], i[0]))
    ]
    report.per_day = [{"date": day, **figures.as_dict()} for day, figures in days.items()]
    report.money = money_figures(start=start, end=end, movie_id=movie_id, hall_id=hall_id)
    report.prices = price_figures(start=start, end=end, movie_id=movie_id, hall_id=hall_id)
    return report


def price_figures(*, start: dt.datetime, end: dt.datetime, movie_id=None, hall_id=None) -> dict:
    """The sold seats of the showtimes starting in [start, end) by ticket type and by
    voucher: tickets, list prices, discounts and what was charged. Two queries."""
    sold = ReservationSeat.objects.filter(
        showtime__start_time__gte=start, showtime__start_time__lt=end
    ).booked()
    if movie_id is not None:
        sold = sold.filter(showtime__movie_id=movie_id)
    if hall_id is not None:
        sold = sold.filter(showtime__hall_id=hall_id)
    sums = {
        "tickets_sold": Count("pk"),
        "list_revenue": money_total(_LIST_PRICE),
        "revenue": money_total("price"),
    }

    def figures(row: dict) -> dict:
        list_revenue, revenue = cents(row["list_revenue"]), cents(row["revenue"])
        return {
            "tickets_sold": row["tickets_sold"],
            "list_revenue": list_revenue,
            "discount": list_revenue - revenue,
            "revenue": revenue,
        }

    per_type = [
        {"ticket_type": row["ticket_type"], **figures(row)}
        for row in sold.order_by("ticket_type").values("ticket_type").annotate(**sums)
    ]
    per_voucher = [
        {
            "voucher": row["reservation__voucher__code"],
            "reservations": row["reservations"],
            **{k: v for k, v in figures(row).items() if k != "list_revenue"},
        }
        for row in sold.filter(reservation__voucher__isnull=False)
        .order_by("reservation__voucher__code")
        .values("reservation__voucher__code")
        .annotate(reservations=Count("reservation", distinct=True), **sums)
    ]
    list_revenue = sum((row["list_revenue"] for row in per_type), ZERO)
    revenue = sum((row["revenue"] for row in per_type), ZERO)
    return {
        "list_revenue": list_revenue,
        "discount": list_revenue - revenue,
        "revenue": revenue,
        "per_ticket_type": per_type,
        "per_voucher": per_voucher,
    }


# --- tonight ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TonightShow:
    """One of today's showtimes as the admin's first page shows it."""

    id: int
    start: dt.datetime  # local time
    movie: str
    hall: str
    sold: int
    capacity: int
    checked_in: int
    doors_open_at: dt.datetime  # local time
    doors_open: bool
    ended: bool
    cancelled: bool = False  # the cinema cancelled the screening

    @property
    def percent(self) -> int:
        return round(100 * self.sold / self.capacity) if self.capacity else 0


def tonight(*, now: dt.datetime | None = None) -> list[TonightShow]:
    """Today's showtimes (the cinema's local day, [midnight, midnight) computed here),
    in order of their start, with seats sold (the engine's counters), tickets checked in
    and whether the doors are open (``tickets.services.doors_open_at`` until the end).
    One query, however many showtimes."""
    now = now or timezone.now()
    zone = local_zone()
    start, end = local_day_range(timezone.localdate(now, timezone=zone))
    rows = (
        Showtime.objects.filter(start_time__gte=start, start_time__lt=end)
        .select_related("movie", "hall")
        .annotate(sold=sold_seats(), checked_in=ticket_count(TicketStatus.USED))
        .order_by("start_time", "hall__name", "id")
    )
    shows = []
    for show in rows:
        opens = doors_open_at(show.start_time)
        ended = now >= show.end_time
        shows.append(
            TonightShow(
                id=show.pk,
                start=show.start_time.astimezone(zone),
                movie=show.movie.title,
                hall=show.hall.name,
                sold=show.sold,
                capacity=show.hall.capacity,
                checked_in=show.checked_in,
                doors_open_at=opens.astimezone(zone),
                doors_open=opens <= now and not ended and show.cancelled_at is None,
                ended=ended,
                cancelled=show.cancelled_at is not None,
            )
        )
    return shows


# --- the payments ledger ----------------------------------------------------------------
def ledger_payments(*, start: dt.datetime, end: dt.datetime) -> QuerySet[Payment]:
    """Payments that took money in [start, end): captured (SUCCEEDED, or refunded or to
    be refunded since), at the moment they succeeded (``at``). A payment refused on
    arrival (the money went straight back) has no success time: its creation stands in.
    Oldest first, with the staff member and the reservation's showtime. Attempts that
    took nothing (pending, failed, cancelled) move no money and are not in the ledger."""
    return (
        Payment.objects.filter(status__in=CAPTURED_STATUSES)
        .annotate(at=Coalesce("succeeded_at", "created_at"))
        .filter(at__gte=start, at__lt=end)
        .select_related("taken_by")
        .order_by(F("at").asc(), "pk")
    )


def ledger_refunds(*, start: dt.datetime, end: dt.datetime) -> QuerySet[Payment]:
    """Payments whose money went back in [start, end) (REFUNDED), at the moment of the
    refund (``at``; a refund without its time recorded, which the services never
    leave, falls back to the payment's last change). A refund that is due or failed is
    money still held: not in the ledger until it is paid out."""
    return (
        Payment.objects.filter(status=PaymentStatus.REFUNDED)
        .annotate(at=Coalesce("refunded_at", "updated_at"))
        .filter(at__gte=start, at__lt=end)
        .select_related("taken_by", "refund_shift__cashier")
        .order_by(F("at").asc(), "pk")
    )
