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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the services write (tickets, outbox emails): staff read them, and
    change them only through an action that calls a service."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
