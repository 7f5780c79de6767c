import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.money import PRICE_DIGITS, money_field


class Genre(models.TextChoices):
    ACTION = "action", "Action"
    ANIMATION = "animation", "Animation"
    COMEDY = "comedy", "Comedy"
    DOCUMENTARY = "documentary", "Documentary"
    DRAMA = "drama", "Drama"
    FAMILY = "family", "Family"
    FANTASY = "fantasy", "Fantasy"
    HORROR = "horror", "Horror"
    ROMANCE = "romance", "Romance"
    SCIFI = "sci-fi", "Science fiction"
    THRILLER = "thriller", "Thriller"


class AgeRating(models.TextChoices):
    ALL = "0", "All ages"
    SIX = "6", "6+"
    TWELVE = "12", "12+"
    SIXTEEN = "16", "16+"
    EIGHTEEN = "18", "18+"


MAX_DURATION_MINUTES = 1000

# Sane bounds for a release date: the first films, and a decade ahead (an announced
# film). Beyond them a date is a typo or a probe, and year 9999 breaks date arithmetic.
EARLIEST_RELEASE_DATE = dt.date(1888, 1, 1)
RELEASE_YEARS_AHEAD = 10


def validate_release_date(value: dt.date) -> None:
    latest = dt.date.today() + dt.timedelta(days=366 * RELEASE_YEARS_AHEAD)
    if not EARLIEST_RELEASE_DATE <= value <= latest:
        raise ValidationError(
            f"Give a date between {EARLIEST_RELEASE_DATE.isoformat()} and {latest.isoformat()}.",
            code="date_out_of_range",
        )


# A movie's fields as staff edit them, and as the API shows them (with its id), in one
# order: the serializers, the admin form, the services and the prepared list query
# all use these.
MOVIE_EDITABLE_FIELDS = (
    "title",
    "description",
    "poster_url",
    "duration_minutes",
    "release_date",
    "genre",
    "age_rating",
)
MOVIE_PUBLIC_FIELDS = ("id", *MOVIE_EDITABLE_FIELDS)


class Movie(models.Model):
    title = models.CharField(max_length=200, db_index=True)
    description = models.TextField(blank=True)
    # Only web addresses: a javascript: or data: URL in an <img src> is an XSS vector.
    poster_url = models.URLField(
        max_length=500, blank=True, validators=[URLValidator(schemes=["http", "https"])]
    )
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    release_date = models.DateField(validators=[validate_release_date])
    genre = models.CharField(max_length=32, choices=Genre.choices, db_index=True)
    age_rating = models.CharField(max_length=4, choices=AgeRating.choices, default=AgeRating.ALL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="cinema_movie_duration_positive"
            ),
        ]

    def __str__(self):
        return self.title


class Hall(models.Model):
    """A screening room. Its seats are created from a layout in one go; ``capacity`` is
    the number of those seats, stored so lists need not count them (the layout cannot
    change once the hall has showtimes)."""

    name = models.CharField(max_length=100, unique=True)
    capacity = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class SeatType(models.TextChoices):
    STANDARD = "STANDARD", "Standard"
    VIP = "VIP", "VIP"
    ACCESSIBLE = "ACCESSIBLE", "Accessible"


class Seat(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="seats")
    row = models.CharField(max_length=3)
    number = models.PositiveSmallIntegerField()
    # 1-based place in the hall, row by row: the "seat_number" of the compatibility API
    # and the order of the seat map.
    position = models.PositiveIntegerField()
    seat_type = models.CharField(max_length=16, choices=SeatType.choices, default=SeatType.STANDARD)

    class Meta:
        ordering = ["hall_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "row", "number"], name="cinema_seat_unique_row_number"
            ),
            models.UniqueConstraint(
                fields=["hall", "position"], name="cinema_seat_unique_position"
            ),
            models.CheckConstraint(condition=Q(number__gt=0), name="cinema_seat_number_positive"),
            models.CheckConstraint(
                condition=Q(position__gt=0), name="cinema_seat_position_positive"
            ),
        ]

    def __str__(self):
        return f"{self.hall.name} {self.label}" if self.hall_id else self.label

    @property
    def label(self) -> str:
        return f"{self.row}{self.number}"


