import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings import services
from bookings.models import Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book, seat, seat_ids
from cinema.tests.factories import HallFactory, ShowtimeFactory
from testsupport.testing import client_for
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

RESERVATIONS = "/api/reservations/"


def _seat_map(client, show):
    response = client.get(f"/api/showtimes/{show.pk}/seats/")
    assert response.status_code == 200
    return response.json()


# --- seat map ---------------------------------------------------------------------------
def test_seat_map_shows_every_seat_with_price_and_status(anon_client, show):
    book(showtime=show, seats=[seat(show, "A1")])
    book(showtime=show, seats=[seat(show, "A2")], hold=True)
    lapsed = book(showtime=show, seats=[seat(show, "A3")], hold=True)
    ReservationSeat.objects.filter(reservation=lapsed).update(
        hold_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    body = _seat_map(anon_client, show)

    assert body["showtime"]["id"] == show.pk
    assert body["showtime"]["movie"]["title"] == show.movie.title
    assert body["showtime"]["hall"]["name"] == show.hall.name
    assert body["showtime"]["bookable"] is True
    assert body["counts"] == {"available": 10, "held": 1, "booked": 1, "total": 12}
    by_label = {s["label"]: s for s in body["seats"]}
    assert [s["label"] for s in body["seats"]][:5] == ["A1", "A2", "A3", "A4", "B1"]
    assert by_label["A1"]["status"] == "booked"
    assert by_label["A2"]["status"] == "held"
    assert by_label["A3"]["status"] == "available"  # the lapsed hold frees it, no job
    assert by_label["C4"] == {
        "id": seat(show, "C4").pk,
        "row": "C",
        "number": 4,
        "label": "C4",
        "seat_type": "VIP",
        "price": "15.00",
        "status": "available",
    }
    assert by_label["B2"]["price"] == "10.00"


def test_seat_map_cancelled_seat_is_available_again(anon_client, show, customer):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "B2")])
    services.reservation_cancel(reservation=reservation, by=customer)
    by_label = {s["label"]: s for s in _seat_map(anon_client, show)["seats"]}
    assert by_label["B2"]["status"] == "available"


def test_seat_map_unknown_showtime_is_404(anon_client):
    response = anon_client.get("/api/showtimes/999999/seats/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(("rows", "per_row"), [(2, 3), (10, 12), (15, 20)])
def test_seat_map_query_count_does_not_grow_with_the_hall(
    anon_client, rows, per_row, django_assert_max_num_queries
):
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": rows, "seats_per_row": per_row}))
    seats = list(show.hall.seats.order_by("position")[:6])
    book(showtime=show, seats=seats[:3])
    book(showtime=show, seats=seats[3:6], hold=True)
    # The showtime, its claims; cold, the hall's layout and the price list's ticket types.
    with django_assert_max_num_queries(4):
        body = _seat_map(anon_client, show)
    assert body["counts"]["total"] == rows * per_row
    assert body["counts"]["booked"] == 3
    assert body["counts"]["held"] == 3


# --- create -----------------------------------------------------------------------------
def test_reservation_create_returns_the_reservation(customer_client, customer, show):
    response = customer_client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "C1", "A2")}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "CONFIRMED"
    assert body["user"] == customer.pk
    assert body["total_price"] == "25.00"
    assert body["expires_at"] is None
    assert body["showtime"]["id"] == show.pk
    assert body["showtime"]["movie_title"] == show.movie.title
    assert body["showtime"]["hall_name"] == show.hall.name
    assert [(s["label"], s["seat_type"], s["price"]) for s in body["seats"]] == [
        ("A2", "STANDARD", "10.00"),
        ("C1", "VIP", "15.00"),
    ]
    assert set(body["seats"][0]) == {
        "id",
        "seat_id",
        "label",
        "row",
        "number",
        "seat_type",
        "ticket_type",
        "list_price",
        "discount",
        "price",
    }
    assert response["Location"] == f"/api/reservations/{body['id']}/"
    assert Reservation.objects.get(pk=body["id"]).user == customer


def test_reservation_create_hold_has_expiry(customer_client, show):
    response = customer_client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "A1"), "hold": True}
    )
    assert response.status_code == 201
    assert response.json()["status"] == "HELD"
    assert response.json()["expires_at"] is not None


def test_reservation_create_taken_seat_is_409_naming_the_seats(customer_client, show, counts):
    book(showtime=show, seats=[seat(show, "B3")])
    before = counts()
    response = customer_client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "B2", "B3")}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "seats_unavailable"
    assert body["detail"]
    assert body["seats"] == [{"id": seat(show, "B3").pk, "label": "B3"}]
    assert counts() == before


