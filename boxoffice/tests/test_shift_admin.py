"""The till in the admin: the Sell screen opens a shift (with its float) and links to
closing it; the close page takes the count; the printable close report; the Shift
admin (ADMIN: every shift with its difference; a cashier: their own; an usher: none)."""

from decimal import Decimal

import pytest
from django.test import Client

from bookings.models import Reservation
from bookings.tests.factories import seat_ids
from payments.models import Payment, Shift
from payments.shift_services import shift_close, shift_open
from users.tests.factories import AdminFactory, CashierFactory

SELL = "/admin/box-office/sell/"
OPEN = "/admin/box-office/shift/open/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def off_shift(db):
    return CashierFactory()


def test_the_sell_screen_offers_to_open_a_shift_and_then_to_close_it(off_shift):
    till = logged_in(off_shift)
    page = till.get(SELL).content.decode()
    assert "No open shift" in page and 'name="float"' in page and OPEN in page

    response = till.post(OPEN, {"float": "150.00", "next": SELL})

    assert response.status_code == 302 and response["Location"] == SELL
    shift = Shift.objects.get(cashier=off_shift, open=True)
    assert shift.opening_float == Decimal("150.00")
    page = till.get(SELL).content.decode()
    assert "Close shift (counted)" in page
    assert f"/admin/box-office/shifts/{shift.pk}/close/" in page
    assert "No open shift" not in page


@pytest.mark.parametrize("amount", ["-5", "1.234", "lots", ""])
def test_a_bad_float_in_the_form_is_said_and_opens_nothing(off_shift, amount):
    response = logged_in(off_shift).post(OPEN, {"float": amount})

    assert response.status_code == 400
    assert "Float:" in response.content.decode()
    assert Shift.objects.count() == 0


def test_selling_on_the_sell_screen_without_a_shift_is_refused_and_sells_nothing(off_shift, show):
    response = logged_in(off_shift).post(
        f"{SELL}{show.pk}/", {"seat": seat_ids(show, "A1"), "method": "cash", "key": "k"}
    )

    assert response.status_code == 409
    assert "no open shift" in response.content.decode()
    assert Reservation.objects.count() == Payment.objects.count() == 0


def test_closing_on_the_close_page_shows_the_report_with_the_difference(cashier, show):
    till = logged_in(cashier)
    assert (
        till.post(
            f"{SELL}{show.pk}/", {"seat": seat_ids(show, "A1"), "method": "cash", "key": "k"}
        ).status_code
        == 302
    )
    shift = Shift.objects.get(cashier=cashier)
    close = f"/admin/box-office/shifts/{shift.pk}/close/"
    assert 'name="counted"' in till.get(close).content.decode()

    bad = till.post(close, {"counted": "1.005"})
    assert bad.status_code == 400 and "Counted:" in bad.content.decode()
    response = till.post(close, {"counted": "110.00", "note": "one coin short"})

    report_url = f"/admin/box-office/shifts/{shift.pk}/report/"
    assert response.status_code == 302 and response["Location"] == report_url
    report = till.get(report_url).content.decode()
    # Float 100.00 + 12.00 cash = 112.00 expected; 110.00 counted.
    for text in ("€100.00", "€12.00", "€112.00", "€110.00", "-€2.00", "one coin short"):
        assert text in report, text
    assert "@media print" in report and "window.print()" in report
    assert "Close shift (counted)" not in report
    # Closed: the close page says so and takes no second count.
    assert 'name="counted"' not in till.get(close).content.decode()
    assert till.post(close, {"counted": "0.00"}).status_code == 400
    shift.refresh_from_db()
    assert shift.counted == Decimal("110.00")


def test_a_cashier_may_not_close_or_read_someone_elses_shift(cashier, off_shift):
    shift = Shift.objects.get(cashier=cashier)
    other = logged_in(off_shift)

    assert other.get(f"/admin/box-office/shifts/{shift.pk}/close/").status_code == 403
    assert (
        other.post(f"/admin/box-office/shifts/{shift.pk}/close/", {"counted": "1"}).status_code
        == 403
    )
    assert other.get(f"/admin/box-office/shifts/{shift.pk}/report/").status_code == 404
    shift.refresh_from_db()
    assert shift.is_open


def test_the_shift_admin_shows_an_admin_every_shift_and_its_difference(cashier, off_shift):
    theirs = shift_open(cashier=off_shift, opening_float=Decimal("50.00"))
    shift_close(shift_id=theirs.pk, by=off_shift, counted=Decimal("47.50"))
    admin = logged_in(AdminFactory())

    page = admin.get("/admin/payments/shift/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "-2.50" in html
    assert {row.pk for row in page.context["cl"].result_list} == {
        theirs.pk,
        Shift.objects.get(cashier=cashier).pk,
    }
    detail = admin.get(f"/admin/payments/shift/{theirs.pk}/change/").content.decode()
    assert f"/admin/box-office/shifts/{theirs.pk}/report/" in detail
    assert 'name="_save"' not in detail  # read-only


def test_the_shift_admin_shows_a_cashier_their_own_and_an_usher_nothing(cashier, off_shift, usher):
    theirs = shift_open(cashier=off_shift, opening_float=Decimal("50.00"))
    mine = Shift.objects.get(cashier=cashier)

    page = logged_in(cashier).get("/admin/payments/shift/")

    assert page.status_code == 200
    assert [row.pk for row in page.context["cl"].result_list] == [mine.pk]
    assert logged_in(cashier).get(f"/admin/payments/shift/{theirs.pk}/change/").status_code == 302
    assert logged_in(usher).get("/admin/payments/shift/").status_code == 403
    assert logged_in(usher).get(f"/admin/box-office/shifts/{mine.pk}/report/").status_code == 403


def test_opening_goes_back_only_to_a_page_of_this_site(off_shift):
    response = logged_in(off_shift).post(OPEN, {"float": "10.00", "next": "https://evil.example/"})

    assert response.status_code == 302 and response["Location"] == SELL
