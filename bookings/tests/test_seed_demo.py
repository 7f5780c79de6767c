import io
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command

from cinema.models import Hall, Movie, Seat, Showtime
from users.models import Role, User

pytestmark = pytest.mark.django_db


def _counts():
    return {model.__name__: model.objects.count() for model in (Hall, Seat, Movie, Showtime, User)}


def test_seed_demo_builds_a_cinema_and_is_idempotent(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first

    assert first["Hall"] >= 3 and first["Movie"] >= 8 and first["Showtime"] > 0
    capacities = sorted(Hall.objects.values_list("capacity", flat=True))
    assert len(set(capacities)) == len(capacities)
    assert all(100 <= capacity <= 300 for capacity in capacities)
    for hall in Hall.objects.all():
        vip_rows = set(hall.seats.filter(seat_type="VIP").values_list("row", flat=True))
        last_row = hall.seats.order_by("-position").first().row
        assert last_row in vip_rows  # VIP at the back
        shows = list(hall.showtimes.order_by("start_time"))
        assert all(a.end_time <= b.start_time for a, b in pairwise(shows))  # no overlap
    days = {show.start_time.date() for show in Showtime.objects.all()}
    assert len(days) >= 6

    assert User.objects.get(username="admin").role == Role.ADMIN
    assert User.objects.get(username="customer").role == Role.CUSTOMER
    text = out.getvalue()
    assert "admin / " in text and "customer / " in text
    assert "7/7" in text  # progress


def test_seed_demo_passwords_it_prints_work(settings, anon_client):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "customer / " in line)
    password = line.split(" / ")[1].strip()
    assert User.objects.get(username="customer").check_password(password)


def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Hall.objects.exists()
    assert not User.objects.exists()
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert Hall.objects.count() == 3
