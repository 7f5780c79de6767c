"""Booking errors: plain domain errors with a machine-readable ``code``; their kind
(core/errors.py) decides the HTTP status.

Extra keyword arguments become fields of the response body, e.g.
``SeatsUnavailable(seats=[{"id": 7, "label": "A7"}])``; ``fields`` declares them, with
their types, for the schema.
"""

from typing import TypedDict

from core.errors import Conflict, Forbidden, InvalidRequest, TooSoon, Unprocessable


class TakenSeat(TypedDict):
    """A seat that someone else holds or booked."""

    id: int
    label: str


class CheckedInSeat(TypedDict):
    """A seat whose ticket was used at the door."""

    id: int
    label: str


class ShowtimeNotFound(InvalidRequest):
    detail = "This showtime does not exist."
    code = "showtime_not_found"


class ShowtimeClosed(InvalidRequest):
    detail = "This showtime has started or is past its booking cutoff."
    code = "showtime_closed"


class ShowtimeCancelled(Conflict):
    """The cinema cancelled the screening (``showtime_cancel``): it sells nothing, and a
    cancel that has nothing left to do is refused with it too."""

    detail = "The cinema has cancelled this showtime."
    code = "showtime_cancelled"


class NoSeatsChosen(InvalidRequest):
    detail = "Choose at least one seat."
    code = "no_seats"


class TooManySeats(InvalidRequest):
    detail = "Too many seats in one reservation."
    code = "too_many_seats"
    fields = {"limit": int}


class DuplicateSeats(InvalidRequest):
    detail = "A seat appears more than once."
    code = "duplicate_seats"
    fields = {"seats": list[int]}


class InvalidSeats(InvalidRequest):
    detail = "Some seats do not exist in this showtime's hall."
    code = "invalid_seats"
    fields = {"seats": list[int]}


class InvalidSeatNumber(InvalidRequest):
    detail = "There is no seat with this number in the hall."
    code = "invalid_seat_number"
    fields = {"seat_number": int}


class SeatLimitExceeded(InvalidRequest):
    detail = "You may not hold or own more seats for this showtime."
    code = "seat_limit_exceeded"
    fields = {"limit": int, "owned": int}


class SeatsUnavailable(Conflict):
    detail = "Some seats are already held or booked."
    code = "seats_unavailable"
    fields = {"seats": list[TakenSeat]}


class NoBlockAvailable(Conflict):
    """Best available found no block of the asked size: ``largest`` is the size of the
    largest block of adjacent free seats there is (of the seat type asked for), so the
    client can offer it or split the party."""

    detail = "No block of that many adjacent free seats in one row."
    code = "no_block_available"
    fields = {"largest": int}


class HoldExpired(Conflict):
    detail = "This hold has expired; its seats were released."
    code = "hold_expired"


class NotHeld(Conflict):
    detail = "Only a held reservation can be confirmed."
    code = "not_held"


class AlreadyConfirmed(NotHeld):
    detail = "This reservation is already confirmed."
    code = "already_confirmed"


class AlreadyCancelled(Conflict):
    detail = "This reservation is already cancelled."
    code = "already_cancelled"


class NotReservationOwner(Forbidden):
    detail = "Only the customer who made this reservation may do this."
    code = "not_owner"


class NotConfirmed(Conflict):
    detail = "Only a confirmed reservation has a confirmation to send."
    code = "not_confirmed"


class NoEmailAddress(Conflict):
    detail = "This reservation has no email address to send to."
    code = "no_email"


class ConfirmationSentRecently(TooSoon):
    detail = "The confirmation of this reservation was sent less than a minute ago."
    code = "confirmation_sent_recently"


class IdempotencyKeyReused(Unprocessable):
    detail = "This Idempotency-Key was already used for a different request."
    code = "idempotency_key_reused"


class InvalidIdempotencyKey(InvalidRequest):
    detail = "The Idempotency-Key header must be 1 to 255 printable characters."
    code = "invalid_idempotency_key"


# Raised by a receiver of ``reservation_cancelling`` (tickets: a ticket of the reservation
# was used at the door); declared here, with the engine's other refusals, so that the
# cancel operations document it without importing the app that raises it.
class ReservationCheckedIn(Conflict):
    detail = "A ticket of this reservation was checked in; it can no longer be cancelled."
    code = "checked_in"
    fields = {"seats": list[CheckedInSeat]}
