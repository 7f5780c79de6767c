from datetime import datetime

from django.db import close_old_connections, connection, transaction
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
    if not connection.in_atomic_block:
        # No request cycle on the hub's threads: drop a broken or expired connection.
        # Never inside a transaction (a test's, or a caller's): closing would break it.
        close_old_connections()
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
