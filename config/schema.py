"""Shared OpenAPI pieces: the error shapes every endpoint can answer with.

Use ``error_responses(400, 401, 404)`` in ``@extend_schema(responses={200: X,
**error_responses(...)})`` so the schema names each error a client may see.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """A non-field error: ``{"detail": "...", "code": "..."}``."""

    detail = serializers.CharField()
    code = serializers.CharField()


_DESCRIPTIONS = {
    400: "Invalid input: field errors `{field: [messages]}` or `{detail, code}`.",
    401: "No valid access token.",
    403: "Your role may not do this.",
    404: "Not found (or not yours).",
    409: "Conflicts with the current state.",
    429: "Too many requests; see the Retry-After header.",
    503: "Busy; try again after Retry-After seconds.",
}


def error_responses(*statuses: int) -> dict:
    responses = {}
    for status in statuses:
        # A 400 may carry field errors, whose keys depend on the request.
        schema = OpenApiTypes.OBJECT if status == 400 else ErrorSerializer
        responses[status] = OpenApiResponse(schema, description=_DESCRIPTIONS[status])
    return responses
