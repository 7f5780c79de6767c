from django.core.management.base import BaseCommand, CommandError

from bookings.exceptions import ShowtimeCancelled, ShowtimeNotFound
from bookings.services import showtime_cancel


class Command(BaseCommand):
    help = (
        "The cinema cancels a screening: the showtime sells nothing more, its live "
        "reservations are cancelled (card payments refunded, box-office payments owed, "
        "tickets void, one email each with the reason). Run it again to finish a cancel "
        "that stopped midway; it never refunds twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("showtime", type=int, help="The showtime's id.")
        parser.add_argument("--reason", required=True, help="Why; the customers' emails give it.")

    def handle(self, *args, showtime: int, reason: str, **options):
        reason = reason.strip()
        if not reason:
            raise CommandError("Give a --reason: the customers' emails say why.")
        try:
            done = showtime_cancel(showtime_id=showtime, reason=reason[:500], by="manage.py")
        except ShowtimeNotFound:
            raise CommandError(f"No showtime {showtime}.") from None
        except ShowtimeCancelled as exc:
            # Nothing left to do: the goal is reached, so a scripted re-run succeeds.
            self.stdout.write(str(exc.detail))
            return
        self.stdout.write(
            f"{done.showtime} is cancelled ({done.showtime.cancel_reason}): "
            f"{done.reservations_cancelled} reservation(s) cancelled by this run."
        )
