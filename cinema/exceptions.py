"""Catalogue and schedule errors (core/errors.py decides their HTTP status by kind)."""

from datetime import datetime
from typing import TypedDict

from core.errors import Conflict, InvalidRequest, ProtectedObject


class Clash(TypedDict):
    """The showtime a new one would collide with; its times in the cinema's time zone,
    with their offset."""

    id: int
    movie: str
    start_time: datetime
    end_time: datetime


class ShowtimeOverlap(InvalidRequest):
    """400, not 409: the request itself asks for an impossible schedule. The response
    carries ``clash``: the showtime it would collide with."""

    detail = "The hall is busy at that time."
    code = "showtime_overlap"
    fields = {"clash": Clash}


class ShowtimeHasReservations(Conflict):
    detail = (
        "This showtime already has reservations: its movie, hall and start time can no "
        "longer change (prices can)."
    )
    code = "showtime_has_reservations"


class HallLayoutLocked(Conflict):
    detail = (
        "This hall has showtimes: its seat layout can no longer change, because tickets "
        "point to its seats."
    )
    code = "layout_locked"


class MovieDurationLocked(Conflict):
    detail = (
        "This movie has showtimes: its duration can no longer change, because their end "
        "times (and the hall schedule) were computed from it."
    )
    code = "duration_locked"


class MovieInUse(ProtectedObject):
    detail = "This movie has showtimes; delete or move them first."


class HallInUse(ProtectedObject):
    detail = "This hall has showtimes; delete them first."


class ShowtimeInUse(ProtectedObject):
    detail = "This showtime has reservations and cannot be deleted."


class PriceListInUse(ProtectedObject):
    detail = "Showtimes sell this price list; give them another list first."


class PriceListIsDefault(ProtectedObject):
    detail = (
        "This is the default price list (showtimes without a list sell it); make another "
        "list the default first."
    )
