"""How many seats of a showtime are free: the booking engine's to say.

The catalogue lists showtimes with ``available_seats`` (the schedule, a movie's
showtimes, one showtime, and their prepared queries), but the seats are taken by the
booking engine's claims, which cinema may not import (bookings sits above it). The
catalogue asks through its signal ``cinema.signals.seats_available``, and the engine
answers with its expression (``bookings.selectors.available_seats``, from the receiver
``bookings.selectors.seats_available`` connected in ``BookingsConfig.ready``), so
availability is still computed by the database in the list's one query.

Why a signal, and not moving the lists up into bookings: the schedule, the movie's
showtimes and their fast paths (``cinema.queries``, ``cinema.serializers``) belong to
the catalogue's viewsets with the writes beside them, and one of their columns is all
the engine adds; moving them would split ``ShowtimeViewSet`` and ``MovieViewSet``
across two apps for one column. A signal is the mechanism every other plug-in of the
project uses (no setter slot to fill, nothing global to reset in tests: receivers
connect and disconnect).

Exactly one answer counts: without any (a catalogue without the booking engine) every
seat is free; two apps answering would be a wiring mistake, refused at once.
"""

import datetime as dt

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Expression, F

from cinema.models import Showtime
from cinema.signals import seats_available


def available_seats(now: dt.datetime) -> Expression:
    """The free seats of each showtime in a Showtime queryset at ``now``."""
    answers = [
        answer
        for _receiver, answer in seats_available.send(Showtime, now=now)
        if answer is not None
    ]
    if not answers:
        return F("hall__capacity")
    if len(answers) > 1:
        raise ImproperlyConfigured("More than one app answers cinema.signals.seats_available.")
    return answers[0]
