"""The movie and showtime lists render rows directly (docs/performance.md); their items
must be exactly what MovieSerializer and ShowtimeSerializer give for the same objects."""

from decimal import Decimal

import pytest

from cinema import selectors
from cinema.serializers import MovieSerializer
from cinema.tests.factories import MovieFactory

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
