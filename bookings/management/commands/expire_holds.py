from django.core.management.base import BaseCommand

from bookings.services import holds_expire, idempotency_keys_purge


class Command(BaseCommand):
    help = (
        "Mark lapsed holds EXPIRED, free their seats and delete stale Idempotency-Keys. "
        "Housekeeping only: bookings and the seat map already ignore lapsed holds."
    )

    def handle(self, *args, **options):
        reservations, seats = holds_expire()
        keys = idempotency_keys_purge()
        self.stdout.write(
            f"Expired {reservations} held reservation(s), released {seats} seat(s), "
            f"deleted {keys} stale idempotency key(s)."
        )
