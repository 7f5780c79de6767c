"""A believable cinema for development: halls, movies, two weeks of showtimes (one
played, one ahead) with their sales and their money (card and counter payments, a few
refunds), the doors of the played ones (check-ins), an admin, a cashier, an usher and a
customer.

The catalogue and schedule come from demo/catalogue.py, the sales from demo/sales.py,
all through the services, so the data keeps every rule the API keeps. Idempotent:
every row is looked up by its natural key first, and a showtime that has reservations
is not sold again, and a showtime with a check-in has had its doors.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from bookings.models import Reservation
from bookings.services import holds_expire
from cinema.models import Hall, Movie, Showtime
from demo import catalogue, sales
from notifications.services import emails_not_sent
from users import services as user_services
from users.models import Role, User

USERS = [
    # username, role, dev-only password
    ("admin", Role.ADMIN, "marquee-admin-dev"),
    ("cashier", Role.CASHIER, "marquee-cashier-dev"),
    ("usher", Role.USHER, "marquee-usher-dev"),
    ("customer", Role.CUSTOMER, "marquee-customer-dev"),
]

# The audience: customers who cannot log in (no password), who bought the demo's seats.
FIRST_NAMES = [
    "anna", "ben", "clara", "david", "elif", "felix", "greta", "hassan", "ida", "jonas",
    "katya", "leon", "mila", "noah", "olga", "paul", "quinn", "rosa", "samir", "tara",
]  # fmt: skip
LAST_NAMES = ["weber", "novak", "costa", "lindqvist"]

# A week played and a week ahead: enough for the reports to show a week of sales per
# day, within a few seconds on SQLite (each reservation goes through the service).
DAYS_BACK = 7
DAYS_AHEAD = 6


class Command(BaseCommand):
    help = (
        "Load demo data: halls, movies, showtimes from a week ago to a week ahead with "
        "their sales, an admin, a cashier, an usher and a customer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )
        parser.add_argument(
            "--days-back",
            type=int,
            default=DAYS_BACK,
            help=f"Days of played showtimes, with their sales (default {DAYS_BACK}).",
        )
        parser.add_argument(
            "--days-ahead",
            type=int,
            default=DAYS_AHEAD,
            help=f"Days of showtimes ahead of today (default {DAYS_AHEAD}).",
        )

    def handle(self, *args, force=False, days_back=DAYS_BACK, days_ahead=DAYS_AHEAD, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with well-known passwords; it refuses to run with "
                "DEBUG off. Pass --force if this really is a throwaway environment."
            )
        started = time.monotonic()
        with transaction.atomic():
            halls = catalogue.seed_halls()
            movies = catalogue.seed_movies()
            catalogue.seed_prices()
        showtimes, created = catalogue.seed_schedule(
            halls=halls,
            movies=movies,
            days_back=max(0, days_back),
            days_ahead=max(0, days_ahead),
            progress=self._progress,
        )
        users = self._users()
        audience = self._audience()
        # Without DEBUG's query log: thousands of bookings would fill it for nothing. The
        # audience's confirmation emails stay in the outbox, unsent: their addresses are
        # made up, and the worker `make run` starts would print thousands of them.
        with (
            override_settings(DEBUG=False),
            emails_not_sent("demo data: the audience's addresses are made up"),
        ):
            sold = sales.seed_sales(
                showtimes=showtimes,
                customers=audience,
                cashier=users["cashier"],
                progress=self._progress,
            )
        holds_expire()  # the holds that lapsed become EXPIRED, as expire_holds does
        own = sales.seed_customer_reservations(customer=users["customer"], showtimes=showtimes)
        holds = sales.seed_live_holds(showtimes=showtimes, customers=audience)
        admitted = sales.seed_check_ins(
            showtimes=showtimes, usher=users["usher"], progress=self._progress
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo cinema ready in {time.monotonic() - started:.1f} s: "
                f"{Hall.objects.count()} halls, {Movie.objects.count()} movies, "
                f"{Showtime.objects.count()} showtimes ({created} new), "
                f"{Reservation.objects.count()} reservations ({sold.reservations + own + holds} "
                f"new: {sold.seats} seats sold, {sold.cancelled} cancelled, "
                f"{holds} live holds of {settings.HOLD_MINUTES} minutes); "
                f"{sold.paid_online} paid online by card, {sold.paid_at_counter} at the "
                f"counter, {sold.refunded} refunded; {admitted} tickets checked in."
            )
        )
        self._print_accounts()
        # Where to look; `manage.py demo_ticket` (make run) prints the customer's ticket.
        self._print_links()

    def _progress(self, label: str, done: int, total: int) -> None:
        if not total:
            return
        width = 30
        filled = width * done // total
        if done != total and filled == width * (done - 1) // total:
            return  # the bar did not move: at most one line per step of it in a log
        bar = "#" * filled + "-" * (width - filled)
        ending = "\n" if done == total else ""
        self.stdout.write(f"\r{label} [{bar}] {done}/{total}", ending=ending)
        self.stdout.flush()

    def _users(self) -> dict[str, User]:
        users = {}
        for username, role, password in USERS:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={"email": f"{username}@marquee.example", "role": role},
            )
            user.role = role
            user.set_password(password)
            user.save()
            users[username] = user
        return users

    def _audience(self) -> list[User]:
        names = [f"{first}.{last}" for last in LAST_NAMES for first in FIRST_NAMES]
        existing = {user.username: user for user in User.objects.filter(username__in=names)}
        audience = []
        for name in names:
            user = existing.get(name)
            if user is None:
                user = user_services.user_create(
                    username=name,
                    email=f"{name}@example.com",
                    password=None,
                    role=Role.CUSTOMER,
                    first_name=name.split(".")[0].capitalize(),
                    last_name=name.split(".")[1].capitalize(),
                )
            audience.append(user)
        return audience

    def _print_accounts(self) -> None:
        self.stdout.write("Dev-only accounts (never use these passwords anywhere real):")
        for username, role, password in USERS:
            self.stdout.write(f"  {role:<8} {username} / {password}")

    def _print_links(self) -> None:
        self.stdout.write("Try (on the server below): /api/docs/ (Swagger UI), /api/redoc/,")
        self.stdout.write("  /admin/ (staff; the reports at /admin/reports/)")
        self.stdout.write("  /admin/box-office/sell/ (the counter: cashier) and /door/ (usher)")
