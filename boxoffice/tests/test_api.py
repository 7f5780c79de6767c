"""POST /api/box-office/sales/: a counter sale, paid and confirmed in one call."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import PaymentState, Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book, seat_ids
from cinema.tests.factories import HallFactory, ShowtimeFactory
from notifications.models import OutboxEmail
from payments.models import Payment, PaymentStatus, Provider
from payments.tests.factories import on_shift
from testsupport.testing import client_for
from tickets.models import Ticket
from users.models import User
from users.tests.factories import AdminFactory

URL = "/api/box-office/sales/"


def sell(client, show, *labels, method="cash", key=None, **extra):
    body = {"showtime": show.pk, "seats": seat_ids(show, *labels), "method": method, **extra}
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(URL, body, format="json", headers=headers)


def nothing_written():
    return (
        Reservation.objects.count() == 0
        and ReservationSeat.objects.count() == 0
        and Payment.objects.count() == 0
        and Ticket.objects.count() == 0
    )


def test_sale_to_a_walk_in_is_confirmed_paid_and_ticketed(cashier_client, cashier, show):
    users_before = User.objects.count()
    response = sell(
        cashier_client,
        show,
        "A1",
        "C2",
        customer={"name": "Ada Lovelace", "email": "ada@example.com"},
    )

    assert response.status_code == 201, response.data
    body = response.data
    assert body["status"] == "CONFIRMED"
    assert body["payment"] == {"status": "paid", "amount": "30.00", "currency": "EUR"}
    assert body["user"] is None and body["sold_by"] == cashier.pk
    assert body["customer_name"] == "Ada Lovelace"
    assert [t["seat_label"] for t in body["tickets"]] == ["A1", "C2"]
    assert {t["status"] for t in body["tickets"]} == {"valid"}
    assert response["Location"] == f"/api/reservations/{body['id']}/"

    assert User.objects.count() == users_before  # no account for a walk-in
    payment = Payment.objects.get(reservation_id=body["id"])
    assert (payment.provider, payment.method, payment.status) == (
        Provider.BOX_OFFICE,
        "cash",
        PaymentStatus.SUCCEEDED,
    )
    assert payment.taken_by == cashier and str(payment.amount) == "30.00"
    email = OutboxEmail.objects.get(kind="reservation_confirmed")
    assert email.context["reservation"] == body["id"]


def test_sale_to_an_account_shows_in_its_reservations(cashier_client, show, customer):
    response = sell(
        cashier_client, show, "B1", method="card_terminal", customer={"user": customer.pk}
    )
    assert response.status_code == 201, response.data
    assert response.data["user"] == customer.pk

    mine = client_for(customer).get("/api/reservations/").data["results"]
    assert [r["id"] for r in mine] == [response.data["id"]]
    assert Payment.objects.get().method == "card_terminal"


def test_admin_may_sell_too(show):
    assert sell(client_for(on_shift(AdminFactory())), show, "A1").status_code == 201


@pytest.mark.parametrize("who", ["usher", "customer"])
def test_only_counter_staff_may_sell(request, show, who):
    response = sell(client_for(request.getfixturevalue(who)), show, "A1")
    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"
    assert nothing_written()


def test_anonymous_may_not_sell(anon_client, show):
    assert sell(anon_client, show, "A1").status_code == 401
    assert nothing_written()


def test_a_taken_seat_sells_nothing_and_is_named(cashier_client, show, customer):
    online = book(user=customer, showtime=show, seats=[show.hall.seats.get(row="A", number=2)])
    response = sell(cashier_client, show, "A1", "A2")
    assert response.status_code == 409
    assert response.data["code"] == "seats_unavailable"
    assert response.data["seats"] == [{"id": seat_ids(show, "A2")[0], "label": "A2"}]
    assert list(Reservation.objects.values_list("pk", flat=True)) == [online.pk]
    assert Payment.objects.count() == 0


def test_a_seat_of_another_hall_is_refused(cashier_client, show):
    other = ShowtimeFactory(hall=HallFactory(layout={"rows": 1, "seats_per_row": 2}))
    body = {"showtime": show.pk, "seats": seat_ids(other, "A1"), "method": "cash"}
    response = cashier_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "invalid_seats"
    assert nothing_written()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "bitcoin"}, "method"),
        ({"method": None}, "method"),
        ({"seats": [-1]}, "seats"),
        ({"seats": [10**30]}, "seats"),
        ({"seats": "A1"}, "seats"),
        ({"showtime": 0}, "showtime"),
        ({"customer": {"email": "not an email"}}, "customer"),
        ({"customer": {"name": "Eve\r\nBcc: x@y"}}, "customer"),
        ({"customer": {"user": 10**9}}, "customer"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(cashier_client, show, body, field):
    request = {"showtime": show.pk, "seats": seat_ids(show, "A1"), "method": "cash", **body}
    response = cashier_client.post(URL, request, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert nothing_written()


@pytest.mark.parametrize(
    ("seats", "code"),
    [([], "no_seats"), (list(range(1, 12)), "too_many_seats")],
)
def test_no_seats_or_absurdly_many_are_refused(cashier_client, show, seats, code):
    response = cashier_client.post(
        URL, {"showtime": show.pk, "seats": seats, "method": "cash"}, format="json"
    )
    assert response.status_code == 400
    assert response.data["code"] == code
    assert nothing_written()


def test_the_counter_sells_until_fifteen_minutes_after_the_start(cashier_client, settings):
    assert settings.COUNTER_SALES_AFTER_START_MINUTES == 15
    now = timezone.now()
    started = ShowtimeFactory(start_time=now - dt.timedelta(minutes=10))
    response = sell(cashier_client, started, "A1")
    assert response.status_code == 201, response.data
    # Online, the same showtime is closed.
    online = client_for(response.wsgi_request.user)  # any signed-in user
    assert (
        online.post(
            "/api/reservations/",
            {"showtime": started.pk, "seats": seat_ids(started, "A2")},
            format="json",
        ).data["code"]
        == "showtime_closed"
    )


def test_a_showtime_past_the_counter_grace_is_closed(cashier_client):
    ended = ShowtimeFactory(start_time=timezone.now() - dt.timedelta(minutes=16))
    response = sell(cashier_client, ended, "A1")
    assert response.status_code == 400
    assert response.data["code"] == "showtime_closed"
    assert nothing_written()


def test_an_unknown_showtime_is_refused(cashier_client):
    response = cashier_client.post(
        URL, {"showtime": 999999, "seats": [1], "method": "cash"}, format="json"
    )
    assert response.status_code == 400
    assert response.data["code"] == "showtime_not_found"


def test_a_double_click_sells_once(cashier_client, show):
    first = sell(cashier_client, show, "A1", key="till-1-0001")
    again = sell(cashier_client, show, "A1", key="till-1-0001")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.data["id"] == first.data["id"]
    assert Reservation.objects.count() == Payment.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_a_key_reused_for_another_sale_is_refused(cashier_client, show):
    sell(cashier_client, show, "A1", key="till-1-0002")
    response = sell(cashier_client, show, "A2", key="till-1-0002")
    assert response.status_code == 422
    assert Reservation.objects.count() == 1


def test_sale_with_payment_required_on_is_confirmed_at_once(cashier_client, show, settings):
    settings.PAYMENT_REQUIRED = True
    response = sell(cashier_client, show, "A1")
    assert response.status_code == 201
    reservation = Reservation.objects.get()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.payment_status == PaymentState.PAID


def test_cashier_cancels_a_counter_sale_and_hands_the_cash_back(cashier_client, show, customer):
    sale = sell(cashier_client, show, "A1").data
    online = book(user=customer, showtime=show, seats=[show.hall.seats.get(row="B", number=1)])

    response = cashier_client.delete(f"/api/reservations/{sale['id']}/")
    assert response.status_code == 200
    assert response.data["status"] == "CANCELLED"
    assert Payment.objects.get(reservation_id=sale["id"]).status == PaymentStatus.REFUNDED
    # An online booking is not the cashier's to cancel.
    refused = cashier_client.delete(f"/api/reservations/{online.pk}/")
    assert refused.status_code == 403
    assert refused.data["code"] == "not_owner"


def test_the_database_lost_between_seats_and_money_sells_nothing(cashier_client, show, monkeypatch):
    """The connection goes after the engine claimed the seats and before the payment is
    written: one transaction, so the seats are not sold either; a fast 503."""
    from django.db import OperationalError

    from payments import services as payment_services

    def gone(**kwargs):
        raise OperationalError(2013, "Lost connection to server during query")

    monkeypatch.setattr(payment_services, "payment_take_at_box_office", gone)
    response = sell(cashier_client, show, "A1", "A2")

    assert response.status_code == 503
    assert response.data["code"] == "database_unavailable"
    assert int(response["Retry-After"]) > 0
    assert nothing_written()
    assert OutboxEmail.objects.count() == 0


def test_a_cancelled_screening_sells_nothing_at_the_counter(cashier_client, show, admin_user):
    from bookings.services import showtime_cancel

    showtime_cancel(showtime_id=show.pk, reason="The projector broke.", by=admin_user)
    response = sell(cashier_client, show, "A1")
    assert response.status_code == 409
    assert response.data["code"] == "showtime_cancelled"
    assert nothing_written()


# --- "4 seats, best" --------------------------------------------------------------------
def test_quantity_sells_the_best_block(cashier_client, cashier, show):
    # Rows A, B standard and C VIP: the best row is (3 - 1) * 2/3 = 1.33 -> B. Its
    # centre pair would leave B1 and B4 alone, so the pair goes to its end.
    response = cashier_client.post(
        URL, {"showtime": show.pk, "quantity": 2, "method": "cash"}, format="json"
    )

    assert response.status_code == 201, response.data
    assert [t["seat_label"] for t in response.data["tickets"]] == ["B1", "B2"]
    assert response.data["payment"]["amount"] == "24.00"
    assert response.data["sold_by"] == cashier.pk
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


def test_quantity_with_seat_type_at_the_counter(cashier_client, show):
    response = cashier_client.post(
        URL,
        {"showtime": show.pk, "quantity": 4, "seat_type": "VIP", "method": "card_terminal"},
        format="json",
    )

    assert response.status_code == 201, response.data
    assert [t["seat_label"] for t in response.data["tickets"]] == ["C1", "C2", "C3", "C4"]
    assert response.data["payment"]["amount"] == "72.00"


def test_quantity_without_a_block_sells_nothing(cashier_client, show):
    response = cashier_client.post(
        URL, {"showtime": show.pk, "quantity": 5, "method": "cash"}, format="json"
    )

    assert response.status_code == 409
    assert (response.data["code"], response.data["largest"]) == ("no_block_available", 4)
    assert nothing_written()


def test_seats_and_quantity_together_are_refused(cashier_client, show):
    body = {"showtime": show.pk, "seats": seat_ids(show, "A1"), "quantity": 1, "method": "cash"}

    response = cashier_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert "quantity" in response.data
    assert nothing_written()
