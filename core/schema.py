"""The OpenAPI contract's shared pieces: typed errors, and the completion of every
operation with the errors the framework itself can answer.

How a view documents its errors
-------------------------------
Name the domain errors (``core/errors.py`` subclasses) an operation may raise, by
class, beside its success response::

    from core.schema import domain_errors

    @extend_schema(
        responses={
            201: ReservationSerializer,
            **domain_errors(NoSeatsChosen, InvalidSeats, SeatsUnavailable, HoldExpired),
        },
    )

That is all a view writes. Each class is documented under the status of its kind (400
InvalidRequest, 403 Forbidden, 404 NotFound, 409 Conflict, 422 Unprocessable, 503
Unavailable: ``core/exceptions.py``), with its ``code``, its default ``detail`` and the
extra body fields it declares with their types in ``fields``
(``fields = {"seats": list[TakenSeat]}``; a TypedDict becomes a component of its own
name; a field only some answers carry is ``NotRequired[...]``). Errors that are not domain errors (simplejwt's login refusal, say) are declared
the same way as ``ApiError(status, code, detail)``.

For each operation and status, ``MarqueeAutoSchema`` (the project's schema class)
then builds one component ``<OperationId><Reason>Error`` (e.g.
``ReservationsCreateConflictError``): ``detail``, ``code`` as an enum of exactly that
operation's codes, and the typed extra fields. A status whose codes are the same on every
operation shares one component instead (``AuthenticationError``, ``NotFoundError``,
``ThrottledError``, ``UnavailableError``, ``ServiceUnavailableError``,
``RequestTooLargeError``, ``PermissionDeniedError``, ``MalformedRequestError``).

What the framework adds by itself, so that views never repeat it:

- 400: ``FieldErrors`` (DRF's ``{field: [messages]}``) where the operation takes a body
  or query parameters, and ``parse_error`` / ``json_too_deep`` where it takes a JSON
  body (and 415 ``unsupported_media_type`` there); a 400 that can be both is
  ``oneOf: [<the domain error>, FieldErrors]``;
- 401 where a token is required (``AuthenticationError``: simplejwt's codes and its
  ``messages``); public operations get ``security: []`` and no 401, because their views
  ignore a bad token on reads (``users.authentication.PublicReadsMixin``);
- 403 ``permission_denied`` where the view's permissions can refuse a signed-in
  customer (an ADMIN-only operation);
- 404 ``not_found`` where the path names an object or the list is paginated;
- 429 ``throttled`` where the view has throttles;
- 503 ``database_unavailable`` everywhere, and ``busy`` on every write (a lock wait that
  ran out), each with its ``Retry-After`` header;
- what the proxy in front answers itself (deploy/nginx/marquee.conf), as JSON in the
  same shape: 503 ``service_unavailable`` everywhere (no app node answered in time) and
  413 ``request_too_large`` where the operation takes a body.

An app whose receiver of another app's signal raises errors inside that app's operation
adds them from its ``AppConfig.ready`` with ``operation_errors("<operationId>",
SomeError)`` (payments adds ``payment_required`` to the confirm operation), so the owner
need not import it.

An operation that truly needs the cache (throttles fail open, so none does yet) declares
``CacheUnavailableError`` (503 ``cache_unavailable``) like any domain error.

``error_responses(400, 409)`` (the older helper) still works: it declares statuses
without naming codes; a status left without any code is documented with ``Error``.
"""

import dataclasses
import datetime as dt
import decimal
import json
import typing
from collections.abc import Mapping
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

from drf_spectacular.drainage import get_override
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, resolve_type_hint
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from core.errors import DatabaseUnavailable, DomainError, ServiceBusy
from core.exceptions import status_of


class ErrorSerializer(serializers.Serializer):
    """A non-field error: ``{"detail": "...", "code": "..."}`` (the component ``Error``, for
    a status whose codes are not declared)."""

    detail = serializers.CharField()
    code = serializers.CharField()


@dataclasses.dataclass(frozen=True)
class ApiError:
    """An error an operation may answer that is not a domain error class: the
    framework's own (``not_found``, ``throttled``...) or a library's (simplejwt's)."""

    status: int
    code: str
    detail: str
    fields: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, error: "ApiError | type[DomainError]") -> "ApiError":
        if isinstance(error, ApiError):
            return error
        if isinstance(error, type) and issubclass(error, DomainError):
            return cls(status_of(error), error.code, error.detail, dict(error.fields))
        raise TypeError(f"not an error class or ApiError: {error!r}")


