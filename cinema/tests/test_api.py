import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cinema.models import Hall, Movie, Seat, Showtime
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from cinema.tests.factories import future as _future

pytestmark = pytest.mark.django_db


# --- movies ---------------------------------------------------------------------------


def test_movie_list_search_genre_and_ordering(anon_client):
    MovieFactory(title="Alien", genre="horror", release_date=dt.date(1979, 5, 25))
    MovieFactory(title="Brave", genre="animation", description="A Scottish princess.")
    MovieFactory(title="Casablanca", genre="romance", release_date=dt.date(1942, 11, 26))

    response = anon_client.get("/api/movies/", {"search": "scottish"})
    assert response.status_code == 200
    assert [m["title"] for m in response.data["results"]] == ["Brave"]

    response = anon_client.get("/api/movies/", {"genre": "horror"})
    assert [m["title"] for m in response.data["results"]] == ["Alien"]

    response = anon_client.get("/api/movies/", {"ordering": "-title"})
    assert [m["title"] for m in response.data["results"]] == ["Casablanca", "Brave", "Alien"]

    response = anon_client.get("/api/movies/", {"ordering": "release_date"})
    assert [m["title"] for m in response.data["results"]][:2] == ["Casablanca", "Alien"]
    assert set(response.data) == {"count", "next", "previous", "results"}


def test_movie_list_unknown_genre_is_400(anon_client):
    response = anon_client.get("/api/movies/", {"genre": "western"})
    assert response.status_code == 400
    assert "genre" in response.data


def test_movie_create_update_delete_as_admin(admin_client):
    response = admin_client.post(
        "/api/movies/",
        {
            "title": "Heat",
            "duration_minutes": 170,
            "release_date": "1995-12-15",
            "genre": "thriller",
            "poster_url": "https://img.example.com/heat.jpg",
        },
    )
    assert response.status_code == 201, response.data
    movie_id = response.data["id"]
    assert response.data["age_rating"] == "0"

    response = admin_client.patch(f"/api/movies/{movie_id}/", {"age_rating": "16"})
    assert response.status_code == 200
    assert Movie.objects.get(pk=movie_id).age_rating == "16"

    response = admin_client.put(
        f"/api/movies/{movie_id}/",
        {"title": "Heat (1995)", "duration_minutes": 171, "release_date": "1995-12-15",
         "genre": "thriller"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.data["title"] == "Heat (1995)"

    assert admin_client.delete(f"/api/movies/{movie_id}/").status_code == 204
    assert not Movie.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": -5}, "duration_minutes"),
        ({"poster_url": "javascript:alert(1)"}, "poster_url"),
        ({"poster_url": "ftp://example.com/p.jpg"}, "poster_url"),
        ({"genre": "western"}, "genre"),
        ({"release_date": "yesterday"}, "release_date"),
        ({"title": ""}, "title"),
    ],
)
def test_movie_create_bad_input_is_400_and_writes_nothing(admin_client, payload, field):
    body = {"title": "Heat", "duration_minutes": 170, "release_date": "1995-12-15",
            "genre": "thriller", **payload}  # fmt: skip
    response = admin_client.post("/api/movies/", body)
    assert response.status_code == 400
    assert field in response.data
    assert not Movie.objects.exists()


def test_movie_delete_with_showtimes_is_409(admin_client):
    show = ShowtimeFactory()
    response = admin_client.delete(f"/api/movies/{show.movie_id}/")
    assert response.status_code == 409
    assert response.data["code"] == "protected"
    assert Movie.objects.filter(pk=show.movie_id).exists()


def test_movie_duration_change_with_showtimes_is_409(admin_client):
    show = ShowtimeFactory()
    response = admin_client.patch(f"/api/movies/{show.movie_id}/", {"duration_minutes": 200})
    assert response.status_code == 409
    assert response.data["code"] == "duration_locked"


