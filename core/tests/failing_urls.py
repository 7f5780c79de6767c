"""URLs for the server-error tests: the real API plus two views that fail."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns


def django_boom(request):
    raise RuntimeError("secret-internal-detail")


class DrfBoom(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret-internal-detail")


urlpatterns = [
    path("api/boom/django/", django_boom),
    path("api/boom/drf/", DrfBoom.as_view()),
    *project_urlpatterns,
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
