"""When a reservation is payable: every cell of the table in docs/payments.md ("When a
reservation is payable"), driven through the real entry points: the customer's checkout
(POST /api/reservations/{id}/checkout/), the box office (POST .../pay/, staff) and
``manage.py sync_payments``, against localstripe.

The table below is written out by hand from the documentation, on purpose: it is what
the rule must do, not what the code says it does."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import Reservation, ReservationSeat
from bookings.tests.factories import book, seat
from cinema.models import Showtime
from payments import services
from payments.models import Payment, PaymentStatus
from payments.tests.factories import checkout, pay_url
from payments.tests.stripe_helpers import intent_id_of

pytestmark = pytest.mark.django_db

# state: HELD live ("held"), HELD lapsed but not marked yet ("lapsed"), CONFIRMED,
# CANCELLED, EXPIRED. paid: "none" (no money, nothing open), "pending" (an online
# checkout open at Stripe), "paid" (a SUCCEEDED payment; an online checkout was left
# open beside it, so that sync_payments has something to decide). sales: "open" before
# the showtime's cutoff, "closed" after it.
# online: what the checkout answers ("201" a new payment, "200" the pending one).
# counter: what the box office answers ("200": CONFIRMED and paid).
# sync: what sync_payments does with the open online payment: "open" (left open),
# "cancelled" (cancelled at Stripe), "-" (there is none: nothing to do).
TABLE = [
    # state      paid       sales     online                     counter                    sync
    ("held",      "none",    "open",   "201",                     "200",                     "-"),
    ("held",      "none",    "closed", "400 showtime_closed",     "400 showtime_closed",     "-"),
    ("held",      "pending", "open",   "200",                     "200",                     "open"),
    ("held",      "pending", "closed", "400 showtime_closed",     "400 showtime_closed",     "open"),
    ("held",      "paid",    "open",   "409 already_paid",        "409 already_paid",        "cancelled"),
    ("held",      "paid",    "closed", "409 already_paid",        "409 already_paid",        "cancelled"),
    ("lapsed",    "none",    "open",   "409 hold_expired",        "409 hold_expired",        "-"),
    ("lapsed",    "none",    "closed", "409 hold_expired",        "409 hold_expired",        "-"),
    ("lapsed",    "pending", "open",   "409 hold_expired",        "409 hold_expired",        "cancelled"),
    ("lapsed",    "pending", "closed", "409 hold_expired",        "409 hold_expired",        "cancelled"),
    ("lapsed",    "paid",    "open",   "409 already_paid",        "409 already_paid",        "cancelled"),
    ("lapsed",    "paid",    "closed", "409 already_paid",        "409 already_paid",        "cancelled"),
    ("confirmed", "none",    "open",   "409 already_confirmed",   "200",                     "-"),
    ("confirmed", "none",    "closed", "409 already_confirmed",   "200",                     "-"),
    ("confirmed", "pending", "open",   "409 already_confirmed",   "200",                     "cancelled"),
    ("confirmed", "pending", "closed", "409 already_confirmed",   "200",                     "cancelled"),
    ("confirmed", "paid",    "open",   "409 already_paid",        "409 already_paid",        "cancelled"),
    ("confirmed", "paid",    "closed", "409 already_paid",        "409 already_paid",        "cancelled"),
    ("cancelled", "none",    "open",   "409 already_cancelled",   "409 already_cancelled",   "-"),
    ("cancelled", "none",    "closed", "409 already_cancelled",   "409 already_cancelled",   "-"),
    ("cancelled", "pending", "open",   "409 already_cancelled",   "409 already_cancelled",   "cancelled"),
    ("cancelled", "pending", "closed", "409 already_cancelled",   "409 already_cancelled",   "cancelled"),
    ("cancelled", "paid",    "open",   "409 already_paid",        "409 already_paid",        "cancelled"),
    ("cancelled", "paid",    "closed", "409 already_paid",        "409 already_paid",        "cancelled"),
    ("expired",   "none",    "open",   "409 hold_expired",        "409 hold_expired",        "-"),
    ("expired",   "none",    "closed", "409 hold_expired",        "409 hold_expired",        "-"),
    ("expired",   "pending", "open",   "409 hold_expired",        "409 hold_expired",        "cancelled"),
    ("expired",   "pending", "closed", "409 hold_expired",        "409 hold_expired",        "cancelled"),
    ("expired",   "paid",    "open",   "409 already_paid",        "409 already_paid",        "cancelled"),
    ("expired",   "paid",    "closed", "409 already_paid",        "409 already_paid",        "cancelled"),
]  # fmt: skip

CHANNELS = {"online": 3, "counter": 4, "sync": 5}
CELLS = [
    pytest.param(row[0], row[1], row[2], channel, row[column], id=f"{'-'.join(row[:3])}-{channel}")
    for row in TABLE
    for channel, column in CHANNELS.items()
]


def _force(reservation, **fields) -> None:
    Reservation.objects.filter(pk=reservation.pk).update(**fields)


def _lapse(reservation) -> None:
    past = timezone.now() - dt.timedelta(seconds=1)
    _force(reservation, expires_at=past)
    ReservationSeat.objects.filter(reservation=reservation).update(hold_expires_at=past)


def _make(state, paid, *, customer, customer_client, staff, show):
    """The customer's reservation of seat A1 (12.00) in ``state`` with ``paid``, reached
    through the services wherever the engine can reach it; the states money never
    leaves a reservation in (a hold, a cancelled or expired reservation that is paid)
    are written to the row, to show that the rule still answers."""
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")], hold=True)
    if paid in ("pending", "paid"):
        assert checkout(customer_client, reservation).status_code == 201
    if paid == "paid":
        # The checkout's cancel at Stripe runs after the commit, which a test does not
        # run: the online payment stays open, as when Stripe was unreachable.
        services.payment_take_at_box_office(
            reservation_id=reservation.pk, method="cash", staff=staff
        )
        forced = {
            "held": {"status": "HELD", "expires_at": timezone.now() + dt.timedelta(minutes=5)},
            "lapsed": {"status": "HELD", "expires_at": timezone.now() - dt.timedelta(seconds=1)},
            "cancelled": {"status": "CANCELLED", "cancelled_at": timezone.now()},
            "expired": {"status": "EXPIRED"},
            "confirmed": {},
        }[state]
        if forced:
            _force(reservation, **forced)
    elif state == "confirmed":
        booking_services.reservation_confirm(reservation=reservation, user=customer)
    elif state == "cancelled":
        booking_services.reservation_cancel(reservation=reservation, by=customer)
    elif state in ("lapsed", "expired"):
        _lapse(reservation)
        if state == "expired":
            assert booking_services.holds_expire() == (1, 1)
    reservation.refresh_from_db()
    assert reservation.payment_status == paid
    return reservation


def _close_sales(show, settings) -> None:
    """The showtime starts in 10 minutes with a 30-minute cutoff: not started, but no
    longer selling."""
    settings.BOOKING_CUTOFF_MINUTES = 30
    Showtime.objects.filter(pk=show.pk).update(start_time=timezone.now() + dt.timedelta(minutes=10))


def _open_online(reservation):
    return Payment.objects.filter(
        reservation=reservation, provider="stripe", status=PaymentStatus.PENDING
    ).first()


def _answer(response) -> str:
    if response.status_code >= 400:
        return f"{response.status_code} {response.json()['code']}"
    return str(response.status_code)


def _rows(reservation):
    reservation.refresh_from_db()
    payments = sorted(Payment.objects.filter(reservation=reservation).values_list("pk", "status"))
    return reservation.status, reservation.payment_status, payments


def _assert_online(reservation, expected, customer_client, stripe_on):
    before = _rows(reservation)
    pending = _open_online(reservation)

    response = checkout(customer_client, reservation)

    assert _answer(response) == expected, response.content
    if expected == "201":
        body = response.json()
        assert (body["status"], body["amount"], body["currency"]) == ("PENDING", "12.00", "EUR")
        intent = stripe_on.intent(intent_id_of(body["client_secret"]))
        assert (intent.amount, intent.status) == (1200, "requires_payment_method")
        assert _rows(reservation)[1] == "pending"
    elif expected == "200":
        assert response.json()["id"] == pending.pk  # the pending one, nothing new
        assert _rows(reservation) == before
    else:
        assert _rows(reservation) == before  # nothing written


def _assert_counter(
    reservation, expected, admin_client, stripe_on, django_capture_on_commit_callbacks
):
    before = _rows(reservation)
    pending = _open_online(reservation)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(pay_url(reservation), {"method": "cash"}, format="json")

    assert _answer(response) == expected, response.content
    if expected != "200":
        assert _rows(reservation) == before  # nothing written
        return
    body = response.json()
    assert body["status"] == "CONFIRMED"
    assert body["payment"] == {"status": "paid", "amount": "12.00", "currency": "EUR"}
    taken = Payment.objects.get(reservation=reservation, provider="box_office")
    assert (taken.status, taken.method, taken.amount) == ("SUCCEEDED", "cash", 12)
    if pending is not None:  # the open online payment is stopped at Stripe
        pending.refresh_from_db()
        assert pending.status == PaymentStatus.CANCELLED
        assert stripe_on.intent(pending.reference).status == "canceled"


def _assert_sync(reservation, expected, stripe_on):
    before = _rows(reservation)
    pending = _open_online(reservation)
    out = StringIO()

    call_command("sync_payments", "--older-than", "0", stdout=out)

    if expected == "-":
        assert pending is None
        assert out.getvalue() == "Nothing to settle.\n"
        assert _rows(reservation) == before
        return
    assert out.getvalue() == f"{expected}: 1\n"
    pending.refresh_from_db()
    intent = stripe_on.intent(pending.reference)
    if expected == "open":
        assert pending.status == PaymentStatus.PENDING
        assert intent.status == "requires_payment_method"
        assert _rows(reservation) == before
    else:
        assert pending.status == PaymentStatus.CANCELLED
        assert intent.status == "canceled"
        assert _rows(reservation)[0] == before[0]  # the reservation's status stays


@pytest.mark.parametrize("state, paid, sales, channel, expected", CELLS)
def test_payable(
    state,
    paid,
    sales,
    channel,
    expected,
    customer,
    customer_client,
    admin_user,
    admin_client,
    show,
    stripe_on,
    settings,
    django_capture_on_commit_callbacks,
):
    reservation = _make(
        state,
        paid,
        customer=customer,
        customer_client=customer_client,
        staff=admin_user,
        show=show,
    )
    if sales == "closed":
        _close_sales(show, settings)

    if channel == "online":
        _assert_online(reservation, expected, customer_client, stripe_on)
    elif channel == "counter":
        _assert_counter(
            reservation, expected, admin_client, stripe_on, django_capture_on_commit_callbacks
        )
    else:
        _assert_sync(reservation, expected, stripe_on)
