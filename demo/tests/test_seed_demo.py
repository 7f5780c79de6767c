"""seed_demo: a demo cinema whose reports and seat maps show something, made through the
services (so every invariant holds), quick and idempotent."""

import datetime as dt
import io
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.test import override_settings
from django.utils import timezone

from bookings.models import Reservation, ReservationSeat, ReservationStatus, ShowtimeCounters
from cinema.models import Hall, Movie, Seat, SeatType, Showtime
from core.days import local_zone
from notifications.models import OutboxEmail, OutboxStatus
from payments.models import CAPTURED_STATUSES, Method, Payment, PaymentStatus, Provider
from payments.shift_selectors import shift_difference, shift_queryset
from payments.shift_services import shift_open_for
from reports.selectors import stats_report
from tickets.models import Ticket, TicketStatus
from users.models import Role, User

pytestmark = pytest.mark.django_db

# A short range keeps most tests quick; the first test runs the default range, as
# `make run` does.
SMALL = ["--days-back", "2", "--days-ahead", "1"]


@pytest.fixture(scope="class")
def small_demo(django_db_setup, django_db_blocker):
    """One small demo for the tests that only read it: seeded once inside a transaction
    that is rolled back after the class's tests, each of which runs in a savepoint of its
    own (so what one test writes, such as a login, the next does not see). Returns what
    the command printed. (Its settings are those the tests see: conftest's fast hasher.)"""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=fast),
        transaction.atomic(),
    ):
        yield _seed(*SMALL)
        transaction.set_rollback(True)


def _counts():
    models = (Hall, Seat, Movie, Showtime, User, Reservation, ReservationSeat, Payment)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["refunded"] = Payment.objects.filter(status=PaymentStatus.REFUNDED).count()
    return counts


def _doors() -> dict[int, int]:
    """Tickets checked in, per showtime that has any."""
    used = Ticket.objects.filter(status=TicketStatus.USED)
    return dict(used.values_list("showtime_id").annotate(n=Count("id")).order_by())


def _seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_cinema_and_is_idempotent(settings):
    settings.DEBUG = True
    text = _seed()
    first, doors = _counts(), _doors()
    _seed()
    assert _counts() == first
    # Nobody is admitted twice: the showtimes whose doors the first run opened keep their
    # check-ins. (A showtime that started since, or admitted nobody, may be opened now.)
    after = _doors()
    assert doors and {show: after[show] for show in doors} == doors

    assert first["Hall"] >= 3 and first["Movie"] >= 8 and first["Showtime"] > 0
    capacities = sorted(Hall.objects.values_list("capacity", flat=True))
    assert len(set(capacities)) == len(capacities)
    assert all(100 <= capacity <= 300 for capacity in capacities)
    for hall in Hall.objects.all():
        vip_rows = set(hall.seats.filter(seat_type="VIP").values_list("row", flat=True))
        last_row = hall.seats.order_by("-position").first().row
        assert last_row in vip_rows  # VIP at the back
        shows = list(hall.showtimes.order_by("start_time"))
        assert all(a.end_time <= b.start_time for a, b in pairwise(shows))  # no overlap
    now = timezone.now()
    local_days = {timezone.localtime(show.start_time).date() for show in Showtime.objects.all()}
    assert len(local_days) == 14  # a week played, today, six days ahead
    assert Showtime.objects.filter(start_time__lt=now).count() > 50
    assert Showtime.objects.filter(start_time__gt=now).count() > 50

    assert User.objects.get(username="admin").role == Role.ADMIN
    assert User.objects.get(username="customer").role == Role.CUSTOMER
    assert "admin / " in text and "customer / " in text
    assert "14/14" in text  # progress


def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Hall.objects.exists()
    assert not User.objects.exists()
    call_command(
        "seed_demo", "--force", "--days-back", "0", "--days-ahead", "0", stdout=io.StringIO()
    )
    assert Hall.objects.count() == 3


