from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.models import PaymentState, Reservation, ReservationSeat, SeatStatus
from bookings.services import BookingResult, ShowtimeCancellation
from cinema.models import SeatType, Showtime
from core.limits import MAX_ID
from core.money import PRICE_DIGITS
from core.serializers import MoneyField, StrictCharField, StrictModelSerializer


# --- input ------------------------------------------------------------------------------
# How many seats one reservation may cover is a business rule with its own error code
# (`too_many_seats`, with the limit), and so is an empty list (`no_seats`): the service
# decides both, the schema states them as minItems/maxItems.
@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID},
        "minItems": 1,
        "maxItems": settings.MAX_SEATS_PER_RESERVATION,
        "description": "Seat ids of the showtime's hall (see the seat map), at most "
        "MAX_SEATS_PER_RESERVATION "
        f"({settings.MAX_SEATS_PER_RESERVATION}). An empty list is 400 `no_seats`, a longer "
        "one 400 `too_many_seats`.",
    }
)
class SeatIdsField(serializers.ListField):
    child = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class BestAvailableMixin(serializers.Serializer):
    """``seats`` (the customer's choice) or ``quantity`` (best available, with an
    optional ``seat_type``): exactly one of the two."""

    seats = SeatIdsField(required=False)
    # No maximum here: more than MAX_SEATS_PER_RESERVATION is the engine's
    # `too_many_seats`, with the limit, as for a list of seats.
    quantity = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Best available, instead of `seats`: this many adjacent free seats of one "
        "row, the best placed there are (the centre of the rows about two thirds back "
        "first, never leaving one seat alone between taken ones when the row allows "
        "otherwise). At most MAX_SEATS_PER_RESERVATION "
        f"({settings.MAX_SEATS_PER_RESERVATION}), else 400 `too_many_seats`; none free is "
        "409 `no_block_available` with `largest`, the largest block there is.",
    )
    seat_type = serializers.ChoiceField(
        choices=SeatType.choices,
        required=False,
        help_text="With `quantity` only: seats of this type only. Left out: STANDARD or VIP "
        "seats (a block is always of one type); ACCESSIBLE seats only when asked for.",
    )

    def validate(self, attrs):
        has_seats, has_quantity = "seats" in attrs, "quantity" in attrs
        if not has_seats and not has_quantity:
            raise serializers.ValidationError(
                {"seats": ["This field is required, unless `quantity` (best available) is given."]}
            )
        if has_seats and has_quantity:
            raise serializers.ValidationError(
                {"quantity": ["Give either `seats` or `quantity` (best available), not both."]}
            )
        if has_seats and "seat_type" in attrs:
            raise serializers.ValidationError(
                {"seat_type": ["Only with `quantity`: the seats named are what they are."]}
            )
        return attrs


class ReservationCreateSerializer(BestAvailableMixin):
    showtime = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    hold = serializers.BooleanField(
        default=False,
        help_text="Hold the seats for HOLD_MINUTES instead of booking them; confirm later.",
    )


@extend_schema_field(
    {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "description": "The seat's 1-based position in the hall, row by row. A number the "
        "hall has no seat for (0, negative, or past its capacity) is 400 "
        "`invalid_seat_number`.",
    }
)
class SeatNumberField(serializers.IntegerField):
    """Any whole number: which ones name a seat only the hall knows, so every other one
    is the same domain error (``invalid_seat_number``), whatever its sign."""


class ShowBookSerializer(serializers.Serializer):
    seat_number = SeatNumberField()


# --- output -----------------------------------------------------------------------------
class ReservationShowtimeSerializer(StrictModelSerializer):
    movie_id = serializers.IntegerField(read_only=True)
    movie_title = serializers.CharField(source="movie.title", read_only=True)
    hall_id = serializers.IntegerField(read_only=True)
    hall_name = serializers.CharField(source="hall.name", read_only=True)

    class Meta:
        model = Showtime
        fields = ["id", "movie_id", "movie_title", "hall_id", "hall_name", "start_time"]


class ReservationSeatSerializer(StrictModelSerializer):
    label = serializers.CharField(source="seat.label", read_only=True)
    row = serializers.CharField(source="seat.row", read_only=True)
    number = serializers.IntegerField(source="seat.number", read_only=True)
    seat_type = serializers.ChoiceField(
        source="seat.seat_type", choices=SeatType.choices, read_only=True
    )

    class Meta:
        model = ReservationSeat
        fields = ["id", "seat_id", "label", "row", "number", "seat_type", "price"]


class ReservationPaymentSerializer(serializers.Serializer):
    """Where the reservation stands with its money (see GET /api/payments/ for the
    payments themselves)."""

    status = serializers.ChoiceField(choices=PaymentState.choices, read_only=True)
    amount = MoneyField(
        read_only=True,
        help_text="The reservation's price: what is due, paid or refunded.",
    )
    currency = serializers.CharField(read_only=True, help_text="ISO 4217 code (CURRENCY).")