@pytest.mark.parametrize(
    ("payload", "code_or_field"),
    [
        (lambda show: {"showtime": show.pk, "seats": []}, "no_seats"),
        (lambda show: {"showtime": show.pk}, "seats"),
        (lambda show: {"showtime": show.pk, "seats": ["x"]}, "seats"),
        (lambda show: {"seats": [1]}, "showtime"),
        (lambda show: {"showtime": "abc", "seats": [1]}, "showtime"),
        (lambda show: {"showtime": 999999, "seats": [1]}, "showtime_not_found"),
        (
            lambda show: {"showtime": show.pk, "seats": seat_ids(show, "A1", "A1")},
            "duplicate_seats",
        ),
        (lambda show: {"showtime": show.pk, "seats": [999999]}, "invalid_seats"),
        (
            lambda show: {
                "showtime": show.pk,
                "seats": list(show.hall.seats.values_list("pk", flat=True)),
            },
            "too_many_seats",
        ),
        (
            lambda show: {"showtime": show.pk, "seats": seat_ids(show, "A1"), "hold": "maybe"},
            "hold",
        ),
    ],
)
def test_reservation_create_bad_input_is_400_and_writes_nothing(
    customer_client, show, counts, payload, code_or_field
):
    before = counts()
    response = customer_client.post(RESERVATIONS, payload(show), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body.get("code") == code_or_field or code_or_field in body
    assert counts() == before


def test_reservation_create_started_showtime_is_400(customer_client, counts):
    show = ShowtimeFactory(start_time=timezone.now() - dt.timedelta(minutes=5))
    before = counts()
    response = customer_client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": [show.hall.seats.first().pk]}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "showtime_closed"
    assert counts() == before


def test_reservation_create_idempotency_key_replays_the_first_response(customer_client, show):
    payload = {"showtime": show.pk, "seats": seat_ids(show, "A1")}
    first = customer_client.post(RESERVATIONS, payload, HTTP_IDEMPOTENCY_KEY="abc-1")
    second = customer_client.post(RESERVATIONS, payload, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Reservation.objects.count() == 1

    reused = customer_client.post(
        RESERVATIONS,
        {"showtime": show.pk, "seats": seat_ids(show, "A2")},
        HTTP_IDEMPOTENCY_KEY="abc-1",
    )
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Reservation.objects.count() == 1


# --- list, retrieve ---------------------------------------------------------------------
def test_reservation_list_shows_own_only(customer_client, customer, other_customer, show):
    mine = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    book(user=other_customer, showtime=show, seats=[seat(show, "A2")])
    response = customer_client.get(RESERVATIONS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [r["id"] for r in body["results"]] == [mine.pk]


def test_reservation_list_admin_sees_all_and_filters(admin_client, customer, other_customer, show):
    mine = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    held = book(user=other_customer, showtime=show, seats=[seat(show, "A2")], hold=True)
    elsewhere = book(user=customer)
    assert admin_client.get(RESERVATIONS).json()["count"] == 3
    by_user = admin_client.get(RESERVATIONS, {"user": customer.pk}).json()["results"]
    assert {r["id"] for r in by_user} == {mine.pk, elsewhere.pk}
    by_show = admin_client.get(RESERVATIONS, {"showtime": show.pk}).json()["results"]
    assert {r["id"] for r in by_show} == {mine.pk, held.pk}
    by_status = admin_client.get(RESERVATIONS, {"status": "HELD"}).json()["results"]
    assert [r["id"] for r in by_status] == [held.pk]
    assert admin_client.get(RESERVATIONS, {"status": "NOPE"}).status_code == 400


@pytest.mark.parametrize("name", ["status", "showtime", "user"])
def test_reservation_list_refuses_an_empty_filter_value(admin_client, name):
    response = admin_client.get(RESERVATIONS, {name: ""})

    assert response.status_code == 400
    assert response.json() == {name: ["Give a value or leave the parameter out."]}


@pytest.mark.parametrize("n", [2, 12])
def test_reservation_list_query_budget(customer, show, n, django_assert_max_num_queries):
    for i in range(n):
        other_show = ShowtimeFactory()
        book(user=customer, showtime=other_show, count=1 + i % 3)
    client = client_for(customer)
    # user + count + page + seats prefetch
    with django_assert_max_num_queries(4):
        response = client.get(RESERVATIONS)
    assert response.json()["count"] == n


def test_reservation_retrieve_own_and_not_others(customer_client, customer, other_customer):
    mine = book(user=customer)
    theirs = book(user=other_customer)
    assert customer_client.get(f"{RESERVATIONS}{mine.pk}/").json()["id"] == mine.pk
    response = customer_client.get(f"{RESERVATIONS}{theirs.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- cancel, confirm --------------------------------------------------------------------
def test_reservation_cancel_answers_200_and_frees_the_seats(customer_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    response = customer_client.delete(f"{RESERVATIONS}{reservation.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "CANCELLED"
    assert body["cancelled_at"] is not None
    assert [s["label"] for s in body["seats"]] == ["A1"]  # history kept
    assert _seat_map(customer_client, show)["counts"]["booked"] == 0

    again = customer_client.delete(f"{RESERVATIONS}{reservation.pk}/")
    assert again.status_code == 409
    assert again.json()["code"] == "already_cancelled"

    rebook = client_for(UserFactory()).post(
        RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "A1")}
    )
    assert rebook.status_code == 201


def test_reservation_cancel_after_start_is_refused(customer_client, customer, show, counts):
    reservation = book(user=customer, showtime=show)
    type(show).objects.filter(pk=show.pk).update(
        start_time=timezone.now() - dt.timedelta(minutes=1)
    )
    before = counts()
    response = customer_client.delete(f"{RESERVATIONS}{reservation.pk}/")
    assert response.status_code == 400
    assert response.json()["code"] == "showtime_closed"
    assert counts() == before


def test_reservation_confirm_hold(customer_client, customer, show):
    hold = book(user=customer, showtime=show, hold=True)
    response = customer_client.post(f"{RESERVATIONS}{hold.pk}/confirm/")
    assert response.status_code == 200
    assert response.json()["status"] == "CONFIRMED"
    assert response.json()["expires_at"] is None
    again = customer_client.post(f"{RESERVATIONS}{hold.pk}/confirm/")
    assert again.status_code == 409
    assert again.json()["code"] == "already_confirmed"


def test_reservation_hold_expiry_end_to_end(customer_client, customer, other_client, show):
    response = customer_client.post(
        RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "A1", "A2"), "hold": True}
    )
    hold_id = response.json()["id"]
    taken = other_client.post(RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "A2")})
    assert taken.status_code == 409
    # Time passes: the hold lapses.
    past = timezone.now() - dt.timedelta(seconds=1)
    Reservation.objects.filter(pk=hold_id).update(expires_at=past)
    ReservationSeat.objects.filter(reservation_id=hold_id).update(hold_expires_at=past)

    statuses = {s["label"]: s["status"] for s in _seat_map(other_client, show)["seats"]}
    assert statuses["A1"] == statuses["A2"] == "available"
    rebook = other_client.post(RESERVATIONS, {"showtime": show.pk, "seats": seat_ids(show, "A2")})
    assert rebook.status_code == 201
    confirm = customer_client.post(f"{RESERVATIONS}{hold_id}/confirm/")
    assert confirm.status_code == 409
    assert confirm.json()["code"] == "hold_expired"
    assert Reservation.objects.get(pk=hold_id).status == ReservationStatus.EXPIRED


