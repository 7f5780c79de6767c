"""Shifts at the till: opening with a float, selling and refunding into it, the close
report to the cent, closing (once, by its cashier or an ADMIN), and bad numbers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import Reservation, ReservationSeat
from bookings.tests.factories import book, seat, seat_ids
from payments import services as payment_services
from payments.models import Payment, PaymentStatus, Shift
from payments.shift_services import shift_close, shift_open
from payments.tests.factories import on_shift, pay_url
from testsupport.testing import client_for
from tickets.models import Ticket
from users.tests.factories import AdminFactory, CashierFactory

SHIFTS = "/api/shifts/"
SALES = "/api/box-office/sales/"


def sell(client, show, *labels, method="cash"):
    body = {"showtime": show.pk, "seats": seat_ids(show, *labels), "method": method}
    return client.post(SALES, body, format="json")


@pytest.fixture
def off_shift(db):
    """A cashier who has not opened a shift."""
    return CashierFactory()


def _open(client, amount):
    return client.post(SHIFTS, {"float": amount}, format="json")


# --- opening --------------------------------------------------------------------------------
def test_a_cashier_opens_a_shift_with_a_float(off_shift):
    client = client_for(off_shift)
    response = _open(client, "150.00")

    assert response.status_code == 201, response.data
    body = response.data
    assert body["cashier"] == off_shift.pk and body["is_open"] is True
    assert (body["float"], body["expected"], body["counted"], body["difference"]) == (
        "150.00",
        "150.00",
        None,
        None,
    )
    assert body["lines"] == []
    assert Shift.objects.get().opening_float == Decimal("150.00")


def test_a_second_open_shift_is_refused(off_shift):
    client = client_for(off_shift)
    assert _open(client, "100.00").status_code == 201

    second = _open(client, "50.00")

    assert second.status_code == 409
    assert second.data["code"] == "shift_already_open"
    assert Shift.objects.count() == 1


def test_after_closing_a_cashier_opens_the_next_shift(off_shift):
    first = shift_open(cashier=off_shift, opening_float=Decimal("100.00"))
    shift_close(shift_id=first.pk, by=off_shift, counted=Decimal("100.00"))

    assert _open(client_for(off_shift), "80.00").status_code == 201
    assert Shift.objects.filter(cashier=off_shift).count() == 2


@pytest.mark.parametrize(
    "amount",
    ["-1.00", "10.005", "abc", "", None, "1.2.3", "NaN", "100000000000.00"],
)
def test_a_bad_float_is_a_field_error_and_opens_nothing(off_shift, amount):
    response = _open(client_for(off_shift), amount)

    assert response.status_code == 400
    assert "float" in response.data
    assert Shift.objects.count() == 0


# --- selling needs a shift ----------------------------------------------------------------
def test_selling_without_an_open_shift_is_409_and_writes_nothing(off_shift, show):
    response = sell(client_for(off_shift), show, "A1")

    assert response.status_code == 409
    assert response.data["code"] == "no_open_shift"
    assert "open shift" in response.data["detail"]
    assert Reservation.objects.count() == ReservationSeat.objects.count() == 0
    assert Payment.objects.count() == Ticket.objects.count() == 0


def test_selling_after_the_shift_closed_is_409(off_shift, show):
    shift = shift_open(cashier=off_shift, opening_float=Decimal("0.00"))
    shift_close(shift_id=shift.pk, by=off_shift, counted=Decimal("0.00"))

    response = sell(client_for(off_shift), show, "A1")

    assert response.status_code == 409 and response.data["code"] == "no_open_shift"
    assert Reservation.objects.count() == 0


def test_taking_payment_without_an_open_shift_is_409_and_takes_nothing(off_shift, customer, show):
    hold = book(user=customer, showtime=show, seats=[seat(show, "A1")], hold=True)

    response = client_for(off_shift).post(pay_url(hold), {"method": "cash"}, format="json")

    assert response.status_code == 409
    assert response.data["code"] == "no_open_shift"
    assert Payment.objects.count() == 0
    hold.refresh_from_db()
    assert hold.status == "HELD"


def test_a_sale_and_a_payment_belong_to_the_open_shift_of_who_took_them(
    cashier, cashier_client, customer, show
):
    other = on_shift(CashierFactory())
    hold = book(user=customer, showtime=show, seats=[seat(show, "B1")], hold=True)

    assert sell(cashier_client, show, "A1").status_code == 201
    assert client_for(other).post(pay_url(hold), {"method": "card_terminal"}).status_code == 200

    mine, theirs = Shift.objects.get(cashier=cashier), Shift.objects.get(cashier=other)
    assert [p.reservation.seats.get().seat.label for p in mine.payments.all()] == ["A1"]
    assert [p.reservation_id for p in theirs.payments.all()] == [hold.pk]


# --- refunds --------------------------------------------------------------------------------
def test_a_counter_refund_comes_out_of_the_shift_of_who_hands_it_back(cashier, show):
    seller = on_shift(CashierFactory())
    sale = sell(client_for(seller), show, "A1").data["id"]

    response = client_for(cashier).delete(f"/api/reservations/{sale}/")

    assert response.status_code == 200, response.data
    payment = Payment.objects.get(reservation_id=sale)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.shift.cashier == seller
    assert payment.refund_shift.cashier == cashier


def test_a_counter_cancel_without_an_open_shift_leaves_the_cash_owed(off_shift, cashier, show):
    sale = sell(client_for(cashier), show, "A1").data["id"]

    response = client_for(off_shift).delete(f"/api/reservations/{sale}/")

    assert response.status_code == 200
    payment = Payment.objects.get(reservation_id=sale)
    assert payment.status == PaymentStatus.REFUND_PENDING and payment.refund_shift is None
    # Handing it back later needs a shift too.
    with pytest.raises(Exception, match="no open shift"):
        payment_services.payment_refund_by_staff(payment_id=payment.pk, staff=off_shift)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUND_PENDING
    assert payment_services.payment_refund_by_staff(payment_id=payment.pk, staff=cashier) == (
        "REFUNDED"
    )
    payment.refresh_from_db()
    assert payment.refund_shift.cashier == cashier


# --- the close report -----------------------------------------------------------------------
def _day_at_the_till(cashier, show):
    """Float 150.00; cash sale A1+A2 (24.00), card-terminal sale C1 (18.00), cash sale
    B1 (12.00) refunded in cash, a card-terminal sale C2 (18.00) refunded to the card."""
    shift = Shift.objects.get(cashier=cashier, open=True)
    Shift.objects.filter(pk=shift.pk).update(opening_float=Decimal("150.00"))
    client = client_for(cashier)
    assert sell(client, show, "A1", "A2").status_code == 201
    assert sell(client, show, "C1", method="card_terminal").status_code == 201
    refunded = sell(client, show, "B1").data["id"]
    refunded_card = sell(client, show, "C2", method="card_terminal").data["id"]
    for sale in (refunded, refunded_card):
        booking_services.reservation_cancel(
            reservation=Reservation.objects.get(pk=sale), by=cashier, at_counter=True
        )
    return shift


def test_the_close_report_adds_up_to_the_cent(cashier, show):
    shift = _day_at_the_till(cashier, show)

    closed = client_for(cashier).post(
        f"{SHIFTS}{shift.pk}/close/", {"counted": "173.50", "note": "short"}, format="json"
    )

    assert closed.status_code == 200, closed.data
    body = closed.data
    # Cash: 150.00 + 24.00 + 12.00 in, 12.00 out.
    assert body["float"] == "150.00"
    assert (body["cash_in"], body["cash_out"]) == ("36.00", "12.00")
    assert body["expected"] == "174.00"
    assert (body["counted"], body["difference"]) == ("173.50", "-0.50")
    assert (body["card_terminal_in"], body["card_terminal_out"]) == ("36.00", "18.00")
    assert body["is_open"] is False and body["closed_by"] == cashier.pk
    assert body["note"] == "short"
    lines = [(line["kind"], line["method"], line["amount"]) for line in body["lines"]]
    assert sorted(lines) == sorted(
        [
            ("sale", "cash", "24.00"),
            ("sale", "card_terminal", "18.00"),
            ("sale", "cash", "12.00"),
            ("sale", "card_terminal", "18.00"),
            ("refund", "cash", "-12.00"),
            ("refund", "card_terminal", "-18.00"),
        ]
    )
    assert all(line["reservation"] and line["at"] for line in body["lines"])
    # The same figures on GET, and in the list.
    again = client_for(cashier).get(f"{SHIFTS}{shift.pk}/").data
    assert again["difference"] == "-0.50" and again["lines"] == body["lines"]
    listed = client_for(cashier).get(SHIFTS).data["results"]
    assert [(s["id"], s["expected"], s["difference"]) for s in listed] == [
        (shift.pk, "174.00", "-0.50")
    ]


# --- closing --------------------------------------------------------------------------------
def test_closing_someone_elses_shift_as_a_cashier_is_403(cashier, off_shift):
    shift = Shift.objects.get(cashier=cashier)

    response = client_for(on_shift(off_shift)).post(
        f"{SHIFTS}{shift.pk}/close/", {"counted": "100.00"}, format="json"
    )

    assert response.status_code == 403
    assert response.data["code"] == "not_your_shift"
    shift.refresh_from_db()
    assert shift.is_open and shift.counted is None


def test_an_admin_closes_a_cashiers_shift(cashier):
    shift = Shift.objects.get(cashier=cashier)
    admin = AdminFactory()

    response = client_for(admin).post(
        f"{SHIFTS}{shift.pk}/close/", {"counted": "100.00"}, format="json"
    )

    assert response.status_code == 200
    assert response.data["closed_by"] == admin.pk and response.data["difference"] == "0.00"


def test_closing_twice_is_409_and_changes_nothing(cashier):
    shift = Shift.objects.get(cashier=cashier)
    client = client_for(cashier)
    assert client.post(f"{SHIFTS}{shift.pk}/close/", {"counted": "90.00"}).status_code == 200

    again = client.post(f"{SHIFTS}{shift.pk}/close/", {"counted": "100.00"}, format="json")

    assert again.status_code == 409 and again.data["code"] == "shift_closed"
    shift.refresh_from_db()
    assert shift.counted == Decimal("90.00")


@pytest.mark.parametrize("counted", ["-0.01", "12.345", "x", "", None])
def test_a_bad_count_is_a_field_error_and_closes_nothing(cashier, counted):
    shift = Shift.objects.get(cashier=cashier)

    response = client_for(cashier).post(
        f"{SHIFTS}{shift.pk}/close/", {"counted": counted}, format="json"
    )

    assert response.status_code == 400
    assert "counted" in response.data
    shift.refresh_from_db()
    assert shift.is_open


def test_closing_an_unknown_shift_is_404(cashier):
    response = client_for(cashier).post(f"{SHIFTS}999999/close/", {"counted": "1.00"})
    assert response.status_code == 404


# --- who sees which -------------------------------------------------------------------------
def test_a_cashier_sees_their_own_shifts_and_an_admin_all_filtered(cashier, off_shift):
    other = on_shift(off_shift)
    theirs = Shift.objects.get(cashier=other)
    mine = Shift.objects.get(cashier=cashier)
    shift_close(shift_id=theirs.pk, by=other, counted=Decimal("100.00"))

    assert [s["id"] for s in client_for(cashier).get(SHIFTS).data["results"]] == [mine.pk]
    assert client_for(cashier).get(f"{SHIFTS}{theirs.pk}/").status_code == 404

    admin = client_for(AdminFactory())
    assert {s["id"] for s in admin.get(SHIFTS).data["results"]} == {mine.pk, theirs.pk}
    assert [s["id"] for s in admin.get(SHIFTS, {"cashier": other.pk}).data["results"]] == [
        theirs.pk
    ]
    assert [s["id"] for s in admin.get(SHIFTS, {"open": "true"}).data["results"]] == [mine.pk]
    assert [s["id"] for s in admin.get(SHIFTS, {"open": "false"}).data["results"]] == [theirs.pk]
    today = timezone.localdate().isoformat()
    assert len(admin.get(SHIFTS, {"day": today}).data["results"]) == 2
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert admin.get(SHIFTS, {"day": yesterday}).data["results"] == []
    for bad in ({"day": "tomorrow"}, {"day": "1200-01-01"}, {"cashier": "x"}, {"open": ""}):
        response = admin.get(SHIFTS, bad)
        assert response.status_code == 400, bad
        assert set(bad) <= set(response.data)


def test_an_usher_and_a_customer_have_no_till(usher, customer):
    for user in (usher, customer):
        assert _open(client_for(user), "10.00").status_code == 403
        assert client_for(user).get(SHIFTS).status_code == 403
    assert Shift.objects.count() == 0


def test_a_closed_shift_is_not_changed_by_the_service(cashier):
    shift = Shift.objects.get(cashier=cashier)
    shift_close(shift_id=shift.pk, by=cashier, counted=Decimal("100.00"))

    with pytest.raises(Exception, match="closed"):
        shift_close(shift_id=shift.pk, by=AdminFactory(), counted=Decimal("0.00"))
    shift.refresh_from_db()
    assert shift.counted == Decimal("100.00") and shift.closed_by == cashier


def test_the_shift_list_has_a_query_budget(cashier, show, django_assert_max_num_queries):
    for label in ("A1", "A2", "A3", "A4", "B1"):
        assert sell(client_for(on_shift(CashierFactory())), show, label).status_code == 201
    admin = client_for(AdminFactory())

    with django_assert_max_num_queries(6):
        response = admin.get(SHIFTS)

    assert response.status_code == 200 and response.data["count"] == 6
    assert sorted(s["expected"] for s in response.data["results"]) == ["100.00"] + ["112.00"] * 5
