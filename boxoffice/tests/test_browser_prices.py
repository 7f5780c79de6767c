"""The Sell screen with ticket types and a voucher, in a real headless Chromium, at
1280 px and on a 390 px phone: a cashier sells two adults and two children with a
voucher; the screen's sum follows the types; the sale page shows the discounted total."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from boxoffice.tests.test_browser import _clean, _sign_in
from cinema.tests.factories import HallFactory, ShowtimeFactory
from core.tests.conftest import chromium, open_page  # noqa: F401  (fixtures)
from payments.tests.factories import on_shift
from pricing.models import DiscountKind
from pricing.tests.factories import VoucherFactory, family_prices
from testsupport.testing import needs_chromium, screenshot_on_failure
from users.tests.factories import DEFAULT_PASSWORD, CashierFactory

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def till(transactional_db):
    """A cashier on shift, a showtime in an hour (Adult 12.00), Child and Student in the
    price list and a 10 % voucher: made before the browser starts (the ORM refuses the
    browser's event loop)."""
    family_prices()  # Child 7.50 (under 12), Student 8.00
    VoucherFactory(code="FAMILY10", kind=DiscountKind.PERCENT, value=Decimal("10"))
    cashier = on_shift(CashierFactory())
    show = ShowtimeFactory(
        hall=HallFactory(layout={"rows": 3, "seats_per_row": 8}),
        start_time=timezone.now() + dt.timedelta(hours=1),
        price=Decimal("12.00"),
        vip_price=Decimal("18.00"),
    )
    return cashier, show


@pytest.mark.parametrize("width", [1280, 390])
def test_a_family_with_a_voucher_at_the_till(till, open_page, live_server, width):  # noqa: F811
    cashier, show = till
    url = live_server.url
    page = open_page(width=width, height=900)
    with screenshot_on_failure(page, f"test_a_family_with_a_voucher_at_the_till_{width}"):
        _sign_in(page, url, (cashier.username, DEFAULT_PASSWORD))
        page.goto(f"{url}/admin/box-office/sell/{show.pk}/")
        for index in range(4):
            page.locator("label.sell-seat").nth(index).click()
        assert page.inner_text(".sell-submit") == "Sell 4 seats (48.00)"
        child = page.locator('input[name="type_child"]')
        child.scroll_into_view_if_needed()
        child.fill("2")
        # The first two seats chosen are the children's: 7.50 + 7.50 + 12.00 + 12.00.
        assert page.inner_text(".sell-submit") == "Sell 4 seats (39.00)"
        assert "A1 (Child), A2 (Child), A3, A4" in page.inner_text(".sell-summary")
        page.fill('input[name="voucher"]', "family10")
        assert "before voucher FAMILY10" in page.inner_text(".sell-summary")
        page.locator(".sell-submit").click()
        page.wait_for_url(re.compile(rf"{url}/admin/box-office/sales/\d+/"))

        # 10 % off: 6.75 + 6.75 + 10.80 + 10.80.
        assert page.inner_text(".sale-total") == "€35.10"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _clean(page)