@pytest.mark.parametrize("suffix", ["showtimes", "shows"])
def test_movie_showtimes_lists_only_upcoming_of_that_movie(anon_client, suffix):
    movie = MovieFactory()
    upcoming = ShowtimeFactory(movie=movie, start_time=_future(5))
    past = ShowtimeFactory(movie=movie)
    Showtime.objects.filter(pk=past.pk).update(
        start_time=timezone.now() - dt.timedelta(hours=5),
        end_time=timezone.now() - dt.timedelta(hours=3),
    )
    ShowtimeFactory()  # another movie
    response = anon_client.get(f"/api/movies/{movie.pk}/{suffix}/")
    assert response.status_code == 200
    assert [s["id"] for s in response.data["results"]] == [upcoming.pk]
    assert anon_client.get(f"/api/movies/999999/{suffix}/").status_code == 404


# --- halls ----------------------------------------------------------------------------


def test_hall_create_from_layout(admin_client):
    response = admin_client.post(
        "/api/halls/",
        {"name": "Studio", "rows": 10, "seats_per_row": 12, "vip_rows": ["I", "J"],
         "accessible_seats": ["A1"]},
    )  # fmt: skip
    assert response.status_code == 201, response.data
    assert response.data["capacity"] == 120
    assert response.data["rows"] == 10
    assert response.data["seats_per_row"] == 12
    assert response.data["vip_rows"] == ["I", "J"]
    assert len(response.data["seats"]) == 120
    assert response.data["seats"][0] == {
        "id": response.data["seats"][0]["id"],
        "row": "A",
        "number": 1,
        "label": "A1",
        "position": 1,
        "seat_type": "ACCESSIBLE",
    }
    assert response.data["seats"][-1]["label"] == "J12"
    assert Seat.objects.filter(hall_id=response.data["id"], seat_type="VIP").count() == 24


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"rows": 0}, "rows"),
        ({"rows": "ten"}, "rows"),
        ({"seats_per_row": 1000}, "seats_per_row"),
        ({"vip_rows": ["Z"]}, "vip_rows"),
        ({"accessible_seats": ["Q99"]}, "accessible_seats"),
        ({"name": ""}, "name"),
    ],
)
def test_hall_create_bad_layout_is_400_and_writes_nothing(admin_client, payload, field):
    body = {"name": "Studio", "rows": 5, "seats_per_row": 5, **payload}
    response = admin_client.post("/api/halls/", body)
    assert response.status_code == 400
    assert field in response.data
    assert not Hall.objects.exists()
    assert not Seat.objects.exists()


def test_hall_create_duplicate_name_is_400(admin_client):
    HallFactory(name="Studio")
    response = admin_client.post("/api/halls/", {"name": "Studio", "rows": 1, "seats_per_row": 1})
    assert response.status_code == 400
    assert "name" in response.data


def test_hall_list_and_detail(anon_client):
    hall = HallFactory(name="Grand", layout={"rows": 2, "seats_per_row": 3, "vip_rows": ["B"]})
    response = anon_client.get("/api/halls/")
    assert response.status_code == 200
    assert response.data["results"] == [{"id": hall.pk, "name": "Grand", "capacity": 6}]
    response = anon_client.get(f"/api/halls/{hall.pk}/")
    assert response.status_code == 200
    assert [s["label"] for s in response.data["seats"]] == ["A1", "A2", "A3", "B1", "B2", "B3"]
    assert response.data["vip_rows"] == ["B"]
    assert anon_client.get("/api/halls/999999/").status_code == 404


def test_hall_layout_change_refused_once_scheduled(admin_client):
    hall = HallFactory()
    response = admin_client.patch(f"/api/halls/{hall.pk}/", {"rows": 2, "seats_per_row": 2})
    assert response.status_code == 200
    assert response.data["capacity"] == 4

    ShowtimeFactory(hall=hall)
    response = admin_client.patch(f"/api/halls/{hall.pk}/", {"rows": 5, "seats_per_row": 5})
    assert response.status_code == 409
    assert response.data["code"] == "layout_locked"
    hall.refresh_from_db()
    assert hall.capacity == 4
    assert hall.seats.count() == 4

    response = admin_client.patch(f"/api/halls/{hall.pk}/", {"rows": 5})
    assert response.status_code == 400
    assert "seats_per_row" in response.data


