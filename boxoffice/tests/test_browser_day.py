"""A day at the till, walked in a real headless Chromium on the demo cinema (seed_demo):
the demo CASHIER opens a shift on the Sell screen with 150.00, sells two seats in cash
(two walk-ins), cancels the second sale from its reservation's admin page, where the
cancel page says how much to hand back before she confirms, and closes the shift 50
cents short: the printable close report shows the difference."""

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

from boxoffice.tests.test_browser import CASHIER, _clean, _close_shift, _open_shift, _sign_in
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from core.tests.conftest import browser_page, chromium, open_page  # noqa: F401  (fixtures)
from payments.models import Payment, PaymentStatus
from testsupport.testing import needs_chromium, screenshot_on_failure

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


@dataclass
class Show:
    showtime_id: int


@pytest.fixture
def show() -> Show:
    """The demo cinema, and tonight's show in a screen of its own at 11.50 a seat
    (built before the browser starts: the ORM refuses Playwright's thread)."""
    call_command(
        "seed_demo", "--force", "--days-back", "0", "--days-ahead", "1", stdout=io.StringIO()
    )
    # In 20 minutes, even when that is past midnight: a showtime that has started still
    # sells at the counter, but its sales can no longer be cancelled, as this day does.
    start = timezone.now() + dt.timedelta(minutes=20)
    showtime = ShowtimeFactory(
        hall=HallFactory(name="Day Screen", layout={"rows": 3, "seats_per_row": 6}),
        movie=MovieFactory(title="A Day Out", duration_minutes=95),
        start_time=start,
        price=Decimal("11.50"),
        vip_price=Decimal("16.00"),
    )
    return Show(showtime_id=showtime.pk)


def _sell_one_in_cash(page, url, show, name) -> int:
    """On the showtime's Sell screen: the first free seat, cash, the walk-in's name,
    Sell. Returns the reservation's id, from the sale page's URL."""
    page.goto(f"{url}/admin/box-office/sell/{show.showtime_id}/")
    page.locator("label.sell-seat").nth(0).click()
    page.locator('input[name="method"][value="cash"]').check()
    page.fill('input[name="customer_name"]', name)
    assert page.inner_text(".sell-submit") == "Sell 1 seat (11.50)"
    page.locator(".sell-submit").click()
    page.wait_for_url(re.compile(rf"{url}/admin/box-office/sales/\d+/"))
    assert page.inner_text(".sale-total") == "€11.50"
    assert "Cash" in page.inner_text(".sale-seats tfoot")
    return int(re.search(r"/sales/(\d+)/", page.url).group(1))


def _payment_of(reservation_id: int) -> Payment:
    """Read beside Playwright's event loop (the ORM refuses its thread)."""
    found = {}

    def read():
        try:
            found["payment"] = Payment.objects.get(reservation_id=reservation_id)
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(30)
    return found["payment"]


def test_a_day_at_the_till(show, open_page, live_server):  # noqa: F811
    url = live_server.url
    page = open_page(width=1280, height=900)
    with screenshot_on_failure(page, "test_a_day_at_the_till"):
        _sign_in(page, url, CASHIER)
        page.goto(f"{url}/admin/box-office/sell/{show.showtime_id}/")
        _open_shift(page, "150.00")
        _sell_one_in_cash(page, url, show, "Ada")
        second = _sell_one_in_cash(page, url, show, "Ben")

        # Ben changes his mind: from the sale, his reservation's page, Cancel.
        page.locator(".sale-actions a", has_text="Reservation page").click()
        page.wait_for_url(f"{url}/admin/bookings/reservation/{second}/change/")
        page.locator("#cancel-reservation").click()
        page.wait_for_url(f"{url}/admin/bookings/reservation/{second}/cancel/")
        asked = page.inner_text("#content")
        assert "Hand back €11.50 to the customer (cash)" in " ".join(asked.split())
        assert "of Ben for" in asked  # who it is for, a walk-in's name
        confirm = page.locator('input[type="submit"]')
        assert confirm.get_attribute("value") == "Yes, cancel it and hand back €11.50"
        assert _payment_of(second).status == PaymentStatus.SUCCEEDED  # nothing done yet
        confirm.click()
        page.wait_for_url(f"{url}/admin/bookings/reservation/{second}/change/")
        assert "Hand back €11.50 to the customer (cash)." in page.inner_text(".messagelist")
        _clean(page)

        # The close: 150.00 + 23.00 - 11.50 = 161.50 expected; 161.00 in the drawer.
        report = _close_shift(page, url, "161.00")
        figures = {
            row.split("\t")[0]: row.split("\t")[-1].strip()
            for row in page.locator(".shift-figures tr").all_inner_texts()
        }
        assert figures["Float"] == "€150.00"
        assert figures["Cash in (sales)"] == "€23.00"
        assert figures["Cash out (refunds)"] == "-€11.50"
        assert figures["Expected in the drawer"] == "€161.50"
        assert figures["Counted"] == "€161.00"
        assert figures["Difference (counted - expected)"] == "-€0.50"
        difference = page.locator(".shift-figures tr", has_text="Difference").locator("td")
        assert "short" in difference.get_attribute("class")  # shown in red
        lines = page.locator(".shift-lines tbody tr").all_inner_texts()
        assert sorted(line.split("\t")[-1] for line in lines) == ["-€11.50", "€11.50", "€11.50"]
        assert "Cashier cashier" in " ".join(report.split())
        _clean(page)

    refunded = _payment_of(second)
    assert refunded.status == PaymentStatus.REFUNDED
    assert refunded.refund_shift_id == refunded.shift_id
