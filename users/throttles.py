"""Throttles for the anonymous entry points (login, register).

Each endpoint is limited twice: per client IP (``get_ident`` honours NUM_PROXIES, so a
forged X-Forwarded-For does not open a fresh bucket) and per username, so spreading one
account's password guesses over many addresses does not help either. Counters live in
the default cache, which is Redis in production and therefore shared by every worker.
"""

import hashlib

from rest_framework.throttling import SimpleRateThrottle


class _IPThrottle(SimpleRateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _UsernameThrottle(SimpleRateThrottle):
    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        username = data.get("username")
        if not isinstance(username, str) or not username.strip():
            return None
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginIPThrottle(_IPThrottle):
    scope = "login"


class LoginUsernameThrottle(_UsernameThrottle):
    scope = "login_username"


class RegisterIPThrottle(_IPThrottle):
    scope = "register"


class RegisterUsernameThrottle(_UsernameThrottle):
    scope = "register_username"
