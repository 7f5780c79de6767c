"""The waiting rooms in the admin: each queue's figures, live; pause, rate, close."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from users.tests.factories import AdminFactory, CashierFactory, UserFactory
from waitingroom import services
from waitingroom.models import ShowtimeQueue
from waitingroom.tests.conftest import make_queue

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/waitingroom/showtimequeue/"


@pytest.fixture
def staff():
    client = Client()
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def queue(redis_queue, clock, premiere):
    queue = make_queue(premiere, opens_at=clock.moment - dt.timedelta(minutes=1), rate=60)
    for user in UserFactory.create_batch(5):
        services.queue_join(user=user, showtime_id=premiere.pk)
    clock.advance(2)  # two admitted, three waiting
    return queue


def test_admin_queue_list_shows_waiting_admitted_and_rate(staff, queue):
    page = staff.get(CHANGELIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<span class="wr-waiting" data-queue="{queue.pk}">3</span>' in html
    assert f'<span class="wr-admitted" data-queue="{queue.pk}">2</span>' in html
    assert 'name="form-0-admit_per_minute" value="60"' in html
    assert "admitting" in html


def test_admin_queue_live_figures(staff, queue, clock):
    clock.advance(1)
    live = staff.get(f"{CHANGELIST}{queue.pk}/live/")
    assert live.status_code == 200
    assert live.json() == {
        "id": queue.pk,
        "state": "admitting",
        "rate": 60,
        "waiting": 2,
        "admitted": 3,
        "available": True,
    }


def test_admin_queue_pause_close_and_reopen_actions(staff, queue, clock):
    def act(action):
        return staff.post(
            CHANGELIST, {"action": action, "_selected_action": [queue.pk]}, follow=True
        )

    assert act("pause").status_code == 200
    queue.refresh_from_db()
    assert queue.paused
    clock.advance(60)
    assert services.queue_figures(queue=queue).admitted == 2  # stopped where it stood

    act("resume")
    act("close_sold_out")
    queue.refresh_from_db()
    assert (queue.paused, queue.closed) == (False, True)
    assert services.queue_figures(queue=queue).closed
    assert "closed (sold out)" in staff.get(CHANGELIST).content.decode()

    act("reopen")
    queue.refresh_from_db()
    assert not queue.closed


def test_admin_queue_rate_changed_in_the_list_applies_from_now(staff, queue, clock):
    response = staff.post(
        CHANGELIST,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(queue.pk),
            "form-0-admit_per_minute": "600",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    queue.refresh_from_db()
    assert queue.admit_per_minute == 600
    clock.advance(0.2)  # ten a second now: two more
    assert services.queue_figures(queue=queue).admitted == 4


def test_admin_queue_add_form_creates_and_applies_it(staff, redis_queue, clock, premiere):
    local = timezone.localtime(clock.moment + dt.timedelta(hours=1))
    response = staff.post(
        f"{CHANGELIST}add/",
        {
            "showtime": premiere.pk,
            "enabled": "on",
            "admit_per_minute": "120",
            "opens_at_0": local.strftime("%Y-%m-%d"),
            "opens_at_1": local.strftime("%H:%M:%S"),
            "pass_minutes": "5",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    queue = ShowtimeQueue.objects.get(showtime=premiere)
    assert (queue.admit_per_minute, queue.pass_minutes) == (120, 5)
    answer = services.queue_join(user=UserFactory(), showtime_id=premiere.pk)
    assert answer.status == "waiting"
    assert answer.estimated_wait_seconds >= 3600


def test_admin_queue_pages_are_for_admins_only(queue):
    client = Client()
    client.force_login(CashierFactory())
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"{CHANGELIST}{queue.pk}/live/").status_code == 403


def test_admin_queue_add_without_redis_is_refused_and_saves_nothing(staff, premiere):
    """The local-memory cache of a development set-up: no Redis, no waiting room."""
    local = timezone.localtime(timezone.now() + dt.timedelta(hours=1))
    response = staff.post(
        f"{CHANGELIST}add/",
        {
            "showtime": premiere.pk,
            "enabled": "on",
            "admit_per_minute": "120",
            "opens_at_0": local.strftime("%Y-%m-%d"),
            "opens_at_1": local.strftime("%H:%M:%S"),
            "pass_minutes": "5",
        },
    )
    assert response.status_code == 200
    assert "The waiting room needs Redis (REDIS_URL)" in response.content.decode()
    assert not ShowtimeQueue.objects.exists()
