"""The paginator reads a page and its total in one query (COUNT(*) OVER ()); every
answer must be what Django's own Paginator gives, with the count query only when the
page is empty."""

import pytest
from django.core.paginator import EmptyPage
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import F, Value

from cinema.models import Movie
from cinema.tests.factories import MovieFactory
from core.pagination import WindowCountPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def movies():
    return [MovieFactory(title=f"Movie {n:02d}") for n in range(7)]


def _querysets():
    ordered = Movie.objects.order_by("title")
    return {
        "models": ordered,
        "values": ordered.values("id", "title"),
        "values_list": ordered.values_list("id", "title"),
        "values_list with annotation": ordered.annotate(shout=F("title"), one=Value(1)).values_list(
            "title", "one", "id", "shout"
        ),
        "flat": ordered.values_list("title", flat=True),
        "distinct": Movie.objects.order_by("title").values_list("title").distinct(),
    }


def _as_plain(rows):
    return [row.pk if isinstance(row, Movie) else row for row in rows]


@pytest.mark.parametrize("kind", list(_querysets()))
@pytest.mark.parametrize("number", [1, 2, 3])
def test_window_paginator_pages_match_django_paginator(movies, kind, number):
    queryset = _querysets()[kind]
    try:
        theirs = DjangoPaginator(queryset, 3).page(number)
    except EmptyPage:
        with pytest.raises(EmptyPage):
            WindowCountPaginator(queryset, 3).page(number)
        return
    ours = WindowCountPaginator(queryset, 3).page(number)
    assert _as_plain(ours.object_list) == _as_plain(theirs.object_list)
    assert ours.paginator.count == theirs.paginator.count
    assert ours.has_next() == theirs.has_next()
    assert ours.has_previous() == theirs.has_previous()


def test_window_paginator_rows_keep_no_extra_column(movies):
    rows = list(WindowCountPaginator(Movie.objects.order_by("title").values(), 3).page(1))
    assert set(rows[0]) == {field.attname for field in Movie._meta.concrete_fields}
    model_rows = list(WindowCountPaginator(Movie.objects.order_by("title"), 3).page(1))
    assert not any(name.startswith("marquee_") for name in vars(model_rows[0]))


def test_window_paginator_one_query_for_a_full_page(movies, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = WindowCountPaginator(Movie.objects.order_by("title"), 3).page(3)
        assert page.paginator.count == 7
        assert page.paginator.num_pages == 3
        assert [movie.title for movie in page] == ["Movie 06"]


def test_window_paginator_empty_list_first_page_is_empty(django_assert_num_queries):
    with django_assert_num_queries(2):
        page = WindowCountPaginator(Movie.objects.order_by("title"), 3).page(1)
    assert list(page) == []
    assert page.paginator.count == 0


def test_window_paginator_page_past_the_end_is_empty_page(movies):
    with pytest.raises(EmptyPage):
        WindowCountPaginator(Movie.objects.order_by("title"), 3).page(4)


def test_movie_list_is_one_query_and_counts_every_movie(
    anon_client, movies, django_assert_num_queries
):
    with django_assert_num_queries(1):
        response = anon_client.get("/api/movies/", {"page_size": 2, "page": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 7
    assert [item["title"] for item in body["results"]] == ["Movie 02", "Movie 03"]
    assert body["next"].endswith("page=3&page_size=2")
    assert body["previous"].endswith("page_size=2")


def test_movie_list_page_past_the_end_is_404(anon_client, movies):
    response = anon_client.get("/api/movies/", {"page_size": 5, "page": 3})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_movie_list_search_counts_only_matches(anon_client, movies):
    MovieFactory(title="Zebra special", description="")
    response = anon_client.get("/api/movies/", {"search": "zebra"})
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert [item["title"] for item in response.json()["results"]] == ["Zebra special"]


def test_movie_list_huge_page_number_is_404(anon_client, movies):
    response = anon_client.get("/api/movies/", {"page": 2**70})
    assert response.status_code == 404


def test_movie_catalogue_columns_are_the_list_columns():
    from cinema.queries import MOVIE_CATALOGUE_COLUMNS
    from cinema.serializers import MOVIE_LIST_COLUMNS

    assert MOVIE_CATALOGUE_COLUMNS == MOVIE_LIST_COLUMNS


@pytest.mark.parametrize("params", [{}, {"page_size": 3}, {"page_size": 3, "page": 3}])
def test_plain_movie_list_is_what_the_filtered_path_gives(anon_client, movies, params):
    MovieFactory(title="Movie 03", description="same title, later id")  # id breaks the tie
    plain = anon_client.get("/api/movies/", params)
    # An explicit default ordering takes the ORM path; the answer must be the same.
    filtered = anon_client.get("/api/movies/", {**params, "ordering": "title"})
    assert plain.status_code == filtered.status_code == 200
    assert plain.json()["results"] == filtered.json()["results"]
    assert plain.json()["count"] == filtered.json()["count"] == 8
    assert plain.json()["next"] == (
        filtered.json()["next"].replace("ordering=title&", "").replace("&ordering=title", "")
        if filtered.json()["next"]
        else None
    )


def test_plain_movie_list_empty_and_past_the_end(anon_client, db):
    body = anon_client.get("/api/movies/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    assert anon_client.get("/api/movies/", {"page": 2}).status_code == 404
