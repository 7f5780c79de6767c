"""Query budgets: lists and the hall detail cost the same whatever they hold."""

import pytest

from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("size", [1, 5, 20])
def test_movie_list_query_budget(anon_client, django_assert_max_num_queries, size):
    MovieFactory.create_batch(size)
    with django_assert_max_num_queries(2):  # count + page
        response = anon_client.get("/api/movies/", {"search": "Movie", "ordering": "-title"})
    assert response.status_code == 200
    assert len(response.data["results"]) == size


@pytest.mark.parametrize("size", [1, 5])
def test_movie_showtimes_query_budget(anon_client, django_assert_max_num_queries, size):
    movie = MovieFactory()
    ShowtimeFactory.create_batch(size, movie=movie)
    with django_assert_max_num_queries(3):  # movie + count + page
        response = anon_client.get(f"/api/movies/{movie.pk}/showtimes/")
    assert len(response.data["results"]) == size


@pytest.mark.parametrize("rows", [1, 10, 30])
def test_hall_detail_query_budget(anon_client, django_assert_max_num_queries, rows):
    hall = HallFactory(layout={"rows": rows, "seats_per_row": 10, "vip_rows": ["A"]})
    with django_assert_max_num_queries(2):  # hall + its seats
        response = anon_client.get(f"/api/halls/{hall.pk}/")
    assert response.status_code == 200
    assert len(response.data["seats"]) == rows * 10


@pytest.mark.parametrize("size", [1, 10])
def test_hall_list_query_budget(anon_client, django_assert_max_num_queries, size):
    HallFactory.create_batch(size)
    with django_assert_max_num_queries(2):
        response = anon_client.get("/api/halls/")
    assert len(response.data["results"]) == size
