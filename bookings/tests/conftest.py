import pytest

from bookings.models import IdempotencyKey, Reservation, ReservationSeat


def row_counts() -> dict:
    return {
        "reservations": Reservation.objects.count(),
        "claims": ReservationSeat.objects.count(),
        "live_claims": ReservationSeat.objects.filter(active=True).count(),
        "keys": IdempotencyKey.objects.count(),
    }


@pytest.fixture
def counts():
    """``counts()`` snapshots the booking tables, to show an error wrote nothing."""
    return row_counts
