from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from bookings import selectors
from bookings.models import ReservationSeat
from bookings.serializers import seat_map_data


def seat_map_now(showtime_id: int) -> tuple[dict, str, datetime | None]:
    """The seat map exactly as ``/seats/`` answers it, its ETag, and when the next of
    its holds lapses (None: no hold will), when the map changes with no write."""
    now = timezone.now()
    state = selectors.seat_map_state(showtime_id=showtime_id, now=now)
    data = seat_map_data(selectors.seat_map_build(state))
    next_lapse = (
        ReservationSeat.objects.filter(showtime_id=showtime_id, hold_expires_at__gt=now)
        .holds()
        .aggregate(at=Min("hold_expires_at"))["at"]
    )
    return data, state.etag, next_lapse
