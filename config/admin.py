"""The project's admin site: Django's, plus the staff reports page (/admin/reports/).

Set as the default site by ``config.apps.MarqueeAdminConfig`` (in INSTALLED_APPS in
place of ``django.contrib.admin``), so ``admin.site`` and ``@admin.register`` are this
site everywhere.
"""

from django.contrib import admin
from django.urls import path

from bookings.reports.admin_views import reports_view


class MarqueeAdminSite(admin.AdminSite):
    def get_urls(self):
        return [
            path("reports/", self.admin_view(self.reports), name="marquee-reports"),
            *super().get_urls(),
        ]

    def reports(self, request):
        """Occupancy and revenue per day, for staff only (``admin_view``)."""
        return reports_view(request, site=self)
