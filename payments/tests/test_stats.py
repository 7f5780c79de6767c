"""Money in /api/admin/stats/: over a random mix of payments, refunds and failures, what
the report says equals what the payments themselves say."""

import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import services as booking_services
from bookings.tests.factories import book, seat
from cinema.tests.factories import HallFactory, ShowtimeFactory
from payments import gateway, services
from payments.models import CAPTURED_STATUSES, Payment, PaymentStatus
from payments.tests.factories import on_shift
from payments.tests.stripe_helpers import CARD_DECLINED, CARD_OK
from testsupport.faultproxy import REFUSE, FaultProxy
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

STATS = "/api/admin/stats/"


def _pay_online(reservation, localstripe, card: str) -> None:
    """Checkout, the card at localstripe, and the outcome applied as the webhook (or
    sync_payments) would, without waiting for the delivery."""
    checkout = services.payment_checkout(
        reservation_id=reservation.pk, user=reservation.user, provider="stripe"
    )
    localstripe.pay(checkout.payment.client_secret, card)
    services.apply_intent(intent=gateway.retrieve_intent(checkout.payment.reference))


def _cancel(reservation, staff, localstripe, settings, after_commit, *, stripe_down: bool):
    """Cancel (which refunds after the commit), with Stripe up (staff at the counter) or
    refusing connections (through the API: box-office money stays owed)."""
    if not stripe_down:
        # At the counter: box-office money is handed back at once.
        with after_commit(execute=True):
            booking_services.reservation_cancel(reservation=reservation, by=staff, at_counter=True)
        return
    host, port = localstripe.url.removeprefix("http://").split(":")
    with FaultProxy((host, int(port)), ports=range(19200, 19300)) as proxy:
        proxy.set_mode(REFUSE)
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{proxy.port}"
        with after_commit(execute=True):
            booking_services.reservation_cancel(reservation=reservation, by=staff)
    settings.STRIPE_API_BASE = localstripe.url


class Mix:
    """A random mix of holds paid online, declined, paid at the box office or not paid,
    then kept, cancelled, or cancelled while Stripe refuses connections."""

    def __init__(self, *, localstripe, settings, after_commit, seed: int):
        self.rng = random.Random(seed)
        self.localstripe, self.settings, self.after_commit = localstripe, settings, after_commit
        self.staff = on_shift(AdminFactory())
        hall = HallFactory(layout={"rows": 6, "seats_per_row": 5, "vip_rows": ["F"]})
        self.shows = [
            ShowtimeFactory(hall=hall, start_time=timezone.now() + timezone.timedelta(days=d))
            for d in (1, 2, 3)
        ]
        self.free = {show.pk: list(hall.seats.order_by("position")) for show in self.shows}

    def hold(self):
        show = self.rng.choice(self.shows)
        count = self.rng.randint(1, 2)
        chosen, self.free[show.pk] = self.free[show.pk][:count], self.free[show.pk][count:]
        return book(user=UserFactory(), showtime=show, seats=chosen, hold=True)

    def pay(self, held) -> str:
        how = self.rng.choice(["cash", "card_terminal", "online", "online", "declined", "none"])
        with self.after_commit(execute=True):
            if how in ("cash", "card_terminal"):
                services.payment_take_at_box_office(
                    reservation_id=held.pk, method=how, staff=self.staff
                )
            elif how != "none":
                card = CARD_OK if how == "online" else CARD_DECLINED
                _pay_online(held, self.localstripe, card)
        return how

    def run(self, steps: int) -> None:
        for _ in range(steps):
            held = self.hold()
            how = self.pay(held)
            fate = self.rng.choice(["keep", "keep", "cancel", "cancel with stripe down"])
            if fate != "keep" and how != "declined":
                _cancel(
                    held,
                    self.staff,
                    self.localstripe,
                    self.settings,
                    self.after_commit,
                    stripe_down=fate.endswith("stripe down"),
                )


def _money_of(payments) -> dict:
    """What the stats should say, from the payments themselves."""
    per_method = defaultdict(
        lambda: {"taken": Decimal("0"), "refunded": Decimal("0"), "payments": 0}
    )
    for payment in payments:
        if payment.status in CAPTURED_STATUSES:
            row = per_method[(payment.provider, payment.method)]
            row["taken"] += payment.amount
            row["payments"] += 1
            if payment.status == PaymentStatus.REFUNDED:
                row["refunded"] += payment.amount
    return dict(per_method)