class TokenMessage(typing.TypedDict):
    """Why simplejwt refused a token, per kind of token it tried."""

    token_class: str
    token_type: str
    message: str


# --- the framework's errors -------------------------------------------------------------
PARSE_ERROR = ApiError(400, "parse_error", "The body is not valid JSON.")
JSON_TOO_DEEP = ApiError(400, "json_too_deep", "The JSON body is nested too deep.")
UNSUPPORTED_MEDIA_TYPE = ApiError(
    415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."
)
AUTHENTICATION_ERRORS = (
    ApiError(401, "not_authenticated", "Authentication credentials were not provided."),
    ApiError(401, "authentication_failed", "Incorrect authentication credentials."),
    ApiError(401, "bad_authorization_header", "The Authorization header is malformed."),
    ApiError(
        401,
        "token_not_valid",
        "Given token not valid for any token type.",
        {"messages": typing.NotRequired[list[TokenMessage]]},
    ),
    ApiError(401, "user_not_found", "User not found."),
    ApiError(401, "user_inactive", "User is inactive."),
    ApiError(401, "password_changed", "The user's password has been changed."),
)
PERMISSION_DENIED = ApiError(403, "permission_denied", "Your role may not do this.")
NOT_FOUND = ApiError(404, "not_found", "Not found (or not yours).")
THROTTLED = ApiError(429, "throttled", "Request was throttled; see Retry-After.")
DATABASE_UNAVAILABLE = ApiError.of(DatabaseUnavailable)
BUSY = ApiError.of(ServiceBusy)
# Answered by the proxy in front (deploy/nginx/marquee.conf), never by the app: no app
# node answered in time, or the body is over client_max_body_size.
PROXY_UNAVAILABLE = ApiError(
    503, "service_unavailable", "No app node answered in time (the proxy in front says so)."
)
REQUEST_TOO_LARGE = ApiError(
    413, "request_too_large", "The request body is too large (the proxy in front refuses it)."
)

# Components shared by every operation whose codes for a status are exactly these.
_SHARED = {
    (401, frozenset(e.code for e in AUTHENTICATION_ERRORS)): "AuthenticationError",
    (403, frozenset({PERMISSION_DENIED.code})): "PermissionDeniedError",
    (404, frozenset({NOT_FOUND.code})): "NotFoundError",
    (429, frozenset({THROTTLED.code})): "ThrottledError",
    (503, frozenset({DATABASE_UNAVAILABLE.code, PROXY_UNAVAILABLE.code})): "UnavailableError",
    (503, frozenset({DATABASE_UNAVAILABLE.code, PROXY_UNAVAILABLE.code, BUSY.code})): (
        "ServiceUnavailableError"
    ),
    (413, frozenset({REQUEST_TOO_LARGE.code})): "RequestTooLargeError",
    (400, frozenset({PARSE_ERROR.code, JSON_TOO_DEEP.code})): "MalformedRequestError",
    (415, frozenset({UNSUPPORTED_MEDIA_TYPE.code})): "UnsupportedMediaTypeError",
}
_REASONS = {
    400: ("BadRequest", "Invalid request."),
    401: ("Unauthorized", "No valid access token."),
    403: ("Forbidden", "Not allowed for you."),
    404: ("NotFound", "Not found (or not yours)."),
    409: ("Conflict", "Conflicts with the current state."),
    413: ("RequestTooLarge", "The request body is too large."),
    415: ("UnsupportedMediaType", "The body is not JSON."),
    422: ("Unprocessable", "Well-formed, but cannot be processed."),
    429: ("Throttled", "Too many requests; try again after Retry-After seconds."),
    503: ("Unavailable", "Unavailable for a moment; try again after Retry-After seconds."),
}
_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds to wait before trying again.",
    }
}
_MARKER = "x-marquee-errors"
_STATUSES_MARKER = "x-marquee-statuses"

FIELD_ERRORS = {
    "type": "object",
    "description": "Field errors: each refused field with its messages, "
    '`{"seats": ["This field is required."]}`. The items of a list and the fields of '
    'a nested object nest the same way (`{"seats": {"0": ["A valid integer is '
    'required."]}}`); errors of the body as a whole are under `non_field_errors`.',
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": {}},
        ]
    },
}
# --- conditional GETs (core/conditional.py) -------------------------------------------
POLL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        str,
        OpenApiParameter.HEADER,
        description="The `ETag` of the answer you have: 304 with no body while it is "
        "still current.",
    ),
    OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="Changes exactly when the answer does.",
    ),
    OpenApiParameter(
        "Cache-Control",
        str,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="`max-age=N`: reuse the answer for N seconds (POLL_MAX_AGE_SECONDS), "
        "then ask again with If-None-Match.",
    ),
]
NOT_MODIFIED = OpenApiResponse(description="Unchanged since the ETag you sent; no body.")


