"""The movie and showtime lists render rows directly (docs/performance.md); their items
must be exactly what MovieSerializer and ShowtimeSerializer give for the same objects."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cinema import selectors
from cinema.serializers import MovieSerializer
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory, tomorrow_at

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


def test_fast_renderer_writes_what_drf_writes():
    from rest_framework.renderers import JSONRenderer

    from core.renderers import FastJSONRenderer

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


@pytest.mark.parametrize("params", [{}, {"page_size": 2}, {"page_size": 2, "page": 2}])
def test_plain_schedule_is_what_the_filtered_path_gives(anon_client, params):
    """A day's schedule (or the upcoming one) alone takes one prepared query per page; a
    hall filter takes the ORM path. With every showtime in that hall both must agree."""
    hall = HallFactory()
    start = tomorrow_at(10)
    for hours in (0, 3, 6, 9):
        ShowtimeFactory(hall=hall, start_time=start + dt.timedelta(hours=hours))
    day = timezone.localtime(start).date().isoformat()
    for base in ({}, {"date": day}):
        plain = anon_client.get("/api/showtimes/", {**base, **params})
        filtered = anon_client.get("/api/showtimes/", {**base, **params, "hall": hall.pk})
        assert plain.status_code == filtered.status_code == 200
        assert plain.json()["results"] == filtered.json()["results"]
        assert plain.json()["count"] == filtered.json()["count"]
        assert plain.json()["results"]


@pytest.mark.parametrize("date", ["", "  ", "2026-02-30", "not-a-day", "0001-01-01", "9999-12-31"])
def test_plain_schedule_refuses_a_bad_day_as_the_filtered_path_does(anon_client, date):
    hall = HallFactory()
    plain = anon_client.get("/api/showtimes/", {"date": date})
    filtered = anon_client.get("/api/showtimes/", {"date": date, "hall": hall.pk})
    assert plain.status_code == filtered.status_code == 400
    assert plain.json() == filtered.json()


def test_plain_schedule_of_an_empty_day_and_past_the_end(anon_client):
    ShowtimeFactory()
    body = anon_client.get("/api/showtimes/", {"date": "2031-01-01"}).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    assert anon_client.get("/api/showtimes/", {"page": 2}).status_code == 404


def test_plain_schedule_reads_the_day_as_the_filtered_path_does(anon_client):
    show = ShowtimeFactory(start_time=tomorrow_at(20))
    local = timezone.localtime(show.start_time).date()
    for date in (local.isoformat(), local.strftime("%m/%d/%Y"), f" {local.isoformat()} "):
        plain = anon_client.get("/api/showtimes/", {"date": date})
        filtered = anon_client.get("/api/showtimes/", {"date": date, "hall": show.hall_id})
        assert plain.status_code == filtered.status_code == 200
        assert [item["id"] for item in plain.json()["results"]] == [show.pk]
        assert plain.json() == filtered.json() | {"next": None, "previous": None}
