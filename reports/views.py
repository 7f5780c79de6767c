from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.schema import domain_errors
from reports import exports
from reports.exceptions import ExportRangeReversed, ExportRangeTooLong
from reports.selectors import stats_report
from reports.serializers import (
    LedgerExportQuerySerializer,
    SalesExportQuerySerializer,
    StatsQuerySerializer,
    StatsSerializer,
)
from tickets.views import JSONWhateverTheAccept
from users.permissions import IsAdminRole

RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)."),
]
FILTER_PARAMETERS = [
    OpenApiParameter("movie", OpenApiTypes.INT, description="Only this movie's id."),
    OpenApiParameter("hall", OpenApiTypes.INT, description="Only this hall's id."),
]


def _csv_response(description: str) -> dict:
    return {
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=description),
        **domain_errors(ExportRangeTooLong, ExportRangeReversed),
    }


class StatsView(APIView):
    """Revenue, tickets and occupancy for staff."""

    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=["reports"],
        summary="Revenue, tickets sold and occupancy (ADMIN)",
        description=(
            "Figures for the showtimes that start on the days `from`..`to` (inclusive, "
            "days in the cinema's time zone; default: the last 30 days through the next "
            "7; at most 366 days): in total, per movie, per showtime and per day. Revenue "
            "is the price paid for the seats of confirmed reservations; occupancy is "
            "tickets sold / capacity of the showtimes."
        ),
        parameters=[*RANGE_PARAMETERS, *FILTER_PARAMETERS],
        responses={200: StatsSerializer},
    )
    def get(self, request):
        # A plain dict, so an empty ``?to=`` is an invalid date rather than "not given".
        query = StatsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        report = stats_report(
            date_from=params.get("from"),
            date_to=params.get("to"),
            movie_id=params.get("movie"),
            hall_id=params.get("hall"),
        )
        return Response(StatsSerializer(report.as_dict()).data)


class SalesExportView(APIView):
    """The report's sales as CSV."""

    permission_classes = [IsAdminRole]
    # The CSV, or a JSON error whatever the client accepts (``Accept: text/csv`` too).
    content_negotiation_class = JSONWhateverTheAccept

    @extend_schema(
        tags=["reports"],
        operation_id="admin_exports_sales_csv",
        summary="Sales per showtime, day or movie as CSV (ADMIN)",
        description=(
            "The figures of `GET /api/admin/stats/` for the same days and filters, to the "
            "cent, one row per showtime, day or movie (`by`, default `day`), streamed: "
            "UTF-8, a header row, amounts with two decimals and a dot, days and times in "
            "the cinema's time zone, occupancy 0..1 with four decimals. At most 366 days "
            "(`range_too_long` beyond). The file name in Content-Disposition names the "
            "range: `marquee-sales-by-<by>-<from>_<to>.csv`."
        ),
        parameters=[
            OpenApiParameter(
                "by",
                str,
                enum=list(exports.SALES_BY),
                default="day",
                description="One row per `showtime`, `day` or `movie`.",
            ),
            *RANGE_PARAMETERS,
            *FILTER_PARAMETERS,
        ],
        responses=_csv_response(
            "Columns: (showtime) date, start, showtime_id, movie_id, movie, hall_id, hall; "
            "(day) date; (movie) movie_id, movie; then showtimes, capacity, tickets_sold, "
            "occupancy, revenue, reservations, cancellations, checked_in, no_shows."
        ),
    )
    def get(self, request):
        query = SalesExportQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        return exports.csv_response(
            exports.sales_export(
                by=params["by"],
                date_from=params.get("from"),
                date_to=params.get("to"),
                movie_id=params.get("movie"),
                hall_id=params.get("hall"),
            )
        )


class _RangeExportView(APIView):
    """A CSV of the local days ``from``..``to`` (``export``: ``reports.exports``)."""

    permission_classes = [IsAdminRole]
    content_negotiation_class = JSONWhateverTheAccept
    export = None  # staticmethod(date_from=, date_to=) -> exports.Export

    def get(self, request):
        query = LedgerExportQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        return exports.csv_response(
            self.export(date_from=params.get("from"), date_to=params.get("to"))
        )


class PaymentsExportView(_RangeExportView):
    """The payments ledger as CSV."""

    @extend_schema(
        tags=["reports"],
        operation_id="admin_exports_payments_csv",
        summary="The payments ledger as CSV (ADMIN)",
        description=(
            "Every payment that took money (`entry` payment, at its success, the amount "
            "positive) and every refund paid out (`entry` refund, at the refund, the amount "
            "negative) on the days `from`..`to` in the cinema's time zone, in the order the "
            "money moved; attempts that took nothing are left out. Streamed, UTF-8, a "
            "header row, amounts with two decimals and a dot. At most 366 days "
            "(`range_too_long` beyond). File name: `marquee-payments-<from>_<to>.csv`."
        ),
        parameters=RANGE_PARAMETERS,
        responses=_csv_response(
            "Columns: entry, date, time, payment_id, reservation_id, provider, method, "
            "amount, currency, status (the payment's now), reference (the provider's id of "
            "the payment or of the refund), staff (who took it at the counter, or handed "
            "it back), shift (the till's shift the money went into or came out of)."
        ),
    )
    def get(self, request):
        return super().get(request)

    export = staticmethod(exports.ledger_export)


class ShiftsExportView(_RangeExportView):
    """The shifts and their close reports as CSV."""

    @extend_schema(
        tags=["reports"],
        operation_id="admin_exports_shifts_csv",
        summary="The shifts at the till and their close reports as CSV (ADMIN)",
        description=(
            "Every shift opened on the days `from`..`to` in the cinema's time zone, oldest "
            "first, with its close report's figures (as `GET /api/shifts/{id}/`). Streamed, "
            "UTF-8, a header row, amounts with two decimals and a dot. At most 366 days "
            "(`range_too_long` beyond). File name: `marquee-shifts-<from>_<to>.csv`."
        ),
        parameters=RANGE_PARAMETERS,
        responses=_csv_response(
            "Columns: shift_id, cashier, opened, closed (local times), float, cash_in, "
            "cash_out, expected (float + in - out), counted and difference (counted - "
            "expected; empty while open), card_terminal_in, card_terminal_out, sales, "
            "refunds (how many)."
        ),
    )
    def get(self, request):
        return super().get(request)

    export = staticmethod(exports.shifts_export)
