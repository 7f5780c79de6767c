"""The staff admin in a real headless Chromium, as the cinema's staff use it: logged in
as an ADMIN on the demo cinema (seed_demo), at 1440 px with the menu open and on a
390 px phone in the dark theme. Every page loads with no console error, no script
error, no answer >= 400 and no request off the host; each page that fails a check is
saved as test-artifacts/admin-<page>.png."""

import datetime as dt
import io
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings.models import Reservation, ReservationStatus
from cinema.models import Hall, Movie, Showtime
from testsupport.testing import needs_chromium, screenshot_on_failure
from users.models import User

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

ADMIN = ("admin", "marquee-admin-dev")  # seed_demo's dev-only account


@dataclass
class Demo:
    """What the walk visits, read from the database before the browser starts
    (Playwright's event loop forbids the ORM in the test's thread)."""

    pages: dict[str, str] = field(default_factory=dict)
    showtime_title: str = ""
    showtime_utc: str = ""
    movie_title: str = ""
    reservation_id: int = 0


@pytest.fixture
def demo() -> Demo:
    call_command(
        "seed_demo", "--force", "--days-back", "1", "--days-ahead", "1", stdout=io.StringIO()
    )
    now = timezone.now()
    upcoming = (
        Showtime.objects.filter(start_time__gt=now, reservations__isnull=False)
        .select_related("movie", "hall")
        .order_by("start_time")
        .first()
    )
    played = Showtime.objects.filter(start_time__lt=now).order_by("-start_time").first()
    reservation = (
        Reservation.objects.filter(status=ReservationStatus.CONFIRMED, showtime=upcoming)
        .order_by("pk")
        .first()
    )
    hall, movie = Hall.objects.order_by("pk").first(), Movie.objects.order_by("pk").first()
    customer = User.objects.get(username="customer")
    pages = {
        "dashboard": "/admin/",
        "reports": "/admin/reports/",
        "reports-filtered": f"/admin/reports/?movie={movie.pk}&hall={hall.pk}",
        "reports-invalid": "/admin/reports/?from=2030-03-12&to=2030-03-10",
        "showtimes": "/admin/cinema/showtime/",
        "showtimes-past": "/admin/cinema/showtime/?day=past",
        "showtime-add": "/admin/cinema/showtime/add/",
        "showtime-upcoming": f"/admin/cinema/showtime/{upcoming.pk}/change/",
        "showtime-played": f"/admin/cinema/showtime/{played.pk}/change/",
        "showtime-delete-refused": f"/admin/cinema/showtime/{upcoming.pk}/delete/",
        "halls": "/admin/cinema/hall/",
        "hall": f"/admin/cinema/hall/{hall.pk}/change/",
        "hall-add": "/admin/cinema/hall/add/",
        "movies": "/admin/cinema/movie/",
        "movie": f"/admin/cinema/movie/{movie.pk}/change/",
        "movie-add": "/admin/cinema/movie/add/",
        "reservations": "/admin/bookings/reservation/",
        "reservations-upcoming": "/admin/bookings/reservation/?show=upcoming",
        "reservation": f"/admin/bookings/reservation/{reservation.pk}/change/",
        "reservation-cancel": f"/admin/bookings/reservation/{reservation.pk}/cancel/",
        "users": "/admin/users/user/",
        "user": f"/admin/users/user/{customer.pk}/change/",
        "user-add": "/admin/users/user/add/",
        "payments": "/admin/payments/payment/",
        "tickets": "/admin/tickets/ticket/",
        "emails": "/admin/notifications/outboxemail/",
    }
    return Demo(
        pages=pages,
        showtime_title=str(upcoming),
        showtime_utc=f"{upcoming.start_time.astimezone(dt.UTC):%Y-%m-%d %H:%M}",
        movie_title=movie.title,
        reservation_id=reservation.pk,
    )


def log_in(page, live_server, username=ADMIN[0], password=ADMIN[1]):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    page.locator("#site-name").wait_for()
    assert page.url == f"{live_server.url}/admin/"


def clean(page) -> list[str]:
    """What a person with the developer tools open would have noticed since the last
    call; then forget it."""
    noticed = [
        *(f"console: {text}" for text in page.console_errors),
        *(f"script: {text}" for text in page.script_errors),
        *(f"answer: {text}" for text in page.failed_responses),
        *(f"left the host: {url}" for url in page.outside_requests),
    ]
    for found in (
        page.console_errors,
        page.script_errors,
        page.failed_responses,
        page.outside_requests,
    ):
        found.clear()
    return noticed


