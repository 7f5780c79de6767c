"""CSV exports of the staff reports: sales per showtime, per day or per movie (the
figures of ``reports.selectors.stats_report``, so a CSV says to the cent what
/api/admin/stats/ and /admin/reports/ say for the same range), and the payments ledger
(every payment and refund, when the money moved).

Served by the API (``reports.views``, JWT) and by the admin site (``reports.admin_views``,
the session), both through ``csv_response``: streamed row by row, UTF-8, a header row,
amounts with two decimals and a dot whatever the locale, times in the cinema's time zone.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import heapq
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

from core.days import local_day_range, local_zone
from core.money import cents
from payments.shift_selectors import shift_report, shifts_opened
from reports.exceptions import ExportRangeReversed, ExportRangeTooLong
from reports.selectors import default_stats_range, ledger_payments, ledger_refunds, stats_report

# A year, leap day included; longer is refused (``export_range``).
MAX_EXPORT_DAYS = 366
SALES_BY = ("showtime", "day", "movie")
# Rows fetched per round trip while the ledger streams.
LEDGER_CHUNK = 2000

FIGURE_COLUMNS = (
    "showtimes",
    "capacity",
    "tickets_sold",
    "occupancy",
    "revenue",
    "reservations",
    "cancellations",
    "checked_in",
    "no_shows",
    "list_revenue",
    "discount",
)
SALES_COLUMNS = {
    "showtime": ("date", "start", "showtime_id", "movie_id", "movie", "hall_id", "hall"),
    "day": ("date",),
    "movie": ("movie_id", "movie"),
}
LEDGER_COLUMNS = (
    "entry",
    "date",
    "time",
    "payment_id",
    "reservation_id",
    "provider",
    "method",
    "amount",
    "currency",
    "status",
    "reference",
    "staff",
    "shift",
)


@dataclasses.dataclass(frozen=True)
class Export:
    """A CSV to send: its file name, header and rows (an iterator, read as it streams)."""

    filename: str
    header: tuple[str, ...]
    rows: Iterable[Iterable]


def export_range(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """The range to export: the report's default (``default_stats_range``) for a day
    not given. Refuses a range that is reversed or longer than MAX_EXPORT_DAYS.
    Errors: ExportRangeReversed, ExportRangeTooLong (400)."""
    default_from, default_to = default_stats_range()
    date_from, date_to = date_from or default_from, date_to or default_to
    if date_to < date_from:
        raise ExportRangeReversed()
    if (date_to - date_from).days + 1 > MAX_EXPORT_DAYS:
        raise ExportRangeTooLong(
            f"An export covers at most {MAX_EXPORT_DAYS} days; "
            f"{date_from}..{date_to} is {(date_to - date_from).days + 1}.",
            max_days=MAX_EXPORT_DAYS,
        )
    return date_from, date_to


def amount(value) -> str:
    """Two decimals and a dot, whatever the locale: 1234.50, -8.00."""
    return f"{cents(value):.2f}"


def _range_name(date_from: dt.date, date_to: dt.date) -> str:
    return f"{date_from.isoformat()}_{date_to.isoformat()}"


# --- sales ------------------------------------------------------------------------------
def _figures(row: dict) -> list:
    return [
        row["showtimes"],
        row["capacity"],
        row["tickets_sold"],
        f"{row['occupancy']:.4f}",
        amount(row["revenue"]),
        row["reservations"],
        row["cancellations"],
        row["checked_in"],
        row["no_shows"],
        amount(row["list_revenue"]),
        amount(row["discount"]),
    ]


def _sales_rows(by: str, rows: list[dict]) -> Iterator[list]:
    for row in rows:
        if by == "showtime":
            start: dt.datetime = row["start_time"]
            yield [
                start.date().isoformat(),
                start.strftime("%H:%M"),
                row["showtime_id"],
                row["movie_id"],
                row["movie_title"],
                row["hall_id"],
                row["hall_name"],
                *_figures(row),
            ]
        elif by == "day":
            yield [row["date"].isoformat(), *_figures(row)]
        else:
            yield [row["movie_id"], row["movie_title"], *_figures(row)]


def sales_export(
    *,
    by: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    movie_id: int | None = None,
    hall_id: int | None = None,
) -> Export:
    """Sales of the showtimes starting on the local days ``date_from``..``date_to``, one
    row per showtime, day or movie (``by``): the report's own figures (one query, as
    the report). Errors: ExportRangeReversed, ExportRangeTooLong (400)."""
    date_from, date_to = export_range(date_from, date_to)
    report = stats_report(date_from=date_from, date_to=date_to, movie_id=movie_id, hall_id=hall_id)
    rows = {"showtime": report.per_showtime, "day": report.per_day, "movie": report.per_movie}
    return Export(
        filename=f"marquee-sales-by-{by}-{_range_name(date_from, date_to)}.csv",
        header=(*SALES_COLUMNS[by], *FIGURE_COLUMNS),
        rows=_sales_rows(by, rows[by]),
    )


# --- the payments ledger ----------------------------------------------------------------
def _ledger_row(entry: str, payment) -> list:
    at = payment.at.astimezone(local_zone())
    money: Decimal = payment.amount if entry == "payment" else -payment.amount
    staff = payment.taken_by.get_username() if payment.taken_by_id else ""
    shift = payment.shift_id
    if entry == "refund":
        # A refund paid out at the counter came out of the till of whoever handed it
        # back (Payment.refund_shift), maybe another cashier on another day than the
        # sale; a refund to a card came out of no till.
        shift = payment.refund_shift_id
        if shift is not None:
            staff = payment.refund_shift.cashier.get_username()
    return [
        entry,
        at.date().isoformat(),
        at.strftime("%H:%M:%S"),
        payment.pk,
        payment.reservation_id,
        payment.provider,
        payment.method,
        amount(money),
        payment.currency,
        payment.status,
        (payment.refund_reference if entry == "refund" else payment.reference) or "",
        staff,
        "" if shift is None else shift,
    ]


def _ledger_rows(start: dt.datetime, end: dt.datetime) -> Iterator[list]:
    """Payments and refunds merged in the order the money moved, each query read in
    chunks as the response streams."""
    payments = (
        (p.at, 0, p.pk, "payment", p)
        for p in ledger_payments(start=start, end=end).iterator(chunk_size=LEDGER_CHUNK)
    )
    refunds = (
        (p.at, 1, p.pk, "refund", p)
        for p in ledger_refunds(start=start, end=end).iterator(chunk_size=LEDGER_CHUNK)
    )
    for _at, _order, _pk, entry, payment in heapq.merge(payments, refunds):
        yield _ledger_row(entry, payment)


def ledger_export(*, date_from: dt.date | None = None, date_to: dt.date | None = None) -> Export:
    """Every payment that took money (``entry`` payment, the amount positive, at its
    success) and every refund paid out (``entry`` refund, the amount negative, at the
    refund) on the local days ``date_from``..``date_to``, in the order the money moved:
    the sum of ``amount`` is what the cinema kept of that period's movements. Errors:
    ExportRangeReversed, ExportRangeTooLong (400)."""
    date_from, date_to = export_range(date_from, date_to)
    start, end = local_day_range(date_from, date_to)
    return Export(
        filename=f"marquee-payments-{_range_name(date_from, date_to)}.csv",
        header=LEDGER_COLUMNS,
        rows=_ledger_rows(start, end),
    )


SHIFT_COLUMNS = (
    "shift_id",
    "cashier",
    "opened",
    "closed",
    "float",
    "cash_in",
    "cash_out",
    "expected",
    "counted",
    "difference",
    "card_terminal_in",
    "card_terminal_out",
    "sales",
    "refunds",
)


def _local(value: dt.datetime | None) -> str:
    return (
        "" if value is None else timezone.localtime(value, local_zone()).strftime("%Y-%m-%d %H:%M")
    )


def _shift_rows(start: dt.datetime, end: dt.datetime) -> Iterator[list]:
    for shift in shifts_opened(start=start, end=end).iterator(chunk_size=LEDGER_CHUNK):
        report = shift_report(shift=shift)
        yield [
            shift.pk,
            shift.cashier.get_username(),
            _local(shift.opened_at),
            _local(shift.closed_at),
            amount(report.opening_float),
            amount(report.cash_in),
            amount(report.cash_out),
            amount(report.expected),
            "" if report.counted is None else amount(report.counted),
            "" if report.difference is None else amount(report.difference),
            amount(report.card_terminal_in),
            amount(report.card_terminal_out),
            sum(1 for line in report.lines if line.kind == "sale"),
            sum(1 for line in report.lines if line.kind == "refund"),
        ]


def shifts_export(*, date_from: dt.date | None = None, date_to: dt.date | None = None) -> Export:
    """The shifts opened on the local days ``date_from``..``date_to``, each with its close
    report's figures (as ``GET /api/shifts/{id}/`` gives them): float, cash in and out,
    expected, counted and the difference (empty while open), card-terminal money, and how
    many sales and refunds. Errors: ExportRangeReversed, ExportRangeTooLong (400)."""
    date_from, date_to = export_range(date_from, date_to)
    start, end = local_day_range(date_from, date_to)
    return Export(
        filename=f"marquee-shifts-{_range_name(date_from, date_to)}.csv",
        header=SHIFT_COLUMNS,
        rows=_shift_rows(start, end),
    )


# --- the response -----------------------------------------------------------------------
class _Echo:
    """A file that hands back what is written: csv.writer then formats one row at a
    time for the stream (Django's documented pattern)."""

    def write(self, value: str) -> str:
        return value


def _lines(export: Export) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(export.header)
    for row in export.rows:
        yield writer.writerow(row)


def csv_response(export: Export) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_lines(export), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    # Money figures: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
