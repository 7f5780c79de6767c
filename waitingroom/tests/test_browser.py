"""The waiting rooms' admin page in a real headless Chromium, at 1280 px and on a 390 px
phone (nothing scrolls sideways): the figures move by themselves while the queue
admits, and the ADMIN pauses it, changes its rate and closes it (sold out)."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from core.tests.conftest import browser_page, chromium, open_page  # noqa: F401  (fixtures)
from testsupport.testing import needs_chromium, screenshot_on_failure
from users.roles import Role
from users.tests.factories import DEFAULT_PASSWORD, UserFactory
from waitingroom import services
from waitingroom.tests.conftest import make_queue

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

ADMIN = "queue-admin"
WAITING = 6


@dataclass
class Room:
    queue_id: int


@pytest.fixture
def room(redis_queue, premiere) -> Room:
    """Six people in a queue open since a minute ago, admitting 60 a minute (one a
    second), made before the browser starts (Playwright's loop forbids the ORM here)."""
    UserFactory(username=ADMIN, role=Role.ADMIN, is_staff=True, is_superuser=True)
    queue = make_queue(premiere, opens_at=timezone.now() - dt.timedelta(minutes=1), rate=60)
    for user in UserFactory.create_batch(WAITING):
        services.queue_join(user=user, showtime_id=premiere.pk)
    return Room(queue_id=queue.pk)


def _cell(page, name, queue_id):
    return page.locator(f'.wr-{name}[data-queue="{queue_id}"]')


def _run_action(page, label):
    page.locator("#result_list tbody input.action-select").first.check()
    page.select_option('select[name="action"]', label=label)
    page.locator('button[name="index"]').click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [1280, 390])
def test_admin_queue_page_live_pause_rate_close(room, live_server, open_page, width):  # noqa: F811
    page = open_page(width=width, height=900 if width > 400 else 844)
    url = live_server.url
    with screenshot_on_failure(page, f"test_waitingroom_admin_{width}"):
        page.goto(f"{url}/admin/login/?next=/admin/waitingroom/showtimequeue/")
        page.fill("#id_username", ADMIN)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.locator("input[type=submit]").click()
        page.wait_for_url(f"{url}/admin/waitingroom/showtimequeue/")

        admitted = _cell(page, "admitted", room.queue_id)
        first = int(admitted.inner_text())
        # One a second, refreshed in place every three: more without a reload.
        page.wait_for_function(
            f"""() => Number(document.querySelector('.wr-admitted[data-queue="{room.queue_id}"]')
                .textContent) > {first}""",
            timeout=10_000,
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        _run_action(page, "Pause")
        assert _cell(page, "state", room.queue_id).inner_text() == "paused"
        held = _cell(page, "admitted", room.queue_id).inner_text()
        page.wait_for_timeout(3500)  # a refresh later: paused, nobody more
        assert _cell(page, "admitted", room.queue_id).inner_text() == held

        rate = page.locator('input[name="form-0-admit_per_minute"]')
        rate.fill("90")
        page.locator('input[name="_save"]').click()
        page.wait_for_load_state()
        assert page.locator('input[name="form-0-admit_per_minute"]').input_value() == "90"

        _run_action(page, "Close (sold out)")
        assert _cell(page, "state", room.queue_id).inner_text() == "closed (sold out)"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert not page.script_errors
