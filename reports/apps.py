from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The staff reports (``GET /api/admin/stats/`` and the admin's /admin/reports/):
    revenue, tickets, attendance, occupancy and money. At the top of the layers, it reads
    the selectors of the apps below it (bookings, tickets, payments) and nothing imports
    it but the project's configuration (config/urls.py, config/admin.py)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
