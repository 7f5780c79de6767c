"""The ticket admin finds a ticket by its code as printed or typed (any case, dashes or
spaces or none), for every role that may look tickets up."""

import pytest

from bookings.tests.factories import book
from tickets.codes import display
from users.models import Role
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CASHIER, Role.USHER])
def test_ticket_admin_finds_a_printed_code(role, client, show):
    reservation = book(showtime=show, count=2)
    wanted, _other = reservation.tickets.order_by("pk")
    client.force_login(UserFactory(role=role))
    printed = display(wanted.code)
    for term in (printed, printed.lower(), printed.replace("-", "").lower(), f" {printed} "):
        response = client.get("/admin/tickets/ticket/", {"q": term})
        assert response.status_code == 200
        assert [t.pk for t in response.context["cl"].result_list] == [wanted.pk], term
    response = client.get("/admin/tickets/ticket/", {"q": "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ"})
    assert list(response.context["cl"].result_list) == []
