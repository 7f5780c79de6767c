"""The counter's API: a sale in one call."""

import django_filters
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import selectors as booking_selectors
from bookings.exceptions import (
    DuplicateSeats,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidSeats,
    NoBlockAvailable,
    NoSeatsChosen,
    SeatsUnavailable,
    ShowtimeCancelled,
    ShowtimeClosed,
    ShowtimeNotFound,
    TooManySeats,
)
from bookings.serializers import seat_arguments
from bookings.views import IDEMPOTENCY_HEADER, PRICING_ERRORS
from boxoffice import services
from boxoffice.serializers import (
    CounterSaleCreateSerializer,
    CounterSaleSerializer,
    ShiftCloseSerializer,
    ShiftOpenSerializer,
    ShiftReportSerializer,
    ShiftSerializer,
)
from core.days import DAY_OUT_OF_RANGE, day_in_range
from core.filters import IdFilter, NoEmptyValuesFilterSet
from core.limits import MAX_ID
from core.schema import domain_errors
from payments import shift_selectors, shift_services
from payments.exceptions import NoOpenShift, NotYourShift, ShiftAlreadyOpen, ShiftClosed
from payments.models import Shift
from pricing.exceptions import PriceOverrideRefused
from pricing.throttles import VOUCHER_THROTTLES
from tickets.selectors import ticket_queryset
from users.permissions import MaySell, MayTakePayment


def sale_data(reservation_id: int, request) -> dict:
    reservation = (
        booking_selectors.reservation_queryset()
        .prefetch_related(Prefetch("tickets", queryset=ticket_queryset()))
        .get(pk=reservation_id)
    )
    return CounterSaleSerializer(reservation, context={"request": request}).data


@extend_schema(
    tags=["box-office"],
    summary="Sell seats at the counter (CASHIER, ADMIN)",
    description="Sells the seats of a showtime to a walk-in (or to an account named in "
    "`customer.user`), paid by `method`, in one transaction through the booking engine: "
    "201 with the CONFIRMED, paid reservation and its tickets, or nothing at all. A seat "
    "taken meanwhile (online or at another till) is 409 `seats_unavailable` naming it. "
    "The counter sells until COUNTER_SALES_AFTER_START_MINUTES (15) after the start, then "
    "400 `showtime_closed`. No account is created for a walk-in; the confirmation goes "
    "to `customer.email` when given. Send an `Idempotency-Key` header: a double click or "
    "a retry sells nothing twice. The money goes into the cashier's open shift: without "
    "one, nothing is sold (409 `no_open_shift`; open one with `POST /api/shifts/`).\n\n"
    '"4 seats, best": `quantity` (and optionally `seat_type`) instead of `seats` sells '
    "the best block of that many adjacent free seats in one row, as online (see `POST "
    "/api/reservations/`); none free is 409 `no_block_available` with `largest`.\n\n"
    'Ticket types and vouchers as online (`{"id": 103, "type": "child"}`, '
    "`voucher`). A seat's `price` set by hand, with `price_reason`, goes to the audit "
    "trail: a CASHIER may go down to PRICE_OVERRIDE_FLOOR_PERCENT of the list price and "
    "up to it, an ADMIN above it too; otherwise 403 `price_override_refused`.",
    request=CounterSaleCreateSerializer,
    parameters=[IDEMPOTENCY_HEADER],
    examples=[
        OpenApiExample(
            "Two seats, cash, walk-in",
            value={
                "showtime": 12,
                "seats": [101, 102],
                "method": "cash",
                "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
            },
            request_only=True,
        ),
        OpenApiExample(
            "Four seats, best available, card",
            value={"showtime": 12, "quantity": 4, "method": "card"},
            request_only=True,
        ),
        OpenApiExample(
            "A family with a voucher, one seat at a price set by hand",
            value={
                "showtime": 12,
                "seats": [
                    101,
                    102,
                    {"id": 103, "type": "child"},
                    {"id": 104, "type": "child", "price": "5.00"},
                ],
                "voucher": "FAMILY10",
                "price_reason": "Seat with a broken armrest",
                "method": "cash",
            },
            request_only=True,
        ),
    ],
    responses={
        201: CounterSaleSerializer,
        **domain_errors(
            ShowtimeNotFound,
            NoSeatsChosen,
            DuplicateSeats,
            TooManySeats,
            InvalidSeats,
            ShowtimeClosed,
            InvalidIdempotencyKey,
            SeatsUnavailable,
            NoBlockAvailable,
            IdempotencyKeyReused,
            NoOpenShift,
            ShowtimeCancelled,
            *PRICING_ERRORS,
            PriceOverrideRefused,
        ),
    },
)
class CounterSaleView(APIView):
    permission_classes = [MaySell]
    throttle_classes = [*APIView.throttle_classes, *VOUCHER_THROTTLES]

    def post(self, request):
        serializer = CounterSaleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer = data.get("customer") or {}
        result = services.counter_sale_create(
            cashier=request.user,
            showtime_id=data["showtime"],
            **seat_arguments(data),
            price_reason=data.get("price_reason", ""),
            method=data["method"],
            customer=customer.get("user"),
            customer_name=customer.get("name", ""),
            customer_email=customer.get("email", ""),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        reservation_id = result.reservation.pk
        headers = {"Location": f"/api/reservations/{reservation_id}/"}
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            sale_data(reservation_id, request), status=status.HTTP_201_CREATED, headers=headers
        )


