"""Reads of the counter: the showtimes it sells, with how full each is."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from bookings.selectors import sold_seats
from cinema.models import Showtime

# How far ahead the Sell screen lists showtimes.
SELL_DAYS_AHEAD = 7


def counter_showtimes(*, now: datetime) -> QuerySet[Showtime]:
    """The showtimes the counter sells now: from those started less than
    COUNTER_SALES_AFTER_START_MINUTES ago to a week ahead, soonest first, with
    ``sold_seats``, movie and hall."""
    since = now - timedelta(minutes=settings.COUNTER_SALES_AFTER_START_MINUTES)
    return (
        Showtime.objects.filter(
            start_time__gt=since, start_time__lt=now + timedelta(days=SELL_DAYS_AHEAD)
        )
        .select_related("movie", "hall")
        .annotate(sold_seats=sold_seats())
        .order_by("start_time", "hall__name")
    )
