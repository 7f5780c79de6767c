from django.urls import path

from reports import views

# The staff reports page in the admin (/admin/reports/) is served by the project's admin
# site, config/admin.py.
urlpatterns = [
    path("admin/stats/", views.StatsView.as_view(), name="admin-stats"),
    path("admin/exports/sales.csv", views.SalesExportView.as_view(), name="admin-export-sales"),
    path(
        "admin/exports/payments.csv",
        views.PaymentsExportView.as_view(),
        name="admin-export-payments",
    ),
    path("admin/exports/shifts.csv", views.ShiftsExportView.as_view(), name="admin-export-shifts"),
]