def walk(page, live_server, pages: dict[str, str], checks: dict, prefix: str) -> list[str]:
    """Visit each page, run its extra check, and note every problem; a page with a
    problem is saved as test-artifacts/<prefix>-<name>.png."""
    problems = []
    for name, path in pages.items():
        try:
            with screenshot_on_failure(page, f"{prefix}-{name}"):
                response = page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("load")
                assert response.status < 400, f"{response.status} {response.url}"
                if name in checks:
                    checks[name](page)
                noticed = clean(page)
                assert noticed == [], noticed
        except AssertionError as error:
            problems.append(f"{name} ({path}): {error}")
            clean(page)
    return problems


def _fits(page) -> None:
    """The list's columns fit: no sideways scroll, with the menu open."""
    assert page.locator("#nav-sidebar").is_visible()
    widths = page.evaluate(
        "() => { const r = document.querySelector('#changelist .results');"
        " return [r.scrollWidth, r.clientWidth]; }"
    )
    assert widths[0] <= widths[1], f"the list scrolls sideways: {widths}"


def test_admin_pages_load_for_an_admin(demo, live_server, open_page):
    page = open_page(width=1440, height=900)
    log_in(page, live_server)

    def showtime_in_local_time(page):
        title = page.locator("#content h2").first.inner_text()
        assert title == demo.showtime_title
        assert demo.showtime_title in page.locator(".breadcrumbs").inner_text()
        assert demo.showtime_utc not in page.content()
        assert page.locator(".marquee-seat-map td.seat").count() > 100

    def refused_with_the_reason(page):
        assert page.url.endswith("/change/")
        assert "cannot be deleted: it has reservations" in page.locator(".messagelist").inner_text()

    def reports_with_dropdowns(page):
        assert page.locator("select#id_movie option").count() > 5
        assert page.locator("select#id_hall option").count() == 4
        assert page.locator("svg[data-chart]").count() == 2

    def reports_name_the_choice(page):
        assert page.locator("#report-subject").inner_text().startswith(demo.movie_title)

    def reports_error_only(page):
        assert page.locator("#report-errors").is_visible()
        assert page.locator("#id_from").input_value() == "2030-03-12"
        assert page.locator("svg[data-chart]").count() == 0

    checks = {
        "showtime-upcoming": showtime_in_local_time,
        "showtime-delete-refused": refused_with_the_reason,
        "showtimes": _fits,
        "reservations": _fits,
        "payments": _fits,
        "tickets": _fits,
        "emails": _fits,
        "reports": reports_with_dropdowns,
        "reports-filtered": reports_name_the_choice,
        "reports-invalid": reports_error_only,
        "reservation": lambda page: page.locator("#cancel-reservation").wait_for(),
    }
    problems = walk(page, live_server, demo.pages, checks, prefix="admin")

    assert problems == []


def test_the_schedule_fits_1280_px_with_the_menu_open(demo, live_server, open_page):
    """Sold and inside, the columns the door and the counter look at, stay on screen."""
    page = open_page(width=1280, height=900)
    with screenshot_on_failure(page, "admin-showtimes-1280"):
        log_in(page, live_server)
        page.goto(f"{live_server.url}/admin/cinema/showtime/")
        _fits(page)
        assert page.locator("td.field-sold").first.is_visible()
        box = page.locator("th.column-inside_count").bounding_box()
        assert box["x"] + box["width"] <= 1280
        assert clean(page) == []


def test_reports_are_one_click_from_the_dashboard(demo, live_server, open_page):
    page = open_page(width=1440, height=900)
    with screenshot_on_failure(page, "admin-reports-from-dashboard"):
        log_in(page, live_server)
        page.locator("#content-main").get_by_role("link", name="Occupancy and revenue").click()
        assert page.url == f"{live_server.url}/admin/reports/"
        # In the menu too, from any page.
        page.goto(f"{live_server.url}/admin/cinema/hall/")
        page.locator("#nav-sidebar").get_by_role("link", name="Occupancy and revenue").click()
        assert page.url == f"{live_server.url}/admin/reports/"

        page.locator("#id_movie").select_option(label=demo.movie_title)
        page.get_by_role("button", name="Show").click()
        page.locator("#report-subject").wait_for()
        assert page.locator("#report-subject").inner_text().startswith(demo.movie_title)
        assert clean(page) == []