def payment_data(reservation: Reservation) -> dict:
    return {
        "status": str(reservation.payment_status),
        "amount": _money.to_representation(reservation.total_price),
        "currency": settings.CURRENCY,
    }


class ReservationSerializer(StrictModelSerializer):
    """A reservation with its seats and the price paid for each, and its payment state.
    A cancelled or expired reservation still lists the seats it had."""

    showtime = ReservationShowtimeSerializer(read_only=True)
    seats = ReservationSeatSerializer(many=True, read_only=True)
    user = serializers.IntegerField(
        source="user_id",
        read_only=True,
        allow_null=True,
        help_text="The customer's account; null for a walk-in sold at the counter.",
    )
    sold_by = serializers.IntegerField(
        source="sold_by_id",
        read_only=True,
        allow_null=True,
        help_text="The cashier who sold it at the counter; null for an online booking.",
    )
    # Plain strings: empty (not an email) when the counter was given none.
    customer_name = serializers.CharField(
        read_only=True, help_text="The name given at the counter; empty online."
    )
    customer_email = serializers.CharField(
        read_only=True, help_text="The email given at the counter; empty online."
    )
    payment = serializers.SerializerMethodField()

    class Meta:
        model = Reservation
        fields = [
            "id",
            "user",
            "sold_by",
            "customer_name",
            "customer_email",
            "showtime",
            "status",
            "seats",
            "total_price",
            "payment",
            "expires_at",
            "cancelled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ReservationPaymentSerializer)
    def get_payment(self, reservation: Reservation) -> dict:
        return payment_data(reservation)


class GuestSerializer(StrictModelSerializer):
    """A reservation as a showtime's guest list shows it to counter staff."""

    customer = serializers.CharField(
        source="customer_label",
        read_only=True,
        help_text="Who it is for: a walk-in's name, else the account's full name or "
        "username, else the email given, else `walk-in`.",
    )
    email = serializers.CharField(
        source="contact_email",
        read_only=True,
        help_text="Where its emails go (the address given at the counter, else the "
        "account's); may be empty.",
    )
    at_counter = serializers.BooleanField(read_only=True, help_text="Sold at the counter.")
    seats = serializers.SerializerMethodField(help_text="Seat labels, in the hall's order.")
    payment_status = serializers.ChoiceField(choices=PaymentState.choices, read_only=True)
    checked_in = serializers.IntegerField(
        read_only=True, help_text="How many of its tickets were used at the door."
    )

    class Meta:
        model = Reservation
        fields = [
            "id",
            "status",
            "customer",
            "email",
            "at_counter",
            "seats",
            "total_price",
            "payment_status",
            "checked_in",
            "created_at",
        ]
        read_only_fields = fields

    def get_seats(self, reservation: Reservation) -> list[str]:
        return [claim.seat.label for claim in reservation.seats.all()]


class NextStepSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["checkout"], read_only=True)
    detail = serializers.CharField(read_only=True)
    checkout = serializers.CharField(read_only=True, help_text="Where to POST the checkout.")
    pay_by = serializers.DateTimeField(read_only=True, help_text="When the hold lapses.")


class ShowBookResponseSerializer(ReservationSerializer):
    """The compatibility booking's answer: the reservation, and with PAYMENT_REQUIRED on
    (the booking is then a hold) ``next``: how to pay for it."""

    # Not read-only: the schema then marks it optional, as it is.
    next = NextStepSerializer(required=False)

    class Meta(ReservationSerializer.Meta):
        fields = [*ReservationSerializer.Meta.fields, "next"]


def next_step_data(reservation_data: dict) -> dict:
    """How to pay for a hold that PAYMENT_REQUIRED made of a booking."""
    checkout = f"/api/reservations/{reservation_data['id']}/checkout/"
    return {
        "action": "checkout",
        "detail": "Payment is required: the seats are held until pay_by. Pay online with "
        f'POST {checkout} {{"provider": "stripe"}}, or at the box office.',
        "checkout": checkout,
        "pay_by": reservation_data["expires_at"],
    }


