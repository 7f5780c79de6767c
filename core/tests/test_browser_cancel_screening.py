"""The cinema cancels a screening from the admin, in a real Chromium: the manager opens a
showtime that has started, follows "Cancel screening", gives the reason, confirms; the
page says what was done and the showtime's page says why it was cancelled."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus
from bookings.tests.factories import book
from cinema.models import Showtime
from cinema.tests.factories import ShowtimeFactory
from testsupport.testing import needs_chromium, screenshot_on_failure
from users.tests.factories import DEFAULT_PASSWORD, AdminFactory

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

REASON = "The projector broke down."


@pytest.fixture
def started_show():
    """Made before the browser starts: a showtime with two bookings, started 20 minutes
    ago, and a manager (ADMIN)."""
    show = ShowtimeFactory(start_time=timezone.now() + dt.timedelta(days=1))
    first, second = show.hall.seats.order_by("position")[:2]
    booked = [book(showtime=show, seats=[first]), book(showtime=show, seats=[second])]
    start = timezone.now() - dt.timedelta(minutes=20)
    Showtime.objects.filter(pk=show.pk).update(
        start_time=start, end_time=start + (show.end_time - show.start_time)
    )
    manager = AdminFactory(username="manager")
    return {"show": show.pk, "reservations": [r.pk for r in booked], "username": manager.username}


def test_a_manager_cancels_a_started_screening_with_a_reason(
    started_show, live_server, browser_page
):
    page = browser_page
    show = started_show["show"]
    with screenshot_on_failure(page, "test_a_manager_cancels_a_started_screening_with_a_reason"):
        page.goto(f"{live_server.url}/admin/login/?next=/admin/cinema/showtime/{show}/change/")
        page.fill("#id_username", started_show["username"])
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("input[type=submit]")
        page.click("#cancel-screening")
        assert "which has already started" in page.inner_text("#content")
        assert "2 live reservations" in page.inner_text("#content")
        page.fill("#id_reason", REASON)
        page.click("input[type=submit]")

        page.locator(".messagelist").wait_for()
        assert "2 reservation(s) cancelled" in page.inner_text(".messagelist")
        assert REASON in page.inner_text("#content")
        assert page.locator("#cancel-screening").count() == 0

    # The ORM from another thread: Playwright's event loop runs in this one.
    def statuses():
        try:
            reservations = Reservation.objects.filter(pk__in=started_show["reservations"])
            return set(reservations.values_list("status", flat=True))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(statuses).result() == {ReservationStatus.CANCELLED}
