"""How the booking engine shows in the catalogue and the schedule: availability in the
showtime lists, sold seats and the seat map in the admin, and the schedule rules that a
reservation locks. Cinema's own tests cover the catalogue without any reservation; these
need the booking engine's rows, so they live with it."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import services as booking_services
from bookings.tests.factories import book, make_reservation, seat
from cinema import selectors, services
from cinema.exceptions import ShowtimeHasReservations, ShowtimeInUse
from cinema.models import Showtime
from cinema.serializers import ShowtimeSerializer
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from cinema.tests.factories import future as _future
from cinema.tests.factories import showtime_form as _showtime_form
from cinema.tests.factories import tomorrow_at as _tomorrow_at

pytestmark = pytest.mark.django_db


def _schedule(start):
    """A showtime scheduled through cinema's service, in a new hall."""
    movie, hall = MovieFactory(duration_minutes=100), HallFactory()
    return services.showtime_create(
        movie=movie, hall=hall, start_time=start, price=Decimal("10.00")
    )


# --- from cinema/tests/test_admin.py ---


def test_admin_showtime_with_reservations_shows_its_place_read_only(staff_client, customer):
    """Once sold, movie, hall and start are read-only on the page, which says why; a
    posted move is ignored (the form has no such fields), while prices still change."""
    show = ShowtimeFactory(
        start_time=(timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    )
    make_reservation(showtime=show, seats=list(show.hall.seats.all()[:1]), user=customer)
    url = f"/admin/cinema/showtime/{show.pk}/change/"

    page = staff_client.get(url)
    form = page.context["adminform"].form
    assert {"movie", "hall", "start_time"}.isdisjoint(form.fields)
    assert "This showtime has 1 reservation: its movie, hall and start time can no" in (
        page.content.decode()
    )

    data = _showtime_form(show.movie, show.hall, show.start_time + dt.timedelta(hours=3))
    response = staff_client.post(url, {**data, "price": "11.00", "vip_price": "16.00"})
    assert response.status_code == 302
    old_start = show.start_time
    show.refresh_from_db()
    assert show.start_time == old_start
    assert show.price == Decimal("11.00")


def test_admin_showtime_list_shows_sold_over_capacity_without_n_plus_one(
    staff_client, customer, django_assert_max_num_queries
):
    for _ in range(5):
        show = ShowtimeFactory()
        make_reservation(showtime=show, seats=list(show.hall.seats.all()[:3]), user=customer)
    with django_assert_max_num_queries(12):
        response = staff_client.get("/admin/cinema/showtime/")
    assert response.status_code == 200
    assert response.content.decode().count("3 / 12") == 5


def test_admin_showtime_page_shows_its_seat_map(staff_client):
    hall = HallFactory(layout={"rows": 2, "seats_per_row": 2, "vip_rows": ["B"]})
    show = ShowtimeFactory(hall=hall)

    response = staff_client.get(f"/admin/cinema/showtime/{show.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-status="available"') == 4
    assert 'data-seat="B2"' in html


# --- from cinema/tests/test_queries.py ---


@pytest.mark.parametrize("size", [1, 5, 20])
def test_showtime_list_query_budget(anon_client, customer, django_assert_max_num_queries, size):
    for _ in range(size):
        show = ShowtimeFactory()
        make_reservation(showtime=show, seats=list(show.hall.seats.all()[:2]), user=customer)
    with django_assert_max_num_queries(2):  # count + page with movie, hall and seat counts
        response = anon_client.get("/api/showtimes/")
    assert response.status_code == 200
    assert len(response.data["results"]) == size
    assert {item["available_seats"] for item in response.data["results"]} == {10}


# --- from cinema/tests/test_api.py ---


def test_showtime_patch_and_reservation_rules(admin_client, customer):
    show = ShowtimeFactory(start_time=_future(48))
    new_start = (show.start_time + dt.timedelta(hours=5)).isoformat()
    response = admin_client.patch(f"/api/showtimes/{show.pk}/", {"start_time": new_start})
    assert response.status_code == 200
    assert dt.datetime.fromisoformat(response.data["start_time"]) == show.start_time + dt.timedelta(
        hours=5
    )

    make_reservation(showtime=show, seats=list(show.hall.seats.all()[:1]), user=customer)
    response = admin_client.patch(f"/api/showtimes/{show.pk}/", {"start_time": new_start})
    assert response.status_code == 200  # unchanged start is not a move
    response = admin_client.patch(
        f"/api/showtimes/{show.pk}/", {"start_time": _future(100).isoformat()}
    )
    assert response.status_code == 409
    assert response.data["code"] == "showtime_has_reservations"
    response = admin_client.patch(f"/api/showtimes/{show.pk}/", {"price": "13.00"})
    assert response.status_code == 200
    assert response.data["price"] == "13.00"


def test_showtime_delete_with_reservations_is_409(admin_client, customer):
    show = ShowtimeFactory()
    make_reservation(
        showtime=show, seats=list(show.hall.seats.all()[:1]), user=customer, status="CANCELLED"
    )
    response = admin_client.delete(f"/api/showtimes/{show.pk}/")
    assert response.status_code == 409
    assert response.data["code"] == "protected"
    assert Showtime.objects.filter(pk=show.pk).exists()
    free = ShowtimeFactory()
    assert admin_client.delete(f"/api/showtimes/{free.pk}/").status_code == 204


def test_showtime_available_seats_count_only_live_claims(anon_client, customer):
    show = ShowtimeFactory()  # 12 seats
    seats = list(show.hall.seats.all())
    make_reservation(showtime=show, seats=seats[0:2], user=customer)  # booked
    make_reservation(
        showtime=show, seats=seats[2:3], user=customer, status="HELD",
        hold_expires_at=timezone.now() + dt.timedelta(minutes=5),
    )  # fmt: skip
    make_reservation(
        showtime=show, seats=seats[3:5], user=customer, status="HELD",
        hold_expires_at=timezone.now() - dt.timedelta(minutes=1),
    )  # fmt: skip  # expired hold: free again
    make_reservation(showtime=show, seats=seats[5:6], user=customer, status="CANCELLED")
    response = anon_client.get(f"/api/showtimes/{show.pk}/")
    assert response.status_code == 200
    assert response.data["available_seats"] == 9
    response = anon_client.get("/api/showtimes/")
    assert response.data["results"][0]["available_seats"] == 9


# --- from cinema/tests/test_list_rendering.py ---


@pytest.fixture
def schedule(customer):
    hall = HallFactory(layout={"rows": 2, "seats_per_row": 5, "vip_rows": ["B"]})
    start = timezone.now() + dt.timedelta(days=1)
    first = ShowtimeFactory(
        hall=hall, start_time=start, price=Decimal("9.50"), vip_price=Decimal("14.00")
    )
    make_reservation(showtime=first, seats=list(hall.seats.all()[:3]), user=customer)
    make_reservation(
        showtime=first,
        seats=list(hall.seats.all()[3:4]),
        user=customer,
        status="HELD",
        hold_expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    second = ShowtimeFactory(
        movie=first.movie, hall=hall, start_time=first.end_time + dt.timedelta(hours=1)
    )
    return first, second


def _expected_showtimes(queryset):
    return [dict(item) for item in ShowtimeSerializer(queryset, many=True).data]


def test_showtime_list_items_are_what_the_serializer_gives(anon_client, schedule):
    response = anon_client.get("/api/showtimes/")
    assert response.status_code == 200
    expected = _expected_showtimes(selectors.showtime_list(upcoming_only=True))
    assert response.json()["results"] == expected
    first = response.json()["results"][0]
    assert first["available_seats"] == 6
    assert first["price"] == "9.50"
    assert first["vip_price"] == "14.00"


def test_showtime_list_of_a_day_matches_the_serializer(anon_client, schedule):
    first, _ = schedule
    day = timezone.localtime(first.start_time).date()
    response = anon_client.get("/api/showtimes/", {"date": day.isoformat()})
    assert response.status_code == 200
    expected = _expected_showtimes(selectors.showtimes_on(selectors.showtime_list(), day))
    assert response.json()["results"] == expected
    assert response.json()["results"][0]["id"] == first.pk


def test_movie_showtimes_match_the_serializer(anon_client, schedule):
    first, second = schedule
    response = anon_client.get(f"/api/movies/{first.movie_id}/showtimes/")
    assert response.status_code == 200
    expected = _expected_showtimes(selectors.movie_upcoming_showtimes(movie=first.movie))
    assert response.json()["results"] == expected
    assert [item["id"] for item in response.json()["results"]] == [first.pk, second.pk]


def test_showtime_retrieve_is_the_same_item_as_in_the_list(anon_client, schedule):
    first, _ = schedule
    listed = anon_client.get("/api/showtimes/").json()["results"][0]
    assert anon_client.get(f"/api/showtimes/{first.pk}/").json() == listed


# --- from cinema/tests/test_services.py ---


def test_showtime_update_with_reservations_allows_only_prices(customer):
    show = _schedule(_tomorrow_at(18))
    make_reservation(showtime=show, seats=list(show.hall.seats.all()[:1]), user=customer)
    with pytest.raises(ShowtimeHasReservations):
        services.showtime_update(showtime=show, start_time=_tomorrow_at(21))
    with pytest.raises(ShowtimeHasReservations):
        services.showtime_update(showtime=show, hall=HallFactory())
    show = services.showtime_update(
        showtime=show, price=Decimal("12.00"), vip_price=Decimal("15.00")
    )
    show.refresh_from_db()
    assert (show.price, show.vip_price) == (Decimal("12.00"), Decimal("15.00"))
    assert show.start_time == _tomorrow_at(18)


def test_showtime_delete_refused_with_reservations(customer):
    show = _schedule(_tomorrow_at(18))
    make_reservation(showtime=show, seats=list(show.hall.seats.all()[:1]), user=customer)
    with pytest.raises(ShowtimeInUse):
        services.showtime_delete(showtime=show)
    assert Showtime.objects.filter(pk=show.pk).exists()


def test_admin_seat_map_and_api_seat_map_agree_on_every_kind_of_claim(
    staff_client, anon_client, customer
):
    hall = HallFactory(layout={"rows": 2, "seats_per_row": 4, "vip_rows": ["B"]})
    show = ShowtimeFactory(hall=hall)
    now = timezone.now()
    book(showtime=show, seats=[seat(show, "A1")])  # booked
    book(showtime=show, seats=[seat(show, "A2")], hold=True)  # held
    confirmed = book(user=customer, showtime=show, seats=[seat(show, "B1")], hold=True)
    booking_services.reservation_confirm(reservation=confirmed, user=customer)  # booked
    cancelled = book(user=customer, showtime=show, seats=[seat(show, "A3")])
    booking_services.reservation_cancel(reservation=cancelled, by=customer)  # available
    make_reservation(  # lapsed, not released: available
        showtime=show,
        seats=[seat(show, "A4")],
        user=customer,
        status="HELD",
        hold_expires_at=now - dt.timedelta(minutes=1),
    )
    make_reservation(  # expired and released: available
        showtime=show,
        seats=[seat(show, "B2")],
        user=customer,
        status="EXPIRED",
        hold_expires_at=now - dt.timedelta(minutes=20),
    )

    api = anon_client.get(f"/api/showtimes/{show.pk}/seats/").json()
    html = staff_client.get(f"/admin/cinema/showtime/{show.pk}/change/").content.decode()

    api_statuses = {item["label"]: item["status"] for item in api["seats"]}
    admin_statuses = dict(re.findall(r'data-seat="(\w+)" data-status="(\w+)"', html))
    assert admin_statuses == api_statuses
    assert api_statuses == {
        "A1": "booked",
        "A2": "held",
        "A3": "available",
        "A4": "available",
        "B1": "booked",
        "B2": "available",
        "B3": "available",
        "B4": "available",
    }
    counts = api["counts"]
    assert f"booked: {counts['booked']}" in html and f"held: {counts['held']}" in html
