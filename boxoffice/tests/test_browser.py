"""A Friday night, walked in a real headless Chromium on the demo cinema (seed_demo): the
demo CASHIER opens a shift with a float, sells two seats to a walk-in on the Sell screen,
prints the tickets, re-sends the confirmation, which arrives at a real SMTP server, and
closes the shift with the cash counted (no difference); the demo USHER admits
both at the door screen and the second scan of one is refused; the admin's first page
shows the show two seats fuller. The Sell screen again on a 10-inch tablet."""

import datetime as dt
import io
import re
import threading
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from bookings.models import Reservation
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from core.tests.conftest import browser_page, chromium, open_page  # noqa: F401  (fixtures)
from notifications.delivery import deliver_due
from notifications.testing import smtp_server  # noqa: F401  (a fixture)
from testsupport.testing import needs_chromium, screenshot_on_failure
from tickets.models import Ticket, TicketStatus

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

CASHIER = ("cashier", "marquee-cashier-dev")  # seed_demo's dev-only accounts
USHER = ("usher", "marquee-usher-dev")
WALK_IN = "ada@example.com"


@dataclass
class Night:
    showtime_id: int
    title: str


@pytest.fixture
def night(settings, smtp_server) -> Night:  # noqa: F811
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    call_command(
        "seed_demo", "--force", "--days-back", "0", "--days-ahead", "1", stdout=io.StringIO()
    )
    # Tonight's show, its doors open, in a screen of its own: it starts in 20 minutes
    # (or, that close to midnight, started 5 minutes ago: the counter still sells it).
    now = timezone.now()
    start = now + dt.timedelta(minutes=20)
    if timezone.localdate(start) != timezone.localdate(now):
        start = now - dt.timedelta(minutes=5)
    show = ShowtimeFactory(
        # Rows of 20, as wide as the demo's largest hall: the whole row must show.
        hall=HallFactory(name="Friday Screen", layout={"rows": 4, "seats_per_row": 20}),
        movie=MovieFactory(title="Friday Premiere", duration_minutes=110),
        start_time=start,
        price=Decimal("11.50"),
        vip_price=Decimal("16.00"),
    )
    return Night(showtime_id=show.pk, title=show.movie.title)


def _in_a_thread(fn):
    """Run a database read or the email worker beside Playwright's event loop (the ORM
    refuses its thread)."""
    result = {}

    def run():
        try:
            result["value"] = fn()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    return result["value"]


def _sign_in(page, url, who):
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", who[0])
    page.fill("#id_password", who[1])
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{url}/admin/")


def _sign_out(page, url):
    page.locator("#logout-form button").click()
    page.wait_for_url(re.compile(r".*/admin/logout/.*"))


def _whole_row_shows(page, width):
    """Every seat of a row of 20 on screen, none behind a sideways scroll."""
    last = page.locator("table.sell-grid tr").first.locator("td").last.bounding_box()
    assert last["x"] + last["width"] <= width, last
    grid = "document.querySelector('.sell-map')"
    assert page.evaluate(f"{grid}.scrollWidth <= {grid}.clientWidth")


def _clean(page):
    assert page.console_errors == [] and page.script_errors == []
    assert page.outside_requests == []


def _open_shift(page, float_="150.00"):
    """The Sell screen asks for a shift first: the float in the drawer, Open shift; it
    comes back to the same screen with the shift open."""
    back_to = page.url
    assert "No open shift" in page.inner_text(".till-closed")
    page.fill('.till-closed input[name="float"]', float_)
    page.locator(".till-open-button").click()
    page.wait_for_url(back_to)
    assert "Shift open since" in page.inner_text(".till-open")


def _close_shift(page, url, counted) -> str:
    """Close shift (counted) from the Sell screen: the count, Close shift; the close
    report. Returns the report's text."""
    page.goto(f"{url}/admin/box-office/sell/")
    page.locator("a.till-close").click()
    page.wait_for_url(re.compile(rf"{url}/admin/box-office/shifts/\d+/close/"))
    page.fill('input[name="counted"]', counted)
    page.locator(".shift-close-button").click()
    page.wait_for_url(re.compile(rf"{url}/admin/box-office/shifts/\d+/report/"))
    return page.inner_text(".shift-report")