# --- what views call --------------------------------------------------------------------
def domain_errors(*errors: "ApiError | type[DomainError]") -> dict[int, OpenApiResponse]:
    """``responses`` entries for these errors, grouped by status (see the module's
    docstring)."""
    grouped: dict[int, list[ApiError]] = {}
    for error in errors:
        spec = ApiError.of(error)
        grouped.setdefault(spec.status, []).append(spec)
    return {
        status: OpenApiResponse({_MARKER: tuple(specs)}, description=_REASONS[status][1])
        for status, specs in grouped.items()
    }


# Errors other apps add to operations they do not own (``operation_errors``).
_ADDED: dict[str, list[ApiError]] = {}


def operation_errors(operation_id: str, *errors: "ApiError | type[DomainError]") -> None:
    """Add errors to an operation of another app, from the app whose receiver raises them
    there (in its ``AppConfig.ready``), so that the owner need not import it: payments
    adds ``payment_required`` to ``reservations_confirm_create``."""
    _ADDED.setdefault(operation_id, []).extend(ApiError.of(error) for error in errors)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Declare statuses without naming their codes (the framework's codes are filled
    in; a status left without any is documented with the generic ``Error``). Prefer
    ``domain_errors``."""
    return {
        status: OpenApiResponse({_STATUSES_MARKER: True}, description=_REASONS[status][1])
        for status in statuses
    }


# --- types of extra fields --------------------------------------------------------------
_SCALARS = {
    int: {"type": "integer"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    float: {"type": "number"},
    decimal.Decimal: {"type": "string", "format": "decimal"},
    dt.datetime: {"type": "string", "format": "date-time"},
    dt.date: {"type": "string", "format": "date"},
}


def type_schema(hint, registry) -> dict:
    """The schema of an extra field's type; a TypedDict is registered as a component
    named after it."""
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    if is_typeddict(hint):
        hints = get_type_hints(hint)
        component = ResolvedComponent(
            name=hint.__name__,
            type=ResolvedComponent.SCHEMA,
            object=hint,
            schema={
                "type": "object",
                **({"description": hint.__doc__.strip()} if hint.__doc__ else {}),
                "properties": {name: type_schema(t, registry) for name, t in hints.items()},
                "required": sorted(hint.__required_keys__),
            },
        )
        registry.register_on_missing(component)
        return component.ref
    if get_origin(hint) is list:
        (item,) = get_args(hint)
        return {"type": "array", "items": type_schema(item, registry)}
    return resolve_type_hint(hint)


def _camel(operation_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in operation_id.split("_"))


# --- the schema class -------------------------------------------------------------------
class MarqueeAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, completing each operation's error responses (see the
    module's docstring) and marking public operations ``security: []``."""

    # A field whose schema is given whole (``@extend_schema_field({...})``) is documented
    # as given: drf-spectacular would otherwise add its own validation keywords to it
    # (minLength 1 over the password policy's 8; a uri format and an "or empty" branch
    # over poster_url's single pattern).
    _OWN_KEYWORDS = frozenset({"minLength", "maxLength", "pattern", "format"})

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if isinstance(get_override(field, "field"), dict):
            for keyword in self._OWN_KEYWORDS & meta.keys():
                del meta[keyword]
        return meta

    def _insert_field_validators(self, field, schema):
        if not isinstance(get_override(field, "field"), dict):
            super()._insert_field_validators(field, schema)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        if "security" not in operation:
            operation["security"] = []
        self._complete_errors(operation, registry)
        return operation

    # -- which errors ----------------------------------------------------------------
    def _framework_errors(self, operation) -> list[ApiError]:
        errors = [DATABASE_UNAVAILABLE, PROXY_UNAVAILABLE]
        if self.method not in SAFE_METHODS:
            errors.append(BUSY)
        if "requestBody" in operation:
            errors.append(REQUEST_TOO_LARGE)
        if "requestBody" in operation and self.view.get_parsers():
            # (A view without parsers reads its raw body itself: Stripe's webhook.)
            errors += [PARSE_ERROR, JSON_TOO_DEEP, UNSUPPORTED_MEDIA_TYPE]
        if any(requirement for requirement in operation["security"]):
            errors += AUTHENTICATION_ERRORS
            if self._may_refuse_customer():
                errors.append(PERMISSION_DENIED)
        parameters = operation.get("parameters", [])
        if any(p["in"] == "path" for p in parameters) or any(
            p["in"] == "query" and p["name"] == "page" for p in parameters
        ):
            errors.append(NOT_FOUND)
        if self.view.get_throttles():
            errors.append(THROTTLED)
        return errors

    def _may_refuse_customer(self) -> bool:
        """Whether the view's permissions refuse a signed-in customer (then a 403
        ``permission_denied`` is possible)."""
        request = self.view.request
        missing = object()
        previous = request.__dict__.get("_user", missing)
        request._user = _SignedInCustomer()
        try:
            return not all(
                p.has_permission(request, self.view) for p in self.view.get_permissions()
            )
        except Exception:  # a permission that needs more than the stand-in: assume it may
            return True
        finally:
            if previous is missing:
                del request._user
            else:
                request._user = previous

    def _field_errors_possible(self, operation) -> bool:
        return ("requestBody" in operation and bool(self.view.get_parsers())) or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        )

    # -- building the responses ------------------------------------------------------
    def _complete_errors(self, operation, registry) -> None:
        responses = operation.setdefault("responses", {})
        declared: dict[int, dict[str, ApiError]] = {}
        generic: set[int] = set()
        for key, response in list(responses.items()):
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if _MARKER in schema:
                for spec in schema[_MARKER]:
                    declared.setdefault(int(key), {}).setdefault(spec.code, spec)
            elif _STATUSES_MARKER in schema:
                generic.add(int(key))
            else:
                continue
            del response["content"]["application/json"]["schema"]
        for spec in _ADDED.get(operation.get("operationId", ""), []):
            declared.setdefault(spec.status, {}).setdefault(spec.code, spec)
        own = {int(key) for key in responses} - declared.keys() - generic
        for spec in self._framework_errors(operation):
            if spec.status not in own:
                declared.setdefault(spec.status, {}).setdefault(spec.code, spec)
        field_errors = self._field_errors_possible(operation)
        if field_errors and 400 not in own:
            generic.add(400)
        for status in sorted(declared.keys() | generic):
            specs = list(declared.get(status, {}).values())
            schema = self._error_schema(operation, status, specs, field_errors, registry)
            response = responses.setdefault(str(status), {})
            response.setdefault("description", _REASONS.get(status, ("", ""))[1])
            response["description"] = _describe(response["description"], specs)
            response.setdefault("content", {}).setdefault("application/json", {})
            response["content"]["application/json"]["schema"] = schema
            if status in (429, 503):
                response["headers"] = {**response.get("headers", {}), **_RETRY_AFTER}

    def _error_schema(self, operation, status, specs, field_errors, registry) -> dict:
        variants = []
        if specs:
            variants.append(self._error_component(operation, status, specs, registry))
        if status == 400 and field_errors:
            variants.append(_register(registry, "FieldErrors", FIELD_ERRORS))
        if not variants:
            # The same component as a view's own OpenApiResponse(ErrorSerializer).
            return self.resolve_serializer(ErrorSerializer(), "response").ref
        return variants[0] if len(variants) == 1 else {"oneOf": variants}

    def _error_component(self, operation, status, specs, registry) -> dict:
        codes = sorted(spec.code for spec in specs)
        name = _SHARED.get((status, frozenset(codes)))
        if name is None:
            reason = _REASONS.get(status, (str(status), ""))[0]
            name = f"{_camel(operation['operationId'])}{reason}Error"
        properties = {
            "detail": {"type": "string", "description": "What went wrong, for people."},
            "code": {
                "allOf": [_register(registry, f"{name}Code", {"type": "string", "enum": codes})],
                "description": "What went wrong, for programs.",
            },
        }
        carriers: dict[str, int] = {}
        for spec in specs:
            for field, hint in spec.fields.items():
                optional = get_origin(hint) is typing.NotRequired
                if optional:
                    (hint,) = get_args(hint)
                properties.setdefault(field, type_schema(hint, registry))
                carriers[field] = carriers.get(field, 0) + (0 if optional else 1)
        required = ["detail", "code", *sorted(f for f, n in carriers.items() if n == len(specs))]
        lines = [f"- `{spec.code}`: {spec.detail}" for spec in sorted(specs, key=_by_code)]
        return _register(
            registry,
            name,
            {
                "type": "object",
                "description": "\n".join(lines),
                "properties": properties,
                "required": required,
            },
        )


