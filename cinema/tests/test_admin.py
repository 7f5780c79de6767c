"""The staff admin goes through the same services as the API."""

import datetime as dt

import pytest
from django.utils import timezone

from cinema.models import Hall, Seat, Showtime
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from cinema.tests.factories import showtime_form as _showtime_form

pytestmark = pytest.mark.django_db


def test_admin_showtime_add_creates_through_the_service(staff_client, settings):
    settings.CLEANING_BUFFER_MINUTES = 15
    movie, hall = MovieFactory(duration_minutes=100), HallFactory()
    start = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    response = staff_client.post("/admin/cinema/showtime/add/", _showtime_form(movie, hall, start))
    assert response.status_code == 302, response.context["adminform"].form.errors
    show = Showtime.objects.get()
    assert show.end_time == start + dt.timedelta(minutes=115)
    assert show.vip_price == show.price


def test_admin_showtime_add_rejects_overlap(staff_client):
    existing = ShowtimeFactory(
        start_time=(timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    )
    response = staff_client.post(
        "/admin/cinema/showtime/add/",
        _showtime_form(
            existing.movie, existing.hall, existing.start_time + dt.timedelta(minutes=30)
        ),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any(f"showtime {existing.pk}" in error for error in errors)
    assert Showtime.objects.count() == 1


def test_admin_showtime_add_rejects_past_start(staff_client):
    movie, hall = MovieFactory(), HallFactory()
    response = staff_client.post(
        "/admin/cinema/showtime/add/",
        _showtime_form(movie, hall, timezone.now() - dt.timedelta(days=1)),
    )
    assert response.status_code == 200
    assert "start_time" in response.context["adminform"].form.errors
    assert not Showtime.objects.exists()


def test_admin_hall_add_builds_layout(staff_client):
    response = staff_client.post(
        "/admin/cinema/hall/add/",
        {"name": "Studio", "rows": 4, "seats_per_row": 5, "vip_rows": "D", "accessible_seats": ""},
    )
    assert response.status_code == 302
    hall = Hall.objects.get()
    assert hall.capacity == 20
    assert Seat.objects.filter(hall=hall, seat_type="VIP").count() == 5


def test_admin_hall_add_rejects_unknown_vip_row(staff_client):
    response = staff_client.post(
        "/admin/cinema/hall/add/",
        {"name": "Studio", "rows": 4, "seats_per_row": 5, "vip_rows": "Z", "accessible_seats": ""},
    )
    assert response.status_code == 200
    assert "vip_rows" in response.context["adminform"].form.errors
    assert not Hall.objects.exists()


def test_admin_hall_change_page_shows_seats(staff_client):
    hall = HallFactory(name="Grand")
    response = staff_client.get(f"/admin/cinema/hall/{hall.pk}/change/")
    assert response.status_code == 200
    assert "C4" in response.content.decode()
    seat_ids = list(hall.seats.values_list("id", flat=True))
    data = {
        "name": "Grander",
        "seats-TOTAL_FORMS": len(seat_ids),
        "seats-INITIAL_FORMS": len(seat_ids),
        **{f"seats-{i}-id": seat_id for i, seat_id in enumerate(seat_ids)},
        **{f"seats-{i}-hall": hall.pk for i in range(len(seat_ids))},
    }
    response = staff_client.post(f"/admin/cinema/hall/{hall.pk}/change/", data)
    assert response.status_code == 302
    hall.refresh_from_db()
    assert hall.name == "Grander"
    assert hall.seats.count() == 12


def test_admin_movie_pages_render(staff_client):
    movie = MovieFactory()
    assert staff_client.get("/admin/cinema/movie/").status_code == 200
    assert staff_client.get(f"/admin/cinema/movie/{movie.pk}/change/").status_code == 200


def test_admin_showtime_day_filter_uses_local_days(staff_client, settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    today = timezone.localdate()
    day = today + dt.timedelta(days=2)
    zone = timezone.get_default_timezone()
    late = ShowtimeFactory(start_time=dt.datetime.combine(day, dt.time(23, 30), tzinfo=zone))
    ShowtimeFactory(
        start_time=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 30), tzinfo=zone)
    )
    response = staff_client.get("/admin/cinema/showtime/", {"day": day.isoformat()})
    assert response.status_code == 200
    assert [obj.pk for obj in response.context["cl"].result_list] == [late.pk]


def test_admin_movie_add_rejects_javascript_poster(staff_client):
    response = staff_client.post(
        "/admin/cinema/movie/add/",
        {"title": "X", "description": "", "poster_url": "javascript:alert(1)",
         "duration_minutes": 90, "release_date": "2026-01-01", "genre": "drama",
         "age_rating": "0"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "poster_url" in response.context["adminform"].form.errors