def _sell_two(page, url, night, *, clicks) -> str:
    """On the showtime's Sell screen: two seats, a walk-in's name and email, Sell.
    Returns the sale page's URL."""
    _whole_row_shows(page, 1280)
    page.locator("label.sell-seat").nth(0).click()
    page.locator("label.sell-seat").nth(1).click()
    clicks += ["seat", "seat"]
    assert page.inner_text(".sell-submit") == "Sell 2 seats (23.00)"
    page.fill('input[name="customer_name"]', "Ada Lovelace")
    page.fill('input[name="customer_email"]', WALK_IN)
    page.locator(".sell-submit").click()
    clicks.append("sell")
    page.wait_for_url(re.compile(rf"{url}/admin/box-office/sales/\d+/"))
    return page.url


def test_friday_night_at_the_counter_and_the_door(night, smtp_server, open_page, live_server):  # noqa: F811
    url = live_server.url
    page = open_page(width=1280, height=900)
    with screenshot_on_failure(page, "test_friday_night_at_the_counter_and_the_door"):
        # The cashier: the Sell screen from the dashboard.
        _sign_in(page, url, CASHIER)
        before = page.inner_text(f'#tonight tr[data-showtime="{night.showtime_id}"] td.sold')
        # Tonight's row links the Sell screen of its showtime.
        page.locator(f'#tonight tr[data-showtime="{night.showtime_id}"] a.sell').click()
        page.wait_for_url(f"{url}/admin/box-office/sell/{night.showtime_id}/")
        _open_shift(page, "150.00")
        clicks: list[str] = []
        _sell_two(page, url, night, clicks=clicks)
        assert len(clicks) <= 5  # a sale of two seats: at most five clicks once open
        assert "CONFIRMED" in page.inner_text("h1").upper()
        assert page.inner_text(".sale-total") == "€23.00"
        codes = page.locator(".sale-seats code").all_inner_texts()
        assert len(codes) == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280

        # Print: the tickets as a PDF, read back.
        href = page.locator("a.sale-print-a4").get_attribute("href")
        printed = page.request.get(f"{url}{href}")
        assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"
        assert printed.body().startswith(b"%PDF")

        # Re-send the confirmation to the walk-in.
        page.locator(".sale-resend button").click()
        page.wait_for_url(re.compile(r".*/admin/bookings/reservation/\d+/change/"))
        assert WALK_IN in page.inner_text(".messagelist")
        _clean(page)
        _in_a_thread(deliver_due)
        delivered = [d for d in smtp_server.sink.deliveries if d.rcpt_tos == [WALK_IN]]
        assert len(delivered) == 2  # the confirmation, and the one re-sent
        assert all(night.title in d.message["Subject"] for d in delivered)

        # The end of the shift: 150.00 + 23.00 in cash expected, 173.00 counted.
        report = _close_shift(page, url, "173.00")
        assert "€173.00" in report and "€23.00" in report
        difference = page.locator(".shift-figures tr", has_text="Difference").inner_text()
        assert "€0.00" in difference
        _clean(page)
        _sign_out(page, url)

        # The usher at the door: both admitted, the second scan of one refused.
        _sign_in(page, url, USHER)
        page.goto(f"{url}/door/?showtime={night.showtime_id}")
        for code in codes:
            page.keyboard.type(code)
            page.keyboard.press("Enter")
            page.locator("#answer-title", has_text="ADMIT").wait_for()
            page.wait_for_function("document.getElementById('code').value === ''")
        page.keyboard.type(codes[0])
        page.keyboard.press("Enter")
        page.locator("#answer-title", has_text="REFUSED").wait_for()
        assert page.inner_text("#answer-reason").startswith("Already checked in")
        _clean(page)

        # The dashboard: two seats fuller, two inside.
        page.goto(f"{url}/admin/")
        after = page.inner_text(f'#tonight tr[data-showtime="{night.showtime_id}"] td.sold')
        assert int(after.split("/")[0]) == int(before.split("/")[0]) + 2
        inside = page.inner_text(f'#tonight tr[data-showtime="{night.showtime_id}"] td.checked-in')
        assert inside.strip().startswith("2")
        _clean(page)

    used = _in_a_thread(
        lambda: Ticket.objects.filter(
            showtime_id=night.showtime_id, status=TicketStatus.USED
        ).count()
    )
    assert used == 2


