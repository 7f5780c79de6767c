import datetime as dt
import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings.models import ReservationStatus
from bookings.reports.admin_views import showtime_seat_map_html
from bookings.reports.tests.test_stats import local, reserve, seats_of
from cinema.tests.factories import HallFactory, ShowtimeFactory
from config.admin import MarqueeAdminSite

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
    assert revenue_bars == ["2030-03-10", "2030-03-11", "2030-03-12"]
    assert "2030-03-11: 30.00" in html
    # 3 of 12 seats sold on the 11th.
    assert "2030-03-11: 25%" in html
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


def test_seat_map_colours_seats_by_status(customer, other_customer):
    hall = HallFactory(layout={"rows": 2, "seats_per_row": 3, "vip_rows": ["B"]})
    show = ShowtimeFactory(hall=hall)
    a1, a2, a3, b1, _b2, _b3 = seats_of(show)
    reserve(customer, show, [a1], ReservationStatus.CONFIRMED)
    reserve(other_customer, show, [b1], ReservationStatus.HELD)
    expired = reserve(other_customer, show, [a2], ReservationStatus.HELD)
    expired.seats.update(hold_expires_at=timezone.now() - dt.timedelta(minutes=1))
    reserve(customer, show, [a3], ReservationStatus.CANCELLED)

    html = showtime_seat_map_html(show)

    statuses = dict(re.findall(r'data-seat="(\w+)" data-status="(\w+)"', html))
    assert statuses == {
        "A1": "booked",
        "A2": "available",
        "A3": "available",
        "B1": "held",
        "B2": "available",
        "B3": "available",
    }
    vip = re.findall(r'class="seat seat-\w+ seat-vip" data-seat="(\w+)"', html)
    assert vip == ["B1", "B2", "B3"]
    assert "booked: 1" in html and "held: 1" in html and "available: 4" in html


def test_seat_map_of_unsaved_showtime_is_empty(db):
    assert showtime_seat_map_html(None) == ""


def test_reports_page_comes_from_the_project_admin_site():
    assert isinstance(admin.site, MarqueeAdminSite)
    # A subclass, not a patched instance: Django's own AdminSite is left as it is.
    assert "get_urls" not in vars(admin.site)
    assert "marquee-reports" not in {url.name for url in admin.AdminSite().get_urls()}
    assert reverse("admin:marquee-reports") == REPORTS
