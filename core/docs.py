"""The pages people open in a browser outside the admin: the API docs (Swagger UI and
ReDoc, from our own static files) and the landing page at ``/``.

The docs promise to work offline, on a network that drops outside requests: every
script, style, font and image comes from this host. ReDoc's own page would load Google
Fonts and Redocly's logo from their CDN, so it gets a template of ours (system fonts,
our icon) and its bundle without the logo (``RedocBundleView``), and, like Swagger UI,
a Content-Security-Policy that lets the browser fetch from this host only: whatever a
future version of either tries to load elsewhere is refused by the browser instead of
holding up the page.
"""

import gzip
import hashlib
import threading
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from django.views.generic import RedirectView, TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.response import Response

DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        # drf-spectacular writes each page's settings in an inline script.
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        # ReDoc's search runs in a worker it builds from a blob.
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
    ]
)


class OfflineDocsMixin:
    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CSP
        return response


@method_decorator(gzip_page, name="dispatch")
class SchemaView(SpectacularAPIView):
    """``/api/schema/``: the OpenAPI document, built once per process in the cinema's
    language (a release's schema does not change while it runs; building it cost a
    worker 80-400 ms on every request, rendering it costs 10), and sent gzip-compressed
    to clients that accept it (27 KB instead of 400 KB as JSON: Swagger UI and ReDoc
    show their first heading sooner)."""

    _built: dict = {}
    _building = threading.Lock()

    @classmethod
    def forget(cls) -> None:
        """Build it again on the next request (tests that change what it is made of)."""
        cls._built.clear()

    def _get_version_parameter(self, request):
        # The API has one version: a client's ``?version=`` neither builds another
        # schema (each would be kept) nor reaches the Content-Disposition header.
        return None

    def _get_schema_response(self, request):
        version = self.api_version or request.version
        generator = self.generator_class(
            urlconf=self.urlconf, api_version=version, patterns=self.patterns
        )
        if translation.get_language() != settings.LANGUAGE_CODE:
            # Another ``?lang=``: built for this request and not kept, so no query
            # string makes a process keep one more schema.
            schema = generator.get_schema(request=request, public=self.serve_public)
        else:
            schema = self._built.get(version)
            if schema is None:
                with self._building:
                    schema = self._built.get(version)
                    if schema is None:
                        schema = self._built[version] = generator.get_schema(
                            request=request, public=self.serve_public
                        )
        filename = self._get_filename(request, version)
        return Response(
            data=schema, headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )


class SwaggerView(OfflineDocsMixin, SpectacularSwaggerView):
    pass


class RedocView(OfflineDocsMixin, SpectacularRedocView):
    template_name = "docs/redoc.html"

    @staticmethod
    def _redoc_standalone():
        return f"{reverse('redoc-bundle')}?v={redoc_bundle().version}"


# The one image ReDoc's bundle fetches from elsewhere, in its "API docs by Redocly" link
# at the foot of the menu. A ``data:`` URL that is no image makes the link drop the
# image (its error handler hides it) without a request or a console error; the
# Content-Security-Policy refused the CDN's, and the browser logged it on every load.
REDOCLY_LOGO = b'"https://cdn.redoc.ly/redoc/logo-mini.svg"'
NO_IMAGE = b'"data:,"'


class RedocBundle:
    """The sidecar's ReDoc bundle with the logo taken out, plain and gzipped (1.1 MB,
    330 KB), with a version for its URL: the page asks for it again only when a release
    brings another ReDoc."""

    def __init__(self, source: bytes):
        self.plain = source.replace(REDOCLY_LOGO, NO_IMAGE)
        self.gzipped = gzip.compress(self.plain, compresslevel=6, mtime=0)
        self.version = hashlib.sha256(self.plain).hexdigest()[:12]


@cache
def redoc_bundle() -> RedocBundle:
    """Read and rewritten once per process: a release's ReDoc does not change while it
    runs."""
    with open(finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"), "rb") as f:
        return RedocBundle(f.read())


def redoc_bundle_view(request):
    """``/api/redoc/redoc.standalone.js``: ReDoc's script for the ReDoc page, gzipped
    for a browser that accepts it, kept by the browser for a year (its URL names its
    version)."""
    bundle = redoc_bundle()
    accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
    response = HttpResponse(
        bundle.gzipped if accepts_gzip else bundle.plain,
        content_type="application/javascript; charset=utf-8",
    )
    if accepts_gzip:
        response["Content-Encoding"] = "gzip"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


class LandingView(TemplateView):
    """``/``: what this server is, and the way to its docs, its admin and its health
    check."""

    template_name = "marquee/landing.html"


class FaviconView(RedirectView):
    """``/favicon.ico``, which browsers ask for on pages that name no icon (the API's
    JSON in a tab): our icon, from the static files."""

    permanent = False

    def get_redirect_url(self, *args, **kwargs):
        return static("marquee/favicon.svg")
