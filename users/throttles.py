"""Throttles for the anonymous entry points (login, register), shared by the API and the
Django admin's login page.

Each endpoint is limited twice: per client IP (``get_ident`` honours NUM_PROXIES, so a
forged X-Forwarded-For does not open a fresh bucket) and per account, so spreading one
account's password guesses over many addresses does not help either. The account bucket
belongs to the account whatever spelling reaches it: a login name is resolved the way
authentication resolves it (``User.objects.natural_key_filter``: case, accents and
compatibility forms do not matter), and a name that matches no account is keyed by its
folded form, so ``ADMIN``, ``admín`` and ``ádmin`` all count against ``admin``.

Counters are sliding windows in the default cache (Redis in production, shared by every
worker), estimated from two fixed ones: ``add`` opens a window, ``incr`` counts in it
(both atomic in Redis, so simultaneous attempts cannot all read the same count and all
pass), and the previous window's count weighs in by the share of it the sliding window
still covers. A burst just before a window's end therefore cannot be followed by a
second one just after it.

When the cache cannot be reached the throttles fail open with a logged warning: a lost
throttle window is better than a dead login (core/cache.py bounds how long asking
takes).
"""

import hashlib
import logging
import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from core.cache import CacheUnavailable
from users.models import User, fold_username

logger = logging.getLogger(__name__)


def _parse_rate(rate: str) -> tuple[int, int]:
    count, period = rate.split("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    return int(count), seconds


def _digest(text: str) -> str:
    # surrogatepass: a JSON body may carry lone surrogates ("\udc00"); they still count.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _may_name_an_account(folded: str) -> bool:
    if len(folded) > User._meta.get_field("username_fold").max_length:
        return False
    try:
        folded.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no stored name has them
        return False
    return True


def account_ident(username: str) -> str:
    """The bucket of a login name: the account it reaches, or its folded form."""
    folded = fold_username(username)
    if _may_name_an_account(folded):
        pk = (
            User.objects.filter(**User.objects.natural_key_filter(username))
            .values_list("pk", flat=True)
            .first()
        )
        if pk is not None:
            return f"user-{pk}"
    return "name-" + _digest(folded)


def _submitted_username(request) -> str | None:
    data = getattr(request, "data", None)
    if data is None:  # a plain Django request (the admin's login form)
        data = request.POST
    username = data.get("username") if hasattr(data, "get") else None
    if not isinstance(username, str) or not username.strip():
        return None
    return username


def _seconds_until_allowed(
    limit: int, period: int, elapsed: float, count: int, previous: int
) -> float:
    """How long until one more request fits: within this window once the previous
    window's weight has faded enough, else in the next one, where this window's
    ``count`` is the previous one."""
    if count + 1 <= limit and previous:
        return max(period * (1 - (limit - count - 1) / previous) - elapsed, 0.0)
    fade = period * (1 - (limit - 1) / count) if count > limit - 1 else 0.0
    return period - elapsed + fade


class CountingThrottle(BaseThrottle):
    """A sliding-window request counter per ``scope`` and ident; the rate comes from
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]."""

    scope: str

    def __init__(self):
        self._wait: float | None = None

    def ident(self, request) -> str | None:
        """Whose bucket this request counts in; None: not throttled."""
        raise NotImplementedError

    def allow_request(self, request, view=None) -> bool:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not rate:
            return True
        ident = self.ident(request)
        if ident is None:
            return True
        limit, period = _parse_rate(rate)
        now = time.time()
        window = int(now // period)
        key = f"throttle:{self.scope}:{ident}"
        try:
            # Kept through the next window, where it is the previous one.
            count = self._hit(f"{key}:{window}", 2 * period)
            previous = cache.get(f"{key}:{window - 1}") or 0
        except CacheUnavailable as exc:
            if exc.fresh:
                logger.warning("throttle %s failed open: %s", self.scope, exc)
            return True
        elapsed = now - window * period
        if previous * (1 - elapsed / period) + count > limit:
            self._wait = _seconds_until_allowed(limit, period, elapsed, count, previous)
            return False
        return True

    @staticmethod
    def _hit(key: str, period: int) -> int:
        # Kept a little past the window so a late incr never finds it gone.
        if cache.add(key, 1, timeout=period + 5):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 5)
            return 1

    def wait(self) -> float | None:
        return self._wait


class _IPThrottle(CountingThrottle):
    def ident(self, request) -> str | None:
        # No REMOTE_ADDR (only outside a real server): one shared bucket.
        return _digest(self.get_ident(request) or "unknown")


class _AccountThrottle(CountingThrottle):
    def ident(self, request) -> str | None:
        username = _submitted_username(request)
        return None if username is None else account_ident(username)


class _NewNameThrottle(CountingThrottle):
    def ident(self, request) -> str | None:
        username = _submitted_username(request)
        return None if username is None else _digest(fold_username(username))


class LoginIPThrottle(_IPThrottle):
    scope = "login"


class LoginUsernameThrottle(_AccountThrottle):
    scope = "login_username"


class RegisterIPThrottle(_IPThrottle):
    scope = "register"


class RegisterUsernameThrottle(_NewNameThrottle):
    scope = "register_username"


LOGIN_THROTTLES = (LoginIPThrottle, LoginUsernameThrottle)


def login_throttle_wait(request) -> float | None:
    """For a login outside DRF (the admin's): None when every login throttle lets the
    request through, else the seconds to wait. Counts in the same buckets as the API."""
    waits = []
    for throttle_class in LOGIN_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request):
            waits.append(throttle.wait() or 1)
    return max(waits) if waits else None