def test_hall_delete_with_showtimes_is_409(admin_client):
    show = ShowtimeFactory()
    response = admin_client.delete(f"/api/halls/{show.hall_id}/")
    assert response.status_code == 409
    assert response.data["code"] == "protected"
    hall = HallFactory()
    assert admin_client.delete(f"/api/halls/{hall.pk}/").status_code == 204


# --- showtimes ------------------------------------------------------------------------


def test_showtime_create_as_admin(admin_client, settings):
    settings.CLEANING_BUFFER_MINUTES = 15
    movie = MovieFactory(duration_minutes=100)
    hall = HallFactory()
    start = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    response = admin_client.post(
        "/api/showtimes/",
        {"movie": movie.pk, "hall": hall.pk, "start_time": start.isoformat(), "price": "9.50"},
    )
    assert response.status_code == 201, response.data
    assert response.data["price"] == "9.50"
    assert response.data["vip_price"] == "9.50"
    assert response.data["available_seats"] == 12
    assert response.data["movie"]["id"] == movie.pk
    assert response.data["hall"] == {"id": hall.pk, "name": hall.name, "capacity": 12}
    show = Showtime.objects.get()
    assert show.end_time == start + dt.timedelta(minutes=115)
    # Shown in the cinema's zone with its offset.
    assert dt.datetime.fromisoformat(response.data["start_time"]) == start


def test_showtime_create_overlap_is_400_naming_the_clash(admin_client):
    existing = ShowtimeFactory(start_time=_future(48))
    response = admin_client.post(
        "/api/showtimes/",
        {"movie": existing.movie_id, "hall": existing.hall_id,
         "start_time": (existing.start_time + dt.timedelta(minutes=30)).isoformat(),
         "price": "10"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.data["code"] == "showtime_overlap"
    assert response.data["clash"]["id"] == existing.pk
    assert existing.movie.title in response.data["detail"]
    assert Showtime.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"movie": 999999}, "movie"),
        ({"hall": 999999}, "hall"),
        ({"price": "-1"}, "price"),
        ({"price": "0"}, "price"),
        ({"vip_price": "abc"}, "vip_price"),
        ({"start_time": "2099-01-01T20:00:00"}, "start_time"),  # naive
        ({"start_time": "tomorrow evening"}, "start_time"),
        ({"start_time": "2001-01-01T20:00:00+01:00"}, "start_time"),  # past
    ],
)
def test_showtime_create_bad_input_is_400_and_writes_nothing(admin_client, payload, field):
    movie, hall = MovieFactory(), HallFactory()
    body = {"movie": movie.pk, "hall": hall.pk, "start_time": "2099-01-01T20:00:00+01:00",
            "price": "10.00", **payload}  # fmt: skip
    response = admin_client.post("/api/showtimes/", body)
    assert response.status_code == 400
    assert field in response.data
    assert not Showtime.objects.exists()