def test_other_customers_reservation_is_404_for_read_cancel_confirm(
    customer_client, other_customer, counts
):
    theirs = book(user=other_customer, hold=True)
    before = counts()
    url = f"{RESERVATIONS}{theirs.pk}/"
    assert customer_client.get(url).status_code == 404
    assert customer_client.delete(url).status_code == 404
    assert customer_client.post(f"{url}confirm/").status_code == 404
    assert customer_client.post(f"/api/bookings/{theirs.pk}/cancel/").status_code == 404
    assert counts() == before
    assert Reservation.objects.get(pk=theirs.pk).status == ReservationStatus.HELD


def test_admin_cancels_any_reservation_but_cannot_confirm_it(admin_client, other_customer):
    hold = book(user=other_customer, hold=True)
    confirm = admin_client.post(f"{RESERVATIONS}{hold.pk}/confirm/")
    assert confirm.status_code == 403
    assert confirm.json()["code"] == "not_owner"
    assert admin_client.delete(f"{RESERVATIONS}{hold.pk}/").json()["status"] == "CANCELLED"


# --- compatibility routes ---------------------------------------------------------------
def test_compat_book_by_seat_number(customer_client, show):
    response = customer_client.post(f"/api/shows/{show.pk}/book/", {"seat_number": 6})
    assert response.status_code == 201
    assert [s["label"] for s in response.json()["seats"]] == ["B2"]
    again = client_for(UserFactory()).post(f"/api/shows/{show.pk}/book/", {"seat_number": 6})
    assert again.status_code == 409
    assert again.json()["code"] == "seats_unavailable"


