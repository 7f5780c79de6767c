"""What the booking engine announces: the one way the apps above it (tickets, payments,
and whatever comes next) take part in a reservation's transitions. The engine imports
none of them; each subscribes in its ``AppConfig.ready`` (pretix's ``order_placed`` and
``order_paid`` are the model).

Every signal is sent by a transition step of ``bookings/services.py`` (``_mark_confirmed``,
``_mark_cancelled``) with ``sender=Reservation`` and keyword arguments, inside the
engine's transaction, under the locks it holds (the showtime row, then the reservation
row), after its own checks. A receiver writes in that transaction and takes its own
locks after the engine's, in the order of the phases below (docs/booking.md, lock
order).

The signals are sent with ``send``, not ``send_robust``: a receiver's exception stops
the transition and propagates to the caller. A ``*_confirming`` / ``*_cancelling``
receiver may so refuse the change with a domain error (core/errors.py), and the refusal
changes nothing: it comes before the engine changes the reservation's status, and the
service's transaction (or savepoint) rolls back whatever was written before it (a direct
booking's rows, an earlier receiver's writes).

The phases, in the order they run:

- confirm: ``reservation_confirming`` (reservation, now) -> the reservation becomes
  CONFIRMED, a hold's seats move from held to sold -> ``reservation_confirmed``
  (reservation, now, seat_ids: the seats when the caller knows them, else None);
- cancel: ``reservation_cancelling`` (reservation, now) -> the reservation becomes
  CANCELLED, its seats are released -> ``reservation_cancelled`` (reservation, now,
  at_counter: staff cancelling where they hand money back; by: who cancelled, whose
  till hands the money back).

Who listens today: payments refuses a confirmation without payment (``confirming``) and
refunds a cancelled sale (``cancelled``); tickets issues tickets and the confirmation
email (``confirmed``), refuses a cancel once a ticket was used at the door, voids the
tickets and writes the cancellation email (``cancelling``). So the cancel locks the
tickets before the claims, and the payments last. The order between receivers of one
signal is the order they connected in (the apps' order): nothing may depend on it. A
step that must come before or after another app's belongs in another phase, here, where
the order is written down (payments/tests/test_receivers.py checks the wiring).
"""

from django.dispatch import Signal

# The reservation is about to become CONFIRMED (a hold confirmed or paid, or a direct
# booking written as CONFIRMED). A receiver may refuse with a domain error.
reservation_confirming = Signal(use_caching=True)

# The reservation has just become CONFIRMED, its seats sold.
reservation_confirmed = Signal(use_caching=True)

# The reservation (HELD or CONFIRMED: its status is still the old one) is about to be
# cancelled. A receiver may refuse with a domain error.
reservation_cancelling = Signal(use_caching=True)

# The reservation has just been CANCELLED, its seats released.
reservation_cancelled = Signal(use_caching=True)

# The seats of a showtime changed (claims held, sold, released or lapsed), sent once the
# transaction that changed them has committed (``transaction.on_commit``), with
# ``sender=Showtime`` and ``showtime_id``. Sent from the counters
# (``_count``/``_recount``), the one place every claim change passes; a receiver must
# not fail the booking (live.receivers publishes it and swallows a Redis fault).
seats_changed = Signal(use_caching=True)
