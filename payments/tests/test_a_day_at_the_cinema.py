"""A day at the cinema, end to end through the real entry points (the API, Stripe's
webhooks from localstripe, the admin where the step is an admin's), checked as the
manager would check it in the evening:

- Carla the cashier opens a shift with 100.00 in the drawer, sells at the counter in
  cash and by card terminal; customers pay online by card (localstripe).
- A customer changes their mind at the counter: the admin's cancel page tells Carla to
  hand back the cash before she confirms.
- Another customer is refunded from Stripe's Dashboard (a signed ``charge.refunded``).
- The projector breaks during the matinee: the ADMIN cancels the screening after its
  start; the card is refunded at Stripe, the counter's cash is owed until Carla hands it
  back from the payments admin.
- Carla counts 50 cents short at the close: the report says so, to the cent.
- The exports say what /api/admin/stats/ says, and the ledger has every payment and
  refund with its shift.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from bookings.models import ReservationStatus
from bookings.tests.factories import book, seat, seat_ids
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from notifications.delivery import deliver_due
from payments.models import Payment, PaymentStatus, Provider
from payments.tests.factories import deliver, paid_at_stripe
from payments.tests.test_stripe_side import dashboard_refund, signed_post
from testsupport.testing import client_for
from users.tests.factories import CashierFactory, UserFactory

pytestmark = pytest.mark.django_db

REASON = "The projector broke down."
SALES = "/api/box-office/sales/"


def _sell(client, show, label, method, **customer):
    body = {"showtime": show.pk, "seats": seat_ids(show, label), "method": method}
    if customer:
        body["customer"] = customer
    response = client.post(SALES, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _pay_online(customer, show, anon_client, localstripe, recorder, *labels):
    """A customer's hold on ``labels``, paid by card at localstripe, the webhook
    delivered: the reservation is confirmed."""
    reservation = book(
        user=customer, showtime=show, seats=[seat(show, x) for x in labels], hold=True
    )
    _, delivery = paid_at_stripe(client_for(customer), reservation, localstripe, recorder)
    assert deliver(anon_client, delivery).json()["outcome"] == "confirmed"
    return reservation


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def day(db):
    """The evening show (in two hours; 3 rows of 4, row C VIP, 10.00 and 15.00) and the
    matinee (on sale now, 10.00), in two halls."""
    now = timezone.now()
    evening = ShowtimeFactory(
        hall=HallFactory(
            name="Screen 1", layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]}
        ),
        movie=MovieFactory(title="Orbit of Ashes", duration_minutes=100),
        start_time=now + dt.timedelta(hours=2),
        price=Decimal("10.00"),
        vip_price=Decimal("15.00"),
    )
    matinee = ShowtimeFactory(
        hall=HallFactory(name="Screen 2", layout={"rows": 2, "seats_per_row": 4}),
        movie=MovieFactory(title="Paper Lanterns", duration_minutes=90),
        start_time=now + dt.timedelta(minutes=10),
        price=Decimal("10.00"),
        vip_price=Decimal("10.00"),
    )
    return evening, matinee


@dataclass
class Till:
    """Carla at work: her API client (the till), her admin session, her shift's id, and
    the reservations sold or paid for during the day, by name."""

    api: object
    admin: Client
    shift_id: int = 0
    sold: dict = field(default_factory=dict)

    def payment(self, name) -> Payment:
        return Payment.objects.get(reservation_id=self.sold[name])

    def sold_name(self, reservation_id: int) -> str:
        return next(name for name, pk in self.sold.items() if pk == reservation_id)


@pytest.fixture
def till(db) -> Till:
    carla = CashierFactory(username="carla")
    admin = Client()
    admin.force_login(carla)
    return Till(api=client_for(carla), admin=admin)


def _morning(till, evening, anon_client, stripe_on, recorder):
    """Carla opens her shift with 100.00 in the drawer; two cash sales and one by card
    terminal at the counter; two customers pay online by card (20.00 and 15.00)."""
    opened = till.api.post("/api/shifts/", {"float": "100.00"}, format="json")
    assert opened.status_code == 201, opened.content
    shift = opened.json()
    assert (shift["float"], shift["expected"], shift["is_open"]) == ("100.00", "100.00", True)
    till.shift_id = shift["id"]

    till.sold["cash"] = _sell(till.api, evening, "A1", "cash")
    till.sold["ada"] = _sell(till.api, evening, "A2", "cash", name="Ada")
    till.sold["terminal"] = _sell(till.api, evening, "A3", "card_terminal")
    for name, labels, email in (("ben", ("B1", "B2"), "b"), ("dora", ("C1",), "d")):
        customer = UserFactory(email=f"{email}@example.com")
        booked = _pay_online(customer, evening, anon_client, stripe_on, recorder, *labels)
        till.sold[name] = booked.pk
    for name in ("cash", "ada", "terminal"):
        assert till.payment(name).shift_id == till.shift_id
    assert till.payment("ben").shift_id is None  # online money is in no till


def _ada_changes_her_mind(till):
    """The cancel page says what to hand back before Carla confirms; then it is done,
    out of her shift."""
    cancel_page = f"/admin/bookings/reservation/{till.sold['ada']}/cancel/"
    asked = till.admin.get(cancel_page).content.decode()
    assert "Hand back €10.00 to the customer" in asked and "(cash)" in asked
    assert till.payment("ada").status == PaymentStatus.SUCCEEDED  # nothing done yet

    done = till.admin.post(cancel_page, follow=True).content.decode()

    assert "Hand back €10.00 to the customer (cash)." in done
    ada = till.payment("ada")
    assert (ada.status, ada.refund_shift_id) == (PaymentStatus.REFUNDED, till.shift_id)
    assert ada.reservation.status == ReservationStatus.CANCELLED


def _dora_refunded_in_the_dashboard(till, anon_client, stripe_on, capture):
    """A signed charge.refunded: her booking cancelled, no second refund asked."""
    intent = till.payment("dora").reference
    with capture(execute=True):
        refunded = signed_post(anon_client, dashboard_refund(stripe_on, intent))
    assert refunded.json() == {"received": True, "outcome": "cancelled"}
    dora = till.payment("dora").reservation
    answer = client_for(dora.user).get(f"/api/reservations/{dora.pk}/").json()
    assert (answer["status"], answer["payment"]["status"]) == ("CANCELLED", "refunded")
    assert stripe_on.amount_refunded(intent) == 1500


def _matinee_cancelled(till, matinee, admin_client, anon_client, stripe_on, recorder, capture):
    """Eve paid online, Sam (a walk-in) cash at Carla's till; half an hour into the show
    the projector breaks and the ADMIN cancels the screening."""
    eve = UserFactory(email="e@example.com")
    till.sold["eve"] = _pay_online(eve, matinee, anon_client, stripe_on, recorder, "A1").pk
    till.sold["sam"] = _sell(till.api, matinee, "A2", "cash", name="Sam", email="sam@example.com")
    start = timezone.now() - dt.timedelta(minutes=30)
    type(matinee).objects.filter(pk=matinee.pk).update(
        start_time=start, end_time=start + dt.timedelta(minutes=90)
    )
    with capture(execute=True):
        cancelled = admin_client.post(
            f"/api/showtimes/{matinee.pk}/cancel/", {"reason": REASON}, format="json"
        )

    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["reservations_cancelled"] == 2
    card = till.payment("eve")
    assert card.status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(card.reference) == 1000
    sam = till.payment("sam")
    assert (sam.provider, sam.status) == (Provider.BOX_OFFICE, PaymentStatus.REFUND_PENDING)
    # Listed as owed where the counter looks.
    owed = till.admin.get("/admin/payments/payment/", {"status__exact": "REFUND_PENDING"})
    assert f"/admin/payments/payment/{sam.pk}/change/" in owed.content.decode()


def _both_told(smtp_server, sent_before):
    deliver_due()
    told = {
        m["To"]: m.get_body(("plain",)).get_content() for m in smtp_server.messages[sent_before:]
    }
    assert set(told) == {"e@example.com", "sam@example.com"}
    assert all(REASON in text for text in told.values())
    assert "10.00 EUR refunded to your card" in told["e@example.com"]
    assert "10.00 EUR to collect at the box office" in told["sam@example.com"]


def _sam_paid_back(till):
    """Sam comes to the counter: Carla hands the cash back from the payments admin,
    after a page that names the amount."""
    sam = till.payment("sam")
    chosen = {"action": "refund_selected", "_selected_action": [sam.pk]}
    asked = till.admin.post("/admin/payments/payment/", chosen).content.decode()
    assert "Hand back €10.00 to the customer" in asked
    assert till.payment("sam").status == PaymentStatus.REFUND_PENDING

    done = till.admin.post("/admin/payments/payment/", {**chosen, "confirm": "yes"}, follow=True)

    assert f"Payment {sam.pk}: REFUNDED. Hand back €10.00." in done.content.decode()
    sam = till.payment("sam")
    assert (sam.status, sam.refund_shift_id) == (PaymentStatus.REFUNDED, till.shift_id)


def _evening_close(till):
    """Carla counts 109.50: 100.00 + 30.00 in - 20.00 out = 110.00 expected."""
    url = f"/api/shifts/{till.shift_id}/close/"
    closed = till.api.post(url, {"counted": "109.50"}, format="json")

    assert closed.status_code == 200, closed.content
    report = closed.json()
    figures = ("float", "cash_in", "cash_out", "expected", "counted", "difference")
    assert [report[k] for k in figures] == ["100.00", "30.00", "20.00", "110.00", "109.50", "-0.50"]
    assert (report["card_terminal_in"], report["card_terminal_out"]) == ("10.00", "0.00")
    lines = sorted((line["kind"], line["method"], line["amount"]) for line in report["lines"])
    assert lines == [
        ("refund", "cash", "-10.00"),
        ("refund", "cash", "-10.00"),
        ("sale", "card_terminal", "10.00"),
        ("sale", "cash", "10.00"),
        ("sale", "cash", "10.00"),
        ("sale", "cash", "10.00"),
    ]
    again = till.api.post(url, {"counted": "110.00"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "shift_closed")


def _days_around_today() -> dict:
    today = timezone.localdate()
    return {"from": str(today - dt.timedelta(days=1)), "to": str(today + dt.timedelta(days=1))}


def _reports_and_sales_export_agree(admin_client) -> dict:
    """The money of the days around today, and the sales per day, as the reports say
    them and as the CSV says them. Returns the report's money."""
    days = _days_around_today()
    stats = admin_client.get("/api/admin/stats/", days).json()
    money = stats["money"]
    # Taken: cash 30 + terminal 10 + online 20 + 15 + 10; refunded: 10 + 15 + 10 + 10.
    assert (money["taken"], money["refunded"], money["net"]) == ("85.00", "45.00", "40.00")
    # What the cinema keeps is what its seats still sold are worth: A1, A3, B1, B2.
    assert stats["totals"]["revenue"] == money["net"]

    per_day = _csv(admin_client.get("/api/admin/exports/sales.csv", {**days, "by": "day"}))

    assert [(r["date"], r["revenue"]) for r in per_day] == [
        (str(r["date"]), r["revenue"]) for r in stats["per_day"]
    ]
    assert sum(Decimal(r["revenue"]) for r in per_day) == Decimal(stats["totals"]["revenue"])
    return money


