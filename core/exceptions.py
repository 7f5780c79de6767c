"""One exception handler for the whole API.

Every error under /api/ is JSON: non-field errors are ``{"detail": ..., "code": ...}``
(plus any extra fields a domain error carries, such as the taken ``seats``), field
errors are DRF's ``{"field": ["..."]}``. Domain errors (``core/errors.py``) know
nothing of HTTP: their kind decides the status here, in ``HTTP_STATUS``.
"""

import logging
import math

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler, set_rollback

from core.cache import CacheUnavailable
from core.errors import (
    CacheUnavailableError,
    Conflict,
    DatabaseUnavailable,
    DomainError,
    Forbidden,
    InvalidRequest,
    NotFound,
    ProtectedObject,
    ServiceBusy,
    TooSoon,
    Unavailable,
    Unprocessable,
)
from core.locks import is_lock_error

logger = logging.getLogger(__name__)

# MySQL/MariaDB client and server errors that mean the server cannot be reached or
# dropped the connection (as opposed to a bad query): can't connect (2002, 2003),
# unknown host (2005), gone away (2006), lost connection or read timeout (2013), SSL
# handshake (2026), lost at a system call (2055), too many connections (1040), shutting
# down (1053), connection killed (1927), disconnected for inactivity (4031).
MYSQL_CONNECTION_ERRORS = frozenset(
    {1040, 1053, 1927, 2002, 2003, 2005, 2006, 2013, 2026, 2055, 4031}
)

# The HTTP status of each kind of domain error; a subclass answers as its kind.
HTTP_STATUS: dict[type[DomainError], int] = {
    InvalidRequest: status.HTTP_400_BAD_REQUEST,
    Forbidden: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    Unprocessable: status.HTTP_422_UNPROCESSABLE_ENTITY,
    TooSoon: status.HTTP_429_TOO_MANY_REQUESTS,
    Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def is_database_unavailable(exc: BaseException) -> bool:
    """True when a database error means the database is down, hung or unreachable."""
    if isinstance(exc, InterfaceError):
        return True  # the connection was closed under us
    if not isinstance(exc, OperationalError):
        return False
    args = getattr(exc, "args", ())
    if args and args[0] in MYSQL_CONNECTION_ERRORS:
        return True
    return "unable to open database file" in str(exc)  # SQLite


def log_database_unavailable(request, exc: BaseException) -> None:
    """One line per request, without the traceback: an outage is not a bug."""
    path = getattr(request, "path", "?")
    logger.warning("database unavailable, answered 503 (%s): %s", path, exc)


def status_of(error_class: type[DomainError]) -> int:
    """The status a domain error class answers with: its kind's, 400 for the bare base
    (the schema documents each error under this status, core/schema.py)."""
    for kind in error_class.__mro__:
        if kind in HTTP_STATUS:
            return HTTP_STATUS[kind]
    return status.HTTP_400_BAD_REQUEST


def http_status(exc: DomainError) -> int:
    return status_of(type(exc))


def domain_error_response(exc: DomainError) -> Response:
    data = {"detail": str(exc.detail), "code": exc.code, **exc.extra}
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    response = Response(data, status=http_status(exc), headers=headers)
    if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        # Logged where it was decided, in one line; Django need not log it again.
        response._has_been_logged = True
    return response


def _plain_validation_error(exc: DjangoValidationError) -> InvalidRequest:
    # Not tied to a field: the non-field shape {"detail", "code"}.
    error = InvalidRequest(" ".join(exc.messages))
    error.code = getattr(exc, "code", None) or "invalid"
    return error


def _retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def _normalise(exc, request):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(as_serializer_error(exc))
        return _plain_validation_error(exc)
    if isinstance(exc, ProtectedError | RestrictedError):
        return ProtectedObject()
    if is_lock_error(exc):
        logger.warning("lock contention answered 503: %s", exc)
        return ServiceBusy(retry_after=_retry_after(settings.DB_LOCK_WAIT_TIMEOUT))
    if is_database_unavailable(exc):
        log_database_unavailable(request, exc)
        return DatabaseUnavailable()
    if isinstance(exc, CacheUnavailable):
        return CacheUnavailableError(retry_after=_retry_after(exc.retry_after))
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        # ObjectDoesNotExist: the object was there when the request began and another
        # request deleted it meanwhile (a service re-reads it under its lock).
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def api_exception_handler(exc, context):
    exc = _normalise(exc, context.get("request"))
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
