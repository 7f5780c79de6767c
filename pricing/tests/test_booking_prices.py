"""Ticket types and vouchers at booking, through the API: what the customer is charged,
what the claims store, and every refusal changing nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings.models import Reservation, ReservationSeat
from bookings.tests.factories import seat, seat_ids
from cinema.models import AgeRating
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from pricing.models import DiscountKind
from pricing.tests.factories import VoucherFactory, family_prices, ticket_type
from testsupport.testing import client_for
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RESERVATIONS = "/api/reservations/"


@pytest.fixture
def show(db):
    """3 rows of 4 (row C VIP), Adult 12.00 / VIP 18.00, a family film (rated 6)."""
    hall = HallFactory(layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]})
    movie = MovieFactory(age_rating=AgeRating.SIX)
    family_prices()
    return ShowtimeFactory(
        hall=hall, movie=movie, price=Decimal("12.00"), vip_price=Decimal("18.00")
    )


@pytest.fixture
def customer():
    return UserFactory()


@pytest.fixture
def client(customer):
    return client_for(customer)


def _family(show, *, voucher=None, row="A"):
    a1, a2, a3, a4 = seat_ids(show, f"{row}1", f"{row}2", f"{row}3", f"{row}4")
    body = {
        "showtime": show.pk,
        "seats": [a1, {"id": a2}, {"id": a3, "type": "child"}, {"id": a4, "type": "child"}],
    }
    if voucher is not None:
        body["voucher"] = voucher
    return body


def _nothing_written():
    return Reservation.objects.count() == 0 and ReservationSeat.objects.count() == 0


def test_booking_names_a_ticket_type_per_seat_and_pays_its_price(client, show):
    response = client.post(RESERVATIONS, _family(show), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(s["label"], s["ticket_type"], s["list_price"], s["price"]) for s in body["seats"]] == [
        ("A1", "adult", "12.00", "12.00"),
        ("A2", "adult", "12.00", "12.00"),
        ("A3", "child", "7.50", "7.50"),
        ("A4", "child", "7.50", "7.50"),
    ]
    assert body["total_price"] == "39.00"
    assert body["discount"] == "0.00"
    assert body["voucher"] is None
    claims = ReservationSeat.objects.filter(reservation_id=body["id"]).order_by("seat__position")
    assert [(c.ticket_type, c.price) for c in claims] == [
        ("adult", Decimal("12.00")),
        ("adult", Decimal("12.00")),
        ("child", Decimal("7.50")),
        ("child", Decimal("7.50")),
    ]
    assert Reservation.objects.get(pk=body["id"]).total_price == Decimal("39.00")
    # Read back, the reservation says the same.
    again = client.get(f"{RESERVATIONS}{body['id']}/").json()
    assert again["seats"] == body["seats"]
    assert (again["total_price"], again["discount"]) == ("39.00", "0.00")


def test_a_type_without_a_price_for_a_seat_type_pays_the_showtime_price(client, show):
    # Student has no VIP price: a student in a VIP seat pays the showtime's VIP price.
    body = {"showtime": show.pk, "seats": [{"id": seat(show, "C1").pk, "type": "student"}]}

    response = client.post(RESERVATIONS, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["seats"][0]["price"] == "18.00"


def test_plain_seat_ids_are_adult_tickets_at_the_showtime_price(client, show):
    response = client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "B1", "C1")}, format="json"
    )

    assert response.status_code == 201
    assert [(s["ticket_type"], s["price"]) for s in response.json()["seats"]] == [
        ("adult", "12.00"),
        ("adult", "18.00"),
    ]


def test_unknown_ticket_type_is_400_and_books_nothing(client, show):
    body = {"showtime": show.pk, "seats": [{"id": seat(show, "A1").pk, "type": "pensioner"}]}

    response = client.post(RESERVATIONS, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_ticket_type"
    assert response.json()["ticket_types"] == ["adult", "child", "student"]
    assert _nothing_written()


@pytest.mark.parametrize(
    ("rating", "status"),
    [(AgeRating.SIX, 201), (AgeRating.TWELVE, 400), (AgeRating.SIXTEEN, 400)],
)
def test_a_child_ticket_for_a_film_rated_above_children_is_age_restricted(
    client, show, rating, status
):
    show.movie.age_rating = rating
    show.movie.save()
    body = {"showtime": show.pk, "seats": [{"id": seat(show, "A1").pk, "type": "child"}]}

    response = client.post(RESERVATIONS, body, format="json")

    assert response.status_code == status, response.json()
    if status == 400:
        assert response.json()["code"] == "age_restricted"
        assert response.json()["age_rating"] == int(rating)
        assert _nothing_written()


def test_a_malformed_seat_object_is_a_field_error(client, show):
    body = {"showtime": show.pk, "seats": [{"type": "child"}, "x", True]}

    response = client.post(RESERVATIONS, body, format="json")

    assert response.status_code == 400
    assert set(response.json()["seats"]) == {"0", "1", "2"}
    assert _nothing_written()


def test_the_seat_map_lists_the_ticket_types_with_their_prices(show):
    body = client_for(None).get(f"/api/showtimes/{show.pk}/seats/").json()

    assert body["ticket_types"] == [
        {
            "code": "adult",
            "name": "Adult",
            "max_age": None,
            "prices": {"STANDARD": "12.00", "VIP": "18.00", "ACCESSIBLE": "12.00"},
        },
        {
            "code": "child",
            "name": "Child",
            "max_age": 12,
            "prices": {"STANDARD": "7.50", "VIP": "11.00", "ACCESSIBLE": "12.00"},
        },
        {
            "code": "student",
            "name": "Student",
            "max_age": None,
            "prices": {"STANDARD": "8.00", "VIP": "18.00", "ACCESSIBLE": "12.00"},
        },
    ]


def test_a_showtime_with_its_own_price_list_sells_its_types(client, show):
    from cinema.models import PriceList

    matinee = PriceList.objects.create(name="Matinee")
    ticket_type("adult", "Adult", price_list=matinee)
    ticket_type("senior", "Senior", price_list=matinee, STANDARD="6.00")
    show.price_list = matinee
    show.save()
    senior = {"showtime": show.pk, "seats": [{"id": seat(show, "A1").pk, "type": "senior"}]}
    child = {"showtime": show.pk, "seats": [{"id": seat(show, "A2").pk, "type": "child"}]}

    assert client.post(RESERVATIONS, senior, format="json").json()["total_price"] == "6.00"
    refused = client.post(RESERVATIONS, child, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "unknown_ticket_type"


# --- vouchers ---------------------------------------------------------------------------
def test_a_percentage_voucher_discounts_each_seat_to_the_cent(client, show):
    # 15 % of 12.00 is 1.80; of 7.50 it is 1.125, which rounds half to even: 1.12.
    VoucherFactory(code="FAMILY15", kind=DiscountKind.PERCENT, value=Decimal("15"))

    response = client.post(RESERVATIONS, _family(show, voucher="family15"), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(s["discount"], s["price"]) for s in body["seats"]] == [
        ("1.80", "10.20"),
        ("1.80", "10.20"),
        ("1.12", "6.38"),
        ("1.12", "6.38"),
    ]
    assert (body["voucher"], body["discount"], body["total_price"]) == (
        "FAMILY15",
        "5.84",
        "33.16",
    )
    reservation = Reservation.objects.get(pk=body["id"])
    assert reservation.voucher.code == "FAMILY15"
    assert reservation.total_price == Decimal("33.16")


def test_a_fixed_amount_voucher_is_split_over_the_seats_exactly(client, show):
    VoucherFactory(code="TENOFF", kind=DiscountKind.AMOUNT, value=Decimal("10.00"))

    body = client.post(RESERVATIONS, _family(show, voucher="TENOFF"), format="json").json()

    # 10.00 over 12 + 12 + 7.50 + 7.50 = 39.00, in proportion, to the cent.
    assert [s["discount"] for s in body["seats"]] == ["3.08", "3.08", "1.92", "1.92"]
    assert (body["discount"], body["total_price"]) == ("10.00", "29.00")


def test_a_fixed_amount_larger_than_the_seats_makes_them_free_not_negative(client, show):
    VoucherFactory(code="BIG", kind=DiscountKind.AMOUNT, value=Decimal("100.00"))
    body = {"showtime": show.pk, "seats": seat_ids(show, "A1"), "voucher": "BIG"}

    response = client.post(RESERVATIONS, body, format="json").json()

    assert (response["discount"], response["total_price"]) == ("12.00", "0.00")


def test_a_voucher_for_one_ticket_type_discounts_only_those_seats(client, show):
    VoucherFactory(code="KIDS", kind=DiscountKind.PERCENT, value=Decimal("50"), ticket_type="child")

    body = client.post(RESERVATIONS, _family(show, voucher="KIDS"), format="json").json()

    assert [s["price"] for s in body["seats"]] == ["12.00", "12.00", "3.75", "3.75"]
    assert body["total_price"] == "31.50"


@pytest.mark.parametrize(
    ("voucher", "code", "status"),
    [
        ({"code": "OTHER"}, "voucher_invalid", 400),
        ({"code": "OFF", "active": False}, "voucher_invalid", 400),
        ({"valid_until": timezone.now() - dt.timedelta(days=1)}, "voucher_expired", 409),
        ({"valid_from": timezone.now() + dt.timedelta(days=1)}, "voucher_not_applicable", 409),
        ({"ticket_type": "student"}, "voucher_not_applicable", 409),
        ({"max_uses": 0}, "voucher_exhausted", 409),
    ],
)
def test_a_voucher_that_does_not_apply_is_refused_and_books_nothing(
    client, show, voucher, code, status
):
    VoucherFactory(**{"code": "SCHOOL24", **voucher})

    response = client.post(RESERVATIONS, _family(show, voucher="SCHOOL24"), format="json")

    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert _nothing_written()


def test_a_voucher_for_another_movie_or_showtime_does_not_apply(client, show):
    VoucherFactory(code="OTHERFILM", movie=MovieFactory())
    VoucherFactory(code="OTHERSHOW", showtime=ShowtimeFactory())

    for code in ("OTHERFILM", "OTHERSHOW"):
        response = client.post(RESERVATIONS, _family(show, voucher=code), format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "voucher_not_applicable"
    assert _nothing_written()


def test_uses_are_counted_and_a_cancel_or_a_lapsed_hold_gives_one_back(client, customer, show):
    VoucherFactory(code="TWICE", max_uses=2)
    first = client.post(RESERVATIONS, _family(show, voucher="TWICE"), format="json").json()
    held = client.post(
        RESERVATIONS, {**_family(show, voucher="TWICE", row="B"), "hold": True}, format="json"
    ).json()
    one_seat = {"showtime": show.pk, "seats": seat_ids(show, "C1"), "voucher": "TWICE"}

    exhausted = client.post(RESERVATIONS, one_seat, format="json")
    assert exhausted.status_code == 409
    assert exhausted.json()["code"] == "voucher_exhausted"

    assert client.delete(f"{RESERVATIONS}{first['id']}/").status_code == 200
    again = client.post(RESERVATIONS, one_seat, format="json")
    assert again.status_code == 201, again.json()

    # The hold lapses: its use is free again, with no job run.
    Reservation.objects.filter(pk=held["id"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    ReservationSeat.objects.filter(reservation_id=held["id"]).update(
        hold_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    fourth = {"showtime": show.pk, "seats": seat_ids(show, "C2"), "voucher": "TWICE"}
    assert client.post(RESERVATIONS, fourth, format="json").status_code == 201


def test_uses_per_customer_are_counted_per_account(show):
    VoucherFactory(code="ONCE", max_uses_per_customer=1)
    alice, bob = client_for(UserFactory()), client_for(UserFactory())

    def book(client, label):
        body = {"showtime": show.pk, "seats": seat_ids(show, label), "voucher": "once"}
        return client.post(RESERVATIONS, body, format="json")

    assert book(alice, "A1").status_code == 201
    second = book(alice, "A2")
    assert second.status_code == 409
    assert second.json()["code"] == "voucher_exhausted"
    assert book(bob, "A3").status_code == 201


def test_requests_naming_vouchers_are_throttled(client, show, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "voucher": "3/hour",
        },
    }
    guesses = [
        client.post(
            RESERVATIONS,
            {"showtime": show.pk, "seats": seat_ids(show, "A1"), "voucher": f"GUESS{i}"},
            format="json",
        )
        for i in range(4)
    ]

    assert [r.status_code for r in guesses] == [400, 400, 400, 429]
    assert "Retry-After" in guesses[-1]
    # Bookings without a voucher are not throttled by it.
    plain = {"showtime": show.pk, "seats": seat_ids(show, "A1")}
    assert client.post(RESERVATIONS, plain, format="json").status_code == 201


def test_a_replayed_booking_with_a_voucher_books_once_and_a_new_voucher_is_a_new_request(
    client, show
):
    VoucherFactory(code="SAVE", max_uses=5)
    body = _family(show, voucher="SAVE")
    key = {"HTTP_IDEMPOTENCY_KEY": "family-1"}

    first = client.post(RESERVATIONS, body, format="json", **key)
    replay = client.post(RESERVATIONS, {**body, "voucher": "save"}, format="json", **key)
    other = client.post(RESERVATIONS, {**body, "voucher": "OTHER"}, format="json", **key)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json()["id"] == first.json()["id"]
    assert other.status_code == 422
    assert Reservation.objects.count() == 1


def test_a_free_ticket_type_costs_nothing(client, show):
    ticket_type("guest", "Guest of the house", STANDARD="0.00")
    body = {"showtime": show.pk, "seats": [{"id": seat(show, "B2").pk, "type": "guest"}]}

    response = client.post(RESERVATIONS, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["total_price"] == "0.00"