def _total(payments, statuses) -> Decimal:
    return sum((p.amount for p in payments if p.status in statuses), Decimal("0"))


def test_money_taken_minus_refunds_is_what_the_payments_hold(
    admin_client, stripe_on, settings, django_capture_on_commit_callbacks
):
    Mix(
        localstripe=stripe_on,
        settings=settings,
        after_commit=django_capture_on_commit_callbacks,
        seed=1212,
    ).run(24)
    payments = list(Payment.objects.all())
    assert {p.status for p in payments} >= {
        PaymentStatus.SUCCEEDED,
        PaymentStatus.REFUNDED,
        PaymentStatus.FAILED,
        PaymentStatus.REFUND_FAILED,
    }

    today = timezone.localdate()
    response = admin_client.get(
        STATS, {"from": today.isoformat(), "to": (today + timezone.timedelta(days=3)).isoformat()}
    )

    money = response.json()["money"]
    assert money["currency"] == "EUR"
    assert Decimal(money["taken"]) - Decimal(money["refunded"]) == Decimal(money["net"])
    held_now = [PaymentStatus.SUCCEEDED, PaymentStatus.REFUND_PENDING, PaymentStatus.REFUND_FAILED]
    assert Decimal(money["net"]) == _total(payments, held_now)
    assert Decimal(money["refunded"]) == _total(payments, [PaymentStatus.REFUNDED])
    per_method = {
        (row["provider"], row["method"]): {
            "taken": Decimal(row["taken"]),
            "refunded": Decimal(row["refunded"]),
            "payments": row["payments"],
        }
        for row in money["per_method"]
    }
    assert per_method == _money_of(payments)
    for row in money["per_method"]:
        assert Decimal(row["net"]) == Decimal(row["taken"]) - Decimal(row["refunded"])
    # Ticket revenue sits beside it: the seats of confirmed reservations.
    revenue = Decimal(response.json()["totals"]["revenue"])
    assert revenue == _total(payments, [PaymentStatus.SUCCEEDED])


def test_money_follows_the_reports_filters(admin_client, customer):
    hall = HallFactory(layout={"rows": 1, "seats_per_row": 4, "vip_rows": []})
    shown, other = ShowtimeFactory(hall=hall), ShowtimeFactory()
    staff = on_shift(AdminFactory())
    for show in (shown, other):
        held = book(user=customer, showtime=show, hold=True)
        services.payment_take_at_box_office(reservation_id=held.pk, method="cash", staff=staff)

    money = admin_client.get(STATS, {"hall": hall.pk}).json()["money"]

    assert money["taken"] == str(shown.price)
    assert money["per_method"] == [
        {
            "taken": str(shown.price),
            "refunded": "0.00",
            "disputed": "0.00",
            "dispute_lost": "0.00",
            "net": str(shown.price),
            "provider": "box_office",
            "method": "cash",
            "payments": 1,
        }
    ]


def test_admin_reports_page_shows_the_money(staff_client, customer):
    show = ShowtimeFactory(start_time=timezone.now() + timezone.timedelta(days=1))
    staff = on_shift(AdminFactory())
    kept, refunded = (
        book(user=customer, showtime=show, seats=[seat(show, label)], hold=True)
        for label in ("A1", "A2")
    )
    for held, method in ((kept, "cash"), (refunded, "card_terminal")):
        services.payment_take_at_box_office(reservation_id=held.pk, method=method, staff=staff)
    booking_services.reservation_cancel(reservation=refunded, by=staff, at_counter=True)
    day = timezone.localdate(show.start_time).isoformat()

    page = staff_client.get("/admin/reports/", {"from": day, "to": day})

    assert page.status_code == 200
    money = page.context["money"]
    price = f"€{show.price:,.2f}"
    assert money["rows"] == [
        {
            "paid_by": "box office: card terminal",
            "payments": 1,
            "taken": price,
            "refunded": price,
            "disputed": "€0.00",
            "dispute_lost": "€0.00",
            "net": "€0.00",
        },
        {
            "paid_by": "box office: cash",
            "payments": 1,
            "taken": price,
            "refunded": "€0.00",
            "disputed": "€0.00",
            "dispute_lost": "€0.00",
            "net": price,
        },
    ]
    assert money["total"]["net"] == price
    assert (
        f'<tr id="money-total"><th>Total</th><td></td><td class="num">€{2 * show.price:,.2f}'
        in page.content.decode()
    )