@pytest.mark.parametrize(
    ("number", "shape"),
    [
        # Below 1 or past the hall's last seat: the same mistake, the same answer.
        *((number, "invalid_seat_number") for number in (0, 13, -1, 10**30)),
        # Not a whole number at all: a field error, as for any field.
        *((number, "field error") for number in ("x", 1.5, None, True)),
    ],
)
def test_compat_book_bad_seat_number_is_400(customer_client, show, number, shape, counts):
    before = counts()
    response = customer_client.post(
        f"/api/shows/{show.pk}/book/", {"seat_number": number}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    if shape == "field error":
        assert list(body) == ["seat_number"]
    else:
        assert (body["code"], body["seat_number"]) == (shape, number)
    assert counts() == before


def test_compat_book_unknown_show_is_404(customer_client):
    response = customer_client.post("/api/shows/999999/book/", {"seat_number": 1})
    assert response.status_code == 404


def test_compat_my_bookings_and_cancel(customer_client, customer, other_customer):
    mine = book(user=customer)
    book(user=other_customer)
    listing = customer_client.get("/api/my-bookings/")
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    assert listing.json()["results"][0]["id"] == mine.pk
    cancel = customer_client.post(f"/api/bookings/{mine.pk}/cancel/")
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "CANCELLED"
    assert customer_client.post(f"/api/bookings/{mine.pk}/cancel/").status_code == 409


# --- housekeeping and admin -------------------------------------------------------------
def test_expire_holds_command_reports_counts(show, capsys):
    lapsed = book(showtime=show, count=2, hold=True)
    past = timezone.now() - dt.timedelta(seconds=1)
    Reservation.objects.filter(pk=lapsed.pk).update(expires_at=past)
    ReservationSeat.objects.filter(reservation=lapsed).update(hold_expires_at=past)
    call_command("expire_holds")
    out = capsys.readouterr().out
    assert "Expired 1 held reservation(s), released 2 seat(s)" in out
    assert Reservation.objects.get(pk=lapsed.pk).status == ReservationStatus.EXPIRED


def test_admin_cancel_action_goes_through_the_service(client, customer, show):
    admin_user = AdminFactory(is_superuser=True)  # as createsuperuser makes it
    reservation = book(user=customer, showtime=show)
    cancelled = book(user=customer, showtime=show, seats=[seat(show, "C1")])
    services.reservation_cancel(reservation=cancelled, by=customer)
    client.force_login(admin_user)
    listing = client.get("/admin/bookings/reservation/", {"q": customer.username})
    assert listing.status_code == 200
    response = client.post(
        "/admin/bookings/reservation/",
        {
            "action": "cancel_selected",
            "_selected_action": [reservation.pk, cancelled.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert not ReservationSeat.objects.filter(active=True).exists()
    detail = client.get(f"/admin/bookings/reservation/{reservation.pk}/change/")
    assert detail.status_code == 200


HUGE = 10**25


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    [
        ("get", f"/api/showtimes/{HUGE}/seats/", None, 404),
        ("post", RESERVATIONS, {"showtime": HUGE, "seats": [1]}, 400),
        ("post", RESERVATIONS, {"showtime": 1, "seats": [HUGE]}, 400),
        ("post", f"/api/shows/{HUGE}/book/", {"seat_number": 1}, 404),
        ("post", "/api/shows/{show}/book/", {"seat_number": HUGE}, 400),
        ("post", f"/api/bookings/{HUGE}/cancel/", None, 404),
        ("get", f"{RESERVATIONS}{HUGE}/", None, 404),
        ("get", f"{RESERVATIONS}?user={HUGE}", None, 400),
        ("get", f"{RESERVATIONS}?showtime={HUGE}", None, 400),
    ],
)
def test_huge_ids_are_client_errors_not_500(customer_client, method, url, body, expected):
    show = ShowtimeFactory()
    url = url.replace("{show}", str(show.pk))
    response = getattr(customer_client, method)(url, body, format="json")
    assert response.status_code == expected, response.content


def test_reservation_create_bad_idempotency_key_is_400(customer_client, show, counts):
    before = counts()
    response = customer_client.post(
        RESERVATIONS,
        {"showtime": show.pk, "seats": seat_ids(show, "A1")},
        HTTP_IDEMPOTENCY_KEY="x" * 256,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert counts() == before


@pytest.mark.parametrize(
    "first, second",
    [("Order-7f3a", "order-7F3A"), ("clé", "cle"), ("cle", "cle "), ("ß", "ss")],
)
def test_idempotency_keys_are_compared_byte_for_byte(customer_client, first, second):
    show = ShowtimeFactory()
    a1, a2 = seat(show, "A1").pk, seat(show, "A2").pk

    one = customer_client.post(
        "/api/reservations/",
        {"showtime": show.pk, "seats": [a1]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=first,
    )
    other = customer_client.post(
        "/api/reservations/",
        {"showtime": show.pk, "seats": [a2]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=second,
    )
    replay = customer_client.post(
        "/api/reservations/",
        {"showtime": show.pk, "seats": [a1]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=first,
    )

    assert (one.status_code, other.status_code) == (201, 201), other.content
    assert one.json()["id"] != other.json()["id"]
    assert "Idempotent-Replayed" not in other
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == one.json()["id"]
