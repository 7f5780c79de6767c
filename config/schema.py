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


_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ANY_OBJECT = {"type": "object", "additionalProperties": True}
# Endpoints with login/register throttles.
_THROTTLED_PATHS = {"/api/auth/login/", "/api/login/", "/api/auth/register/", "/api/signup/"}


def _response(status: int, schema: dict) -> dict:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": schema}},
    }


def document_common_errors(result, generator, request, public):
    """Postprocessing hook: give every operation the error responses the framework
    itself can produce, so each view only documents its own domain errors.

    - 400 where the operation takes a body or query parameters;
    - 401 where it accepts a token (a bad token is 401 even on public reads);
    - 403 where a token is required (a role may be refused);
    - 404 where the path names an object, or a page number may run past the end;
    - 429 on the throttled login and register endpoints.
    Responses a view documented itself are left as they are.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
            "required": ["detail", "code"],
        },
    )
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            security = operation.get("security", [])
            parameters = operation.get("parameters", [])
            has_query = any(p.get("in") == "query" for p in parameters)
            has_path = any(p.get("in") == "path" for p in parameters)
            if "requestBody" in operation or has_query:
                responses.setdefault("400", _response(400, _ANY_OBJECT))
            if any(requirement for requirement in security):
                responses.setdefault("401", _response(401, _ERROR_REF))
            if security and {} not in security:
                responses.setdefault("403", _response(403, _ERROR_REF))
            if has_path or any(p.get("name") == "page" for p in parameters):
                responses.setdefault("404", _response(404, _ERROR_REF))
            if path in _THROTTLED_PATHS:
                responses.setdefault("429", _response(429, _ERROR_REF))
    return result