def test_admin_adds_two_users(demo, live_server, open_page):
    page = open_page(width=1440, height=900)
    with screenshot_on_failure(page, "admin-add-two-users"):
        log_in(page, live_server)
        for username, role in (("boxoffice", "Admin"), ("martina", "Customer")):
            page.goto(f"{live_server.url}/admin/users/user/add/")
            page.fill("#id_username", username)
            page.fill("#id_email", f"{username}@cinema.example")
            page.locator("#id_role").select_option(label=role)
            page.fill("#id_password1", "Seat-Map-2048!")
            page.fill("#id_password2", "Seat-Map-2048!")
            page.get_by_role("button", name="Save", exact=True).click()
            message = page.locator(".messagelist .success").inner_text()
            assert f"The user “{username}” was added successfully." in message
            assert page.locator("#id_email").input_value() == f"{username}@cinema.example"
        page.goto(f"{live_server.url}/admin/users/user/?q=cinema.example")
        rows = page.locator("#result_list tbody tr").all_inner_texts()
        assert len(rows) == 2
        assert any("boxoffice" in row and "Admin" in row for row in rows)
        assert any("martina" in row and "Customer" in row for row in rows)
        assert clean(page) == []


def test_admin_cancels_a_reservation_from_its_page(demo, live_server, open_page):
    page = open_page(width=1440, height=900)
    with screenshot_on_failure(page, "admin-cancel-reservation"):
        log_in(page, live_server)
        page.goto(f"{live_server.url}{demo.pages['reservation']}")
        page.locator("#cancel-reservation").click()
        page.get_by_role("button", name="Yes, cancel it").click()
        assert "its seats are free again" in page.locator(".messagelist").inner_text()
        assert page.locator(".field-status .readonly").inner_text() == "Cancelled"
        assert page.locator("#cancel-reservation").count() == 0
        assert clean(page) == []


def test_admin_on_a_phone_in_the_dark(demo, live_server, open_page):
    """At 390 px, a wide seat map or report table scrolls inside its box; the page
    itself never scrolls sideways; the seat map's colours follow the dark theme."""
    page = open_page(width=390, height=844, color_scheme="dark")
    log_in(page, live_server)
    phone_pages = {
        name: demo.pages[name]
        for name in (
            "dashboard",
            "reports",
            "showtimes",
            "showtime-upcoming",
            "hall",
            "reservation",
            "user-add",
        )
    }

    def no_sideways_page(page):
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"

    def dark(page):
        no_sideways_page(page)
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(255, 255, 255)"

    def seat_map_in_the_dark(page):
        no_sideways_page(page)
        booked = page.locator('.marquee-seat-map td[data-status="booked"]').first
        red, green, blue = booked.evaluate(
            """cell => { const probe = document.createElement("canvas").getContext("2d");
                probe.fillStyle = getComputedStyle(cell).backgroundColor;
                probe.fillRect(0, 0, 1, 1);
                return [...probe.getImageData(0, 0, 1, 1).data].slice(0, 3); }"""
        )
        assert red > green and red > blue  # still red ...
        assert red < 128  # ... but a dark red under light text, not the light theme's pink
        scroller = page.locator(".marquee-seat-map .seat-map-scroll")
        widths = scroller.evaluate("box => [box.scrollWidth, box.clientWidth]")
        assert widths[0] > widths[1]  # the wide hall scrolls inside its box

    def charts_readable(page):
        no_sideways_page(page)
        # The day labels at their drawn size, not shrunk with the chart to a phone's width.
        heights = page.evaluate(
            "() => [...document.querySelectorAll('svg[data-chart] text')]"
            ".map(t => t.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 10, f"chart text {min(heights or [0]):.1f} px high"

    checks = dict.fromkeys(phone_pages, no_sideways_page)
    checks["dashboard"] = dark
    checks["reports"] = charts_readable
    checks["showtime-upcoming"] = seat_map_in_the_dark
    problems = walk(page, live_server, phone_pages, checks, prefix="admin-phone")

    assert problems == []
