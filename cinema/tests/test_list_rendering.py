"""The movie and showtime lists render rows directly (docs/performance.md); their items
must be exactly what MovieSerializer and ShowtimeSerializer give for the same objects."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cinema import selectors
from cinema.serializers import MovieSerializer, ShowtimeSerializer
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory, make_reservation

pytestmark = pytest.mark.django_db


def test_movie_list_items_are_what_the_serializer_gives(anon_client):
    MovieFactory(title="Alpha", poster_url="", description="")
    MovieFactory(title="Beta", poster_url="https://example.com/b.jpg", age_rating="16")
    response = anon_client.get("/api/movies/", {"ordering": "-title"})
    assert response.status_code == 200
    expected = MovieSerializer(selectors.movie_list().order_by("-title"), many=True).data
    assert response.json()["results"] == [dict(item) for item in expected]
    assert [item["title"] for item in response.json()["results"]] == ["Beta", "Alpha"]


def test_movie_retrieve_is_the_same_item_as_in_the_list(anon_client):
    movie = MovieFactory()
    listed = anon_client.get("/api/movies/").json()["results"][0]
    assert anon_client.get(f"/api/movies/{movie.pk}/").json() == listed


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


def test_fast_renderer_writes_what_drf_writes():
    from rest_framework.renderers import JSONRenderer

    from config.renderers import FastJSONRenderer

    data = {
        "title": 'Amélie \u2028 \u2029 "quoted" <b>',
        "n": [1, None, True, 2.5],
        "nested": {"empty": [], "text": "ü"},
    }
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
    # Types orjson does not take go through DRF's encoder.
    decimal = {"price": Decimal("9.50")}
    assert FastJSONRenderer().render(decimal) == JSONRenderer().render(decimal)
    assert FastJSONRenderer().render(
        {"a": 1}, "application/json; indent=2"
    ) == JSONRenderer().render({"a": 1}, "application/json; indent=2")


def test_movie_list_filters_still_apply_when_given(anon_client):
    MovieFactory(title="Dark", genre="horror")
    MovieFactory(title="Light", genre="comedy")
    assert len(anon_client.get("/api/movies/").json()["results"]) == 2
    horror = anon_client.get("/api/movies/", {"genre": "horror"}).json()["results"]
    assert [movie["title"] for movie in horror] == ["Dark"]
    assert anon_client.get("/api/movies/", {"genre": ""}).status_code == 400
    assert anon_client.get("/api/movies/", {"genre": "opera"}).status_code == 400
