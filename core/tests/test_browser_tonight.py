"""The admin's first page, "Tonight", in a real Chromium at 1280 px, as a cashier sees
it: today's shows in a table that fits the width (no sideways scrolling), each row with
its figures and its Sell and Door links, tomorrow's shows absent."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.tests.factories import make_reservation
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from core.days import local_day_range
from testsupport.testing import needs_chromium, screenshot_on_failure
from users.models import Role
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "The Extraordinarily Long and Winding Title of a Film That Goes On and On"


@pytest.fixture
def tonight_data():
    """Made before the browser starts (Playwright's event loop forbids the ORM in the
    test's thread): six shows today in halls with long names, one tomorrow, a cashier."""
    start, midnight = local_day_range(timezone.localdate())
    shows = []
    for index in range(6):
        show = ShowtimeFactory(
            movie=MovieFactory(title=f"{LONG_TITLE} {index}"),
            hall=HallFactory(name=f"Grand Auditorium Number {index} (Dolby Atmos)"),
            start_time=start + dt.timedelta(hours=2 + 3 * index),
        )
        shows.append(show)
    # Written straight to the tables: the first show may have started already.
    make_reservation(
        showtime=shows[0], seats=list(shows[0].hall.seats.all()[:3]), user=UserFactory()
    )
    ShowtimeFactory(
        movie=MovieFactory(title="Tomorrow's Film"), start_time=midnight + dt.timedelta(hours=20)
    )
    cashier = UserFactory(username="till", role=Role.CASHIER)
    return {"username": cashier.username, "shows": [show.pk for show in shows]}


def test_tonight_fits_1280_px_for_a_cashier(tonight_data, live_server, browser_page):
    page = browser_page
    with screenshot_on_failure(page, "test_tonight_fits_1280_px_for_a_cashier"):
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", tonight_data["username"])
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("input[type=submit]")
        page.locator("#tonight").wait_for()

        assert page.viewport_size["width"] == 1280
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        # Headings, times, figures and the doors each on one line (a word broken over two
        # lines gives its text two boxes).
        broken = page.evaluate(
            """() => [...document.querySelectorAll(
                    '#tonight th, #tonight td.start, #tonight td.sold, #tonight td.doors')]
                .filter(cell => {
                    const range = document.createRange();
                    range.selectNodeContents(cell);
                    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    return tops.size > 1;
                })
                .map(cell => cell.innerText)"""
        )
        assert broken == []
        rows = page.locator("#tonight tbody tr")
        assert rows.count() == 6
        ids = [rows.nth(i).get_attribute("data-showtime") for i in range(6)]
        assert ids == [str(pk) for pk in tonight_data["shows"]]
        first = rows.nth(0)
        assert first.locator("td.sold").inner_text() == "3 / 12"
        assert first.locator("td.percent").inner_text().strip() == "25%"
        assert first.locator("td.checked-in").inner_text() == "0"
        for i in range(6):
            row = rows.nth(i)
            # Sell until the show is over (the counter may sell after the start).
            ended = row.locator("td.doors").inner_text() == "ended"
            assert row.get_by_role("link", name="Sell").count() == (0 if ended else 1)
            assert row.get_by_role("link", name="Door").get_attribute("href") == (
                f"/door/?showtime={tonight_data['shows'][i]}"
            )
            # Readable: long titles and hall names wrap at words into a few lines, the
            # row stays inside the window.
            box = row.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
            assert box["height"] < 100
        assert "Tomorrow's Film" not in page.content()
        assert page.console_errors == [] and page.script_errors == []
        assert page.failed_responses == []
