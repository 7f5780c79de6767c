from rest_framework import status

from config.exceptions import Conflict, DomainError, ProtectedObject


class ShowtimeOverlap(DomainError):
    """400, not 409: the request itself asks for an impossible schedule. The response
    carries ``clash``: the showtime it would collide with."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The hall is busy at that time."
    default_code = "showtime_overlap"


class ShowtimeHasReservations(Conflict):
    default_detail = (
        "This showtime already has reservations: its movie, hall and start time can no "
        "longer change (prices can)."
    )
    default_code = "showtime_has_reservations"


class HallLayoutLocked(Conflict):
    default_detail = (
        "This hall has showtimes: its seat layout can no longer change, because tickets "
        "point to its seats."
    )
    default_code = "layout_locked"


class MovieDurationLocked(Conflict):
    default_detail = (
        "This movie has showtimes: its duration can no longer change, because their end "
        "times (and the hall schedule) were computed from it."
    )
    default_code = "duration_locked"


class MovieInUse(ProtectedObject):
    default_detail = "This movie has showtimes; delete or move them first."


class HallInUse(ProtectedObject):
    default_detail = "This hall has showtimes; delete them first."


class ShowtimeInUse(ProtectedObject):
    default_detail = "This showtime has reservations and cannot be deleted."
