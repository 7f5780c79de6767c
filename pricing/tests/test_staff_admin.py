"""Staff manage price lists and vouchers in the admin, through the API's services."""

from decimal import Decimal

import pytest

from bookings.tests.factories import book
from cinema.models import PriceList, TicketType
from cinema.tests.factories import HallFactory, ShowtimeFactory, showtime_form
from pricing.models import Voucher
from pricing.tests.factories import VoucherFactory

pytestmark = pytest.mark.django_db


def _types_form(rows, *, initial=0):
    data = {
        "ticket_types-TOTAL_FORMS": str(len(rows)),
        "ticket_types-INITIAL_FORMS": str(initial),
        "ticket_types-MIN_NUM_FORMS": "0",
        "ticket_types-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"ticket_types-{index}-{name}"] = value
    return data


ADULT_ROW = {"code": "adult", "name": "Adult"}
CHILD_ROW = {
    "code": "child",
    "name": "Child",
    "max_age": "12",
    "price_standard": "7.50",
    "price_vip": "11.00",
}


def test_the_admin_pages_of_price_lists_and_vouchers_load(staff_client):
    default = PriceList.objects.get(is_default=True)
    voucher = VoucherFactory()
    for path in (
        "/admin/cinema/pricelist/",
        "/admin/cinema/pricelist/add/",
        f"/admin/cinema/pricelist/{default.pk}/change/",
        "/admin/pricing/voucher/",
        "/admin/pricing/voucher/add/",
        f"/admin/pricing/voucher/{voucher.pk}/change/",
        "/admin/cinema/showtime/add/",
    ):
        assert staff_client.get(path).status_code == 200, path
    # A new list starts with its base type.
    assert 'value="adult"' in staff_client.get("/admin/cinema/pricelist/add/").content.decode()


def test_admin_adds_a_price_list_with_child_prices(staff_client):
    response = staff_client.post(
        "/admin/cinema/pricelist/add/",
        {"name": "Matinee", **_types_form([ADULT_ROW, CHILD_ROW])},
    )

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    matinee = PriceList.objects.get(name="Matinee")
    child = matinee.ticket_types.get(code="child")
    assert child.max_age == 12
    assert dict(child.prices.values_list("seat_type", "amount")) == {
        "STANDARD": Decimal("7.50"),
        "VIP": Decimal("11.00"),
    }
    assert list(matinee.ticket_types.values_list("code", flat=True)) == ["adult", "child"]


def test_admin_list_without_adult_or_adult_with_a_price_is_refused(staff_client):
    for rows in ([CHILD_ROW], [{**ADULT_ROW, "price_standard": "9.00"}]):
        response = staff_client.post(
            "/admin/cinema/pricelist/add/", {"name": "Bad", **_types_form(rows)}
        )
        assert response.status_code == 200
        assert response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert not PriceList.objects.filter(name="Bad").exists()


def test_admin_changes_a_list_and_makes_it_the_default(staff_client):
    staff_client.post(
        "/admin/cinema/pricelist/add/", {"name": "Matinee", **_types_form([ADULT_ROW, CHILD_ROW])}
    )
    matinee = PriceList.objects.get(name="Matinee")
    adult, child = matinee.ticket_types.order_by("position")
    rows = [
        {**ADULT_ROW, "id": str(adult.pk), "price_list": str(matinee.pk)},
        {**CHILD_ROW, "id": str(child.pk), "price_list": str(matinee.pk), "price_vip": ""},
    ]
    response = staff_client.post(
        f"/admin/cinema/pricelist/{matinee.pk}/change/",
        {"name": "Matinee", "is_default": "on", **_types_form(rows, initial=2)},
    )

    assert response.status_code == 302
    assert PriceList.objects.get(is_default=True) == matinee
    child = TicketType.objects.get(price_list=matinee, code="child")
    assert dict(child.prices.values_list("seat_type", "amount")) == {"STANDARD": Decimal("7.50")}


def test_the_default_list_has_no_delete(staff_client):
    default = PriceList.objects.get(is_default=True)
    assert staff_client.get(f"/admin/cinema/pricelist/{default.pk}/delete/").status_code == 403


def test_a_showtime_is_given_a_price_list_in_the_admin(staff_client):
    staff_client.post(
        "/admin/cinema/pricelist/add/", {"name": "Matinee", **_types_form([ADULT_ROW, CHILD_ROW])}
    )
    matinee = PriceList.objects.get(name="Matinee")
    show = ShowtimeFactory()
    data = {
        **showtime_form(show.movie, show.hall, show.start_time, price=str(show.price)),
        "vip_price": str(show.vip_price),
        "price_list": matinee.pk,
    }
    response = staff_client.post(f"/admin/cinema/showtime/{show.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    show.refresh_from_db()
    assert show.price_list == matinee


def test_admin_adds_a_voucher_and_the_list_shows_its_uses(staff_client):
    response = staff_client.post(
        "/admin/pricing/voucher/add/",
        {"code": "school24", "kind": "PERCENT", "value": "20.00", "max_uses": "5", "active": "on"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    voucher = Voucher.objects.get()
    assert voucher.code_key == "SCHOOL24"
    reservation = book(showtime=ShowtimeFactory(hall=HallFactory()))
    reservation.voucher = voucher
    reservation.save(update_fields=["voucher"])

    page = staff_client.get("/admin/pricing/voucher/").content.decode()
    assert "school24" in page and "1 / 5" in page
    # Used: kept for its history.
    assert staff_client.get(f"/admin/pricing/voucher/{voucher.pk}/delete/").status_code == 403


def test_admin_voucher_errors_are_on_their_fields(staff_client):
    VoucherFactory(code="SCHOOL24")
    response = staff_client.post(
        "/admin/pricing/voucher/add/",
        {"code": "school24", "kind": "PERCENT", "value": "120.00", "active": "on"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "code" in errors and "value" in errors
    assert Voucher.objects.count() == 1


def test_admin_list_name_taken_in_another_case_is_a_field_error(staff_client):
    response = staff_client.post(
        "/admin/cinema/pricelist/add/", {"name": "standard", **_types_form([ADULT_ROW])}
    )
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert PriceList.objects.count() == 1
