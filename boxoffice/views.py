"""The counter's API: a sale in one call."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import selectors as booking_selectors
from bookings.exceptions import (
    DuplicateSeats,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidSeats,
    NoSeatsChosen,
    SeatsUnavailable,
    ShowtimeClosed,
    ShowtimeNotFound,
    TooManySeats,
)
from bookings.views import IDEMPOTENCY_HEADER
from boxoffice import services
from boxoffice.serializers import CounterSaleCreateSerializer, CounterSaleSerializer
from core.schema import domain_errors
from tickets.selectors import ticket_queryset
from users.permissions import MaySell


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
    "a retry sells nothing twice.",
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
        )
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
            IdempotencyKeyReused,
        ),
    },
)
class CounterSaleView(APIView):
    permission_classes = [MaySell]

    def post(self, request):
        serializer = CounterSaleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer = data.get("customer") or {}
        result = services.counter_sale_create(
            cashier=request.user,
            showtime_id=data["showtime"],
            seat_ids=data["seats"],
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
