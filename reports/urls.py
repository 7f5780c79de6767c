from django.urls import path

from reports import views

# The staff reports page in the admin (/admin/reports/) is served by the project's admin
# site, config/admin.py.
urlpatterns = [
    path("admin/stats/", views.StatsView.as_view(), name="admin-stats"),
]
