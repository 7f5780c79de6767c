"""The admin's loose ends of issue 23 (items 13-16) as an ADMIN sees them in headless
Chromium at 1280 px: a payment's page is a view with no Save buttons, a showtime ends
when its film ends (the hall's free-again time apart), a finished show's seat map
counts seats not sold (not "available") and reads "VIP price", and a movie or hall
with showtimes offers no Delete button and says why."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings.tests.factories import book
from cinema import services as cinema_services
from cinema.models import Showtime
from cinema.tests.factories import HallFactory, MovieFactory
from core.tests.test_browser_admin import clean
from payments.models import Method, Payment
from payments.services import payment_take_at_box_office
from payments.tests.factories import open_shift
from testsupport.testing import needs_chromium, screenshot_on_failure
from users.tests.factories import DEFAULT_PASSWORD, AdminFactory

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


@dataclass
class World:
    """Read from the database before the browser starts (Playwright's event loop
    forbids the ORM in the test's thread)."""

    username: str
    payment: int
    upcoming: int
    finished: int
    movie: int
    hall: int


@pytest.fixture
def world(settings) -> World:
    settings.CLEANING_BUFFER_MINUTES = 15
    admin = AdminFactory()
    open_shift(admin)
    movie = MovieFactory(duration_minutes=118)
    hall = HallFactory(layout={"rows": 3, "seats_per_row": 4})
    start = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    upcoming = cinema_services.showtime_create(
        movie=movie, hall=hall, start_time=start, price=Decimal("9.00")
    )
    reservation = book(showtime=upcoming, count=2, hold=True)
    payment_take_at_box_office(reservation_id=reservation.pk, method=Method.CASH, staff=admin)
    finished = cinema_services.showtime_create(
        movie=MovieFactory(), hall=HallFactory(layout={"rows": 2, "seats_per_row": 3}),
        start_time=start + dt.timedelta(days=1), price=Decimal("9.00"),
    )  # fmt: skip
    book(showtime=finished, count=2)
    Showtime.objects.filter(pk=finished.pk).update(
        start_time=timezone.now() - dt.timedelta(hours=3),
        end_time=timezone.now() - dt.timedelta(hours=1),
    )
    return World(
        username=admin.username,
        payment=Payment.objects.get(reservation=reservation).pk,
        upcoming=upcoming.pk,
        finished=finished.pk,
        movie=movie.pk,
        hall=hall.pk,
    )


def _log_in(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#site-name").wait_for()


def test_admin_loose_ends_as_an_admin_sees_them(world, live_server, open_page):
    page = open_page(width=1280, height=900)
    with screenshot_on_failure(page, "test_admin_loose_ends_as_an_admin_sees_them"):
        _log_in(page, live_server, world.username)
        admin = f"{live_server.url}/admin"

        # 13: a payment's page is a view, with no Save buttons.
        page.goto(f"{admin}/payments/payment/{world.payment}/change/")
        assert page.locator("#content h1").inner_text() == "View payment"
        assert "Change payment" not in page.title()
        assert page.locator('input[name="_save"], input[name="_continue"]').count() == 0

        # 14: the film's end, and the hall's free-again time apart.
        page.goto(f"{admin}/cinema/showtime/?movie__id__exact={world.movie}")
        assert page.locator("td.field-ends").first.inner_text().strip() == "21:58"
        page.goto(f"{admin}/cinema/showtime/{world.upcoming}/change/")
        assert page.locator(".field-film_ends .readonly").inner_text().strip() == "21:58"
        assert page.locator(".field-hall_free .readonly").inner_text().strip() == "22:13"

        # 15: a finished show counts its free seats as not sold; "VIP price".
        page.goto(f"{admin}/cinema/showtime/{world.finished}/change/")
        text = page.locator("#content").inner_text()
        assert "not sold: 4" in text and "booked: 2" in text
        assert "available:" not in text
        assert "VIP price" in text and "Vip price" not in text

        # 16: a scheduled movie or hall offers no Delete, and says why up front.
        for kind, pk in (("movie", world.movie), ("hall", world.hall)):
            page.goto(f"{admin}/cinema/{kind}/{pk}/change/")
            assert page.locator("a.deletelink").count() == 0
            assert page.get_by_text(
                f"This {kind} has 1 showtime: it cannot be deleted"
            ).is_visible()

        assert clean(page) == []
