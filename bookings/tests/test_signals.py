"""The engine's signals (bookings/signals.py): which transition announces what, in which
order, with the reservation in which state; and a refusal by a receiver changes
nothing, whatever the receivers before it wrote."""

import pytest

from bookings import services, signals
from bookings.models import (
    IdempotencyKey,
    Reservation,
    ReservationSeat,
    ReservationStatus,
    ShowtimeCounters,
)
from bookings.tests.factories import book, seat, seat_ids
from core.errors import Conflict

pytestmark = pytest.mark.django_db

SIGNALS = {
    "confirming": signals.reservation_confirming,
    "confirmed": signals.reservation_confirmed,
    "cancelling": signals.reservation_cancelling,
    "cancelled": signals.reservation_cancelled,
}


class Refused(Conflict):
    code = "refused"


def _claims(reservation) -> list[tuple]:
    return list(
        ReservationSeat.objects.filter(reservation_id=reservation.pk)
        .order_by("seat_id")
        .values_list("active", "hold_expires_at")
    )


def _counters(showtime) -> tuple[int, int]:
    counters = ShowtimeCounters.objects.get(pk=showtime.pk)
    return counters.sold, counters.held


@pytest.fixture
def heard():
    """Every engine signal recorded as (phase, status in the database, claims, the
    arguments other than the reservation), receivers connected after the apps' own."""
    log = []

    def listener(phase):
        def receive(sender, *, reservation, **kwargs):
            assert sender is Reservation
            stored = Reservation.objects.get(pk=reservation.pk)
            log.append((phase, stored.status, _claims(reservation), kwargs))

        return receive

    receivers = {phase: listener(phase) for phase in SIGNALS}
    for phase, signal in SIGNALS.items():
        signal.connect(receivers[phase], sender=Reservation, weak=False)
    yield log
    for phase, signal in SIGNALS.items():
        signal.disconnect(receivers[phase], sender=Reservation)


@pytest.fixture
def refuse():
    """``refuse(signal)``: a receiver of ``signal`` that says no, connected last."""
    connected = []

    def connect(signal):
        def no(sender, **kwargs):
            raise Refused()

        signal.connect(no, sender=Reservation, weak=False)
        connected.append((signal, no))

    yield connect
    for signal, receiver in connected:
        signal.disconnect(receiver, sender=Reservation)


def test_confirming_a_hold_announces_it_before_and_after_the_change(show, customer, heard):
    hold = book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "A2")], hold=True)
    held_claims = _claims(hold)
    assert heard == []  # a hold is not a transition

    services.reservation_confirm(reservation=hold, user=customer)

    (confirming, confirmed) = heard
    assert confirming[:3] == ("confirming", ReservationStatus.HELD, held_claims)
    assert confirmed[:3] == ("confirmed", ReservationStatus.CONFIRMED, [(True, None)] * 2)
    assert confirmed[3]["seat_ids"] is None  # the receiver reads them
    assert confirming[3]["now"] == confirmed[3]["now"]


def test_a_direct_booking_announces_its_confirmation_with_its_seats(show, customer, heard):
    wanted = seat_ids(show, "B1", "B2")
    services.reservation_create(user=customer, showtime_id=show.pk, seat_ids=wanted)

    assert [(phase, status) for phase, status, _, _ in heard] == [
        ("confirming", ReservationStatus.CONFIRMED),  # born confirmed, in this transaction
        ("confirmed", ReservationStatus.CONFIRMED),
    ]
    assert heard[1][3]["seat_ids"] == wanted


@pytest.mark.parametrize("at_counter", [False, True])
def test_a_cancel_announces_it_before_the_seats_are_released_and_after(
    show, customer, heard, at_counter
):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    heard.clear()

    services.reservation_cancel(reservation=reservation, by=customer, at_counter=at_counter)

    (cancelling, cancelled) = heard
    assert cancelling[:3] == ("cancelling", ReservationStatus.CONFIRMED, [(True, None)])
    assert cancelled[:3] == ("cancelled", ReservationStatus.CANCELLED, [(None, None)])
    assert "at_counter" not in cancelling[3]
    assert cancelled[3]["at_counter"] is at_counter


def test_a_refusal_while_confirming_changes_nothing(show, customer, heard, refuse):
    hold = book(user=customer, showtime=show, seats=[seat(show, "A1")], hold=True)
    before = (_claims(hold), _counters(show))
    refuse(signals.reservation_confirming)

    with pytest.raises(Refused):
        services.reservation_confirm(reservation=hold, user=customer)

    hold.refresh_from_db()
    assert hold.status == ReservationStatus.HELD
    assert (_claims(hold), _counters(show)) == before
    assert [phase for phase, *_ in heard] == ["confirming"]  # never "confirmed"


def test_a_refused_direct_booking_writes_nothing(show, customer, refuse, counts):
    before = counts()
    refuse(signals.reservation_confirming)

    with pytest.raises(Refused):
        services.reservation_create(
            user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A1")
        )

    assert counts() == before


def test_a_refusal_while_cancelling_undoes_what_earlier_receivers_wrote(
    show, customer, heard, refuse
):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    before = (_claims(reservation), _counters(show))

    def writes(sender, *, reservation, **kwargs):
        IdempotencyKey.objects.create(
            user_id=reservation.user_id,
            key="written-by-a-receiver",
            key_hash="0" * 64,
            request_fingerprint="x",
        )

    signals.reservation_cancelling.connect(writes, sender=Reservation, weak=False)
    try:
        refuse(signals.reservation_cancelling)  # after ``writes``
        with pytest.raises(Refused):
            services.reservation_cancel(reservation=reservation, by=customer)
    finally:
        signals.reservation_cancelling.disconnect(writes, sender=Reservation)

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.cancelled_at is None
    assert (_claims(reservation), _counters(show)) == before
    assert not IdempotencyKey.objects.filter(key="written-by-a-receiver").exists()
    assert "cancelled" not in [phase for phase, *_ in heard]
