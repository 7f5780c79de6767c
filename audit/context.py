"""Who is acting, and from which address, for the current request.

``AuditContextMiddleware`` (audit/middleware.py) puts the request here for the length of
the request, with its client address already worked out; ``audit.record`` reads it. So a
service records a staff action with one call and no request in its signature. The user is
read from the request when an entry is written, not when the request starts: the API's
JWT authentication runs inside the view and sets it on the request then (DRF passes it on
to the underlying Django request), while the admin's session user is there from the
start. Outside a request (commands, workers, tests) nothing is set: the actor is
"system" unless the caller names one.

This module imports nothing of DRF: services import it, and services know nothing of HTTP.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request: Any  # django.http.HttpRequest
    ip: str | None

    def user(self):
        """The authenticated user of the request, or None."""
        user = getattr(self.request, "user", None)
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return user


_current: ContextVar[RequestContext | None] = ContextVar("audit_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def enter(context: RequestContext):
    """Set the context; returns the token to pass to ``leave``."""
    return _current.set(context)


def leave(token) -> None:
    _current.reset(token)