class MyBookingSerializer(ReservationSerializer):
    """A reservation as the compatibility route ``/api/my-bookings/`` lists it: with a
    link to its tickets."""

    tickets_url = serializers.SerializerMethodField(
        help_text="Its tickets (one per seat once confirmed), with their QR codes."
    )

    class Meta(ReservationSerializer.Meta):
        fields = [*ReservationSerializer.Meta.fields, "tickets_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_tickets_url(self, reservation: Reservation) -> str:
        path = reverse("reservation-tickets", kwargs={"pk": reservation.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


_datetime = serializers.DateTimeField()
_money = MoneyField()


def _dt(value):
    return None if value is None else _datetime.to_representation(value)


def booking_data(result: BookingResult) -> dict:
    """What ``ReservationSerializer`` gives for the reservation a booking just created,
    built from the booking's result (``result.complete``) without reading it back:
    building a ModelSerializer costs more than the rest of the response
    (docs/performance.md). bookings/tests/test_queries.py checks that both agree."""
    reservation = result.reservation
    showtime = reservation.showtime
    return {
        "id": reservation.pk,
        "user": reservation.user_id,
        "sold_by": reservation.sold_by_id,
        "customer_name": reservation.customer_name,
        "customer_email": reservation.customer_email,
        "showtime": {
            "id": showtime.pk,
            "movie_id": showtime.movie_id,
            "movie_title": result.movie_title,
            "hall_id": showtime.hall_id,
            "hall_name": result.hall_name,
            "start_time": _dt(showtime.start_time),
        },
        "status": str(reservation.status),
        "seats": [
            {
                "id": seat.claim_id,
                "seat_id": seat.seat_id,
                "label": seat.label,
                "row": seat.row,
                "number": seat.number,
                "seat_type": str(seat.seat_type),
                "price": _money.to_representation(seat.price),
            }
            for seat in result.seats
        ],
        "total_price": _money.to_representation(reservation.total_price),
        "payment": payment_data(reservation),
        "expires_at": _dt(reservation.expires_at),
        "cancelled_at": _dt(reservation.cancelled_at),
        "created_at": _dt(reservation.created_at),
        "updated_at": _dt(reservation.updated_at),
    }


def seat_map_data(seat_map: dict) -> dict:
    """``selectors.showtime_seat_map``'s answer with its times as the API writes them
    (the shape SeatMapSerializer documents)."""
    showtime = seat_map["showtime"]
    return {
        **seat_map,
        "showtime": {
            **showtime,
            "start_time": _dt(showtime["start_time"]),
            "end_time": _dt(showtime["end_time"]),
        },
    }


# --- seat map (documentation only: the view builds plain dicts for speed) ---------------
class SeatMapSeatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    label = serializers.CharField()
    seat_type = serializers.ChoiceField(choices=SeatType.choices)
    price = MoneyField(max_digits=PRICE_DIGITS)
    status = serializers.ChoiceField(choices=SeatStatus.choices)


class SeatMapCountsSerializer(serializers.Serializer):
    available = serializers.IntegerField()
    held = serializers.IntegerField()
    booked = serializers.IntegerField()
    total = serializers.IntegerField()


class ConfirmationResentSerializer(serializers.Serializer):
    """A re-sent confirmation: on its way (the outbox worker delivers it)."""

    reservation = serializers.IntegerField()
    to = serializers.EmailField(help_text="Where it goes: the reservation's contact email.")
    detail = serializers.CharField()


class _NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()


class SeatMapMovieSerializer(_NamedRefSerializer):
    title = serializers.CharField()


class SeatMapHallSerializer(_NamedRefSerializer):
    name = serializers.CharField()


class SeatMapShowtimeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    movie = SeatMapMovieSerializer()
    hall = SeatMapHallSerializer()
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField()
    price = MoneyField(max_digits=PRICE_DIGITS)
    vip_price = MoneyField(max_digits=PRICE_DIGITS)
    bookable = serializers.BooleanField(
        help_text="False once the booking cutoff has passed, or the showtime was cancelled."
    )
    cancelled = serializers.BooleanField(help_text="The cinema cancelled this showtime.")


class ShowtimeCancelSerializer(serializers.Serializer):
    reason = StrictCharField(
        max_length=500,
        multiline=True,
        help_text="Why the cinema cancels the screening; every customer's email says it.",
    )


class ShowtimeCancellationSerializer(serializers.Serializer):
    """A cancelled screening: when, why, and what this request finished."""

    showtime = serializers.IntegerField()
    cancelled_at = serializers.DateTimeField()
    cancel_reason = serializers.CharField()
    reservations_cancelled = serializers.IntegerField(
        help_text="Reservations this request cancelled (a re-run counts only what was left)."
    )
    detail = serializers.CharField()


def showtime_cancellation_data(done: ShowtimeCancellation) -> dict:
    """``services.showtime_cancel``'s answer, in ShowtimeCancellationSerializer's shape."""
    showtime = done.showtime
    return {
        "showtime": showtime.pk,
        "cancelled_at": showtime.cancelled_at,
        "cancel_reason": showtime.cancel_reason,
        "reservations_cancelled": done.reservations_cancelled,
        "detail": f"{showtime} is cancelled; {done.reservations_cancelled} reservation(s) "
        "cancelled and refunded or owed.",
    }


class SeatMapSerializer(serializers.Serializer):
    showtime = SeatMapShowtimeSerializer()
    counts = SeatMapCountsSerializer()
    seats = SeatMapSeatSerializer(many=True)
