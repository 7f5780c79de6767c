import contextlib

from django.core.validators import URLValidator
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cinema.models import (
    MAX_DURATION_MINUTES,
    MOVIE_PUBLIC_FIELDS,
    AgeRating,
    Genre,
    Hall,
    Movie,
    PriceList,
    Seat,
    SeatType,
    Showtime,
    TicketType,
    validate_release_date,
)
from cinema.services import MAX_ROWS, MAX_SEATS_PER_ROW
from core.money import CENT, PRICE_DIGITS
from core.serializers import (
    MoneyField,
    StrictCharField,
    StrictChoiceField,
    StrictModelSerializer,
    StrictSlugField,
)

# --- Movies ---------------------------------------------------------------------------


def poster_url_output_field():
    # Plain string in the schema: an http(s) URL, or "" when there is no poster (which a
    # `format: uri` would not allow).
    return serializers.CharField(
        read_only=True, help_text="http(s) URL of the poster; empty when there is none."
    )


class MovieSerializer(StrictModelSerializer):
    poster_url = poster_url_output_field()

    class Meta:
        model = Movie
        fields = list(MOVIE_PUBLIC_FIELDS)
        read_only_fields = fields


# One schema for "an http(s) URL or nothing": drf-spectacular's oneOf (a URI, or an
# empty string) let "" match both branches, which a validating client refuses.
@extend_schema_field(
    {
        "type": "string",
        "maxLength": 500,
        # The scheme in any case, as the server takes it; surrounding blanks are trimmed.
        "pattern": r"^\s*([hH][tT][tT][pP][sS]?://\S+)?\s*$",
        "description": "An http(s) URL of the poster, or empty for none.",
    }
)
class PosterURLField(StrictCharField):
    pass


class MovieWriteSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    description = StrictCharField(allow_blank=True, required=False, default="", multiline=True)
    # DRF drops the model's URLValidator, so the http(s)-only rule is restated here.
    poster_url = PosterURLField(
        max_length=500,
        allow_blank=True,
        required=False,
        default="",
        validators=[URLValidator(schemes=["http", "https"], message="Give an http(s) URL.")],
    )
    duration_minutes = serializers.IntegerField(min_value=1, max_value=MAX_DURATION_MINUTES)
    release_date = serializers.DateField(validators=[validate_release_date])
    genre = StrictChoiceField(choices=Genre.choices)
    age_rating = StrictChoiceField(choices=AgeRating.choices, required=False, default=AgeRating.ALL)


# --- Halls ----------------------------------------------------------------------------


class SeatSerializer(StrictModelSerializer):
    class Meta:
        model = Seat
        fields = ["id", "row", "number", "label", "position", "seat_type"]
        read_only_fields = fields


class HallSerializer(StrictModelSerializer):
    class Meta:
        model = Hall
        fields = ["id", "name", "capacity"]
        read_only_fields = fields


class HallDetailSerializer(StrictModelSerializer):
    """A hall with its layout; needs ``seats`` prefetched."""

    rows = serializers.SerializerMethodField()
    seats_per_row = serializers.SerializerMethodField()
    vip_rows = serializers.SerializerMethodField()
    seats = SeatSerializer(many=True, read_only=True)

    class Meta:
        model = Hall
        fields = ["id", "name", "capacity", "rows", "seats_per_row", "vip_rows", "seats"]
        read_only_fields = fields

    def get_rows(self, hall) -> int:
        return len({seat.row for seat in hall.seats.all()})

    def get_seats_per_row(self, hall) -> int:
        return max((seat.number for seat in hall.seats.all()), default=0)

    def get_vip_rows(self, hall) -> list[str]:
        rows = []
        for seat in hall.seats.all():
            if seat.seat_type == "VIP" and seat.row not in rows:
                rows.append(seat.row)
        return rows


class HallLayoutSerializer(serializers.Serializer):
    rows = serializers.IntegerField(min_value=1, max_value=MAX_ROWS)
    seats_per_row = serializers.IntegerField(min_value=1, max_value=MAX_SEATS_PER_ROW)
    vip_rows = serializers.ListField(
        child=StrictCharField(max_length=3), required=False, default=list
    )
    accessible_seats = serializers.ListField(
        child=StrictCharField(max_length=8),
        required=False,
        default=list,
        help_text='Seat labels such as "A1" that become ACCESSIBLE seats.',
    )


