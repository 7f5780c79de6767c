"""Counter sales racing online buyers on MariaDB: threads released together by a
barrier, each with its own connection. The engine's promise holds whichever channel
asks: every seat is sold once, every loser gets a 409, and money follows seats."""

from collections import Counter
from decimal import Decimal

import pytest

from bookings.models import PaymentState, Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import seat_ids
from cinema.tests.factories import HallFactory, ShowtimeFactory
from payments.models import Payment, PaymentStatus, Shift
from payments.tests.factories import on_shift
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from tickets.models import Ticket, TicketStatus
from users.tests.factories import CashierFactory, UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("payment_required", [False, True])
def test_concurrency_counter_and_online_fight_for_the_same_seats(settings, payment_required):
    settings.PAYMENT_REQUIRED = payment_required
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 1, "seats_per_row": 4}))
    # Overlapping pairs: any two of them share a seat.
    pairs = [("A1", "A2"), ("A2", "A3"), ("A3", "A1")]
    cashiers = [client_for(on_shift(CashierFactory())) for _ in range(6)]
    customers = [client_for(UserFactory()) for _ in range(6)]

    def attempt(i):
        pair = seat_ids(show, *pairs[i % 3])
        if i % 2:
            body = {"showtime": show.pk, "seats": pair, "method": "cash"}
            response = cashiers[i // 2].post("/api/box-office/sales/", body, format="json")
            return "counter", response.status_code, response.json()
        body = {"showtime": show.pk, "seats": pair}
        response = customers[i // 2].post("/api/reservations/", body, format="json")
        return "online", response.status_code, response.json()

    results = run_concurrently(attempt, 12)

    codes = Counter(code for _, code, _ in results)
    assert codes == {201: 1, 409: 11}, results
    assert all(body["code"] == "seats_unavailable" for _, code, body in results if code == 409)
    live = list(
        ReservationSeat.objects.filter(showtime=show, active=True).values_list("seat_id", flat=True)
    )
    assert len(live) == len(set(live)) == 2
    winner = Reservation.objects.get(showtime=show)
    channel = next(channel for channel, code, _ in results if code == 201)
    # Money and seats agree: a counter sale is paid and ticketed; nothing else was paid.
    if channel == "counter":
        assert winner.status == ReservationStatus.CONFIRMED
        assert winner.payment_status == PaymentState.PAID
        assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
        assert Ticket.objects.filter(status=TicketStatus.VALID).count() == 2
    else:
        assert Payment.objects.count() == 0


def test_concurrency_counter_sales_of_a_whole_hall_sell_each_seat_once():
    """Eight tills sell the same two-seat blocks of a hall of eight at once, over and
    over: in the end each seat is sold exactly once and paid exactly once."""
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 4}))
    blocks = [("A1", "A2"), ("A3", "A4"), ("B1", "B2"), ("B3", "B4")]
    tills = [client_for(on_shift(CashierFactory())) for _ in range(8)]

    def attempt(i):
        body = {"showtime": show.pk, "seats": seat_ids(show, *blocks[i % 4]), "method": "cash"}
        return tills[i].post("/api/box-office/sales/", body, format="json").status_code

    results = run_concurrently(attempt, 8)

    assert Counter(results) == {201: 4, 409: 4}, results
    assert ReservationSeat.objects.filter(showtime=show, active=True).count() == 8
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 4
    assert Ticket.objects.filter(showtime=show).count() == 8


# --- shifts at the till -----------------------------------------------------------------
def test_concurrency_one_cashier_opening_shifts_at_once_gets_exactly_one():
    """Two (then six) opens of one cashier's shift at once, from two tills: the unique
    key (cashier, open) lets exactly one in; the others are 409 shift_already_open."""
    cashier = CashierFactory()
    tills = [client_for(cashier) for _ in range(6)]

    def attempt(i):
        response = tills[i].post("/api/shifts/", {"float": f"{100 + i}.00"}, format="json")
        return response.status_code, response.json().get("code")

    for n in (2, 6):
        Shift.objects.filter(cashier=cashier).delete()
        results = run_concurrently(attempt, n)

        assert Counter(code for code, _ in results) == {201: 1, 409: n - 1}, results
        assert {code for status, code in results if status == 409} == {"shift_already_open"}
        assert Shift.objects.filter(cashier=cashier).count() == 1


def test_concurrency_a_close_racing_sales_leaves_no_sale_outside_the_report():
    """A cashier's sales race the close of their shift: each sale is either in the
    closed shift's report (it committed first) or refused 409 no_open_shift (after);
    never a payment attached to the shift after it was counted."""
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 4}))
    cashier = on_shift(CashierFactory())
    shift = Shift.objects.get(cashier=cashier)
    labels = ["A1", "A2", "A3", "A4", "B1", "B2", "B3"]
    tills = [client_for(cashier) for _ in range(len(labels) + 1)]

    def attempt(i):
        if i == len(labels):
            return tills[i].post(f"/api/shifts/{shift.pk}/close/", {"counted": "100.00"}).json()
        body = {"showtime": show.pk, "seats": seat_ids(show, labels[i]), "method": "cash"}
        return tills[i].post("/api/box-office/sales/", body, format="json").status_code

    *sales, closed = run_concurrently(attempt, len(labels) + 1)

    assert set(sales) <= {201, 409}, sales
    sold = sales.count(201)
    assert Payment.objects.filter(shift=shift).count() == sold
    assert Reservation.objects.filter(showtime=show).count() == sold
    # The report made at the close holds every sale the shift will ever have.
    assert Decimal(closed["cash_in"]) == Decimal("10.00") * sold, closed
    assert closed["counted"] == "100.00"