# --- shifts at the till -------------------------------------------------------------------
class ShiftFilter(NoEmptyValuesFilterSet):
    cashier = IdFilter(method="filter_cashier", label="The cashier's user id (ADMIN).")
    open = django_filters.BooleanFilter(
        method="filter_open", label="true: open shifts; false: closed ones."
    )
    day = django_filters.DateFilter(
        method="filter_day", label="Opened on this day (YYYY-MM-DD, TIME_ZONE)."
    )

    class Meta:
        model = Shift
        fields = ["cashier", "open", "day"]

    def filter_cashier(self, queryset, name, value):
        return shift_selectors.shifts_filter(queryset, cashier=value)

    def filter_open(self, queryset, name, value):
        return shift_selectors.shifts_filter(queryset, is_open=value)

    def filter_day(self, queryset, name, value):
        if not day_in_range(value):
            raise ValidationError({"day": [DAY_OUT_OF_RANGE]})
        return shift_selectors.shifts_filter(queryset, day=value)


@extend_schema_view(
    list=extend_schema(
        tags=["box-office"],
        summary="Shifts at the till (CASHIER: yours; ADMIN: everyone's)",
        description="Newest first, each with its float, what the drawer should hold "
        "(`expected`) and, once closed, the cash counted and the `difference`. Filter by "
        "`cashier` (ADMIN), `open` (true/false) and `day` (opened on, TIME_ZONE).",
    ),
    retrieve=extend_schema(
        tags=["box-office"],
        summary="A shift and its close report (CASHIER: yours; ADMIN: any)",
        description="The float, cash in (sales), cash out (refunds handed back), "
        "expected (float + in - out), counted and difference (counted - expected), the "
        "card-terminal totals apart, and every sale and refund of the shift.",
        responses={200: ShiftReportSerializer},
    ),
    create=extend_schema(
        tags=["box-office"],
        summary="Open your shift with a float (CASHIER, ADMIN)",
        description="One open shift per cashier: every payment you take at the counter "
        "and every refund you hand back belongs to it. Without one, selling and taking "
        "payment are 409 `no_open_shift`.",
        request=ShiftOpenSerializer,
        examples=[OpenApiExample("A float of 150", value={"float": "150.00"}, request_only=True)],
        responses={201: ShiftReportSerializer, **domain_errors(ShiftAlreadyOpen)},
    ),
    close=extend_schema(
        tags=["box-office"],
        summary="Close a shift with the cash counted (its cashier, or an ADMIN)",
        description="Records the cash counted in the drawer; the answer is the close "
        "report with the difference. A closed shift never changes: closing it again is "
        "409 `shift_closed`.",
        request=ShiftCloseSerializer,
        examples=[
            OpenApiExample("Counted", value={"counted": "412.50", "note": ""}, request_only=True)
        ],
        responses={200: ShiftReportSerializer, **domain_errors(NotYourShift, ShiftClosed)},
    ),
)
class ShiftViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ShiftSerializer
    permission_classes = [MayTakePayment]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ShiftFilter
    lookup_value_regex = r"[0-9]+"
    queryset = Shift.objects.none()  # for schema introspection; see get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Shift.objects.none()
        return shift_selectors.shifts_visible_to(self.request.user)

    def get_serializer_class(self):
        return ShiftSerializer if self.action == "list" else ShiftReportSerializer

    def get_object(self):
        if not 0 < int(self.kwargs["pk"]) <= MAX_ID:
            raise NotFound()
        return super().get_object()

    def create(self, request):
        serializer = ShiftOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shift = shift_services.shift_open(
            cashier=request.user, opening_float=serializer.validated_data["float"]
        )
        return Response(self._report(shift.pk), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        if not 0 < int(pk) <= MAX_ID or not Shift.objects.filter(pk=pk).exists():
            raise NotFound()
        serializer = ShiftCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shift = shift_services.shift_close(
            shift_id=int(pk),
            by=request.user,
            counted=serializer.validated_data["counted"],
            note=serializer.validated_data["note"],
        )
        return Response(self._report(shift.pk))

    def _report(self, shift_id: int) -> dict:
        shift = shift_selectors.shift_queryset().get(pk=shift_id)
        return ShiftReportSerializer(shift, context={"request": self.request}).data
