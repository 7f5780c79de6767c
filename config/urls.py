from importlib import import_module

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


def _routes(app: str) -> list:
    """An app's API routes (``<app>/urls.py``, which names no namespace)."""
    return import_module(f"{app}.urls").urlpatterns


api_patterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("redoc/redoc.standalone.js", redoc_bundle_view, name="redoc-bundle"),
    # Each app's routes in one flat list rather than an include() each: Django resolves
    # a URL by trying the patterns in order, and an include that does not match raises
    # and lists every route it tried, which cost each booking about as much as the rest
    # of the URL's resolution. The bookings' routes come before the rest: the hot path.
    *_routes("bookings"),
    *_routes("users"),
    *_routes("cinema"),
    *_routes("waitingroom"),
    *_routes("pricing"),
    *_routes("reports"),
    *_routes("tickets"),
    *_routes("payments"),
    *_routes("boxoffice"),
    *_routes("audit"),
    *_routes("live"),
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
