from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.models import PaymentState, Reservation, ReservationSeat, SeatStatus
from bookings.services import BookingResult, SeatChoice, ShowtimeCancellation
from cinema.models import ADULT, SeatType, Showtime
from core.limits import MAX_ID
from core.money import PRICE_DIGITS, money_sum
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


class SeatChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The seat's id.")
    type = serializers.SlugField(
        max_length=20,
        default=ADULT,
        help_text="A ticket type of the showtime's price list (its seat map lists them), "
        "e.g. `child`. Left out: `adult`.",
    )


class CounterSeatChoiceSerializer(SeatChoiceSerializer):
    price = MoneyField(
        max_digits=PRICE_DIGITS,
        required=False,
        min_value=Decimal("0"),
        help_text="A price set by hand (with `price_reason`): down to "
        "PRICE_OVERRIDE_FLOOR_PERCENT of the list price and up to it; above it only for an "
        "ADMIN. Otherwise 403 `price_override_refused`.",
    )


_SEAT_ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
_TICKET_TYPE_SCHEMA = {
    "type": "string",
    "pattern": "^[-a-zA-Z0-9_]+$",
    "maxLength": 20,
    "default": ADULT,
    "description": "A ticket type of the showtime's price list (its seat map lists them), "
    "e.g. `child`. Left out: `adult`.",
}
_PRICE_SCHEMA = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?\d{0,6}(?:\.\d{0,2})?$",
    "description": "A price set by hand (with `price_reason`): down to "
    "PRICE_OVERRIDE_FLOOR_PERCENT of the list price and up to it; above it only for an "
    "ADMIN. Otherwise 403 `price_override_refused`.",
}


def _seats_schema(*, with_price: bool) -> dict:
    choice = {
        "type": "object",
        "properties": {
            "id": _SEAT_ID_SCHEMA,
            "type": _TICKET_TYPE_SCHEMA,
            **({"price": _PRICE_SCHEMA} if with_price else {}),
        },
        "required": ["id"],
    }
    return {
        "type": "array",
        "items": {"oneOf": [_SEAT_ID_SCHEMA, choice]},
        "minItems": 1,
        "maxItems": settings.MAX_SEATS_PER_RESERVATION,
        "description": "The seats, by id (an Adult ticket each) or as objects naming their "
        'ticket type: `[101, {"id": 102, "type": "child"}]`. At most '
        f"MAX_SEATS_PER_RESERVATION ({settings.MAX_SEATS_PER_RESERVATION}). An empty list "
        "is 400 `no_seats`, a longer one 400 `too_many_seats`; a type the showtime does "
        "not sell 400 `unknown_ticket_type`, one too young for the movie 400 "
        "`age_restricted`.",
    }


_SEAT_ID = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class _AsSent(serializers.Field):
    """A list item taken as parsed: ``SeatChoicesField`` decides what it is."""

    def to_internal_value(self, data):
        return data


class SeatChoicesField(serializers.ListField):
    """Seat ids, or objects with a ticket type (``SeatChoiceSerializer``): validated to
    a list of ``services.SeatChoice``."""

    choice_serializer = SeatChoiceSerializer

    def __init__(self, **kwargs):
        super().__init__(child=_AsSent(), **kwargs)

    def to_internal_value(self, data):
        items = super().to_internal_value(data)
        choices, errors = [], {}
        for index, item in enumerate(items):
            if isinstance(item, dict):
                serializer = self.choice_serializer(data=item)
                if serializer.is_valid():
                    choices.append(SeatChoice(**_choice_fields(serializer.validated_data)))
                else:
                    errors[index] = serializer.errors
                continue
            try:
                if isinstance(item, bool | float):
                    raise serializers.ValidationError("A valid integer is required.")
                choices.append(SeatChoice(seat_id=_SEAT_ID.run_validation(item)))
            except serializers.ValidationError as exc:
                errors[index] = exc.detail
        if errors:
            raise serializers.ValidationError(errors)
        return choices


def _choice_fields(data: dict) -> dict:
    return {"seat_id": data["id"], "ticket_type": data["type"], "price": data.get("price")}


@extend_schema_field(_seats_schema(with_price=False))
class OnlineSeatChoicesField(SeatChoicesField):
    pass


@extend_schema_field(_seats_schema(with_price=True))
class CounterSeatChoicesField(SeatChoicesField):
    choice_serializer = CounterSeatChoiceSerializer


