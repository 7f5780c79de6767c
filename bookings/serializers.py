from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.models import Reservation, ReservationSeat
from cinema.models import SeatType, Showtime

# Bounds the request size only; the business limit is MAX_SEATS_PER_RESERVATION.
_MAX_SEATS_IN_REQUEST = 100
# The largest primary key any backend stores; bigger numbers are a 400, not a driver error.
MAX_ID = 2**63 - 1


# --- input ------------------------------------------------------------------------------
class ReservationCreateSerializer(serializers.Serializer):
    showtime = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    seats = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=_MAX_SEATS_IN_REQUEST,
        help_text="Seat ids of the showtime's hall (see the seat map).",
    )
    hold = serializers.BooleanField(
        default=False,
        help_text="Hold the seats for HOLD_MINUTES instead of booking them; confirm later.",
    )


class ShowBookSerializer(serializers.Serializer):
    seat_number = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="The seat's 1-based position in the hall, row by row.",
    )


# --- output -----------------------------------------------------------------------------
class ReservationShowtimeSerializer(serializers.ModelSerializer):
    movie_id = serializers.IntegerField(read_only=True)
    movie_title = serializers.CharField(source="movie.title", read_only=True)
    hall_id = serializers.IntegerField(read_only=True)
    hall_name = serializers.CharField(source="hall.name", read_only=True)

    class Meta:
        model = Showtime
        fields = ["id", "movie_id", "movie_title", "hall_id", "hall_name", "start_time"]


class ReservationSeatSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="seat.label", read_only=True)
    row = serializers.CharField(source="seat.row", read_only=True)
    number = serializers.IntegerField(source="seat.number", read_only=True)
    seat_type = serializers.ChoiceField(
        source="seat.seat_type", choices=SeatType.choices, read_only=True
    )

    class Meta:
        model = ReservationSeat
        fields = ["id", "seat_id", "label", "row", "number", "seat_type", "price"]


class ReservationSerializer(serializers.ModelSerializer):
    """A reservation with its seats and the price paid for each. A cancelled or expired
    reservation still lists the seats it had."""

    showtime = ReservationShowtimeSerializer(read_only=True)
    seats = ReservationSeatSerializer(many=True, read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)

    class Meta:
        model = Reservation
        fields = [
            "id",
            "user",
            "showtime",
            "status",
            "seats",
            "total_price",
            "expires_at",
            "cancelled_at",
            "created_at",
            "updated_at",
        ]


_datetime = serializers.DateTimeField()
_money = serializers.DecimalField(max_digits=10, decimal_places=2)


def _dt(value):
    return None if value is None else _datetime.to_representation(value)


def reservation_data(reservation: Reservation) -> dict:
    """What ``ReservationSerializer(reservation).data`` gives, built directly: for a
    reservation the booking service just created, with its showtime (movie and hall
    attached) and its seats in memory. Building a ModelSerializer costs more than the
    rest of the response (docs/performance.md); bookings/tests/test_queries.py checks
    that both agree."""
    showtime = reservation.showtime
    return {
        "id": reservation.pk,
        "user": reservation.user_id,
        "showtime": {
            "id": showtime.pk,
            "movie_id": showtime.movie_id,
            "movie_title": showtime.movie.title,
            "hall_id": showtime.hall_id,
            "hall_name": showtime.hall.name,
            "start_time": _dt(showtime.start_time),
        },
        "status": str(reservation.status),
        "seats": [
            {
                "id": claim.pk,
                "seat_id": claim.seat_id,
                "label": claim.seat.label,
                "row": claim.seat.row,
                "number": claim.seat.number,
                "seat_type": str(claim.seat.seat_type),
                "price": _money.to_representation(claim.price),
            }
            for claim in reservation.seats.all()
        ],
        "total_price": _money.to_representation(reservation.total_price),
        "expires_at": _dt(reservation.expires_at),
        "cancelled_at": _dt(reservation.cancelled_at),
        "created_at": _dt(reservation.created_at),
        "updated_at": _dt(reservation.updated_at),
    }


# --- seat map (documentation only: the view builds plain dicts for speed) ---------------
# Inline enums: a second component for SeatType's values would clash with SeatTypeEnum.
@extend_schema_field({"type": "string", "enum": list(SeatType.values)})
class _SeatTypeField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": ["available", "held", "booked"]})
class _SeatStatusField(serializers.CharField):
    pass


class SeatMapSeatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    label = serializers.CharField()
    type = _SeatTypeField()
    price = serializers.DecimalField(max_digits=8, decimal_places=2)
    status = _SeatStatusField()


class SeatMapCountsSerializer(serializers.Serializer):
    available = serializers.IntegerField()
    held = serializers.IntegerField()
    booked = serializers.IntegerField()
    total = serializers.IntegerField()


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
    price = serializers.DecimalField(max_digits=8, decimal_places=2)
    vip_price = serializers.DecimalField(max_digits=8, decimal_places=2)
    bookable = serializers.BooleanField(help_text="False once the booking cutoff has passed.")


class SeatMapSerializer(serializers.Serializer):
    showtime = SeatMapShowtimeSerializer()
    counts = SeatMapCountsSerializer()
    seats = SeatMapSeatSerializer(many=True)


class TakenSeatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class SeatsUnavailableSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    seats = TakenSeatSerializer(many=True)
