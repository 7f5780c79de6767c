"""The project's admin site: branded Marquee (login page included), the reports in its
dashboard and menu, and none of the tables that mean nothing to a cinema's staff."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

pytestmark = pytest.mark.django_db


def test_login_page_is_branded_marquee():
    html = Client().get("/admin/login/").content.decode()
    assert '<div id="site-name"><a href="/admin/">Marquee</a></div>' in html
    assert "<title>Log in | Marquee admin</title>" in html
    assert "Django administration" not in html and "Django site admin" not in html
    assert 'rel="icon" href="/static/marquee/favicon.svg"' in html


def test_dashboard_is_branded_and_lists_the_reports(staff_client):
    html = staff_client.get("/admin/").content.decode()
    assert "<title>Cinema administration | Marquee admin</title>" in html
    assert '<a href="/admin/reports/">Occupancy and revenue</a>' in html
    assert "Django administration" not in html


@pytest.mark.parametrize("model", [Group, OutstandingToken, BlacklistedToken])
def test_tables_without_meaning_here_are_not_in_the_admin(staff_client, model):
    assert not admin.site.is_registered(model)
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert staff_client.get(url).status_code == 404
    assert url not in staff_client.get("/admin/").content.decode()


def test_reports_entry_is_only_in_the_full_app_list(staff_client):
    # An app's own index (/admin/cinema/) lists that app alone.
    html = staff_client.get("/admin/cinema/").content.decode()
    assert "Occupancy and revenue" not in html.split('id="content-main"')[1]
