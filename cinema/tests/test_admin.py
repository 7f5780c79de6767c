"""The staff admin goes through the same services as the API."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cinema import services
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
    # The clashing showtime is a link to its page, not a raw id.
    link = f'<a href="/admin/cinema/showtime/{existing.pk}/change/">{existing.movie.title} at '
    assert any(link in error for error in errors)
    assert link in response.content.decode()
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


def test_admin_hall_page_draws_its_seats_as_a_grid(staff_client):
    hall = HallFactory(
        name="Grand",
        layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"], "accessible_seats": ["A1"]},
    )
    response = staff_client.get(f"/admin/cinema/hall/{hall.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    # One cell per seat, row by row from the screen; no table row (inline) per seat.
    assert re.findall(r'data-seat="(\w+)"', html) == [
        f"{row}{n}" for row in "ABC" for n in range(1, 5)
    ]
    assert re.findall(r'class="seat seat-plain seat-vip" data-seat="(\w+)"', html) == [
        "C1", "C2", "C3", "C4"
    ]  # fmt: skip
    assert 'class="seat seat-plain seat-accessible" data-seat="A1"' in html
    assert "Standard: 7" in html and "VIP: 4" in html and "Accessible: 1" in html
    assert "seats-TOTAL_FORMS" not in html

    response = staff_client.post(f"/admin/cinema/hall/{hall.pk}/change/", {"name": "Grander"})
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


# --- what staff read: every time in the cinema's time zone ------------------------------


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def _utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_showtime_name_is_in_local_time(berlin):
    show = ShowtimeFactory(
        movie=MovieFactory(title="Orbit of Ashes"),
        hall=HallFactory(name="Grand"),
        start_time=_utc(2030, 11, 30, 17, 0),  # 18:00 in Berlin (CET)
    )
    assert str(show) == "Orbit of Ashes @ Grand 2030-11-30 18:00"


def test_admin_pages_show_a_showtime_at_its_local_time(berlin, staff_client):
    show = ShowtimeFactory(
        movie=MovieFactory(title="Orbit of Ashes"),
        hall=HallFactory(name="Grand"),
        start_time=_utc(2030, 11, 30, 17, 0),
    )
    pages = {
        "change": staff_client.get(f"/admin/cinema/showtime/{show.pk}/change/"),
        "delete": staff_client.get(f"/admin/cinema/showtime/{show.pk}/delete/"),
        "list": staff_client.get("/admin/cinema/showtime/", {"day": "all"}),
    }
    for name, page in pages.items():
        html = page.content.decode()
        assert page.status_code == 200, name
        assert "18:00" in html, name
        assert "17:00" not in html, name  # UTC nowhere
    change = pages["change"].content.decode()
    assert "<title>Orbit of Ashes @ Grand 2030-11-30 18:00 | Change showtime" in change
    assert "&rsaquo; Orbit of Ashes @ Grand 2030-11-30 18:00" in change


def test_admin_add_message_names_the_local_time(berlin, staff_client):
    movie, hall = MovieFactory(title="Undertow"), HallFactory(name="Studio")
    start = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + dt.timedelta(days=3), dt.time(20, 30))
    )
    response = staff_client.post(
        "/admin/cinema/showtime/add/", _showtime_form(movie, hall, start), follow=True
    )
    messages = [str(message) for message in response.context["messages"]]
    assert any(f"Undertow @ Studio {start:%Y-%m-%d} 20:30" in m for m in messages), messages


# --- the showtime list --------------------------------------------------------------


def test_admin_showtime_list_shows_upcoming_soonest_first(staff_client):
    now = timezone.now()
    later = ShowtimeFactory(start_time=now + dt.timedelta(days=3))
    soon = ShowtimeFactory(start_time=now + dt.timedelta(hours=2))
    running = ShowtimeFactory(start_time=now - dt.timedelta(minutes=30))  # ends in 1h45
    past = ShowtimeFactory(start_time=now - dt.timedelta(days=2))
    older = ShowtimeFactory(start_time=now - dt.timedelta(days=5))

    def listed(**params):
        response = staff_client.get("/admin/cinema/showtime/", params)
        return [show.pk for show in response.context["cl"].result_list]

    assert listed() == [running.pk, soon.pk, later.pk]
    assert listed(day="past") == [past.pk, older.pk]
    assert listed(day="all") == [older.pk, past.pk, running.pk, soon.pk, later.pk]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "not-a-day"])
def test_admin_showtime_list_on_a_day_outside_the_calendar_is_empty_not_a_500(staff_client, day):
    ShowtimeFactory()

    response = staff_client.get("/admin/cinema/showtime/", {"day": day})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_admin_showtime_list_of_one_day(staff_client):
    show = ShowtimeFactory(start_time=timezone.now() + dt.timedelta(days=2))
    ShowtimeFactory(start_time=timezone.now() + dt.timedelta(days=4))
    day = timezone.localdate(show.start_time).isoformat()

    response = staff_client.get("/admin/cinema/showtime/", {"day": day})

    assert [s.pk for s in response.context["cl"].result_list] == [show.pk]


# --- the showtime form --------------------------------------------------------------


def test_admin_add_showtime_form_shows_only_what_can_be_given(staff_client):
    response = staff_client.get("/admin/cinema/showtime/add/")
    html = response.content.decode()
    assert list(response.context["adminform"].form.fields) == [
        "movie", "hall", "start_time", "price", "vip_price", "price_list"
    ]  # fmt: skip
    assert "field-end_time" not in html and "field-seat_map" not in html


def test_admin_negative_price_is_one_error_on_the_price(staff_client):
    movie, hall = MovieFactory(), HallFactory()
    start = timezone.now() + dt.timedelta(days=2)
    response = staff_client.post(
        "/admin/cinema/showtime/add/", _showtime_form(movie, hall, start, price="-5")
    )
    form = response.context["adminform"].form
    assert list(form.errors) == ["price"]
    assert response.content.decode().count("Ensure this value is greater than or equal to") == 1
    assert not Showtime.objects.exists()


def test_admin_refuses_a_vip_price_below_the_price(staff_client):
    movie, hall = MovieFactory(), HallFactory()
    data = _showtime_form(movie, hall, timezone.now() + dt.timedelta(days=2), price="12.00")
    response = staff_client.post("/admin/cinema/showtime/add/", {**data, "vip_price": "10.00"})
    assert response.context["adminform"].form.errors["vip_price"] == [
        "The VIP price (10.00) cannot be below the price (12.00)."
    ]
    assert not Showtime.objects.exists()


def test_admin_played_showtime_is_view_only_and_says_why(staff_client):
    played = ShowtimeFactory(start_time=timezone.now() - dt.timedelta(hours=3))
    url = f"/admin/cinema/showtime/{played.pk}/change/"

    html = staff_client.get(url).content.decode()

    assert "View showtime" in html and 'name="_save"' not in html
    assert "This showtime has started: it is kept as it was" in html
    assert staff_client.post(url, {"price": "99.00"}).status_code == 403
    played.refresh_from_db()
    assert played.price == Decimal("10.00")


# --- deleting a showtime ------------------------------------------------------------


def test_admin_deletes_a_showtime_without_reservations(staff_client):
    show = ShowtimeFactory()
    response = staff_client.post(f"/admin/cinema/showtime/{show.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Showtime.objects.filter(pk=show.pk).exists()


# --- movies ---------------------------------------------------------------------------


def test_admin_movie_form_has_a_wide_poster_box_and_explains_a_locked_duration(staff_client):
    movie = MovieFactory(duration_minutes=118)
    html = staff_client.get(f"/admin/cinema/movie/{movie.pk}/change/").content.decode()
    assert re.search(r'<input type="url" name="poster_url"[^>]*class="vURLField poster-url"', html)

    ShowtimeFactory(movie=movie)
    html = staff_client.get(f"/admin/cinema/movie/{movie.pk}/change/").content.decode()
    assert "Locked: 1 showtime was scheduled with this duration" in html
    assert 'name="duration_minutes"' not in html


def test_showtime_service_refuses_a_vip_price_below_the_price():
    movie, hall = MovieFactory(), HallFactory()
    start = timezone.now() + dt.timedelta(days=2)
    with pytest.raises(ValidationError) as error:
        services.showtime_create(
            movie=movie, hall=hall, start_time=start, price=Decimal("12"), vip_price=Decimal("9")
        )
    assert list(error.value.error_dict) == ["vip_price"]

    show = services.showtime_create(movie=movie, hall=hall, start_time=start, price=Decimal("12"))
    with pytest.raises(ValidationError) as error:
        services.showtime_update(showtime=show, price=Decimal("14"))
    assert error.value.error_dict["price"][0].message == (
        "The price (14.00) cannot be above the VIP price (12.00); change both together."
    )
    show = services.showtime_update(showtime=show, price=Decimal("14"), vip_price=Decimal("18"))
    assert (show.price, show.vip_price) == (Decimal("14"), Decimal("18"))


def test_api_refuses_a_vip_price_below_the_price(admin_client):
    movie, hall = MovieFactory(), HallFactory()
    start = (timezone.now() + dt.timedelta(days=2)).isoformat()
    response = admin_client.post(
        "/api/showtimes/",
        {"movie": movie.pk, "hall": hall.pk, "start_time": start, "price": "12.00",
         "vip_price": "9.00"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "vip_price" in response.json()
    assert not Showtime.objects.exists()


def test_admin_shows_when_the_film_ends_and_when_the_hall_is_free_apart(staff_client, settings):
    settings.CLEANING_BUFFER_MINUTES = 15
    movie = MovieFactory(duration_minutes=118)
    start = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    show = services.showtime_create(
        movie=movie, hall=HallFactory(), start_time=start, price=Decimal("9.00")
    )

    listing = staff_client.get("/admin/cinema/showtime/", {"movie__id__exact": movie.pk})
    page = staff_client.get(f"/admin/cinema/showtime/{show.pk}/change/").content.decode()

    row = re.search(r'<td class="field-ends">([^<]*)</td>', listing.content.decode())
    assert row and row.group(1) == "21:58"
    assert re.search(r'field-film_ends.*?<div class="readonly">21:58</div>', page, re.S)
    assert re.search(r'field-hall_free.*?<div class="readonly">22:13</div>', page, re.S)
    assert "Hall free again (after cleaning)" in page


@pytest.mark.parametrize("kind", ["movie", "hall"])
def test_admin_a_scheduled_movie_or_hall_says_why_it_has_no_delete_button(staff_client, kind):
    show = ShowtimeFactory()
    scheduled = show.movie if kind == "movie" else show.hall
    free = MovieFactory() if kind == "movie" else HallFactory()

    page = staff_client.get(f"/admin/cinema/{kind}/{scheduled.pk}/change/").content.decode()
    other = staff_client.get(f"/admin/cinema/{kind}/{free.pk}/change/").content.decode()

    assert "deletelink" not in page
    assert f"This {kind} has 1 showtime: it cannot be deleted while they exist." in page
    assert "deletelink" in other
    assert "cannot be deleted" not in other


def test_admin_a_started_showtime_reads_vip_price_as_staff_say_it(staff_client):
    show = ShowtimeFactory()
    Showtime.objects.filter(pk=show.pk).update(
        start_time=timezone.now() - dt.timedelta(minutes=10),
        end_time=timezone.now() + dt.timedelta(hours=2),
    )

    page = staff_client.get(f"/admin/cinema/showtime/{show.pk}/change/").content.decode()

    assert "VIP price" in page
    assert "Vip price" not in page
