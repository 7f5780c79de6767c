import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cinema import services
from cinema.exceptions import (
    HallInUse,
    HallLayoutLocked,
    MovieDurationLocked,
    MovieInUse,
    ShowtimeOverlap,
)
from cinema.models import Hall, Movie, Seat, SeatType, Showtime
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from cinema.tests.factories import tomorrow_at as _tomorrow_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def movie():
    return MovieFactory(title="Dune", duration_minutes=100)


@pytest.fixture
def hall():
    return HallFactory(name="Hall 1")


def _schedule(movie, hall, start, price=Decimal("10.00"), **kwargs):
    return services.showtime_create(movie=movie, hall=hall, start_time=start, price=price, **kwargs)


# --- layout ---------------------------------------------------------------------------


def test_row_label_goes_past_z():
    assert [services.row_label(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_hall_create_builds_every_seat_with_positions_and_types():
    hall = services.hall_create(
        name="Studio", rows=3, seats_per_row=4, vip_rows=["c"], accessible_seats=["A1"]
    )
    seats = list(hall.seats.order_by("position"))
    assert hall.capacity == 12 == len(seats)
    assert [(s.row, s.number, s.position) for s in seats[:5]] == [
        ("A", 1, 1), ("A", 2, 2), ("A", 3, 3), ("A", 4, 4), ("B", 1, 5),
    ]  # fmt: skip
    assert seats[0].seat_type == SeatType.ACCESSIBLE
    assert {s.seat_type for s in seats if s.row == "C"} == {SeatType.VIP}
    assert {s.seat_type for s in seats if s.row == "B"} == {SeatType.STANDARD}


def test_hall_create_supports_more_than_26_rows():
    hall = services.hall_create(name="Arena", rows=28, seats_per_row=2, vip_rows=["AB"])
    assert hall.capacity == 56
    assert list(hall.seats.filter(seat_type=SeatType.VIP).values_list("row", flat=True)) == [
        "AB",
        "AB",
    ]
    assert hall.seats.get(position=56).label == "AB2"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rows": 0, "seats_per_row": 5}, "rows"),
        ({"rows": services.MAX_ROWS + 1, "seats_per_row": 5}, "rows"),
        ({"rows": 3, "seats_per_row": 0}, "seats_per_row"),
        ({"rows": 3, "seats_per_row": 5, "vip_rows": ["D"]}, "vip_rows"),
        ({"rows": 3, "seats_per_row": 5, "accessible_seats": ["A6"]}, "accessible_seats"),
    ],
)
def test_hall_create_rejects_bad_layout_and_writes_nothing(kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        services.hall_create(name="Bad", **kwargs)
    assert field in excinfo.value.error_dict
    assert not Hall.objects.exists()
    assert not Seat.objects.exists()


def test_hall_create_rejects_duplicate_name_case_insensitively(hall):
    with pytest.raises(ValidationError) as excinfo:
        services.hall_create(name="HALL 1", rows=1, seats_per_row=1)
    assert "name" in excinfo.value.error_dict
    assert Hall.objects.count() == 1


def test_hall_update_replaces_layout_while_no_showtimes(hall):
    old_ids = set(hall.seats.values_list("id", flat=True))
    hall = services.hall_update(hall=hall, layout=services.Layout(rows=2, seats_per_row=5))
    assert hall.capacity == 10
    assert hall.seats.count() == 10
    assert not old_ids & set(hall.seats.values_list("id", flat=True))


def test_hall_update_refuses_new_layout_once_hall_has_showtimes(hall):
    ShowtimeFactory(hall=hall)
    seat_ids = list(hall.seats.values_list("id", flat=True))
    with pytest.raises(HallLayoutLocked):
        services.hall_update(hall=hall, layout=services.Layout(rows=2, seats_per_row=5))
    hall.refresh_from_db()
    assert hall.capacity == 12
    assert list(hall.seats.values_list("id", flat=True)) == seat_ids


def test_hall_update_renames_even_with_showtimes(hall):
    ShowtimeFactory(hall=hall)
    assert services.hall_update(hall=hall, name="Grand").name == "Grand"


def test_hall_delete_refused_with_showtimes_allowed_without(hall):
    show = ShowtimeFactory(hall=hall)
    with pytest.raises(HallInUse):
        services.hall_delete(hall=hall)
    show.delete()
    services.hall_delete(hall=hall)
    assert not Hall.objects.exists()
    assert not Seat.objects.exists()


# --- showtimes ------------------------------------------------------------------------


def test_showtime_create_computes_end_with_cleaning_buffer(movie, hall, settings):
    settings.CLEANING_BUFFER_MINUTES = 15
    show = _schedule(movie, hall, _tomorrow_at(18))
    assert show.end_time - show.start_time == dt.timedelta(minutes=115)
    assert show.vip_price == show.price == Decimal("10.00")


@pytest.mark.parametrize(
    ("hour", "minute", "clashes"),
    [
        (17, 0, True),  # ends inside the existing one
        (18, 30, True),  # starts inside
        (19, 40, True),  # starts in the cleaning buffer (film ends 19:40, hall free 19:55)
        (19, 55, False),  # starts exactly when the hall is free again
        (16, 5, False),  # ends (with its own buffer) exactly when the existing one starts
        (16, 6, True),  # one minute later: its buffer runs into the existing start
    ],
)
def test_showtime_create_overlap_includes_buffer_and_allows_touching(
    movie, hall, settings, hour, minute, clashes
):
    settings.CLEANING_BUFFER_MINUTES = 15
    existing = _schedule(movie, hall, _tomorrow_at(18))
    start = _tomorrow_at(hour, minute)
    if clashes:
        with pytest.raises(ShowtimeOverlap) as excinfo:
            _schedule(movie, hall, start)
        assert excinfo.value.extra["clash"]["id"] == existing.pk
        assert excinfo.value.extra["clash"]["movie"] == "Dune"
        assert f"showtime {existing.pk} (Dune)" in str(excinfo.value.detail)
        assert Showtime.objects.count() == 1
    else:
        _schedule(movie, hall, start)
        assert Showtime.objects.count() == 2


def test_showtime_create_same_time_in_another_hall_is_fine(movie, hall):
    _schedule(movie, hall, _tomorrow_at(18))
    _schedule(movie, HallFactory(), _tomorrow_at(18))
    assert Showtime.objects.count() == 2


def test_showtime_create_rejects_past_and_naive_start(movie, hall):
    with pytest.raises(ValidationError) as excinfo:
        _schedule(movie, hall, timezone.now() - dt.timedelta(minutes=1))
    assert "start_time" in excinfo.value.error_dict
    with pytest.raises(ValidationError) as excinfo:
        _schedule(movie, hall, dt.datetime(2099, 1, 1, 20, 0))
    assert "start_time" in excinfo.value.error_dict
    assert not Showtime.objects.exists()


@pytest.mark.parametrize(
    ("price", "vip_price", "field"),
    [(Decimal("0"), None, "price"), (Decimal("10"), Decimal("-1"), "vip_price")],
)
def test_showtime_create_rejects_non_positive_prices(movie, hall, price, vip_price, field):
    with pytest.raises(ValidationError) as excinfo:
        _schedule(movie, hall, _tomorrow_at(18), price=price, vip_price=vip_price)
    assert field in excinfo.value.error_dict
    assert not Showtime.objects.exists()


def test_showtime_update_moves_and_rechecks_overlap(movie, hall):
    first = _schedule(movie, hall, _tomorrow_at(14))
    second = _schedule(movie, hall, _tomorrow_at(18))
    with pytest.raises(ShowtimeOverlap):
        services.showtime_update(showtime=second, start_time=_tomorrow_at(15))
    # Moving a showtime within its own slot does not clash with itself.
    moved = services.showtime_update(showtime=second, start_time=_tomorrow_at(18, 30))
    assert moved.end_time == _tomorrow_at(20, 25)
    first.refresh_from_db()
    assert first.start_time == _tomorrow_at(14)


def test_movie_delete_refused_while_it_has_showtimes(movie, hall):
    show = _schedule(movie, hall, _tomorrow_at(18))
    with pytest.raises(MovieInUse):
        services.movie_delete(movie=movie)
    show.delete()
    services.movie_delete(movie=movie)
    assert not Movie.objects.exists()


def test_movie_update_duration_locked_once_scheduled(movie, hall):
    _schedule(movie, hall, _tomorrow_at(18))
    with pytest.raises(MovieDurationLocked):
        services.movie_update(movie=movie, duration_minutes=200)
    assert services.movie_update(movie=movie, title="Dune: Part One").title == "Dune: Part One"
    movie.refresh_from_db()
    assert movie.duration_minutes == 100


def test_movie_create_rejects_non_http_poster():
    with pytest.raises(ValidationError) as excinfo:
        services.movie_create(
            title="X",
            poster_url="javascript:alert(1)",
            duration_minutes=90,
            release_date=dt.date(2026, 1, 1),
            genre="drama",
        )
    assert "poster_url" in excinfo.value.error_dict
    assert not Movie.objects.exists()