class _SignedInCustomer:
    """What a permission sees of a customer with a valid token."""

    pk = id = 0
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = is_superuser = is_admin_role = False
    role = "CUSTOMER"


def _by_code(spec: ApiError) -> str:
    return spec.code


def _describe(description: str, specs: list[ApiError]) -> str:
    if not specs:
        return description
    codes = ", ".join(f"`{spec.code}`" for spec in sorted(specs, key=_by_code))
    return f"{description} Codes: {codes}."


def _register(registry, name: str, schema: dict) -> dict:
    component = ResolvedComponent(
        name=name, type=ResolvedComponent.SCHEMA, object=f"marquee-error:{name}", schema=schema
    )
    registry.register_on_missing(component)
    return component.ref


# --- the postprocessing hook (after drf-spectacular's enum hook) ------------------------
def postprocess(result, generator, request, public):
    """Exact types across the whole schema:

    - enum components built from our TextChoices get ``x-enum-varnames`` (the member
      names), so generated clients say ``AgeRatingEnum.TWELVE``, not ``VALUE_2``;
    - query parameters whose enum is a component's values refer to that component;
    - path parameters that match digits only are integers;
    - request bodies carry no ``default`` (a default makes openapi-typescript mark the
      field required): it is stated in the field's description instead;
    - a nullable ``oneOf`` (an email that may be empty or null) becomes an ``anyOf``
      with ``nullable`` on its first variant, and a nullable nested object (``allOf``
      of one component) the component or a null: OpenAPI 3.0 applies ``nullable`` only
      beside a ``type``, so beside a bare ``oneOf`` or ``allOf`` a validating client
      refuses the null the API sends.
    """
    schemas = result.get("components", {}).get("schemas", {})
    _name_enum_members(schemas)
    enums = {
        frozenset(schema["enum"]): name
        for name, schema in schemas.items()
        if "enum" in schema and name.endswith("Enum")
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                _exact_parameter(parameter, enums)
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _defaults_to_descriptions(schema)
        for field in schema.get("properties", {}).values():
            _nullable_into_one_of(field)
    return result


def _nullable_into_one_of(field: dict) -> None:
    # anyOf, not oneOf: an empty string is a string of length 0 and, to a validator that
    # does not check formats, an email too; matching both is no error.
    if field.get("nullable") and "allOf" in field and len(field["allOf"]) == 1:
        # A nested object that may be null (drf-spectacular writes allOf + nullable):
        # the object, or a null that a 3.0 validator accepts (nullable beside a type).
        field.pop("nullable")
        (ref,) = field.pop("allOf")
        field["anyOf"] = [ref, {"type": "object", "nullable": True, "enum": [None]}]
        return
    if field.get("nullable") and "oneOf" in field and "type" not in field:
        field.pop("nullable")
        first, *others = field.pop("oneOf")
        field["anyOf"] = [{**first, "nullable": True}, *others]


def _name_enum_members(schemas: dict) -> None:
    from django.db.models import Choices
    from django.utils.module_loading import import_string
    from drf_spectacular.settings import spectacular_settings

    for name, path in spectacular_settings.ENUM_NAME_OVERRIDES.items():
        choices = import_string(path) if isinstance(path, str) else None
        schema = schemas.get(name)
        if schema is None or not (isinstance(choices, type) and issubclass(choices, Choices)):
            continue
        names = {member.value: member.name for member in choices}
        schema["x-enum-varnames"] = [names[value] for value in schema["enum"]]


def _exact_parameter(parameter: dict, enums: dict) -> None:
    schema = parameter.get("schema", {})
    if "enum" in schema and frozenset(schema["enum"]) in enums:
        description = parameter.get("description", "")
        if description.startswith("* `"):  # drf-spectacular's list of the choices
            parameter.pop("description")
        parameter["schema"] = {"$ref": f"#/components/schemas/{enums[frozenset(schema['enum'])]}"}
    elif parameter["in"] == "path" and schema.get("pattern") in (r"^\d+$", r"^[0-9]+$"):
        parameter["schema"] = {"type": "integer", "minimum": 1}


def _defaults_to_descriptions(schema: dict) -> None:
    for field in schema.get("properties", {}).values():
        if "default" not in field:
            continue
        default = field.pop("default")
        shown = "empty" if default in ("", []) else f"`{json.dumps(default)}`"
        text = field.get("description", "")
        field["description"] = f"{text} Default: {shown}.".strip()
