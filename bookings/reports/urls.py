from django.urls import path

from bookings.reports import admin_views, views

# The staff reports page lives in the Django admin (/admin/reports/); the hook must be
# installed before config/urls.py reads admin.site.urls, which importing this module
# (included in api_patterns, above the admin route) guarantees.
admin_views.install_admin_urls()

urlpatterns = [
    path("admin/stats/", views.StatsView.as_view(), name="admin-stats"),
]
