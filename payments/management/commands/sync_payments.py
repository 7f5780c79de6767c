from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from payments.services import payments_sync


class Command(BaseCommand):
    help = (
        "Settle what lost webhooks left open: read every Stripe payment still pending "
        "after --older-than minutes back from Stripe and apply its state as the webhook "
        "would, and retry every refund that is due or failed. Run it from cron every few "
        "minutes. Exits 1 if Stripe could not be reached for some payment (run it again)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=10,
            metavar="MINUTES",
            help="Only payments pending at least this long (default 10): a webhook is "
            "normally there within seconds.",
        )

    def handle(self, *args, older_than, **options):
        if older_than < 0:
            raise CommandError("--older-than must be 0 or more minutes.")
        tally = payments_sync(older_than=timedelta(minutes=older_than))
        if not tally:
            self.stdout.write("Nothing to settle.")
        for outcome, count in sorted(tally.items()):
            self.stdout.write(f"{outcome}: {count}")
        if any(
            word in outcome
            for outcome in tally
            for word in ("provider_unavailable", "REFUND_FAILED", "deferred")
        ):
            raise CommandError("Stripe could not settle every payment; run sync_payments again.")
