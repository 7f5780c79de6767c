import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import ReservationStatus
from bookings.tests.factories import reserve, seats_of
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from pricing.models import DiscountKind
from pricing.tests.factories import VoucherFactory, family_prices
from users.tests.factories import UserFactory

URL = "/api/admin/stats/"
BERLIN = ZoneInfo("Europe/Berlin")


def local(year, month, day, hour=20, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def scene(db, settings):
    """Two movies, two halls (one with a VIP row), showtimes over three Berlin days,
    one just before midnight and one just after it, one outside the range; and
    reservations in every status."""
    settings.TIME_ZONE = "Europe/Berlin"
    hall_a = HallFactory(layout={"rows": 2, "seats_per_row": 5, "vip_rows": ["B"]})
    hall_b = HallFactory(layout={"rows": 3, "seats_per_row": 4})
    drama, comedy = MovieFactory(title="Drama"), MovieFactory(title="Comedy")
    buyer, other = UserFactory(), UserFactory()

    def show(movie, hall, start, price="10.00", vip="16.50"):
        return ShowtimeFactory(
            movie=movie,
            hall=hall,
            start_time=start,
            price=Decimal(price),
            vip_price=Decimal(vip),
        )

    shows = {
        # 23:30 on March 10 in Berlin is 22:30 UTC, still March 10 locally.
        "late": show(drama, hall_a, local(2030, 3, 10, 23, 30)),
        # 00:30 on March 12 in Berlin is 23:30 UTC on March 11: a March 12 showtime.
        "after_midnight": show(comedy, hall_b, local(2030, 3, 12, 0, 30), price="8.00"),
        "matinee": show(drama, hall_b, local(2030, 3, 11, 14, 0), price="7.25"),
        "empty": show(comedy, hall_a, local(2030, 3, 11, 18, 0)),
        # Midnight at the start of March 13 in Berlin: just past the range.
        "outside": show(drama, hall_a, local(2030, 3, 13, 0, 0)),
    }
    reservations = []
    late = seats_of(shows["late"])
    reservations += [
        reserve(buyer, shows["late"], [late[0], late[1]], ReservationStatus.CONFIRMED),
        # Two VIP seats (row B) at the VIP price.
        reserve(other, shows["late"], [late[5], late[6]], ReservationStatus.CONFIRMED),
        reserve(buyer, shows["late"], [late[2]], ReservationStatus.CANCELLED),
        reserve(other, shows["late"], [late[2]], ReservationStatus.EXPIRED),
        reserve(other, shows["late"], [late[3]], ReservationStatus.HELD),
    ]
    midnight = seats_of(shows["after_midnight"])
    reservations += [
        reserve(buyer, shows["after_midnight"], midnight[:3], ReservationStatus.CONFIRMED),
        reserve(other, shows["after_midnight"], [midnight[3]], ReservationStatus.CANCELLED),
    ]
    matinee = seats_of(shows["matinee"])
    reservations += [
        reserve(other, shows["matinee"], [matinee[4]], ReservationStatus.CONFIRMED),
        reserve(buyer, shows["matinee"], [matinee[5]], ReservationStatus.HELD),
    ]
    outside = seats_of(shows["outside"])
    reservations.append(reserve(buyer, shows["outside"], outside[:4], ReservationStatus.CONFIRMED))
    return {"shows": shows, "reservations": reservations}


def expected_figures(showtimes, reservations):
    """The report's figures, computed from the rows the test created."""
    ids = {show.pk for show in showtimes}
    mine = [r for r in reservations if r.showtime_id in ids]
    confirmed_seats = [
        seat for r in mine if r.status == ReservationStatus.CONFIRMED for seat in r.seats.all()
    ]
    capacity = sum(show.hall.seats.count() for show in showtimes)
    sold = len(confirmed_seats)
    return {
        "showtimes": len(showtimes),
        "revenue": str(
            sum((s.price for s in confirmed_seats), Decimal("0.00")).quantize(Decimal("0.01"))
        ),
        "tickets_sold": sold,
        "reservations": sum(r.status == ReservationStatus.CONFIRMED for r in mine),
        "cancellations": sum(r.status == ReservationStatus.CANCELLED for r in mine),
        "capacity": capacity,
        "occupancy": round(sold / capacity, 4) if capacity else 0.0,
    }


def pick(row):
    keys = (
        "showtimes",
        "revenue",
        "tickets_sold",
        "reservations",
        "cancellations",
        "capacity",
        "occupancy",
    )
    return {key: row[key] for key in keys}


def test_stats_totals_match_rows_created(admin_client, scene):
    response = admin_client.get(URL, {"from": "2030-03-10", "to": "2030-03-12"})

    assert response.status_code == 200, response.content
    body = response.json()
    shows = scene["shows"]
    in_range = [shows["late"], shows["after_midnight"], shows["matinee"], shows["empty"]]
    expected = expected_figures(in_range, scene["reservations"])
    assert pick(body["totals"]) == expected
    # Written out once by hand: 2 x 10.00 + 2 x 16.50 VIP + 3 x 8.00 + 1 x 7.25.
    assert body["totals"]["revenue"] == "84.25"
    assert body["totals"]["tickets_sold"] == 8
    assert body["totals"]["cancellations"] == 2
    assert body["date_from"] == "2030-03-10"
    assert body["date_to"] == "2030-03-12"
    assert body["time_zone"] == "Europe/Berlin"


def test_stats_per_movie_per_showtime_per_day(admin_client, scene):
    response = admin_client.get(URL, {"from": "2030-03-10", "to": "2030-03-12"})

    body = response.json()
    shows, reservations = scene["shows"], scene["reservations"]
    per_showtime = {row["showtime_id"]: row for row in body["per_showtime"]}
    for name in ("late", "after_midnight", "matinee", "empty"):
        show = shows[name]
        assert pick(per_showtime[show.pk]) == expected_figures([show], reservations), name
        assert per_showtime[show.pk]["movie_title"] == show.movie.title
        assert per_showtime[show.pk]["hall_name"] == show.hall.name
    assert shows["outside"].pk not in per_showtime

    per_movie = {row["movie_title"]: row for row in body["per_movie"]}
    assert pick(per_movie["Drama"]) == expected_figures(
        [shows["late"], shows["matinee"]], reservations
    )
    assert pick(per_movie["Comedy"]) == expected_figures(
        [shows["after_midnight"], shows["empty"]], reservations
    )

    per_day = {row["date"]: row for row in body["per_day"]}
    assert list(per_day) == ["2030-03-10", "2030-03-11", "2030-03-12"]
    assert pick(per_day["2030-03-10"]) == expected_figures([shows["late"]], reservations)
    assert pick(per_day["2030-03-11"]) == expected_figures(
        [shows["matinee"], shows["empty"]], reservations
    )
    # Starts at 23:30 UTC on the 11th, but it is the 12th in Berlin.
    assert pick(per_day["2030-03-12"]) == expected_figures([shows["after_midnight"]], reservations)


def test_stats_filters_by_movie_and_hall(admin_client, scene):
    shows, reservations = scene["shows"], scene["reservations"]
    drama = shows["late"].movie
    hall_b = shows["matinee"].hall

    by_movie = admin_client.get(
        URL, {"from": "2030-03-10", "to": "2030-03-12", "movie": drama.pk}
    ).json()
    by_hall = admin_client.get(
        URL, {"from": "2030-03-10", "to": "2030-03-12", "hall": hall_b.pk}
    ).json()

    assert pick(by_movie["totals"]) == expected_figures(
        [shows["late"], shows["matinee"]], reservations
    )
    assert pick(by_hall["totals"]) == expected_figures(
        [shows["after_midnight"], shows["matinee"]], reservations
    )
    assert {row["movie_title"] for row in by_movie["per_movie"]} == {"Drama"}


def test_stats_day_follows_time_zone_setting(admin_client, scene, settings):
    settings.TIME_ZONE = "UTC"

    body = admin_client.get(URL, {"from": "2030-03-11", "to": "2030-03-11"}).json()

    # In UTC the 00:30 Berlin showtime belongs to March 11.
    ids = {row["showtime_id"] for row in body["per_showtime"]}
    shows = scene["shows"]
    assert ids == {shows["after_midnight"].pk, shows["matinee"].pk, shows["empty"].pk}
    assert body["time_zone"] == "UTC"


def test_stats_default_range_is_last_30_days_through_next_7(admin_client, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    today = timezone.localdate(timezone=BERLIN)
    hall = HallFactory()
    now = timezone.now()
    recent = ShowtimeFactory(hall=hall, start_time=now - dt.timedelta(days=29))
    soon = ShowtimeFactory(hall=hall, start_time=now + dt.timedelta(days=6))
    ShowtimeFactory(hall=hall, start_time=now - dt.timedelta(days=32))
    ShowtimeFactory(hall=hall, start_time=now + dt.timedelta(days=9))

    body = admin_client.get(URL).json()

    assert body["date_from"] == (today - dt.timedelta(days=30)).isoformat()
    assert body["date_to"] == (today + dt.timedelta(days=7)).isoformat()
    assert {row["showtime_id"] for row in body["per_showtime"]} == {recent.pk, soon.pk}
    assert len(body["per_day"]) == 38


def test_stats_empty_range_reports_zeros(admin_client, db):
    body = admin_client.get(URL, {"from": "2031-01-01", "to": "2031-01-02"}).json()

    assert body["totals"] == {
        "showtimes": 0,
        "revenue": "0.00",
        "tickets_sold": 0,
        "reservations": 0,
        "cancellations": 0,
        "capacity": 0,
        "occupancy": 0.0,
        "checked_in": 0,
        "no_shows": 0,
        "list_revenue": "0.00",
        "discount": "0.00",
    }
    assert [row["date"] for row in body["per_day"]] == ["2031-01-01", "2031-01-02"]


def test_stats_anonymous_is_401(anon_client, db):
    response = anon_client.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_stats_customer_is_403(customer_client):
    response = customer_client.get(URL)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2030-03-12", "to": "2030-03-10"}, "to"),
        ({"from": "2030-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"to": ""}, "to"),
        ({"movie": ""}, "movie"),
        ({"from": "2030-01-01", "to": "2031-01-02"}, "to"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"movie": "abc"}, "movie"),
        ({"hall": "0"}, "hall"),
        ({"movie": str(2**70)}, "movie"),
    ],
)
def test_stats_bad_query_is_400(admin_client, params, field):
    response = admin_client.get(URL, params)

    assert response.status_code == 400, response.content
    assert field in response.json()


def test_stats_query_count_is_constant(admin_client, scene, django_assert_max_num_queries):
    hall = HallFactory(layout={"rows": 4, "seats_per_row": 5, "vip_rows": ["D"]})
    buyer = UserFactory()
    for day in range(1, 28):
        show = ShowtimeFactory(hall=hall, start_time=local(2030, 2, day, 20))
        reserve(buyer, show, seats_of(show)[:2], ReservationStatus.CONFIRMED)
        reserve(buyer, show, seats_of(show)[2:3], ReservationStatus.CANCELLED)

    # One query for the user behind the token, one for the report, one for its money,
    # two for its prices (per ticket type, per voucher).
    with django_assert_max_num_queries(5):
        response = admin_client.get(URL, {"from": "2030-02-01", "to": "2030-03-12"})

    assert response.status_code == 200
    assert response.json()["totals"]["showtimes"] == 27 + 4


def test_stats_show_revenue_net_of_discounts_per_ticket_type_and_voucher(admin_client):
    family_prices()  # Child 7.50
    VoucherFactory(code="FAMILY15", kind=DiscountKind.PERCENT, value=Decimal("15"))
    show = ShowtimeFactory(
        hall=HallFactory(layout={"rows": 2, "seats_per_row": 4}),
        start_time=local(2030, 3, 14, 18),
        price=Decimal("12.00"),
    )
    seats = [seat.pk for seat in seats_of(show)]
    child = booking_services.SeatChoice
    # A family of four with the voucher (33.16), and two adults without (24.00).
    booking_services.reservation_create(
        user=UserFactory(),
        showtime_id=show.pk,
        seat_ids=seats[:4],
        choices=[child(seats[2], "child"), child(seats[3], "child")],
        voucher="FAMILY15",
        now=local(2030, 3, 1, 12),
    )
    booking_services.reservation_create(
        user=UserFactory(), showtime_id=show.pk, seat_ids=seats[4:6], now=local(2030, 3, 1, 12)
    )

    body = admin_client.get(URL, {"from": "2030-03-14", "to": "2030-03-14"}).json()

    assert body["totals"]["revenue"] == "57.16"
    prices = body["prices"]
    assert (prices["list_revenue"], prices["discount"], prices["revenue"]) == (
        "63.00",
        "5.84",
        "57.16",
    )
    assert prices["per_ticket_type"] == [
        {
            "ticket_type": "adult",
            "tickets_sold": 4,
            "list_revenue": "48.00",
            "discount": "3.60",
            "revenue": "44.40",
        },
        {
            "ticket_type": "child",
            "tickets_sold": 2,
            "list_revenue": "15.00",
            "discount": "2.24",
            "revenue": "12.76",
        },
    ]
    assert prices["per_voucher"] == [
        {
            "voucher": "FAMILY15",
            "reservations": 1,
            "tickets_sold": 4,
            "discount": "5.84",
            "revenue": "33.16",
        }
    ]
    # Every group shows what came off its list prices, and so does the sales export.
    money = ("list_revenue", "discount", "revenue")
    for group in (body["totals"], *body["per_showtime"], *body["per_day"], *body["per_movie"]):
        assert tuple(group[name] for name in money) == ("63.00", "5.84", "57.16")
    sales = admin_client.get(
        "/api/admin/exports/sales.csv", {"from": "2030-03-14", "to": "2030-03-14"}
    )
    (row,) = csv.DictReader(io.StringIO(b"".join(sales.streaming_content).decode()))
    assert tuple(row[name] for name in money) == ("63.00", "5.84", "57.16")