class HallCreateSerializer(HallLayoutSerializer):
    name = StrictCharField(max_length=100)


class HallUpdateSerializer(serializers.Serializer):
    """Rename, and/or replace the layout (only while the hall has no showtimes)."""

    name = StrictCharField(max_length=100, required=False)
    rows = serializers.IntegerField(min_value=1, max_value=MAX_ROWS, required=False)
    seats_per_row = serializers.IntegerField(
        min_value=1, max_value=MAX_SEATS_PER_ROW, required=False
    )
    vip_rows = serializers.ListField(child=StrictCharField(max_length=3), required=False)
    accessible_seats = serializers.ListField(child=StrictCharField(max_length=8), required=False)

    def validate(self, attrs):
        layout_keys = {"rows", "seats_per_row", "vip_rows", "accessible_seats"} & attrs.keys()
        if layout_keys:
            missing = [key for key in ("rows", "seats_per_row") if key not in attrs]
            if missing:
                raise serializers.ValidationError(
                    dict.fromkeys(missing, "A new layout needs rows and seats_per_row.")
                )
        return attrs


# --- Showtimes ------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.DateTimeField):
    """A datetime that must carry its UTC offset: a naive time is ambiguous (the
    cinema's zone? the client's?), so it is refused rather than guessed."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = None
            with contextlib.suppress(ValueError):
                parsed = parse_datetime(value.strip())
            if parsed is not None and parsed.tzinfo is None:
                raise serializers.ValidationError(
                    "Give a time zone offset, e.g. 2026-05-01T20:00:00+02:00 or ...Z."
                )
        return super().to_internal_value(value)


class ShowtimeMovieSerializer(StrictModelSerializer):
    poster_url = poster_url_output_field()

    class Meta:
        model = Movie
        fields = ["id", "title", "duration_minutes", "genre", "age_rating", "poster_url"]
        read_only_fields = fields


class ShowtimeSerializer(StrictModelSerializer):
    """A showtime with its movie and hall. Times are shown in the cinema's time zone,
    with their offset. ``available_seats`` = capacity minus live (held or booked) seats.
    ``cancelled_at`` and ``cancel_reason`` are set once the cinema cancelled it (the
    lists leave such a showtime out)."""

    movie = ShowtimeMovieSerializer(read_only=True)
    hall = HallSerializer(read_only=True)
    available_seats = serializers.IntegerField(read_only=True)

    class Meta:
        model = Showtime
        fields = [
            "id",
            "movie",
            "hall",
            "start_time",
            "end_time",
            "price",
            "vip_price",
            "available_seats",
            "cancelled_at",
            "cancel_reason",
            "price_list",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "price_list": {"help_text": "The id of the price list it sells; null: the default."}
        }


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^\d{1,6}(?:\.\d{1,2})?$",
        "description": "A price in the cinema's currency, at least 0.01, e.g. `11.50`.",
    }
)
class PriceField(MoneyField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=PRICE_DIGITS, min_value=CENT, **kwargs)


def price_list_field(**kwargs):
    return serializers.PrimaryKeyRelatedField(
        queryset=PriceList.objects.all(),
        allow_null=True,
        required=False,
        help_text="The id of the price list (its ticket types) it sells; null: the default.",
        **kwargs,
    )


class ShowtimeCreateSerializer(serializers.Serializer):
    movie = serializers.PrimaryKeyRelatedField(queryset=Movie.objects.all())
    hall = serializers.PrimaryKeyRelatedField(queryset=Hall.objects.all())
    start_time = AwareDateTimeField()
    price = PriceField()
    vip_price = PriceField(
        required=False,
        help_text="Price of a VIP seat, at least 0.01; defaults to `price`, never below it.",
    )
    price_list = price_list_field()


class ShowtimeUpdateSerializer(serializers.Serializer):
    movie = serializers.PrimaryKeyRelatedField(queryset=Movie.objects.all(), required=False)
    hall = serializers.PrimaryKeyRelatedField(queryset=Hall.objects.all(), required=False)
    start_time = AwareDateTimeField(required=False)
    price = PriceField(required=False)
    vip_price = PriceField(required=False)
    price_list = price_list_field()


# --- Price lists ------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            seat_type: {
                "type": "string",
                "format": "decimal",
                "pattern": r"^\d{1,6}(?:\.\d{1,2})?$",
            }
            for seat_type in SeatType.values
        },
        "additionalProperties": False,
        "description": "Its price per seat type (a seat type left out sells at the "
        "showtime's own price for it); the base type `adult` has none.",
    }
)
class TicketPricesField(serializers.DictField):
    def __init__(self, **kwargs):
        super().__init__(child=MoneyField(max_digits=PRICE_DIGITS, min_value=0), **kwargs)

    def to_internal_value(self, data):
        prices = super().to_internal_value(data)
        unknown = sorted(set(prices) - set(SeatType.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown seat type(s): {', '.join(unknown)}; give {', '.join(SeatType.values)}."
            )
        return prices


class TicketTypeSerializer(StrictModelSerializer):
    prices = serializers.SerializerMethodField()

    class Meta:
        model = TicketType
        fields = ["code", "name", "max_age", "prices"]
        read_only_fields = fields

    @extend_schema_field(TicketPricesField)
    def get_prices(self, kind) -> dict:
        to_price = _price.to_representation
        return {price.seat_type: to_price(price.amount) for price in kind.prices.all()}


class PriceListSerializer(StrictModelSerializer):
    """A price list with its ticket types; needs them and their prices prefetched."""

    ticket_types = TicketTypeSerializer(many=True, read_only=True)

    class Meta:
        model = PriceList
        fields = ["id", "name", "is_default", "ticket_types"]
        read_only_fields = fields


class TicketTypeWriteSerializer(serializers.Serializer):
    code = StrictSlugField(max_length=20)
    name = StrictCharField(max_length=50)
    max_age = serializers.IntegerField(min_value=1, max_value=120, required=False, allow_null=True)
    prices = TicketPricesField(required=False, default=dict)


class PriceListWriteSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    is_default = serializers.BooleanField(
        required=False,
        help_text="Make it the default list (the previous default stops being one).",
    )
    ticket_types = TicketTypeWriteSerializer(
        many=True,
        help_text="All its ticket types, in their order; the base type `adult` always, "
        "without prices. On a change, the list given replaces the list's types.",
    )


# --- fast list rendering ----------------------------------------------------------------
# The hot lists render rows from ``values_list`` straight into the shapes of
# MovieSerializer and ShowtimeSerializer (which stay the views' serializer_class, for the
# schema and every other action): a ModelSerializer per row costs more than the query
# (docs/performance.md). cinema/tests/test_list_rendering.py checks both agree.
_datetime = serializers.DateTimeField()
_price = MoneyField(max_digits=PRICE_DIGITS)

MOVIE_LIST_COLUMNS = MOVIE_PUBLIC_FIELDS


def movie_list_data(rows) -> list[dict]:
    """``rows`` from ``movies.values_list(*MOVIE_LIST_COLUMNS)``, or from
    ``selectors.MovieCatalogue`` (the release date already as text)."""
    return [
        {
            "id": pk,
            "title": title,
            "description": description,
            "poster_url": poster_url,
            "duration_minutes": duration,
            "release_date": release_date
            if release_date is None or isinstance(release_date, str)
            else release_date.isoformat(),
            "genre": genre,
            "age_rating": age_rating,
        }
        for pk, title, description, poster_url, duration, release_date, genre, age_rating in rows
    ]


def showtime_list_data(rows) -> list[dict]:
    """``rows`` from ``showtimes.values_list(*SHOWTIME_LIST_COLUMNS)`` of a queryset
    annotated by ``selectors.with_available_seats``, or from
    ``selectors.ShowtimeSchedule``."""
    to_time, to_price = _datetime.to_representation, _price.to_representation
    return [
        {
            "id": pk,
            "movie": {
                "id": movie_id,
                "title": title,
                "duration_minutes": duration,
                "genre": genre,
                "age_rating": age_rating,
                "poster_url": poster_url,
            },
            "hall": {"id": hall_id, "name": hall_name, "capacity": capacity},
            "start_time": to_time(start_time),
            "end_time": to_time(end_time),
            "price": to_price(price),
            "vip_price": to_price(vip_price),
            "available_seats": available,
            "cancelled_at": None if cancelled_at is None else to_time(cancelled_at),
            "cancel_reason": cancel_reason,
            "price_list": price_list_id,
        }
        for (
            pk,
            movie_id,
            title,
            duration,
            genre,
            age_rating,
            poster_url,
            hall_id,
            hall_name,
            capacity,
            start_time,
            end_time,
            price,
            vip_price,
            available,
            cancelled_at,
            cancel_reason,
            price_list_id,
        ) in rows
    ]
