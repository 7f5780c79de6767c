"""Domain errors: plain exceptions with a machine-readable ``code``, free of HTTP.

Services raise them; the admin, management commands and tests catch them like any other
exception; ``core/exceptions.py`` turns them into HTTP answers for the API, by kind, in
one table. Each app's ``<app>/exceptions.py`` subclasses one of the kinds below and sets
``code`` and ``detail`` (the default message).

Extra keyword arguments become fields of the response body, e.g.
``SeatsUnavailable(seats=[{"id": 7, "label": "A7"}])``. Each class declares the extra
fields it carries, with their types, in ``fields``: the OpenAPI schema documents them
from there (core/schema.py). Raising with an undeclared one is a TypeError in the test
suite (``DomainError.strict_fields``, set by the root conftest.py), so a forgotten
declaration fails a test; in production the field is dropped and logged instead, so the
client still gets its 4xx, in the documented shape, rather than a 500.
"""

import logging
from typing import Any, ClassVar

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule said no. ``detail`` is for people, ``code`` for programs, and
    ``extra`` carries whatever else the client needs (the taken seats, a limit...)."""

    code: str = "invalid"
    detail: str = "The request breaks a business rule."
    # The extra body fields this error carries: name -> type (int, str, list[...], a
    # TypedDict). The schema's only source for them.
    fields: ClassVar[dict[str, Any]] = {}
    # True in the test suite: an undeclared extra field is a TypeError there.
    strict_fields: ClassVar[bool] = False

    def __init__(self, detail: str | None = None, **extra):
        undeclared = extra.keys() - self.fields.keys()
        if undeclared:
            message = f"{type(self).__name__} declares no field {', '.join(sorted(undeclared))}"
            if DomainError.strict_fields:
                raise TypeError(message)
            logger.error("%s; left out of the answer", message)
            extra = {name: value for name, value in extra.items() if name in self.fields}
        if detail is not None:
            self.detail = detail
        self.extra = extra
        super().__init__(self.detail)


# --- the kinds (core/exceptions.py maps each to its HTTP status) ----------------------
class InvalidRequest(DomainError):
    """The request itself cannot be right (400)."""


class Forbidden(DomainError):
    """The caller may not do this to this object (403)."""

    code = "permission_denied"
    detail = "You do not have permission to perform this action."


class NotFound(DomainError):
    """No such object (404)."""

    code = "not_found"
    detail = "Not found."


class Conflict(DomainError):
    """The request is fine but the current state forbids it (409)."""

    code = "conflict"
    detail = "The request conflicts with the current state."


class Unprocessable(DomainError):
    """Well-formed, but cannot be processed as it stands (422)."""

    code = "unprocessable"
    detail = "The request cannot be processed."


class Unavailable(DomainError):
    """Not now: try again after ``retry_after`` seconds (503)."""

    code = "unavailable"
    detail = "The service is unavailable; try again in a moment."
    retry_after: int = 1

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, **extra):
        super().__init__(detail, **extra)
        if retry_after is not None:
            self.retry_after = retry_after


class TooSoon(DomainError):
    """Allowed, but not again so soon: try again after ``retry_after`` seconds (429).
    For limits that are business rules decided in the database (e.g. one re-sent
    confirmation a minute per reservation), not the per-client throttles."""

    code = "too_soon"
    detail = "Not again so soon; try again after Retry-After seconds."
    retry_after: int = 1

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, **extra):
        super().__init__(detail, **extra)
        if retry_after is not None:
            self.retry_after = retry_after


# --- errors shared by every app ---------------------------------------------------------
class ProtectedObject(Conflict):
    code = "protected"
    detail = "This object is still referenced by other records and cannot be deleted."


class ServiceBusy(Unavailable):
    code = "busy"
    detail = "The system is busy with the same seats; try again in a moment."


class DatabaseUnavailable(Unavailable):
    code = "database_unavailable"
    detail = "The database cannot be reached; try again in a moment."
    retry_after = 5


class CacheUnavailableError(Unavailable):
    code = "cache_unavailable"
    detail = "The cache cannot be reached; try again in a moment."
    retry_after = 5
