"""Staff writes of price lists racing each other on MariaDB: deleting a list while a
showtime is scheduled with it, and two lists made the default at once. Never a 500."""

import datetime as dt

import pytest
from django.utils import timezone

from cinema.models import PriceList, Showtime
from cinema.services import TicketTypeSpec, price_list_create
from cinema.tests.factories import HallFactory, MovieFactory
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from users.tests.factories import AdminFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]

BASE = [TicketTypeSpec("adult", "Adult")]


@pytest.mark.parametrize("attempt", range(4))
def test_deleting_a_list_racing_a_schedule_with_it_never_500(attempt):
    """Either the delete wins (204) and the schedule finds the list gone (400 naming
    it), or the schedule wins (201) and the delete is refused (409 protected)."""
    matinee = price_list_create(name="Matinee", ticket_types=BASE)
    hall, movie = HallFactory(), MovieFactory()
    clients = [client_for(AdminFactory()), client_for(AdminFactory())]
    start = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)

    def act(i):
        if i == 0:
            response = clients[0].delete(f"/api/price-lists/{matinee.pk}/")
        else:
            body = {
                "movie": movie.pk,
                "hall": hall.pk,
                "start_time": start.isoformat(),
                "price": "10.00",
                "price_list": matinee.pk,
            }
            response = clients[1].post("/api/showtimes/", body, format="json")
        return i, response.status_code, response.json() if response.content else None

    results = {i: (status, body) for i, status, body in run_concurrently(act, 2)}
    assert results[0][0] in {204, 409}, results
    if results[0][0] == 204:
        assert results[1][0] == 400 and "price_list" in results[1][1], results
        assert not Showtime.objects.exists()
    else:
        assert results[1][0] == 201 and results[0][1]["code"] == "protected", results
        assert Showtime.objects.get().price_list_id == matinee.pk


@pytest.mark.parametrize("attempt", range(4))
def test_two_lists_made_the_default_at_once_leave_one_default(attempt):
    lists = [price_list_create(name=f"List {i}", ticket_types=BASE) for i in range(2)]
    clients = [client_for(AdminFactory()), client_for(AdminFactory())]

    def act(i):
        response = clients[i].patch(
            f"/api/price-lists/{lists[i].pk}/", {"is_default": True}, format="json"
        )
        return response.status_code

    assert run_concurrently(act, 2) == [200, 200]
    assert PriceList.objects.filter(is_default=True).count() == 1
