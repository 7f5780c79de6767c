from datetime import datetime

from django.db import close_old_connections, transaction
from django.db.models import Min
from django.utils import timezone

from bookings import selectors
from bookings.models import ReservationSeat
from bookings.serializers import seat_map_data


def seat_map_now(showtime_id: int) -> tuple[dict, str, datetime | None]:
    """The seat map exactly as ``/seats/`` answers it, its ETag, and when the next of
    its holds lapses (None: no hold will), when the map changes with no write.

    Read on the primary, in one transaction (the router sends no read of an atomic
    block to the replica): the change was announced right after its commit, which the
    replica may not have applied yet, and a map read before it would show no change."""
    close_old_connections()  # no request cycle here: drop a broken or expired one
    now = timezone.now()
    with transaction.atomic():
        state = selectors.seat_map_state(showtime_id=showtime_id, now=now)
        next_lapse = (
            ReservationSeat.objects.filter(showtime_id=showtime_id, hold_expires_at__gt=now)
            .holds()
            .aggregate(at=Min("hold_expires_at"))["at"]
        )
    data = seat_map_data(selectors.seat_map_build(state))
    return data, state.etag, next_lapse