def test_sell_screen_on_a_ten_inch_tablet(night, open_page, live_server):  # noqa: F811
    url = live_server.url
    page = open_page(width=800, height=1280)
    with screenshot_on_failure(page, "test_sell_screen_on_a_ten_inch_tablet"):
        _sign_in(page, url, CASHIER)
        page.goto(f"{url}/admin/box-office/sell/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        clicks: list[str] = []
        page.locator(f'tr[data-showtime="{night.showtime_id}"] a.sell-open').click()
        page.wait_for_url(f"{url}/admin/box-office/sell/{night.showtime_id}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        _open_shift(page, "50.00")
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        box = page.locator(".sell-submit").bounding_box()
        assert box["x"] + box["width"] <= 800
        _whole_row_shows(page, 800)
        for n in (0, 1):
            seat = page.locator("label.sell-seat").nth(n)
            size = seat.bounding_box()
            assert size["width"] >= 30 and size["height"] >= 30  # a finger's target
            seat.click()
            clicks.append("seat")
        page.locator(".sell-submit").click()
        page.wait_for_url(re.compile(rf"{url}/admin/box-office/sales/\d+/"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        _clean(page)


def _sale_seats(url: str) -> list[tuple[str, int]]:
    sale_id = int(url.rstrip("/").rsplit("/", 1)[1])
    return _in_a_thread(
        lambda: sorted(
            Reservation.objects.get(pk=sale_id).seats.values_list("seat__row", "seat__number")
        )
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_n_seats_best_at_the_counter(night, open_page, live_server, width):  # noqa: F811
    """The cashier types 4 and Sell best: the sale has four adjacent seats of one row. A
    block that does not exist (2 VIP seats in a hall without VIP rows) is said with the
    largest block free, and nothing is sold."""
    url = live_server.url
    page = open_page(width=width, height=900)
    with screenshot_on_failure(page, f"test_n_seats_best_at_the_counter_{width}"):
        _sign_in(page, url, CASHIER)
        page.goto(f"{url}/admin/box-office/sell/{night.showtime_id}/")
        _open_shift(page, "20.00")
        button = page.locator(".sell-best-submit")
        box = button.bounding_box()
        assert box["x"] + box["width"] <= width
        page.fill('input[name="quantity"]', "4")
        button.click()
        page.wait_for_url(re.compile(rf"{url}/admin/box-office/sales/\d+/"))
        seats = _sale_seats(page.url)
        assert len(seats) == 4 and len({row for row, _ in seats}) == 1
        numbers = [number for _, number in seats]
        assert numbers == list(range(numbers[0], numbers[0] + 4))

        page.goto(f"{url}/admin/box-office/sell/{night.showtime_id}/")
        page.fill('input[name="quantity"]', "2")
        page.select_option('select[name="seat_type"]', "VIP")
        page.locator(".sell-best-submit").click()
        page.wait_for_load_state()
        said = page.inner_text("#content")
        assert "No 2 adjacent free seats of type VIP in one row" in said
        assert "the largest block free has 0." in said
        # The refused sale's page answers 409; nothing else may fail.
        assert [e for e in page.failed_responses if not e.startswith("409 ")] == []
        assert [e for e in page.console_errors if "409" not in e] == []
        assert page.script_errors == [] and page.outside_requests == []