class TestTheSmallDemo:
    """Tests that only read one small demo, seeded once for them all (``small_demo``)."""

    def test_seed_demo_sells_seats_like_a_cinema(self, small_demo, settings):
        """Past and upcoming showtimes with varied occupancy, cancellations, holds (lapsed,
        confirmed and live) and VIP seats: what the reports and seat maps then show."""
        now = timezone.now()

        sold = {
            show.pk: show.sold / show.hall.capacity
            for show in Showtime.objects.annotate(
                sold=Count("seat_claims", Q(seat_claims__active=True))
            )
            .select_related("hall")
            .filter(start_time__lt=now)
        }
        assert len(sold) > 20
        assert all(share > 0 for share in sold.values())  # every played showtime sold something
        # Varied occupancy: quiet and busy shows. (How busy depends on the weekdays the range
        # covers, which move with the day the test runs: a spread, not fixed bounds.)
        assert min(sold.values()) < 0.25 and max(sold.values()) - min(sold.values()) > 0.35
        upcoming = Showtime.objects.filter(start_time__gt=now)
        assert Reservation.objects.filter(showtime__in=upcoming).exists()

        statuses = dict(
            Reservation.objects.values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        assert statuses[ReservationStatus.CONFIRMED] > 500
        assert statuses[ReservationStatus.CANCELLED] > 0
        assert statuses[ReservationStatus.EXPIRED] > 0  # lapsed holds, tidied by the seed itself
        live_holds = ReservationSeat.objects.holds().live(now)
        assert live_holds.exists()
        assert ReservationSeat.objects.booked().filter(seat__seat_type=SeatType.VIP).exists()

        # Reservations of a played showtime were made (and cancelled) before it started.
        past = Reservation.objects.filter(showtime__start_time__lt=now).select_related("showtime")
        assert all(r.created_at < r.showtime.start_time for r in past)
        cancelled = past.filter(status=ReservationStatus.CANCELLED)
        assert all(r.created_at < r.cancelled_at < r.showtime.start_time for r in cancelled)

        # The printed customer has bookings to look at, with tickets and their emails.
        customer = User.objects.get(username="customer")
        mine = Reservation.objects.filter(user=customer, status=ReservationStatus.CONFIRMED)
        assert mine.count() >= 1
        assert Ticket.objects.filter(reservation__user=customer, status=TicketStatus.VALID).exists()
        # The audience's confirmations are history at made-up addresses: kept, never sent.
        outbox = dict(
            OutboxEmail.objects.values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        assert outbox[OutboxStatus.SKIPPED] >= statuses[ReservationStatus.CONFIRMED] - 5
        assert 1 <= outbox.get(OutboxStatus.PENDING, 0) <= 5  # the customer's own

    def test_seed_demo_makes_money(self, small_demo, settings):
        """Card payments (as Stripe's webhook records them), counter payments by the demo
        cashier, and refunds of the cancelled sales: the reports' money is not zero."""

        kinds = dict(
            Payment.objects.filter(status__in=CAPTURED_STATUSES)
            .values_list("provider", "method")
            .annotate(n=Count("id"))
            .values_list("method", "n")
        )
        assert kinds[Method.CARD] > 100
        assert kinds[Method.CASH] > 5 and kinds[Method.CARD_TERMINAL] > 5
        assert kinds[Method.CARD] > kinds[Method.CASH] + kinds[Method.CARD_TERMINAL]
        card = Payment.objects.filter(provider=Provider.STRIPE)
        assert all(ref.startswith("pi_demo_") for ref in card.values_list("reference", flat=True))
        counter = Payment.objects.filter(provider=Provider.BOX_OFFICE)
        assert set(counter.values_list("taken_by__username", flat=True)) == {"cashier"}
        # Every sale is paid once, for its total; every cancelled one was refunded.
        confirmed = Reservation.objects.filter(status=ReservationStatus.CONFIRMED)
        paid = Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
        assert paid.count() == confirmed.count()
        assert (
            paid.aggregate(t=Sum("amount"))["t"] == confirmed.aggregate(t=Sum("total_price"))["t"]
        )
        refunded = Payment.objects.filter(status=PaymentStatus.REFUNDED)
        assert set(refunded.values_list("provider", flat=True)) == {
            Provider.STRIPE,
            Provider.BOX_OFFICE,
        }
        assert not Payment.objects.exclude(
            status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED]
        ).exists()
        for payment in refunded.select_related("reservation"):
            assert payment.reservation.status == ReservationStatus.CANCELLED
            assert payment.succeeded_at <= payment.refunded_at == payment.reservation.cancelled_at
        # Counter sales: walk-ins and account holders, sold by the cashier.
        at_counter = Reservation.objects.filter(sold_by__username="cashier")
        assert at_counter.filter(user__isnull=True).exists()
        assert at_counter.filter(user__isnull=False).exists()

        today = timezone.localdate(timezone=local_zone())
        report = stats_report(date_from=today - dt.timedelta(days=2), date_to=today)
        assert report.money["taken"] > 0 and report.money["refunded"] > 0
        assert {(row["provider"], row["method"]) for row in report.money["per_method"]} == {
            (Provider.STRIPE, Method.CARD),
            (Provider.BOX_OFFICE, Method.CASH),
            (Provider.BOX_OFFICE, Method.CARD_TERMINAL),
        }

    def test_seed_demo_works_the_till_one_shift_a_day(self, small_demo, settings):
        """The counter's money is in one closed shift per day of the cashier's, each opened
        before its first sale and closed after its last with the cash expected counted; the
        cashier has no shift open when the demo starts."""
        zone = local_zone()
        cashier = User.objects.get(username="cashier")

        shifts = list(shift_queryset().filter(cashier=cashier).order_by("opened_at"))
        assert shift_open_for(staff=cashier) is None
        days = [timezone.localtime(shift.opened_at, zone).date() for shift in shifts]
        assert len(shifts) >= 2 and len(days) == len(set(days))  # one a day, several days
        for shift in shifts:
            assert shift.closed_at is not None and shift_difference(shift) == 0
            day = timezone.localtime(shift.opened_at, zone).date()
            taken = Payment.objects.filter(shift=shift).values_list("succeeded_at", flat=True)
            back = Payment.objects.filter(refund_shift=shift).values_list("refunded_at", flat=True)
            moments = [*taken, *back]
            assert moments
            assert all(timezone.localtime(m, zone).date() == day for m in moments)
            assert shift.opened_at <= min(moments) and max(moments) < shift.closed_at
        counter = Payment.objects.filter(provider=Provider.BOX_OFFICE, taken_by=cashier)
        assert not counter.filter(shift__isnull=True).exists()

    def test_seed_demo_opens_the_doors_of_played_showtimes(self, small_demo, settings):
        """Most tickets of the played showtimes were used, checked in by the usher between
        the doors opening and the start; the rest are no-shows; nothing of a showtime still
        to come. The reports' door figures are not zero."""
        now = timezone.now()

        used = Ticket.objects.filter(status=TicketStatus.USED).select_related("showtime")
        assert used.count() > 200
        assert set(used.values_list("checked_in_by__username", flat=True)) == {"usher"}
        doors = dt.timedelta(minutes=settings.DOORS_OPEN_MINUTES)
        for ticket in used:
            start = ticket.showtime.start_time
            assert start - doors <= ticket.checked_in_at <= start <= now
        played = Ticket.objects.filter(showtime__start_time__lt=now).exclude(
            status=TicketStatus.VOID
        )
        share = used.count() / played.count()
        assert 0.75 < share < 0.98  # and some no-shows

        today = timezone.localdate(timezone=local_zone())
        report = stats_report(date_from=today - dt.timedelta(days=2), date_to=today)
        assert report.totals.checked_in > 0 and report.totals.no_shows > 0

    def test_seed_demo_keeps_the_booking_invariants(self, small_demo, settings):
        """Made through the services: one live claim per seat, totals equal to the seats'
        prices, each seat at its ticket type's list price (Adult: the showtime's tariff) less
        the voucher's discount, counters equal to a recount."""
        now = timezone.now()

        doubled = (
            ReservationSeat.objects.live(now)
            .values("showtime", "seat")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not doubled.exists()
        for reservation in Reservation.objects.prefetch_related("seats__seat").select_related(
            "showtime"
        )[:300]:
            claims = list(reservation.seats.all())
            assert reservation.total_price == sum(claim.price for claim in claims)
            for claim in claims:
                if claim.ticket_type == "adult":
                    assert claim.list_price == reservation.showtime.price_for(claim.seat.seat_type)
                # A voucher (10 %) takes something off every seat; nothing else does.
                discounted = claim.price < claim.list_price
                assert discounted == (reservation.voucher_id is not None), claim
        # Families, concessions and the voucher are all there.
        types = set(ReservationSeat.objects.values_list("ticket_type", flat=True))
        assert {"adult", "child", "student", "senior"} <= types
        assert Reservation.objects.filter(voucher__code="WELCOME10").exists()
        for counters in ShowtimeCounters.objects.all():
            claims = ReservationSeat.objects.filter(showtime_id=counters.showtime_id)
            assert counters.sold == claims.booked().count()
            assert counters.held == claims.holds().count()

    def test_seed_demo_passwords_it_prints_work(self, small_demo, anon_client):
        text = small_demo
        line = next(line for line in text.splitlines() if "customer / " in line)
        password = line.split(" / ")[1].strip()
        assert User.objects.get(username="customer").check_password(password)
        response = anon_client.post(
            "/api/auth/login/", {"username": "customer", "password": password}, format="json"
        )
        assert response.status_code == 200
        # The audience that bought the demo's seats cannot log in.
        assert not User.objects.get(username="anna.weber").has_usable_password()
