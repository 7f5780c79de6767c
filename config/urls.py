from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from core.docs import (
    FaviconView,
    LandingView,
    RedocView,
    SchemaView,
    SwaggerView,
    redoc_bundle_view,
)
from core.views import HealthView, outside_api
from tickets import door
from users.admin import admin_login

api_patterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("redoc/redoc.standalone.js", redoc_bundle_view, name="redoc-bundle"),
    path("", include("users.urls")),
    path("", include("cinema.urls")),
    # Bookings before the rest: a URL is resolved by trying the patterns in order, and
    # the booking is the hot path.
    path("", include("bookings.urls")),
    path("", include("waitingroom.urls")),
    path("", include("pricing.urls")),
    path("", include("reports.urls")),
    path("", include("tickets.urls")),
    path("", include("payments.urls")),
    path("", include("boxoffice.urls")),
    path("", include("audit.urls")),
    path("", include("live.urls")),
]

urlpatterns = [
    path("", LandingView.as_view(), name="landing"),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    # Before the admin's own routes: its login page, with the API's login throttles.
    path("admin/login/", admin_login, name="admin-login-throttled"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # The door screen for ushers (tickets/door.py), signed in with the admin's session.
    path("door/", door.door_page, name="door"),
    path("door/<int:showtime_id>/scan/", door.door_scan, name="door-scan"),
    path("swagger/", RedirectView.as_view(url="/api/docs/", permanent=False)),
    # Last: a JSON 404 naming the /api/ prefix for any other path. The admin, swagger,
    # door and api without their slash still reach CommonMiddleware's redirect to it.
    re_path(
        r"^(?!admin(?:/|$)|door(?:/|$)|swagger$|api(?:/|$)|static/)",
        outside_api,
        name="outside-api",
    ),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