# --- prices: ticket types in price lists (docs/pricing.md) -----------------------------
ADULT = "adult"  # the base ticket type of every price list: the showtime's own prices


class PriceList(models.Model):
    """The ticket types a showtime sells (Adult, Child, Student, Senior...) and their
    prices per seat type. Every list has the base type ``adult``, whose prices are each
    showtime's own ``price`` and ``vip_price`` (so a showtime's prices stay where staff
    and the API always set them); the other types have a price per seat type here. A
    showtime without a list uses the default one (``is_default``, created with the
    schema: Adult alone until staff add types to it)."""

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]

    def __str__(self):
        return self.name


class TicketType(models.Model):
    """A kind of ticket in a price list: ``code`` is what a booking names
    (``{"id": 12, "type": "child"}``). ``max_age``: its holders are under this age
    (Child: 12), so it is not sold for a movie whose age rating they are all below."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="ticket_types")
    code = models.SlugField(max_length=20)
    name = models.CharField(max_length=50)
    max_age = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Holders are under this age (Child: 12). Empty: any age.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["price_list_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "code"], name="cinema_tickettype_unique_code"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_base(self) -> bool:
        return self.code == ADULT


class TicketPrice(models.Model):
    """A ticket type's price on one seat type. A type with no price for a seat type
    sells it at the showtime's own price for that seat type (the base type has none)."""

    ticket_type = models.ForeignKey(TicketType, on_delete=models.CASCADE, related_name="prices")
    seat_type = models.CharField(max_length=16, choices=SeatType.choices)
    amount = money_field(max_digits=PRICE_DIGITS)

    class Meta:
        ordering = ["ticket_type_id", "seat_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_type", "seat_type"], name="cinema_ticketprice_unique_seat_type"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=Decimal("0")), name="cinema_ticketprice_amount_non_negative"
            ),
        ]

    def __str__(self):
        return f"{self.ticket_type} {self.seat_type}: {self.amount}"


class Showtime(models.Model):
    """One screening of a movie in a hall. ``end_time`` is when the hall is free again:
    start + the movie's duration + the cleaning buffer, fixed when the showtime is
    scheduled. Two showtimes of one hall never have intersecting [start, end) ranges."""

    movie = models.ForeignKey(Movie, on_delete=models.PROTECT, related_name="showtimes")
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="showtimes")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    price = money_field(max_digits=PRICE_DIGITS)
    vip_price = money_field(max_digits=PRICE_DIGITS, verbose_name="VIP price")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the cinema cancels the screening (bookings.services.showtime_cancel):
    # it sells nothing more, and its reservations are cancelled and refunded. Nullable
    # and with a database default, so nodes still on the previous release, which do not
    # know the columns, keep inserting showtimes.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True, default="", db_default="")
    # The ticket types it sells; empty: the default list. Nullable, so the previous
    # release's nodes keep inserting showtimes.
    price_list = models.ForeignKey(
        PriceList,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="showtimes",
        help_text="The ticket types it sells and their prices; empty: the default list.",
    )

    class Meta:
        ordering = ["start_time", "id"]
        indexes = [
            models.Index(fields=["hall", "start_time"], name="cinema_show_hall_start_idx"),
            models.Index(fields=["start_time"], name="cinema_show_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gt=Decimal("0")), name="cinema_showtime_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(vip_price__gt=Decimal("0")), name="cinema_showtime_vip_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="cinema_showtime_ends_after_start",
            ),
        ]

    def __str__(self):
        # In the cinema's time zone, as every time staff read (breadcrumbs, titles,
        # messages, the lists that name a showtime): the database holds UTC.
        if self.movie_id is None or self.hall_id is None or self.start_time is None:
            return "New showtime"
        return f"{self.movie} @ {self.hall} {timezone.localtime(self.start_time):%Y-%m-%d %H:%M}"

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def price_for(self, seat_type: str) -> Decimal:
        return self.vip_price if seat_type == SeatType.VIP else self.price

    @property
    def film_end(self):
        """When the film ends: start + the movie's duration (which cannot change while
        the movie is scheduled). ``end_time`` adds the cleaning buffer."""
        return self.start_time + dt.timedelta(minutes=self.movie.duration_minutes)
