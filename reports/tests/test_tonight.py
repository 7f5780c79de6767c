"""The admin's first page, "Tonight": today's showtimes (the cinema's local day) with
start, movie, hall, sold / capacity, percent, checked in, the doors, and links to sell and
to the door; for every member of staff, in a bounded number of queries."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from bookings import services
from bookings.tests.factories import seat
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from core.days import local_day_range
from reports.selectors import tonight
from tickets.services import ticket_check_in
from users.models import Role
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def today_soon() -> dt.datetime:
    """A start time today whose doors are open now: 10 minutes ahead, or 10 minutes ago
    when ahead would be tomorrow already."""
    now = timezone.now()
    _, midnight = local_day_range(timezone.localdate())
    ahead = now + dt.timedelta(minutes=10)
    return ahead if ahead < midnight else now - dt.timedelta(minutes=10)


def tomorrow_evening() -> dt.datetime:
    _, midnight = local_day_range(timezone.localdate())
    return midnight + dt.timedelta(hours=20)


def _sold(show, labels: list[str], at: dt.datetime):
    return services.reservation_create(
        user=UserFactory(),
        showtime_id=show.pk,
        seat_ids=[seat(show, label).pk for label in labels],
        now=at,
    ).reservation


@pytest.fixture
def evening():
    """Today: "Paper Tigers" in Studio (12 seats), 3 sold, 2 checked in. Tomorrow:
    "Tomorrow's Film"."""
    show = ShowtimeFactory(
        movie=MovieFactory(title="Paper Tigers"),
        hall=HallFactory(name="Studio", layout={"rows": 3, "seats_per_row": 4}),
        start_time=today_soon(),
    )
    # Sold an hour before the start: near midnight the show has started (above), and the
    # engine no longer sells it online.
    sold_at = show.start_time - dt.timedelta(hours=1)
    reservation = _sold(show, ["A1", "A2"], sold_at)
    _sold(show, ["B1"], sold_at)
    usher = UserFactory(role=Role.USHER)
    for ticket in reservation.tickets.all():
        ticket_check_in(code=ticket.code, by=usher)
    later = ShowtimeFactory(
        movie=MovieFactory(title="Tomorrow's Film"), start_time=tomorrow_evening()
    )
    return show, later


def tonight_rows(html: str) -> dict[str, str]:
    """{showtime id: the row's text} of the Tonight table."""
    table = html[html.index('id="tonight"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<tr data-showtime="(\d+)">(.*?)</tr>', table, re.S)
    return {pk: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for pk, row in rows}


@pytest.fixture
def cashier_browser(client):
    client.force_login(UserFactory(role=Role.CASHIER))
    return client


def test_tonight_shows_todays_shows_with_their_figures_to_a_cashier(cashier_browser, evening):
    show, _tomorrow = evening
    response = cashier_browser.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    rows = tonight_rows(html)
    assert list(rows) == [str(show.pk)]  # not tomorrow's
    start = timezone.localtime(show.start_time).strftime("%H:%M")
    assert rows[str(show.pk)] == f"{start} Paper Tigers Studio 3 / 12 25% 2 open Sell Door"
    assert f'href="/door/?showtime={show.pk}"' in html
    assert "Tomorrow's Film" not in html


def test_tonight_sell_link_only_for_those_who_sell(client, evening):
    show, _ = evening
    client.force_login(UserFactory(role=Role.USHER))
    response = client.get("/admin/")
    assert response.status_code == 200
    row = tonight_rows(response.content.decode())[str(show.pk)]
    assert row.endswith("open Door")
    assert "Sell" not in row


def test_tonight_for_an_admin_links_the_sell_screen(staff_client, evening):
    show, _ = evening
    html = staff_client.get("/admin/").content.decode()
    assert "Sell" in tonight_rows(html)[str(show.pk)]
    assert f"/box-office/sell/{show.pk}/" in html


def test_tonight_says_when_nothing_is_on(cashier_browser):
    ShowtimeFactory(start_time=tomorrow_evening())
    html = cashier_browser.get("/admin/").content.decode()
    assert tonight_rows(html) == {}
    assert "No showtimes today." in html


def test_tonight_doors_before_they_open_and_after_the_end():
    start, end = local_day_range(timezone.localdate())
    noon = start + dt.timedelta(hours=12)
    ShowtimeFactory(start_time=noon)
    at_morning = tonight(now=noon - dt.timedelta(hours=2))
    assert not at_morning[0].doors_open and not at_morning[0].ended
    assert at_morning[0].doors_open_at == timezone.localtime(noon - dt.timedelta(minutes=30))
    at_night = tonight(now=end - dt.timedelta(minutes=1))
    assert at_night[0].ended and not at_night[0].doors_open
    assert tonight(now=noon)[0].doors_open


def test_tonight_reads_its_figures_in_one_query(django_assert_num_queries, evening):
    start, _ = local_day_range(timezone.localdate())
    for hours in (1, 2, 3):
        ShowtimeFactory(start_time=start + dt.timedelta(hours=hours))
    with django_assert_num_queries(1):
        shows = tonight()
    assert len(shows) == 4


def test_admin_index_query_budget(cashier_browser, evening, django_assert_max_num_queries):
    with django_assert_max_num_queries(8) as captured:
        cashier_browser.get("/admin/")
    before = len(captured)
    ShowtimeFactory(start_time=today_soon())
    with django_assert_max_num_queries(before):
        cashier_browser.get("/admin/")
