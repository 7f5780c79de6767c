from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.ticket import demo_ticket_lines


class Command(BaseCommand):
    help = (
        "Give the demo customer (seed_demo's 'customer') a ticket for an upcoming showtime "
        "if they have none, and print where to see it. Development only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, base_url, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("demo_ticket books a demo seat; it refuses to run with DEBUG off.")
        lines = demo_ticket_lines(base_url=base_url.rstrip("/"))
        if not lines:
            self.stdout.write("No demo ticket: run seed_demo first (no customer or no showtime).")
        for line in lines:
            self.stdout.write(line)
