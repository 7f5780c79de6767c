"""Staff manage price lists and vouchers through the API (ADMIN writes; anyone reads
price lists; vouchers are ADMIN only)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import services as booking_services
from bookings.tests.factories import book, seat
from cinema.models import PriceList, Showtime, TicketPrice, TicketType
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from pricing.models import DiscountKind, Voucher
from pricing.tests.factories import VoucherFactory
from testsupport.testing import client_for
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

MATINEE = {
    "name": "Matinee",
    "ticket_types": [
        {"code": "adult", "name": "Adult"},
        {
            "code": "child",
            "name": "Child",
            "max_age": 12,
            "prices": {"STANDARD": "7.50", "VIP": "11.00"},
        },
    ],
}


@pytest.fixture
def admin():
    return client_for(AdminFactory())


def _create(admin, body=MATINEE):
    return admin.post("/api/price-lists/", body, format="json")


# --- price lists ------------------------------------------------------------------------


def test_admin_creates_a_price_list_with_its_types_and_prices(admin):
    response = _create(admin)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Matinee" and body["is_default"] is False
    assert body["ticket_types"] == [
        {"code": "adult", "name": "Adult", "max_age": None, "prices": {}},
        {
            "code": "child",
            "name": "Child",
            "max_age": 12,
            "prices": {"STANDARD": "7.50", "VIP": "11.00"},
        },
    ]
    child = TicketType.objects.get(price_list_id=body["id"], code="child")
    assert dict(child.prices.values_list("seat_type", "amount")) == {
        "STANDARD": Decimal("7.50"),
        "VIP": Decimal("11.00"),
    }


def test_anyone_reads_price_lists_the_default_first(admin):
    _create(admin)
    for client in (client_for(None), client_for(UserFactory())):
        response = client.get("/api/price-lists/")
        assert response.status_code == 200
        names = [item["name"] for item in response.json()["results"]]
        assert names == ["Standard", "Matinee"]


@pytest.mark.parametrize(
    ("types", "why"),
    [
        ([{"code": "child", "name": "Child", "prices": {"STANDARD": "7.50"}}], "adult"),
        ([{"code": "adult", "name": "Adult", "prices": {"STANDARD": "9.00"}}], "no prices"),
        ([{"code": "adult", "name": "Adult"}, {"code": "adult", "name": "Again"}], "once"),
    ],
)
def test_a_list_always_has_adult_without_prices_and_unique_codes(admin, types, why):
    response = _create(admin, {"name": "Bad", "ticket_types": types})

    assert response.status_code == 400
    assert why in " ".join(response.json()["ticket_types"])
    assert not PriceList.objects.filter(name="Bad").exists()


def test_an_unknown_seat_type_or_negative_price_is_400(admin):
    body = {
        "name": "Bad",
        "ticket_types": [
            {"code": "adult", "name": "Adult"},
            {"code": "child", "name": "Child", "prices": {"BALCONY": "5.00"}},
        ],
    }
    assert _create(admin, body).status_code == 400
    body["ticket_types"][1]["prices"] = {"STANDARD": "-1.00"}
    assert _create(admin, body).status_code == 400
    assert not PriceList.objects.filter(name="Bad").exists()


def test_a_name_is_unique_in_any_case(admin):
    _create(admin)
    response = _create(admin, {**MATINEE, "name": "matinee"})
    assert response.status_code == 400
    assert "name" in response.json()


def test_patch_replaces_the_types_and_keeps_adult(admin):
    created = _create(admin).json()
    response = admin.patch(
        f"/api/price-lists/{created['id']}/",
        {
            "name": "Matinee 2",
            "ticket_types": [
                {"code": "adult", "name": "Adult"},
                {"code": "senior", "name": "Senior", "prices": {"STANDARD": "6.00"}},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert [kind["code"] for kind in response.json()["ticket_types"]] == ["adult", "senior"]
    assert not TicketType.objects.filter(code="child").exists()
    assert TicketPrice.objects.filter(ticket_type__code="senior").get().amount == Decimal("6.00")


def test_making_a_list_the_default_unmakes_the_previous_one(admin):
    created = _create(admin).json()
    response = admin.patch(
        f"/api/price-lists/{created['id']}/", {"is_default": True}, format="json"
    )
    assert response.status_code == 200
    assert list(PriceList.objects.filter(is_default=True).values_list("name", flat=True)) == [
        "Matinee"
    ]
    # The default cannot be un-made by itself: there is always one.
    response = admin.patch(
        f"/api/price-lists/{created['id']}/", {"is_default": False}, format="json"
    )
    assert response.status_code == 400
    assert "is_default" in response.json()
    assert PriceList.objects.get(is_default=True).name == "Matinee"


def test_the_default_list_and_a_list_in_use_are_protected(admin):
    default = PriceList.objects.get(is_default=True)
    response = admin.delete(f"/api/price-lists/{default.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "protected"

    used = PriceList.objects.get(pk=_create(admin).json()["id"])
    ShowtimeFactory(price_list=used)
    response = admin.delete(f"/api/price-lists/{used.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert PriceList.objects.count() == 2


def test_an_unused_list_is_deleted_with_its_types(admin):
    created = _create(admin).json()
    assert admin.delete(f"/api/price-lists/{created['id']}/").status_code == 204
    assert not PriceList.objects.filter(pk=created["id"]).exists()
    assert not TicketType.objects.filter(price_list_id=created["id"]).exists()


# --- a showtime's price list --------------------------------------------------------------


def test_a_showtime_is_scheduled_with_a_price_list_and_shows_it(admin):
    matinee = _create(admin).json()
    movie, hall = MovieFactory(), HallFactory(layout={"rows": 2, "seats_per_row": 3})
    start = timezone.now() + dt.timedelta(days=3)
    response = admin.post(
        "/api/showtimes/",
        {
            "movie": movie.pk,
            "hall": hall.pk,
            "start_time": start.isoformat(),
            "price": "10.00",
            "price_list": matinee["id"],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["price_list"] == matinee["id"]
    show = Showtime.objects.get()
    assert show.price_list_id == matinee["id"]
    listed = client_for(None).get("/api/showtimes/").json()["results"]
    assert [item["price_list"] for item in listed] == [matinee["id"]]
    seats = client_for(None).get(f"/api/showtimes/{show.pk}/seats/").json()
    assert [kind["code"] for kind in seats["ticket_types"]] == ["adult", "child"]

    response = admin.patch(f"/api/showtimes/{show.pk}/", {"price_list": None}, format="json")
    assert response.status_code == 200
    assert response.json()["price_list"] is None
    show.refresh_from_db()
    assert show.price_list_id is None


def test_an_unknown_price_list_is_a_field_error(admin):
    show = ShowtimeFactory()
    response = admin.patch(f"/api/showtimes/{show.pk}/", {"price_list": 999999}, format="json")
    assert response.status_code == 400
    assert "price_list" in response.json()


# --- vouchers ---------------------------------------------------------------------------

SCHOOL = {"code": "school24", "kind": "PERCENT", "value": "20.00"}


def test_admin_creates_a_voucher(admin):
    response = admin.post("/api/vouchers/", SCHOOL, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "school24" and body["kind"] == "PERCENT"
    assert body["value"] == "20.00" and body["uses"] == 0 and body["active"] is True
    assert Voucher.objects.get().code_key == "SCHOOL24"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SCHOOL, "value": "100.01"}, "value"),
        (
            {
                **SCHOOL,
                "valid_from": "2030-05-02T00:00:00Z",
                "valid_until": "2030-05-01T00:00:00Z",
            },
            "valid_until",
        ),
        ({**SCHOOL, "code": "  "}, "code"),
    ],
)
def test_voucher_field_errors(admin, body, field):
    response = admin.post("/api/vouchers/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Voucher.objects.exists()


def test_a_voucher_code_is_unique_in_any_case(admin):
    VoucherFactory(code="SCHOOL24")
    response = admin.post("/api/vouchers/", SCHOOL, format="json")
    assert response.status_code == 400
    assert "code" in response.json()
    assert Voucher.objects.count() == 1


def test_an_amount_may_be_above_100(admin):
    response = admin.post(
        "/api/vouchers/", {**SCHOOL, "kind": "AMOUNT", "value": "150.00"}, format="json"
    )
    assert response.status_code == 201


def test_a_voucher_shows_its_live_uses_and_is_protected_once_used(admin):
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 2, "seats_per_row": 3}))
    voucher = VoucherFactory(kind=DiscountKind.AMOUNT, value=Decimal("1.00"), max_uses=5)
    reservation = book(showtime=show)
    reservation.voucher = voucher
    reservation.save(update_fields=["voucher"])

    body = admin.get(f"/api/vouchers/{voucher.pk}/").json()
    assert body["uses"] == 1 and body["max_uses"] == 5
    assert admin.get("/api/vouchers/").json()["results"][0]["uses"] == 1

    response = admin.delete(f"/api/vouchers/{voucher.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    response = admin.patch(f"/api/vouchers/{voucher.pk}/", {"active": False}, format="json")
    assert response.status_code == 200
    voucher.refresh_from_db()
    assert voucher.active is False


def test_a_patch_changes_only_what_it_names(admin):
    voucher = VoucherFactory(code="Spring", value=Decimal("15.00"), max_uses=3)
    response = admin.patch(f"/api/vouchers/{voucher.pk}/", {"value": "25.00"}, format="json")
    assert response.status_code == 200, response.json()
    voucher.refresh_from_db()
    assert (voucher.code, voucher.value, voucher.max_uses) == ("Spring", Decimal("25.00"), 3)


def test_an_unused_voucher_is_deleted(admin):
    voucher = VoucherFactory()
    assert admin.delete(f"/api/vouchers/{voucher.pk}/").status_code == 204
    assert not Voucher.objects.exists()


def test_vouchers_are_for_admins_only():
    voucher = VoucherFactory()
    assert client_for(UserFactory()).get("/api/vouchers/").status_code == 403
    assert client_for(None).get(f"/api/vouchers/{voucher.pk}/").status_code == 401


def test_the_seat_map_shows_a_price_list_change_at_once(admin, django_capture_on_commit_callbacks):
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 1, "seats_per_row": 2}))
    seats = f"/api/showtimes/{show.pk}/seats/"
    assert [kind["code"] for kind in admin.get(seats).json()["ticket_types"]] == ["adult"]
    default = PriceList.objects.get(is_default=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.patch(
            f"/api/price-lists/{default.pk}/",
            {"ticket_types": MATINEE["ticket_types"]},
            format="json",
        )

    assert response.status_code == 200
    types = client_for(None).get(seats).json()["ticket_types"]
    assert [kind["code"] for kind in types] == ["adult", "child"]
    assert types[1]["prices"]["STANDARD"] == "7.50"


def test_price_list_and_voucher_changes_are_in_the_audit_trail(admin):
    from audit.models import Action, AuditEntry

    created = _create(admin).json()
    admin.patch(f"/api/price-lists/{created['id']}/", {"name": "Early"}, format="json")
    admin.delete(f"/api/price-lists/{created['id']}/")
    voucher = admin.post("/api/vouchers/", SCHOOL, format="json").json()
    admin.patch(f"/api/vouchers/{voucher['id']}/", {"value": "25.00"}, format="json")

    entries = list(
        AuditEntry.objects.order_by("id").values_list("action", "before", "after", "actor_id")
    )
    assert [entry[0] for entry in entries] == [Action.PRICE_LIST_CHANGE] * 3 + [
        Action.VOUCHER_CHANGE
    ] * 2
    assert entries[0][1] == {} and entries[0][2]["ticket_types"]["child"]["prices"] == {
        "STANDARD": "7.50",
        "VIP": "11.00",
    }
    assert entries[1][1:3] == ({"name": "Matinee"}, {"name": "Early"})
    assert entries[2][1]["name"] == "Early" and entries[2][2] == {}
    assert entries[4][1:3] == ({"value": "20.00"}, {"value": "25.00"})
    assert all(entry[3] is not None for entry in entries)


def test_the_voucher_list_counts_uses_in_one_query(admin, django_assert_max_num_queries):
    show = ShowtimeFactory()
    for index, label in enumerate(("A1", "A2", "A3")):
        VoucherFactory(code=f"LIST{index}")
        booking_services.reservation_create(
            user=UserFactory(),
            showtime_id=show.pk,
            seat_ids=[seat(show, label).pk],
            voucher=f"LIST{index}",
        )
    VoucherFactory(code="UNUSED")

    # The user behind the token, the page's count, the page.
    with django_assert_max_num_queries(3):
        body = admin.get("/api/vouchers/").json()

    assert {v["code"]: v["uses"] for v in body["results"]} == {
        "LIST0": 1,
        "LIST1": 1,
        "LIST2": 1,
        "UNUSED": 0,
    }
