import datetime as dt

from django.conf import settings
from rest_framework import serializers

from core.days import DAY_OUT_OF_RANGE, day_in_range
from core.limits import MAX_ID
from reports.exports import SALES_BY, export_range


class StatsQuerySerializer(serializers.Serializer):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD&movie=<id>&hall=<id>`` (all optional)."""

    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    movie = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    hall = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def get_fields(self):
        # "from" is a Python keyword: declare the fields under other names, expose them
        # under the query parameter names.
        fields = super().get_fields()
        fields["from"] = fields.pop("date_from")
        fields["to"] = fields.pop("date_to")
        return fields

    def validate(self, attrs):
        errors = {}
        for name in ("from", "to"):
            day = attrs.get(name)
            if day is not None and not day_in_range(day):
                errors[name] = [DAY_OUT_OF_RANGE]
        if errors:
            raise serializers.ValidationError(errors)
        date_from, date_to = attrs.get("from"), attrs.get("to")
        if date_from and not date_to:
            date_to = date_from + dt.timedelta(days=37)
        if date_to and not date_from:
            date_from = date_to - dt.timedelta(days=37)
        if date_from and date_to:
            if date_from > date_to:
                raise serializers.ValidationError({"to": ["Must not be before 'from'."]})
            days = (date_to - date_from).days + 1
            if days > settings_max_days():
                raise serializers.ValidationError(
                    {"to": [f"The range may cover at most {settings_max_days()} days."]}
                )
            attrs["from"], attrs["to"] = date_from, date_to
        return attrs


def settings_max_days() -> int:
    return getattr(settings, "STATS_MAX_DAYS", 366)


class SalesExportQuerySerializer(StatsQuerySerializer):
    """The report's filters, and ``by``: one row per showtime, day or movie. A range
    longer than a year is the domain error ``range_too_long`` (400), with a code."""

    by = serializers.ChoiceField(choices=SALES_BY, required=False, default="day")

    def validate(self, attrs):
        date_from, date_to = attrs.get("from"), attrs.get("to")
        if date_from and date_to and day_in_range(date_from) and day_in_range(date_to):
            export_range(date_from, date_to)
        return super().validate(attrs)


class LedgerExportQuerySerializer(SalesExportQuerySerializer):
    """``?from=&to=``: the ledger is every payment of those days, whatever the movie."""

    def get_fields(self):
        fields = super().get_fields()
        for name in ("by", "movie", "hall"):
            fields.pop(name)
        return fields


class FiguresSerializer(serializers.Serializer):
    showtimes = serializers.IntegerField(help_text="Showtimes counted.")
    revenue = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Sum of the prices paid for confirmed seats."
    )
    tickets_sold = serializers.IntegerField(help_text="Seats of confirmed reservations.")
    reservations = serializers.IntegerField(help_text="Confirmed reservations.")
    cancellations = serializers.IntegerField(help_text="Cancelled reservations.")
    capacity = serializers.IntegerField(help_text="Seats offered: the halls' capacity summed.")
    occupancy = serializers.FloatField(help_text="tickets_sold / capacity, 0..1.")
    checked_in = serializers.IntegerField(help_text="Tickets checked in at the door.")
    no_shows = serializers.IntegerField(
        help_text="Tickets never checked in, of showtimes that have ended."
    )
    list_revenue = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="What the confirmed seats would have paid at their list prices.",
    )
    discount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="What came off the list prices (vouchers, prices set at the counter): "
        "revenue = list_revenue - discount. A price an ADMIN set above the list's counts "
        "against it (a negative discount).",
    )


class MovieFiguresSerializer(FiguresSerializer):
    movie_id = serializers.IntegerField()
    movie_title = serializers.CharField()


class ShowtimeFiguresSerializer(FiguresSerializer):
    showtime_id = serializers.IntegerField()
    start_time = serializers.DateTimeField()
    movie_id = serializers.IntegerField()
    movie_title = serializers.CharField()
    hall_id = serializers.IntegerField()
    hall_name = serializers.CharField()


class DayFiguresSerializer(FiguresSerializer):
    date = serializers.DateField(help_text="A day in the cinema's time zone.")


_MONEY = {"max_digits": 14, "decimal_places": 2}


class MoneyFiguresSerializer(serializers.Serializer):
    taken = serializers.DecimalField(
        **_MONEY, help_text="Money captured: payments that succeeded, refunded or not."
    )
    refunded = serializers.DecimalField(**_MONEY, help_text="Money given back.")
    disputed = serializers.DecimalField(
        **_MONEY, help_text="Money in a card dispute (chargeback) still open at Stripe."
    )
    dispute_lost = serializers.DecimalField(
        **_MONEY, help_text="Money of disputes lost: the customer's bank took it back."
    )
    net = serializers.DecimalField(
        **_MONEY, help_text="taken - refunded - dispute_lost: what the cinema keeps."
    )


class MethodMoneySerializer(MoneyFiguresSerializer):
    provider = serializers.CharField(help_text="`stripe` or `box_office`.")
    method = serializers.CharField(help_text="`card` (online), `cash` or `card_terminal`.")
    payments = serializers.IntegerField(help_text="Payments that took money.")


class MoneySerializer(MoneyFiguresSerializer):
    """Money for the report's showtimes (payments of their reservations), in
    ``currency``: in total and per provider and payment method."""

    currency = serializers.CharField(help_text="ISO 4217 code (CURRENCY).")
    anomalies = serializers.IntegerField(
        help_text="Payments Stripe's copy did not back (wrong amount, currency or "
        "metadata): counted in none of the figures; staff see them in the admin."
    )
    per_method = MethodMoneySerializer(many=True)


class TicketTypeFiguresSerializer(serializers.Serializer):
    ticket_type = serializers.CharField(help_text="The code of the price lists (`adult`...).")
    tickets_sold = serializers.IntegerField(help_text="Seats of confirmed reservations.")
    list_revenue = serializers.DecimalField(
        **_MONEY, help_text="What they would have paid at the list prices."
    )
    discount = serializers.DecimalField(
        **_MONEY,
        help_text="What came off the list prices (less what an ADMIN charged above them).",
    )
    revenue = serializers.DecimalField(
        **_MONEY, help_text="What was charged: list_revenue - discount."
    )


class VoucherFiguresSerializer(serializers.Serializer):
    voucher = serializers.CharField(help_text="The voucher's code.")
    reservations = serializers.IntegerField(help_text="Confirmed reservations that used it.")
    tickets_sold = serializers.IntegerField()
    discount = serializers.DecimalField(**_MONEY, help_text="What it took off.")
    revenue = serializers.DecimalField(**_MONEY, help_text="What its seats were charged.")


class PricesSerializer(serializers.Serializer):
    """The sold seats of the report's showtimes by ticket type and by voucher: revenue
    (as in `totals`, net of discounts) and the discounts given. A discount with no
    voucher is a price set by hand at the counter."""

    list_revenue = serializers.DecimalField(**_MONEY)
    discount = serializers.DecimalField(**_MONEY, help_text="Vouchers and prices set by hand.")
    revenue = serializers.DecimalField(**_MONEY, help_text="Equals `totals.revenue`.")
    per_ticket_type = TicketTypeFiguresSerializer(many=True)
    per_voucher = VoucherFiguresSerializer(many=True)


class StatsSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    time_zone = serializers.CharField(help_text="The zone whose days the report counts.")
    totals = FiguresSerializer()
    per_movie = MovieFiguresSerializer(many=True)
    per_showtime = ShowtimeFiguresSerializer(many=True)
    per_day = DayFiguresSerializer(many=True)
    money = MoneySerializer()
    prices = PricesSerializer()
