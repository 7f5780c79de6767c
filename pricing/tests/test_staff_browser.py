"""An ADMIN sets prices up in the admin in a real headless Chromium at 1280 px: a price
list made the default with Child at 7.50, and a voucher; the seat map of a showtime
then sells Child at that price."""

from decimal import Decimal

import pytest

from cinema.tests.factories import HallFactory, ShowtimeFactory
from core.tests.conftest import browser_page, chromium, open_page  # noqa: F401  (fixtures)
from testsupport.testing import needs_chromium, screenshot_on_failure
from users.tests.factories import DEFAULT_PASSWORD, AdminFactory

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene():
    """Read before the browser starts (Playwright's event loop forbids the ORM here)."""
    admin = AdminFactory()
    show = ShowtimeFactory(
        hall=HallFactory(layout={"rows": 2, "seats_per_row": 4, "vip_rows": ["B"]}),
        price=Decimal("10.00"),
        vip_price=Decimal("14.00"),
    )
    return {"username": admin.username, "showtime": show.pk}


def test_admin_sets_up_child_prices_and_a_voucher(live_server, scene, browser_page):  # noqa: F811
    page = browser_page
    with screenshot_on_failure(page, "pricing-admin"):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", scene["username"])
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.locator("#site-name").wait_for()

        page.goto(f"{live_server.url}/admin/cinema/pricelist/add/")
        page.fill("#id_name", "Family")
        page.check("#id_is_default")
        assert page.input_value("#id_ticket_types-0-code") == "adult"
        page.fill("#id_ticket_types-1-code", "child")
        page.fill("#id_ticket_types-1-name", "Child")
        page.fill("#id_ticket_types-1-max_age", "12")
        page.fill("#id_ticket_types-1-price_standard", "7.50")
        page.get_by_role("button", name="Save", exact=True).click()
        assert "was added successfully" in page.locator(".messagelist .success").inner_text()
        assert "Adult, Child" in page.locator("#result_list").inner_text()

        page.goto(f"{live_server.url}/admin/pricing/voucher/add/")
        page.fill("#id_code", "school24")
        page.locator("#id_kind").select_option("PERCENT")
        page.fill("#id_value", "20")
        page.fill("#id_max_uses", "50")
        page.get_by_role("button", name="Save", exact=True).click()
        assert "was added successfully" in page.locator(".messagelist .success").inner_text()
        row = page.locator("#result_list tbody tr").first.inner_text()
        assert "school24" in row and "0 / 50" in row

        seat_map = page.request.get(f"{live_server.url}/api/showtimes/{scene['showtime']}/seats/")
        assert seat_map.status == 200
        types = {kind["code"]: kind for kind in seat_map.json()["ticket_types"]}
        assert types["child"]["prices"]["STANDARD"] == "7.50"
        assert types["child"]["max_age"] == 12
        assert types["adult"]["prices"]["STANDARD"] == "10.00"

    assert page.console_errors == [] and page.script_errors == []
    assert page.failed_responses == [] and page.outside_requests == []
