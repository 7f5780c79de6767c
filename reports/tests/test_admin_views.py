import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from bookings import services as booking_services
from bookings.models import ReservationStatus
from bookings.tests.factories import reserve, seats_of
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from config.admin import MarqueeAdminSite
from pricing.models import DiscountKind
from pricing.tests.factories import VoucherFactory, family_prices
from reports.admin_views import nice_axis
from reports.tests.test_stats import local
from users.tests.factories import UserFactory

REPORTS = "/admin/reports/"


@pytest.fixture
def staff_browser(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_reports_page_draws_svg_charts_per_day(staff_browser, customer, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    show = ShowtimeFactory(start_time=local(2030, 3, 11, 20))
    reserve(customer, show, seats_of(show)[:3], ReservationStatus.CONFIRMED)

    response = staff_browser.get(REPORTS, {"from": "2030-03-10", "to": "2030-03-12"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-chart=") == 2
    revenue_bars = re.findall(r'<rect class="bar-revenue" data-day="([\d-]+)"', html)
    assert revenue_bars == ["2030-03-11"]
    # The days around it had no showtimes: drawn as such, not as days that sold nothing.
    days_off = re.findall(r'<rect class="no-shows" data-day="([\d-]+)"', html)
    assert days_off == ["2030-03-10", "2030-03-12"] * 2  # both charts
    assert "Sun 10 Mar 2030: no showtimes" in html
    assert "Mon 11 Mar 2030: €30.00, 1 showtime" in html
    # 3 of 12 seats sold on the 11th.
    assert "Mon 11 Mar 2030: 25%, 1 showtime" in html
    # Nothing is fetched from elsewhere: no script, no outside URL.
    assert '<script src="http' not in html
    assert "cdn" not in html.lower()


def test_reports_page_bad_dates_show_errors(staff_browser):
    response = staff_browser.get(REPORTS, {"from": "2030-03-12", "to": "2030-03-10"})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_reports_page_is_staff_only(customer, db):
    anonymous = Client().get(REPORTS)
    client = Client()
    client.force_login(customer)
    as_customer = client.get(REPORTS)

    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]
    assert as_customer.status_code == 302
    assert "/admin/login/" in as_customer["Location"]


def test_reports_page_comes_from_the_project_admin_site():
    assert isinstance(admin.site, MarqueeAdminSite)
    # A subclass, not a patched instance: Django's own AdminSite is left as it is.
    assert "get_urls" not in vars(admin.site)
    assert "marquee-reports" not in {url.name for url in admin.AdminSite().get_urls()}
    assert reverse("admin:marquee-reports") == REPORTS


# --- reachable, filters as dropdowns, readable charts ----------------------------------


def test_reports_are_linked_from_the_dashboard_and_the_menu(staff_browser):
    dashboard = staff_browser.get("/admin/").content.decode()
    other_page = staff_browser.get("/admin/cinema/movie/").content.decode()

    for html in (dashboard, other_page):
        assert f'<a href="{REPORTS}"' in html
        assert "Occupancy and revenue" in html


def test_reports_filters_are_dropdowns_and_the_heading_names_the_choice(staff_browser):
    movie = MovieFactory(title="Paper Tigers")
    MovieFactory(title="Undertow")
    hall = HallFactory(name="Grand")

    everything = staff_browser.get(REPORTS).content.decode()
    chosen = staff_browser.get(REPORTS, {"movie": movie.pk, "hall": hall.pk}).content.decode()

    assert '<select id="id_movie" name="movie">' in everything
    assert '<select id="id_hall" name="hall">' in everything
    assert '<option value="">All movies</option>' in everything
    assert f'<option value="{movie.pk}">Paper Tigers</option>' in everything
    assert "All movies, all halls:" in everything
    assert f'<option value="{movie.pk}" selected>Paper Tigers</option>' in chosen
    assert f'<option value="{hall.pk}" selected>Grand</option>' in chosen
    assert '<h2 id="report-subject">Paper Tigers in Grand:' in chosen


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (13071.50, [0, 5000, 10000, 15000]),
        (9803.62, [0, 5000, 10000]),
        (10, [0, 5, 10]),
        (0.3, [0, 0.5, 1]),
        (100, [0, 50, 100]),
    ],
)
def test_chart_ticks_are_round_numbers(top, ticks):
    assert nice_axis(top) == ticks


def test_reports_charts_have_currency_ticks_and_axis_titles(staff_browser, customer, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.CURRENCY = "EUR"
    show = ShowtimeFactory(start_time=local(2030, 3, 11, 20))
    reserve(customer, show, seats_of(show)[:3], ReservationStatus.CONFIRMED)

    html = staff_browser.get(REPORTS, {"from": "2030-03-10", "to": "2030-03-12"}).content.decode()

    ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', html)
    assert ticks[:4] == ["€0", "€10", "€20", "€30"]  # 30.00 of revenue
    assert ticks[-5:] == ["0%", "25%", "50%", "75%", "100%"]
    assert ">Revenue (EUR)</text>" in html
    assert ">Seats sold (%)</text>" in html
    assert html.count(">Day (Europe/Berlin)</text>") == 2
    assert '<td class="num">€30.00</td>' in html


def test_reports_per_movie_table_has_occupancy_in_right_aligned_numbers(staff_browser, customer):
    show = ShowtimeFactory(start_time=local(2030, 3, 11, 20))
    reserve(customer, show, seats_of(show)[:3], ReservationStatus.CONFIRMED)

    html = staff_browser.get(REPORTS, {"from": "2030-03-10", "to": "2030-03-12"}).content.decode()

    table = html[html.index('<table id="per-movie">') :]
    table = table[: table.index("</table>")]
    assert '<th class="num">Occupancy</th>' in table
    row = re.search(r"<tbody><tr>(.*?)</tr>", table, re.S).group(1)
    cells = re.findall(r"<td( class=\"num\")?>([^<]*)</td>", row)
    assert cells[0] == ("", show.movie.title)
    assert all(css for css, _ in cells[1:])  # every figure right-aligned
    assert cells[-1][1] == "25%"  # 3 of 12 seats


def test_reports_invalid_range_keeps_the_inputs_and_shows_only_the_error(staff_browser):
    movie = MovieFactory()
    response = staff_browser.get(
        REPORTS, {"from": "2030-03-12", "to": "2030-03-10", "movie": movie.pk}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="from" value="2030-03-12"' in html
    assert 'name="to" value="2030-03-10"' in html
    assert f'<option value="{movie.pk}" selected>' in html
    assert "To: Must not be before &#x27;from&#x27;." in html
    assert "data-chart" not in html and 'id="totals"' not in html


def test_reports_unknown_movie_is_an_error_not_an_empty_report(staff_browser):
    html = staff_browser.get(REPORTS, {"movie": 999999}).content.decode()
    assert "Movie: choose a movie from the list." in html
    assert "data-chart" not in html


def test_reports_tell_a_day_without_showtimes_from_a_day_that_sold_nothing(staff_browser):
    ShowtimeFactory(start_time=local(2030, 3, 11, 20))  # nothing sold

    html = staff_browser.get(REPORTS, {"from": "2030-03-10", "to": "2030-03-11"}).content.decode()

    sold_nothing = re.search(
        r'<rect class="bar-revenue" data-day="2030-03-11"[^>]*height="([\d.]+)"><title>([^<]*)<',
        html,
    )
    assert sold_nothing.group(2) == "Mon 11 Mar 2030: €0.00, 1 showtime"
    assert float(sold_nothing.group(1)) > 0  # a flat bar on the axis, visible
    assert '<rect class="no-shows" data-day="2030-03-10"' in html
    assert "no showtimes that day" in html  # in the legend


def test_reports_page_shows_discounts_per_ticket_type_and_voucher(staff_browser):
    family_prices()
    VoucherFactory(code="FAMILY15", kind=DiscountKind.PERCENT, value=Decimal("15"))
    show = ShowtimeFactory(start_time=local(2030, 3, 14, 18), price=Decimal("12.00"))
    seats = [seat.pk for seat in seats_of(show)][:4]
    booking_services.reservation_create(
        user=UserFactory(),
        showtime_id=show.pk,
        seat_ids=seats,
        choices=[booking_services.SeatChoice(seats[3], "child")],
        voucher="FAMILY15",
        now=local(2030, 3, 1, 12),
    )

    html = staff_browser.get(REPORTS, {"from": "2030-03-14", "to": "2030-03-14"}).content.decode()

    per_type = html[html.index('id="per-ticket-type"') :]
    assert re.search(
        r"<td>Child</td><td class=\"num\">1</td><td class=\"num\">€6\.38</td>", per_type
    )
    per_voucher = html[html.index('id="per-voucher"') :]
    assert "<td>FAMILY15</td>" in per_voucher
    assert "€6.52" in per_voucher  # 3 x 1.80 + 1.12 off