def test_showtime_list_upcoming_by_default_and_filters(anon_client):
    movie, hall = MovieFactory(), HallFactory()
    soon = ShowtimeFactory(movie=movie, hall=hall, start_time=_future(2))
    other_hall = ShowtimeFactory(movie=movie, start_time=_future(2))
    other_movie = ShowtimeFactory(hall=hall, start_time=_future(30))
    past = ShowtimeFactory(movie=movie, hall=hall)
    Showtime.objects.filter(pk=past.pk).update(
        start_time=timezone.now() - dt.timedelta(hours=4),
        end_time=timezone.now() - dt.timedelta(hours=2),
    )
    ids = lambda r: [s["id"] for s in r.data["results"]]  # noqa: E731
    response = anon_client.get("/api/showtimes/")
    assert response.status_code == 200
    assert set(ids(response)) == {soon.pk, other_hall.pk, other_movie.pk}
    assert ids(anon_client.get("/api/showtimes/", {"movie": movie.pk})) == [
        soon.pk,
        other_hall.pk,
    ]
    assert set(ids(anon_client.get("/api/showtimes/", {"hall": hall.pk}))) == {
        soon.pk,
        other_movie.pk,
    }
    assert set(ids(anon_client.get("/api/showtimes/", {"hall": hall.pk, "movie": movie.pk}))) == {
        soon.pk
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [({"date": "2026-13-01"}, "date"), ({"date": "soon"}, "date"), ({"movie": "x"}, "movie"),
     ({"hall": 999999}, "hall")],
)  # fmt: skip
def test_showtime_list_bad_filter_is_400(anon_client, params, field):
    response = anon_client.get("/api/showtimes/", params)
    assert response.status_code == 400
    assert field in response.data


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo"])
def test_showtime_list_date_is_a_local_day_near_midnight(anon_client, settings, zone):
    settings.TIME_ZONE = zone
    tz = ZoneInfo(zone)
    day = timezone.now().astimezone(tz).date() + dt.timedelta(days=3)
    at = lambda d, h, m: dt.datetime.combine(d, dt.time(h, m), tzinfo=tz)  # noqa: E731
    before = ShowtimeFactory(start_time=at(day - dt.timedelta(days=1), 23, 50))
    first = ShowtimeFactory(start_time=at(day, 0, 0))
    last = ShowtimeFactory(start_time=at(day, 23, 59))
    after = ShowtimeFactory(start_time=at(day + dt.timedelta(days=1), 0, 0))
    response = anon_client.get("/api/showtimes/", {"date": day.isoformat()})
    assert response.status_code == 200
    ids = [s["id"] for s in response.data["results"]]
    assert ids == [first.pk, last.pk]
    assert before.pk not in ids and after.pk not in ids
    # The local day is not the UTC day: one of its ends falls on another UTC date.
    utc_dates = {s.start_time.astimezone(dt.UTC).date() for s in (first, last)}
    assert utc_dates != {day}


def test_showtime_list_date_includes_todays_started_shows(anon_client, settings):
    settings.TIME_ZONE = "UTC"
    show = ShowtimeFactory()
    start = timezone.now() - dt.timedelta(minutes=1)
    Showtime.objects.filter(pk=show.pk).update(
        start_time=start, end_time=start + dt.timedelta(hours=2)
    )
    response = anon_client.get("/api/showtimes/", {"date": start.date().isoformat()})
    assert [s["id"] for s in response.data["results"]] == [show.pk]


def test_showtime_prices_are_strings_with_two_decimals(anon_client):
    ShowtimeFactory(price=Decimal("7.5"), vip_price=Decimal("12"))
    item = anon_client.get("/api/showtimes/").data["results"][0]
    assert (item["price"], item["vip_price"]) == ("7.50", "12.00")


def test_unknown_showtime_is_404_json(anon_client):
    response = anon_client.get("/api/showtimes/999999/")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["date=", "movie=", "hall=%20"])
def test_showtime_list_rejects_empty_filter_values(anon_client, query):
    response = anon_client.get(f"/api/showtimes/?{query}")

    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


@pytest.mark.django_db
def test_hall_create_rejects_a_number_as_name(admin_client):
    response = admin_client.post(
        "/api/halls/", {"name": 0, "rows": 2, "seats_per_row": 2}, format="json"
    )

    assert response.status_code == 400
    assert "name" in response.json()
    assert not Hall.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_showtime_list_rejects_days_outside_the_calendar_it_can_use(anon_client, day):
    response = anon_client.get(f"/api/showtimes/?date={day}")

    assert response.status_code == 400
    assert "date" in response.json()


@pytest.mark.django_db
def test_movie_list_ordering_is_stable_across_pages(anon_client):
    for n in range(7):
        MovieFactory(title=f"Same day {n}", release_date=dt.date(2026, 3, 1))

    seen = []
    for page in (1, 2, 3):
        response = anon_client.get(f"/api/movies/?ordering=release_date&page_size=3&page={page}")
        assert response.status_code == 200
        seen += [movie["id"] for movie in response.json()["results"]]

    assert len(seen) == 7
    assert seen == sorted(seen)
