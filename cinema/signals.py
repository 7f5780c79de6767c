"""What the catalogue asks of the apps above it, as signals (the project's one plug-in
mechanism, as the booking engine's bookings/signals.py): cinema imports none of them;
they connect in their ``AppConfig.ready``.

``seats_available`` is sent with ``sender=Showtime`` and ``now`` whenever the catalogue
annotates a Showtime queryset with its free seats (cinema/availability.py): a receiver
answers with a query expression of each showtime's seats that are free at ``now``, or
None when it has nothing to say. The booking engine, which owns the seat claims and
their counters, answers (``bookings.selectors.seats_available``).

``price_list_changed`` is sent with ``sender=PriceList`` after a transaction that
changed a price list or its ticket types commits (cinema.services): pricing forgets this
process' copy of ticket types.
"""

from django.dispatch import Signal

seats_available = Signal()
price_list_changed = Signal()