def _ledger_agrees(till, admin_client, money):
    """Every payment and refund, with its shift for the counter's, summing to the
    report's taken, refunded and net."""
    ledger = _csv(admin_client.get("/api/admin/exports/payments.csv", _days_around_today()))

    taken = sum(Decimal(r["amount"]) for r in ledger if r["entry"] == "payment")
    given_back = -sum(Decimal(r["amount"]) for r in ledger if r["entry"] == "refund")
    assert (taken, given_back) == (Decimal(money["taken"]), Decimal(money["refunded"]))
    assert taken - given_back == Decimal(money["net"])
    rows = {(r["entry"], till.sold_name(int(r["reservation_id"]))): r for r in ledger}
    counter, online = ("cash", "ada", "terminal", "sam"), ("ben", "dora", "eve")
    assert set(rows) == {
        *(("payment", name) for name in counter + online),
        *(("refund", name) for name in ("ada", "dora", "eve", "sam")),
    }
    shift = str(till.shift_id)
    seen = {key: (row["provider"], row["staff"], row["shift"]) for key, row in rows.items()}
    for name in counter:
        assert seen["payment", name] == ("box_office", "carla", shift)
    for name in online:
        assert seen["payment", name][::2] == ("stripe", "")
    assert seen["refund", "ada"][2] == seen["refund", "sam"][2] == shift
    assert seen["refund", "eve"][2] == seen["refund", "dora"][2] == ""


def test_a_day_at_the_cinema(
    day,
    till,
    admin_client,
    anon_client,
    stripe_on,
    recorder,
    smtp_server,
    django_capture_on_commit_callbacks,
):
    evening, matinee = day
    capture = django_capture_on_commit_callbacks

    _morning(till, evening, anon_client, stripe_on, recorder)
    _ada_changes_her_mind(till)
    _dora_refunded_in_the_dashboard(till, anon_client, stripe_on, capture)
    deliver_due()
    sent_before = len(smtp_server.messages)
    _matinee_cancelled(till, matinee, admin_client, anon_client, stripe_on, recorder, capture)
    _both_told(smtp_server, sent_before)
    _sam_paid_back(till)
    _evening_close(till)
    money = _reports_and_sales_export_agree(admin_client)
    _ledger_agrees(till, admin_client, money)
