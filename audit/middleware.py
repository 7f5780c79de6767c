"""Sets the audit context (audit/context.py) for each request: the request itself, so
that the acting user is read when an entry is written, and the client's address.

The address is the one the throttles count by: DRF's ``BaseThrottle.get_ident``, which
trusts X-Forwarded-For only as far as ``NUM_PROXIES`` says (with 0, REMOTE_ADDR alone; with
1, the entry the one proxy in front of us added). A forged header therefore cannot put
another address in the trail, exactly as it cannot open a fresh throttle bucket.
"""

from rest_framework.throttling import BaseThrottle

from audit import context

# Stateless; get_ident reads only the request and the NUM_PROXIES setting.
_IDENT = BaseThrottle()

# The column's width; anything longer is not an address anyway.
IP_MAX_LENGTH = 64


def client_ip(request) -> str | None:
    ident = _IDENT.get_ident(request)
    return ident[:IP_MAX_LENGTH] if ident else None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.enter(context.RequestContext(request=request, ip=client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            context.leave(token)
