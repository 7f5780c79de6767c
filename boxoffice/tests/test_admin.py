"""The Sell screen in the admin: showtimes -> seats -> method -> Sell -> the sale's page,
through the same serializer and service as the API."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus
from bookings.tests.factories import book, seat_ids
from cinema.tests.factories import ShowtimeFactory
from payments.models import Payment
from tickets.models import Ticket


@pytest.fixture
def till(cashier):
    client = Client()
    client.force_login(cashier)
    return client


def sell_url(show):
    return f"/admin/box-office/sell/{show.pk}/"


def form(show, *labels, method="cash", key="k-1", **extra):
    return {"seat": seat_ids(show, *labels), "method": method, "key": key, **extra}


def test_sell_index_lists_what_the_counter_sells(till):
    soon = ShowtimeFactory(start_time=timezone.now() + dt.timedelta(hours=2))
    started = ShowtimeFactory(start_time=timezone.now() - dt.timedelta(minutes=10))
    over = ShowtimeFactory(start_time=timezone.now() - dt.timedelta(minutes=20))
    next_month = ShowtimeFactory(start_time=timezone.now() + dt.timedelta(days=30))

    response = till.get("/admin/box-office/sell/")

    assert response.status_code == 200
    listed = [item["showtime"].pk for item in response.context["showtimes"]]
    assert listed == [started.pk, soon.pk]
    assert over.pk not in listed and next_month.pk not in listed
    assert sell_url(soon).encode() in response.content


def test_sell_page_shows_free_seats_to_pick_and_taken_ones_not(till, show, customer):
    book(user=customer, showtime=show, seats=[show.hall.seats.get(row="A", number=2)])
    response = till.get(sell_url(show))
    assert response.status_code == 200
    html = response.content.decode()
    a1, a2 = seat_ids(show, "A1", "A2")
    assert f'name="seat" value="{a1}"' in html
    assert f'name="seat" value="{a2}"' not in html
    assert 'data-seat="A2"' in html


def test_selling_two_seats_makes_a_paid_sale_and_shows_it(till, show, cashier):
    response = till.post(sell_url(show), form(show, "B1", "B2", method="card_terminal"))

    sale = Reservation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/box-office/sales/{sale.pk}/"
    assert sale.status == ReservationStatus.CONFIRMED and sale.sold_by == cashier
    assert Payment.objects.get().method == "card_terminal"

    page = till.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Print tickets (80 mm)" in html and "B1" in html and "B2" in html
    for ticket in Ticket.objects.filter(reservation=sale):
        assert ticket.display_code in html


def test_a_double_submit_sells_once(till, show):
    first = till.post(sell_url(show), form(show, "A1", key="same"))
    second = till.post(sell_url(show), form(show, "A1", key="same"))
    assert first["Location"] == second["Location"]
    assert Reservation.objects.count() == Payment.objects.count() == 1


def test_a_seat_taken_meanwhile_is_said_and_nothing_sold(till, show, customer):
    book(user=customer, showtime=show, seats=[show.hall.seats.get(row="A", number=3)])
    response = till.post(sell_url(show), form(show, "A3", "A4"))
    assert response.status_code == 409
    assert "A3" in response.content.decode()
    assert Reservation.objects.count() == 1  # the customer's only
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"seat": []}, "At least one seat"),
        ({"method": "bitcoin"}, "Method"),
        ({"customer_email": "nope"}, "email"),
        ({"customer_name": "Eve\r\nBcc: x@y"}, "Control characters"),
    ],
)
def test_bad_input_is_said_and_sells_nothing(till, show, data, said):
    response = till.post(sell_url(show), {**form(show, "A1"), **data})
    assert response.status_code == 409
    assert said.lower() in response.content.decode().lower()
    assert Reservation.objects.count() == 0


def test_the_walk_in_named_gets_the_confirmation(till, show):
    till.post(
        sell_url(show), form(show, "C1", customer_name="Ada", customer_email="ada@example.com")
    )
    sale = Reservation.objects.get()
    assert (sale.customer_name, sale.contact_email, sale.user) == ("Ada", "ada@example.com", None)


def test_the_sale_prints_as_a_pdf(till, show):
    response = till.post(sell_url(show), form(show, "A1"))
    pdf = till.get(response["Location"] + "tickets.pdf?layout=thermal")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_ushers_and_customers_cannot_sell(show, usher, customer):
    for user, status in ((usher, 403), (customer, 302)):
        client = Client()
        client.force_login(user)
        assert client.get(sell_url(show)).status_code == status
        assert client.post(sell_url(show), form(show, "A1")).status_code == status
    assert Reservation.objects.count() == 0


def test_dashboard_offers_the_sell_screen_to_cashiers_only(till, usher):
    assert b"/admin/box-office/sell/" in till.get("/admin/").content
    client = Client()
    client.force_login(usher)
    assert b"/admin/box-office/sell/" not in client.get("/admin/").content


def test_n_seats_best_sells_a_block_of_adjacent_seats(till, show):
    response = till.post(
        sell_url(show),
        {"best": "1", "quantity": "3", "seat_type": "STANDARD", "method": "cash", "key": "b-1"},
    )

    sale = Reservation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/box-office/sales/{sale.pk}/"
    seats = [line.seat for line in sale.seats.select_related("seat")]
    assert len(seats) == 3 and len({seat.row for seat in seats}) == 1
    assert seats[0].row != "C"  # a standard row, not the VIP one
    numbers = sorted(seat.number for seat in seats)
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    assert Payment.objects.get().reservation == sale


def test_n_seats_best_with_no_such_block_names_the_largest_and_sells_nothing(till, show):
    response = till.post(
        sell_url(show), {"best": "1", "quantity": "5", "method": "cash", "key": "b-2"}
    )

    assert response.status_code == 409
    assert "the largest block free has 4." in response.content.decode()
    assert Reservation.objects.count() == Payment.objects.count() == 0
