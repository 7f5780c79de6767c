"""Two admins scheduling clashing showtimes in one hall at the same moment."""

import datetime as dt

import pytest
from django.utils import timezone

from cinema.models import Showtime
from cinema.tests.factories import HallFactory, MovieFactory
from config.testing import client_for, requires_mysql_marks, run_concurrently
from users.tests.factories import AdminFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(5))
def test_showtime_create_race_exactly_one_wins(attempt):
    hall = HallFactory()
    movies = [MovieFactory(), MovieFactory()]
    admins = [AdminFactory(), AdminFactory()]
    start = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)

    def schedule(i):
        # Different movies, starts 20 minutes apart: the two clearly clash.
        body = {
            "movie": movies[i].pk,
            "hall": hall.pk,
            "start_time": (start + dt.timedelta(minutes=20 * i)).isoformat(),
            "price": "10.00",
        }
        response = client_for(admins[i]).post("/api/showtimes/", body, format="json")
        return response.status_code, response.data

    results = run_concurrently(schedule, 2)
    statuses = sorted(result[0] for result in results)
    assert statuses == [201, 400], results
    loser = next(data for status, data in results if status == 400)
    assert loser["code"] == "showtime_overlap"
    assert Showtime.objects.filter(hall=hall).count() == 1
