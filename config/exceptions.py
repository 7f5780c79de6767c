"""One exception handler for the whole API.

Every error under /api/ is JSON: non-field errors are ``{"detail": ..., "code": ...}``
(plus any extra fields a domain error carries, such as the taken ``seats``), field
errors are DRF's ``{"field": ["..."]}``. Domain errors (``config/errors.py``) know
nothing of HTTP: their kind decides the status here, in ``HTTP_STATUS``.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler, set_rollback

from config.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidRequest,
    NotFound,
    ProtectedObject,
    ServiceBusy,
    Unavailable,
    Unprocessable,
)

logger = logging.getLogger(__name__)

# MySQL/MariaDB error numbers for a lost lock race.
MYSQL_LOCK_WAIT_TIMEOUT = 1205
MYSQL_DEADLOCK = 1213

# The HTTP status of each kind of domain error; a subclass answers as its kind.
HTTP_STATUS: dict[type[DomainError], int] = {
    InvalidRequest: status.HTTP_400_BAD_REQUEST,
    Forbidden: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    Unprocessable: status.HTTP_422_UNPROCESSABLE_ENTITY,
    Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def is_lock_error(exc: BaseException) -> bool:
    """True when a database error is a deadlock or lock-wait timeout worth retrying."""
    if not isinstance(exc, OperationalError):
        return False
    args = getattr(exc, "args", ())
    if args and args[0] in (MYSQL_LOCK_WAIT_TIMEOUT, MYSQL_DEADLOCK):
        return True
    # SQLite reports a busy database as "database is locked".
    return "database is locked" in str(exc)


def http_status(exc: DomainError) -> int:
    """The status a domain error answers with: its kind's, 400 for the bare base."""
    for kind in type(exc).__mro__:
        if kind in HTTP_STATUS:
            return HTTP_STATUS[kind]
    return status.HTTP_400_BAD_REQUEST


def domain_error_response(exc: DomainError) -> Response:
    data = {"detail": str(exc.detail), "code": exc.code, **exc.extra}
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(data, status=http_status(exc), headers=headers)


def _plain_validation_error(exc: DjangoValidationError) -> InvalidRequest:
    # Not tied to a field: the non-field shape {"detail", "code"}.
    error = InvalidRequest(" ".join(exc.messages))
    error.code = getattr(exc, "code", None) or "invalid"
    return error


def _normalise(exc):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(as_serializer_error(exc))
        return _plain_validation_error(exc)
    if isinstance(exc, ProtectedError | RestrictedError):
        return ProtectedObject()
    if is_lock_error(exc):
        logger.warning("lock contention answered 503: %s", exc)
        return ServiceBusy()
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def api_exception_handler(exc, context):
    exc = _normalise(exc)
    if isinstance(exc, DomainError):
        set_rollback()
        return domain_error_response(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # unexpected: Django's handler500 answers JSON under /api/

    data = response.data
    if isinstance(data, list):
        # ValidationError raised with a list: a non-field error.
        data = {"detail": " ".join(str(item) for item in data), "code": "invalid"}
    elif isinstance(data, dict) and "detail" in data and "code" not in data:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        if isinstance(codes, dict):
            codes = codes.get("detail")
        data["code"] = codes if isinstance(codes, str) else "error"
    response.data = data
    return response
