"""Waiting-room errors: plain domain errors with a machine-readable ``code``; their kind
(core/errors.py) decides the HTTP status."""

from core.errors import Conflict, Forbidden, InvalidRequest, Unavailable


class NotQueued(Conflict):
    detail = "This showtime has no waiting room: book it directly."
    code = "not_queued"


class QueueClosed(Conflict):
    detail = "The waiting room of this showtime is closed: it is sold out."
    code = "queue_closed"


class QueueTokenInvalid(InvalidRequest):
    detail = "The queue token is missing, forged or not yours for this showtime."
    code = "queue_token_invalid"


class QueuePassRequired(Forbidden):
    detail = (
        "This showtime sells through its waiting room: join it "
        "(POST /api/showtimes/{id}/queue/) and send the pass you are given in the "
        "Queue-Pass header."
    )
    code = "queue_pass_required"


class QueueUnavailable(Unavailable):
    """Redis, where the queue lives, cannot be reached: the queued showtime does not
    sell (never opens the gates by failing open)."""

    detail = "The waiting room is unavailable for a moment; try again after Retry-After."
    code = "queue_unavailable"
    retry_after = 5
