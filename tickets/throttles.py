"""Check-ins per staff user, and a log line when one scans unknown codes in a burst.

The codes carry 140 random bits, so guessing one is hopeless at any rate; the throttle
keeps it so even for a stolen staff token, and the burst log tells someone to look.
Both count in the shared cache and fail open when it is gone (users/throttles.py): the
door keeps admitting.
"""

import logging
import time

from django.conf import settings

from core.cache import CacheUnavailable
from users.throttles import CountingThrottle

logger = logging.getLogger(__name__)

BURST_WINDOW_SECONDS = 60


class CheckInThrottle(CountingThrottle):
    """THROTTLE_CHECK_IN_RATE check-ins per staff user (scope ``check_in``)."""

    scope = "check_in"

    def ident(self, request) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # refused before it counts: 401
        return f"user-{user.pk}"


def note_unknown_code(user) -> None:
    """Count an unknown code scanned by ``user``; log once when its count in the
    current minute reaches CHECK_IN_UNKNOWN_ALERT, and again at every further multiple."""
    threshold = settings.CHECK_IN_UNKNOWN_ALERT
    if threshold <= 0:
        return
    window = int(time.time() // BURST_WINDOW_SECONDS)
    key = f"check_in_unknown:user-{user.pk}:{window}"
    try:
        count = CountingThrottle._hit(key, BURST_WINDOW_SECONDS)
    except CacheUnavailable:
        return
    if count % threshold == 0:
        logger.warning(
            "check-in: %d unknown ticket codes from staff user %s (%s) within a minute",
            count,
            user.pk,
            user.get_username(),
        )
