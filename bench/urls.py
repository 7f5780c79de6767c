"""The bench's URL module: the whole API plus a ceiling route.

Mounted only by the bench server (ROOT_URLCONF=bench.urls), never in production. The
ceiling view is the fastest thing this stack can answer - the same gunicorn, WSGI
handler and middleware, but no DRF, no authentication and no database - so every other
figure is reported as a fraction of it, measured in the same run.
"""

from django.http import JsonResponse
from django.urls import include, path

# The API's JSON error pages (404/500 under /api/) come from the root URL module.
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401


def ceiling(request):
    return JsonResponse({"status": "ok", "service": "marquee"})


urlpatterns = [
    path("bench/ceiling/", ceiling, name="bench-ceiling"),
    path("", include("config.urls")),
]