class BestAvailableMixin(serializers.Serializer):
    """``seats`` (the customer's choice) or ``quantity`` (best available, with an
    optional ``seat_type``): exactly one of the two."""

    seats = OnlineSeatChoicesField(required=False)
    voucher = StrictCharField(
        required=False,
        max_length=40,
        help_text="A voucher code (any case): its discount applies to the seats it covers "
        "and the reservation shows it. Unknown: 400 `voucher_invalid`; used up: 409 "
        "`voucher_exhausted`; past its validity: 409 `voucher_expired`; not for this "
        "showtime, movie or these ticket types: 409 `voucher_not_applicable`. Requests "
        "naming a voucher are throttled (THROTTLE_VOUCHER_RATE).",
    )
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


def seat_arguments(data: dict) -> dict:
    """A booking serializer's seats (``SeatChoicesField``), voucher and best-available
    fields as ``services.reservation_create``'s arguments."""
    choices = data.get("seats")
    return {
        "seat_ids": None if choices is None else [choice.seat_id for choice in choices],
        "choices": choices,
        "quantity": data.get("quantity"),
        "seat_type": data.get("seat_type"),
        "voucher": data.get("voucher"),
    }


class ReservationCreateSerializer(BestAvailableMixin):
    showtime = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    hold = serializers.BooleanField(
        default=False,
        help_text="Hold the seats for HOLD_MINUTES instead of booking them; confirm later.",
    )


_PLAIN_KEYS = frozenset(("showtime", "seats", "hold"))


def _an_id(value) -> bool:
    return type(value) is int and 0 < value <= MAX_ID


def plain_booking(data) -> dict | None:
    """What ``ReservationCreateSerializer`` validates the plain booking body to
    (``{"showtime": id, "seats": [ids], "hold"?: bool}``, JSON-typed, every id in
    range), read without building the serializer (about 130 µs a booking); None for any
    other body, which the serializer then decides, errors included. Pinned to the
    serializer by bookings/tests/test_plain_booking.py."""
    if type(data) is not dict or not data.keys() <= _PLAIN_KEYS:
        return None
    showtime, seats, hold = data.get("showtime"), data.get("seats"), data.get("hold", False)
    if not _an_id(showtime) or type(seats) is not list or type(hold) is not bool:
        return None
    if not all(_an_id(seat_id) for seat_id in seats):
        return None
    return {
        "showtime": showtime,
        "seats": [SeatChoice(seat_id=seat_id) for seat_id in seats],
        "hold": hold,
    }


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

    ticket_type = serializers.CharField(
        read_only=True, help_text="Its ticket type (a code of the showtime's price list)."
    )
    list_price = MoneyField(
        source="list_price_or_price",
        max_digits=PRICE_DIGITS,
        read_only=True,
        help_text="The price list's price for its ticket type and seat type.",
    )
    discount = MoneyField(
        max_digits=PRICE_DIGITS,
        read_only=True,
        help_text="What came off the list price (a voucher, a price set at the counter): "
        "`price` = `list_price` - `discount`; negative when an ADMIN set a price above "
        "the list's.",
    )

    class Meta:
        model = ReservationSeat
        fields = [
            "id",
            "seat_id",
            "label",
            "row",
            "number",
            "seat_type",
            "ticket_type",
            "list_price",
            "discount",
            "price",
        ]


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
    voucher = serializers.CharField(
        source="voucher.code",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The voucher code its seats were discounted with; null for none.",
    )
    discount = MoneyField(
        read_only=True,
        help_text="What came off the seats' list prices in all; `total_price` is what is "
        "charged (the sum of the seats' prices).",
    )

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
            "voucher",
            "discount",
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
                "ticket_type": seat.ticket_type,
                "list_price": _money.to_representation(seat.price + seat.discount),
                "discount": _money.to_representation(seat.discount),
                "price": _money.to_representation(seat.price),
            }
            for seat in result.seats
        ],
        "voucher": result.voucher_code,
        "discount": _money.to_representation(money_sum(seat.discount for seat in result.seats)),
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


class SeatMapTicketTypeSerializer(serializers.Serializer):
    """A ticket type the showtime sells, with its price on each seat type (a seat's
    `price` is the Adult one)."""

    code = serializers.CharField(help_text='What a booking names: `{"id": 12, "type": code}`.')
    name = serializers.CharField()
    max_age = serializers.IntegerField(
        allow_null=True, help_text="Its holders are under this age; null: any age."
    )
    prices = serializers.DictField(
        child=MoneyField(max_digits=PRICE_DIGITS), help_text="Seat type -> price."
    )


class SeatMapSerializer(serializers.Serializer):
    showtime = SeatMapShowtimeSerializer()
    ticket_types = SeatMapTicketTypeSerializer(many=True)
    counts = SeatMapCountsSerializer()
    seats = SeatMapSeatSerializer(many=True)
