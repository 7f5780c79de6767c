"""Admin writes racing each other: clashing schedules, and deleting a movie or a hall
while a showtime is scheduled in it or moved to it. Never a 500."""

import datetime as dt

import pytest
from django.utils import timezone

from cinema.models import Showtime
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
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


def _admin_clients(n=2):
    return [client_for(AdminFactory()) for _ in range(n)]


@pytest.mark.parametrize("parent", ["movie", "hall"])
@pytest.mark.parametrize("attempt", range(6))
def test_parent_delete_racing_a_schedule_never_500(attempt, parent):
    """Either the delete wins (204) and the schedule finds the parent gone (400 naming
    it), or the schedule wins (201) and the delete is refused (409)."""
    hall, movie = HallFactory(), MovieFactory()
    target = {"movie": movie, "hall": hall}[parent]
    clients = _admin_clients()
    start = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)

    def act(i):
        if i == 0:
            response = clients[0].delete(f"/api/{parent}s/{target.pk}/")
        else:
            response = clients[1].post(
                "/api/showtimes/",
                {"movie": movie.pk, "hall": hall.pk, "start_time": start.isoformat(), "price": "9"},
                format="json",
            )
        return response.status_code, response.json() if response.content else None

    (deleted, _), (scheduled, body) = run_concurrently(act, 2)

    if deleted == 204:
        assert scheduled == 400, body
        assert parent in body
        assert not Showtime.objects.exists()
    else:
        assert (deleted, scheduled) == (409, 201), (deleted, scheduled, body)
        assert Showtime.objects.count() == 1


@pytest.mark.parametrize("target", ["hall", "movie"])
@pytest.mark.parametrize("attempt", range(5))
def test_showtime_moved_to_a_parent_being_deleted_never_500(attempt, target):
    showtime = ShowtimeFactory()
    new_parent = HallFactory() if target == "hall" else MovieFactory()
    path = f"/api/{target}s/{new_parent.pk}/"
    clients = _admin_clients()

    def act(i):
        if i == 0:
            response = clients[0].delete(path)
        else:
            response = clients[1].patch(
                f"/api/showtimes/{showtime.pk}/", {target: new_parent.pk}, format="json"
            )
        return response.status_code, response.json() if response.content else None

    (deleted, _), (moved, body) = run_concurrently(act, 2)

    showtime.refresh_from_db()
    if deleted == 204:
        assert moved == 400, body
        assert target in body
        assert getattr(showtime, f"{target}_id") != new_parent.pk
    else:
        assert (deleted, moved) == (409, 200), (deleted, moved, body)
        assert getattr(showtime, f"{target}_id") == new_parent.pk
