"""Booking errors: each carries its HTTP status and a machine-readable ``code``.

Extra keyword arguments become fields of the response body, e.g.
``SeatsUnavailable(seats=[{"id": 7, "label": "A7"}])``.
"""

from rest_framework import status

from config.exceptions import Conflict, DomainError


class ShowtimeNotFound(DomainError):
    default_detail = "This showtime does not exist."
    default_code = "showtime_not_found"


class ShowtimeClosed(DomainError):
    default_detail = "This showtime has started or is past its booking cutoff."
    default_code = "showtime_closed"


class NoSeatsChosen(DomainError):
    default_detail = "Choose at least one seat."
    default_code = "no_seats"


class TooManySeats(DomainError):
    default_detail = "Too many seats in one reservation."
    default_code = "too_many_seats"


class DuplicateSeats(DomainError):
    default_detail = "A seat appears more than once."
    default_code = "duplicate_seats"


class InvalidSeats(DomainError):
    default_detail = "Some seats do not exist in this showtime's hall."
    default_code = "invalid_seats"


class InvalidSeatNumber(DomainError):
    default_detail = "There is no seat with this number in the hall."
    default_code = "invalid_seat_number"


class SeatLimitExceeded(DomainError):
    default_detail = "You may not hold or own more seats for this showtime."
    default_code = "seat_limit_exceeded"


class SeatsUnavailable(Conflict):
    default_detail = "Some seats are already held or booked."
    default_code = "seats_unavailable"


class HoldExpired(Conflict):
    default_detail = "This hold has expired; its seats were released."
    default_code = "hold_expired"


class NotHeld(Conflict):
    default_detail = "Only a held reservation can be confirmed."
    default_code = "not_held"


class AlreadyConfirmed(NotHeld):
    default_detail = "This reservation is already confirmed."
    default_code = "already_confirmed"


class AlreadyCancelled(Conflict):
    default_detail = "This reservation is already cancelled."
    default_code = "already_cancelled"


class NotReservationOwner(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "Only the customer who made this reservation may do this."
    default_code = "not_owner"


class IdempotencyKeyReused(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a different request."
    default_code = "idempotency_key_reused"


class InvalidIdempotencyKey(DomainError):
    default_detail = "The Idempotency-Key header must be 1 to 255 printable characters."
    default_code = "invalid_idempotency_key"
